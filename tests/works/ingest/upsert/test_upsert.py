"""The one upsert path, called directly with normalized records: natural
keys, merges, conflicts, owner-curated columns, child sets."""

from dataclasses import replace

import pytest

from profiles.models import Researcher, VerificationLevel
from tests.factories import (
    ClaimedResearcherFactory,
    InstitutionFactory,
    ResearcherFactory,
    TopicFactory,
    WorkFactory,
)
from tests.helpers.snapshot import (
    author_priem,
    record,
    work_arxiv_preprint,
    work_state_of_oa,
)
from works.ingest.openalex.normalize import (
    normalize_author,
    normalize_institution,
    normalize_work,
)
from works.ingest.records import AuthorRecord, ResearcherTopicLink
from works.ingest.upsert import (
    UpsertResult,
    upsert_institutions,
    upsert_records,
    upsert_researchers,
    upsert_works,
)
from works.models import Institution, Work

pytestmark = pytest.mark.django_db(transaction=True)

PRIEM_ORCID = "0000-0001-6187-6610"


def test_a_reload_leaves_owner_curated_columns_alone():
    claimed = ClaimedResearcherFactory(
        openalex_id="A5023888391",
        display_name="J. Priem",
        headline="Mine, not the loader's",
        bio="Written by the owner.",
        is_open_to_collaborate=False,
        trust_score=40,
        trust_label="Emerging",
    )

    result = upsert_researchers([normalize_author(author_priem())])

    assert result == UpsertResult(created=0, updated=1, unchanged=0)
    claimed.refresh_from_db()
    assert (claimed.display_name, claimed.orcid) == ("Jason Priem", PRIEM_ORCID)
    assert (claimed.headline, claimed.bio) == (
        "Mine, not the loader's",
        "Written by the owner.",
    )
    assert claimed.is_open_to_collaborate is False
    assert (claimed.is_claimed, claimed.verification_level) == (
        True,
        VerificationLevel.L2,
    )
    assert (claimed.trust_score, claimed.trust_label) == (40, "Emerging")


def test_an_orcid_held_by_another_researcher_rejects_the_newcomer():
    holder = ResearcherFactory(openalex_id="A1", orcid=PRIEM_ORCID)
    result = upsert_researchers([normalize_author(author_priem())])
    assert result == UpsertResult(
        rejected=[(0, f"ORCID {PRIEM_ORCID} already belongs to researcher A1")]
    )
    assert list(Researcher.objects.values_list("openalex_id", "orcid")) == [
        ("A1", PRIEM_ORCID)
    ]
    holder.refresh_from_db()
    assert holder.display_name.startswith("Testa Researcher")


def test_two_authors_with_one_orcid_in_a_batch_keep_the_first():
    priem = normalize_author(author_priem())
    double = replace(priem, openalex_id="A2", display_name="Double")
    result = upsert_researchers([priem, double])
    assert result == UpsertResult(
        created=1,
        rejected=[
            (
                1,
                f"ORCID {PRIEM_ORCID} is also claimed by A5023888391 "
                "earlier in the same batch",
            )
        ],
    )


def test_a_record_made_from_the_orcid_side_is_taken_over():
    orphan = ResearcherFactory(openalex_id=None, orcid=PRIEM_ORCID, bio="kept")
    result = upsert_researchers([normalize_author(author_priem())])
    assert result == UpsertResult(updated=1)
    orphan.refresh_from_db()
    assert (orphan.openalex_id, orphan.bio) == ("A5023888391", "kept")


def test_the_affiliation_is_the_first_known_institution_we_hold():
    present = InstitutionFactory(openalex_id="I2")
    record_ = AuthorRecord(
        openalex_id="A1",
        display_name="Ada",
        last_known_institution_ids=("I404", "I2", "I3"),
    )
    InstitutionFactory(openalex_id="I3")
    upsert_researchers([record_])
    assert Researcher.objects.get(openalex_id="A1").affiliation == present


