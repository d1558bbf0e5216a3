"""An ORCID iD identifies one person, and the live API is the current truth:
a stored researcher holding the ORCID iD of a fetched author under another
OpenAlex id is a record OpenAlex merged (or re-identified), and the import
merges it into the fetched one (``profiles.services.researcher_merge``)
before storing it, whichever way the author is met. And an import never
unlinks an authorship because its author's record was rejected."""

from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import call_command

from profiles.models import Follow, Researcher, ResearcherRedirect
from tests.factories import AuthorshipFactory, FollowFactory, ResearcherFactory
from tests.helpers.openalex import (
    PRIEM,
    PRIEM_ORCID,
    PRIEM_WORKS_FILTER,
    Answer,
    priem,
    recorded,
)
from works.ingest.openalex.normalize import normalize_work
from works.ingest.records import WorkRecord
from works.ingest.upsert.staging import UpsertResult
from works.ingest.upsert.works import upsert_works
from works.models import Authorship, ImportRun, Work

pytestmark = pytest.mark.django_db

# The id we hold Jason Priem under, from before OpenAlex merged it into his
# current record (A5023888391); no recorded answer names it.
OLD = "A9100000001"
STATE_OF_OA = "W2741809807"  # his, second of 9 authors
# Where each of his 4 recorded works names him.
PRIEM_POSITIONS = {
    "W2741809807": 1,
    "W2162348455": 4,
    "W3045921891": 2,
    "W1996515099": 3,
}

WAYS_TO_MEET_HIM = {
    "by ORCID": ("--orcid", PRIEM_ORCID),
    "by his current id": ("--author", PRIEM),
    "as a coauthor": ("--works-filter", PRIEM_WORKS_FILTER),
}


def import_openalex(*args) -> str:
    out = StringIO()
    call_command("import_openalex", *args, "--sync-trust", stdout=out)
    return out.getvalue()


@pytest.fixture
def orcid_recorded(priem_recorded):
    """His record also answers the look-up by ORCID iD."""
    priem_recorded.single(f"authors/https://orcid.org/{PRIEM_ORCID}", priem())
    return priem_recorded


def old_priem() -> dict:
    """His record under the old id, with his ORCID iD, his authorship on
    the State of OA (as a snapshot would have linked it), one on a work only
    we hold, and a follower."""
    old = ResearcherFactory(
        openalex_id=OLD, orcid=PRIEM_ORCID, display_name="J. Priem", headline="Hi"
    )
    state_of_oa = AuthorshipFactory(
        work__openalex_id=STATE_OF_OA,
        work__doi=None,
        researcher=old,
        position=1,
        author_position="middle",
        raw_author_name="Jason Priem",
    )
    local = AuthorshipFactory(researcher=old, position=0)
    follow = FollowFactory(researcher=old)
    return {"old": old, "state_of_oa": state_of_oa, "local": local, "follow": follow}


@pytest.mark.parametrize("way", list(WAYS_TO_MEET_HIM), ids=list(WAYS_TO_MEET_HIM))
def test_a_record_holding_the_orcid_under_an_old_id_is_merged_into_the_fetched_one(
    orcid_recorded, client, way
):
    held = old_priem()
    # The work only we hold is his and not in his works list: an author
    # import looks it up, OpenAlex does not know it, and it stays as it is.
    local_work = held["local"].work.openalex_id
    orcid_recorded.single(
        f"works/{local_work}", Answer(status=404, body={"error": "Not found"})
    )

    import_openalex(*WAYS_TO_MEET_HIM[way])

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert list(run.rejected.values_list("reason", flat=True)) == []
    survivor = Researcher.objects.get(orcid=PRIEM_ORCID)
    assert survivor.openalex_id == PRIEM
    assert survivor.display_name == "Jason Priem"
    assert survivor.headline == "Hi"  # curation moved with the merge
    assert not Researcher.objects.filter(openalex_id=OLD).exists()
    # Every work of his is linked to him, at the position OpenAlex gives.
    linked = Authorship.objects.filter(researcher=survivor)
    assert sorted(linked.values_list("work__openalex_id", "position")) == sorted(
        [*PRIEM_POSITIONS.items(), (held["local"].work.openalex_id, 0)]
    )
    assert linked.get(work__openalex_id=STATE_OF_OA).pk == held["state_of_oa"].pk
    assert Follow.objects.get(pk=held["follow"].pk).researcher == survivor
    assert ResearcherRedirect.objects.get(old_openalex_id=OLD).researcher == survivor
    page = client.get(f"/researchers/{OLD}/")
    assert page.status_code == 301
    assert page["Location"] == f"/researchers/{PRIEM}/"
    assert client.get(f"/researchers/{PRIEM}/").status_code == 200