def test_a_changed_topic_set_counts_as_an_update():
    topic = TopicFactory(openalex_id="T1")
    TopicFactory(openalex_id="T2")
    author = AuthorRecord(
        openalex_id="A1", display_name="Ada", topics=(ResearcherTopicLink("T1", 3),)
    )
    assert upsert_researchers([author]).created == 1
    before = Researcher.objects.get(openalex_id="A1").updated_at
    assert upsert_researchers([author]) == UpsertResult(unchanged=1)

    relinked = replace(author, topics=(ResearcherTopicLink("T2", 1),))
    assert upsert_researchers([relinked]) == UpsertResult(updated=1)

    researcher = Researcher.objects.get(openalex_id="A1")
    assert researcher.updated_at > before
    assert list(researcher.topics.values_list("openalex_id", flat=True)) == ["T2"]
    assert not researcher.topics.filter(pk=topic.pk).exists()


def test_an_arxiv_only_work_becomes_the_openalex_work():
    arxiv_only = WorkFactory(
        openalex_id=None, doi=None, arxiv_id="2007.14454", title="From arXiv"
    )
    result = upsert_works([normalize_work(work_arxiv_preprint())])
    assert result == UpsertResult(updated=1)
    merged = Work.objects.get()
    assert merged.pk == arxiv_only.pk
    assert (merged.openalex_id, merged.doi, merged.arxiv_id) == (
        "W3045921891",
        "10.48550/arxiv.2007.14454",
        "2007.14454",
    )
    assert merged.title == (
        "Measuring prominence of scientific work in online news as a proxy for impact"
    )


def test_a_doi_held_by_another_openalex_work_stays_with_it():
    holder = WorkFactory(openalex_id="W1", doi="10.7717/peerj.4375")
    work = normalize_work(work_state_of_oa())

    assert upsert_works([work]) == UpsertResult(created=1)
    # Loading it again is a no-op: the DOI is not handed back and forth.
    assert upsert_works([work]) == UpsertResult(unchanged=1)

    holder.refresh_from_db()
    assert holder.doi == "10.7717/peerj.4375"
    assert Work.objects.get(openalex_id="W2741809807").doi is None


def test_a_later_record_of_the_same_work_in_a_batch_wins():
    first = normalize_work(work_state_of_oa())
    later = replace(first, cited_by_count=5)
    result = upsert_works([first, later])
    assert result == UpsertResult(
        created=1,
        rejected=[(0, "superseded by a later record of W2741809807 in the same batch")],
    )
    assert Work.objects.get().cited_by_count == 5


def test_a_work_without_any_identifier_is_rejected():
    anonymous = replace(
        normalize_work(work_state_of_oa()), openalex_id=None, doi=None, arxiv_id=None
    )
    assert upsert_works([anonymous]) == UpsertResult(
        rejected=[(0, "no OpenAlex id, DOI or arXiv id")]
    )
    assert Work.objects.count() == 0


def test_an_author_loaded_later_is_attached_on_the_next_work_load():
    work = normalize_work(work_state_of_oa())
    upsert_works([work])
    stored = Work.objects.get()
    before = stored.updated_at
    assert stored.authorships.filter(researcher__isnull=False).count() == 0

    upsert_researchers([normalize_author(author_priem())])
    result = upsert_works([work])

    assert result == UpsertResult(updated=1)
    stored.refresh_from_db()
    assert stored.updated_at > before
    assert list(
        stored.authorships.filter(researcher__isnull=False).values_list(
            "position", "researcher__openalex_id"
        )
    ) == [(1, "A5023888391")]


def test_a_ror_held_by_another_institution_stays_with_it():
    InstitutionFactory(openalex_id="I1", ror="00jmfr291")
    result = upsert_institutions([normalize_institution(record("I27837315.json"))])
    assert result == UpsertResult(created=1)
    assert Institution.objects.get(openalex_id="I27837315").ror is None


def test_a_batch_holds_one_kind_of_record():
    assert upsert_records([]) == UpsertResult()
    with pytest.raises(TypeError):
        upsert_records(
            [
                normalize_work(work_state_of_oa()),
                normalize_author(author_priem()),
            ]
        )