def test_a_record_holding_the_orcid_without_an_openalex_id_is_taken_over(
    orcid_recorded,
):
    held = ResearcherFactory(openalex_id=None, orcid=PRIEM_ORCID, headline="Hi")
    follow = FollowFactory(researcher=held)

    import_openalex("--orcid", PRIEM_ORCID)

    run = ImportRun.objects.get()
    assert (run.status, run.rejected_count) == (ImportRun.Status.SUCCEEDED, 0)
    survivor = Researcher.objects.get(orcid=PRIEM_ORCID)
    assert (survivor.pk, survivor.openalex_id) == (held.pk, PRIEM)
    assert Follow.objects.get(pk=follow.pk).researcher == survivor
    assert Authorship.objects.filter(researcher=survivor).count() == 4
    assert not ResearcherRedirect.objects.exists()


def test_a_rejected_author_record_leaves_the_authorships_linked(
    priem_recorded,
):
    # We hold him under an old id; OpenAlex answers his current record
    # malformed, so it is rejected: his works stay on the profile we hold.
    old = ResearcherFactory(openalex_id=OLD, display_name="Jason Priem")
    AuthorshipFactory(
        work__openalex_id=STATE_OF_OA,
        work__doi=None,
        researcher=old,
        position=1,
        raw_author_name="Jason Priem",
    )
    priem_recorded.pools["authors"][PRIEM] = {**priem(), "works_count": "many"}

    import_openalex("--works-filter", PRIEM_WORKS_FILTER)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert list(run.rejected.values_list("locator", "reason")) == [
        (
            "coauthors on works page 1 of the works filter #2",
            "works_count is not an integer",
        )
    ]
    assert not Researcher.objects.filter(openalex_id=PRIEM).exists()
    assert list(
        Authorship.objects.filter(researcher=old).values_list(
            "work__openalex_id", "position"
        )
    ) == [(STATE_OF_OA, 1)]


def test_an_unresolved_author_id_keeps_the_stored_link_under_the_same_name():
    held = ResearcherFactory(openalex_id=OLD, display_name="Jason Priem")
    record = normalize_work(recorded(f"{STATE_OF_OA}.json"))
    assert record.authorships[1].author_id == PRIEM  # we do not hold it
    upsert_works([record])
    work = Work.objects.get(openalex_id=STATE_OF_OA)
    Authorship.objects.filter(work=work, position=1).update(researcher=held)

    assert upsert_works([record]) == UpsertResult(unchanged=1)

    assert linked_positions(work) == {1: OLD}


def test_an_unresolved_author_id_unlinks_a_slot_under_another_name():
    held = ResearcherFactory(openalex_id=OLD, display_name="Jason Priem")
    record = normalize_work(recorded(f"{STATE_OF_OA}.json"))
    upsert_works([record])
    work = Work.objects.get(openalex_id=STATE_OF_OA)
    Authorship.objects.filter(work=work, position=1).update(researcher=held)
    renamed = with_authorship(record, 1, raw_author_name="Someone Else")

    assert upsert_works([renamed]) == UpsertResult(updated=1)

    assert linked_positions(work) == {}


def test_an_unresolved_author_id_unlinks_a_researcher_the_byline_names_elsewhere():
    held = ResearcherFactory(openalex_id=OLD, display_name="Jason Priem")
    record = normalize_work(recorded(f"{STATE_OF_OA}.json"))
    upsert_works([record])
    work = Work.objects.get(openalex_id=STATE_OF_OA)
    Authorship.objects.filter(work=work, position=1).update(researcher=held)
    moved = with_authorship(record, 3, author_id=OLD)

    assert upsert_works([moved]) == UpsertResult(updated=1)

    assert linked_positions(work) == {3: OLD}


def with_authorship(record: WorkRecord, position: int, **changes) -> WorkRecord:
    authorships = list(record.authorships)
    authorships[position] = replace(authorships[position], **changes)
    return replace(record, authorships=tuple(authorships))


def linked_positions(work: Work) -> dict[int, str]:
    return dict(
        Authorship.objects.filter(work=work, researcher__isnull=False).values_list(
            "position", "researcher__openalex_id"
        )
    )
