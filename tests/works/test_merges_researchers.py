"""``researcher_merge``: OpenAlex merged two author records; what we hold
under the old one moves to the survivor, and the old id redirects."""

from contextlib import contextmanager

import pytest

from profiles.models import (
    Follow,
    Researcher,
    ResearcherRedirect,
    ResearcherTopic,
    VerificationLevel,
)
from tests.factories import (
    AuthorshipFactory,
    ClaimedResearcherFactory,
    FollowFactory,
    InstitutionFactory,
    ResearcherFactory,
    ResearcherTopicFactory,
    TopicFactory,
    UserFactory,
    WorkFactory,
)
from tests.helpers.catalog import catalog_digest
from tests.helpers.snapshot import work_state_of_oa
from works import hooks
from works.hooks import researcher_merge_handler_register
from works.ingest.openalex.normalize import normalize_work
from works.ingest.upsert import upsert_works
from works.merges import researcher_merge
from works.models import Authorship, Work

pytestmark = pytest.mark.django_db

OLD, NEW = "A5000000001", "A5000000002"
MERGE_TABLES = (
    "profiles_researcher",
    "profiles_researcherredirect",
    "profiles_researchertopic",
    "profiles_follow",
    "works_authorship",
    "works_work",
)


def digest() -> dict[str, tuple]:
    """Every row of the tables a merge writes, timestamps included."""
    return catalog_digest(MERGE_TABLES)


def merge():
    return researcher_merge(old_openalex_id=OLD, new_openalex_id=NEW)


def test_followers_move_and_one_who_followed_both_keeps_one_follow():
    old = ResearcherFactory(openalex_id=OLD)
    survivor = ResearcherFactory(openalex_id=NEW)
    only_old, both, only_new = UserFactory.create_batch(3)
    FollowFactory(user=only_old, researcher=old)
    FollowFactory(user=both, researcher=old)
    kept = FollowFactory(user=both, researcher=survivor)
    FollowFactory(user=only_new, researcher=survivor)

    assert merge() == survivor

    assert not Researcher.objects.filter(pk=old.pk).exists()
    assert set(
        Follow.objects.filter(researcher=survivor).values_list("user", flat=True)
    ) == {only_old.pk, both.pk, only_new.pk}
    assert Follow.objects.count() == 3
    assert Follow.objects.filter(user=both).get().pk == kept.pk


def test_the_owners_curation_and_the_stronger_claim_survive():
    old = ClaimedResearcherFactory(
        openalex_id=OLD,
        headline="Studies sparse memory.",
        bio="Written by the owner.",
        affiliation_note="Visiting at ETH until 2027",
        is_hidden=True,
        is_open_to_collaborate=False,
        verification_level=VerificationLevel.L3,
        orcid="0000-0002-1825-0097",
        display_name="B. Wang",
        display_name_alternatives=["Wang B."],
    )
    affiliation = old.affiliation = InstitutionFactory()
    old.save()
    survivor = ResearcherFactory(openalex_id=NEW, display_name="Bingxuan Wang")

    merge()

    survivor.refresh_from_db()
    assert (survivor.headline, survivor.bio) == (
        "Studies sparse memory.",
        "Written by the owner.",
    )
    assert survivor.is_open_to_collaborate is False
    assert survivor.affiliation_note == "Visiting at ETH until 2027"
    # The owner hid the record: the survivor stays out of public view.
    assert survivor.is_hidden is True
    assert (survivor.is_claimed, survivor.verification_level) == (
        True,
        VerificationLevel.L3,
    )
    assert survivor.orcid == "0000-0002-1825-0097"
    assert survivor.affiliation == affiliation
    assert survivor.display_name == "Bingxuan Wang"
    assert survivor.display_name_alternatives == ["B. Wang", "Wang B."]


def test_a_claimed_survivor_keeps_its_own_curation_and_fills_what_it_lacks():
    ResearcherFactory(
        openalex_id=OLD, headline="Imported headline", bio="Old bio", orcid=None
    )
    survivor = ClaimedResearcherFactory(
        openalex_id=NEW, headline="Mine", bio="", is_open_to_collaborate=False
    )

    merge()

    survivor.refresh_from_db()
    assert (survivor.headline, survivor.bio) == ("Mine", "Old bio")
    assert survivor.is_open_to_collaborate is False
    assert (survivor.is_claimed, survivor.verification_level) == (
        True,
        VerificationLevel.L2,
    )


def test_authorships_move_unless_the_survivor_is_already_on_the_work():
    old = ResearcherFactory(openalex_id=OLD)
    survivor = ResearcherFactory(openalex_id=NEW)
    only_old = AuthorshipFactory(researcher=old, position=0)
    shared_work = WorkFactory()
    on_both_old = AuthorshipFactory(work=shared_work, researcher=old, position=0)
    on_both_new = AuthorshipFactory(work=shared_work, researcher=survivor, position=1)

    merge()

    only_old.refresh_from_db()
    on_both_old.refresh_from_db()
    on_both_new.refresh_from_db()
    assert only_old.researcher == survivor
    assert on_both_new.researcher == survivor
    # Stays as the bare name the source listed.
    assert on_both_old.researcher is None
    assert on_both_old.raw_author_name == old.display_name
    assert set(Authorship.objects.values_list("researcher", flat=True)) == {
        survivor.pk,
        None,
    }


def test_topics_the_survivor_lacks_move_and_its_own_counts_stay():
    old = ResearcherFactory(openalex_id=OLD)
    survivor = ResearcherFactory(openalex_id=NEW)
    shared, old_only = TopicFactory.create_batch(2)
    ResearcherTopicFactory(researcher=old, topic=shared, count=9)
    ResearcherTopicFactory(researcher=old, topic=old_only, count=2)
    ResearcherTopicFactory(researcher=survivor, topic=shared, count=4)

    merge()

    assert set(ResearcherTopic.objects.values_list("researcher", "topic", "count")) == {
        (survivor.pk, shared.pk, 4),
        (survivor.pk, old_only.pk, 2),
    }


def test_the_old_id_redirects_and_earlier_redirects_follow_it():
    earliest = ResearcherFactory(openalex_id="A5000000000")
    old = ResearcherFactory(openalex_id=OLD)
    survivor = ResearcherFactory(openalex_id=NEW)
    assert researcher_merge(old_openalex_id=earliest.openalex_id, new_openalex_id=OLD)

    merge()

    assert dict(
        ResearcherRedirect.objects.values_list("old_openalex_id", "researcher")
    ) == {"A5000000000": survivor.pk, OLD: survivor.pk}
    assert not Researcher.objects.filter(pk__in=[earliest.pk, old.pk]).exists()


def test_merging_again_changes_nothing_and_still_names_the_survivor():
    old = ResearcherFactory(openalex_id=OLD)
    survivor = ResearcherFactory(openalex_id=NEW)
    FollowFactory(researcher=old)
    AuthorshipFactory(researcher=old)
    merge()
    before = digest()

    assert merge() == survivor
    assert researcher_merge(old_openalex_id=OLD, new_openalex_id="A5999999999") == (
        survivor
    )

    assert digest() == before


def test_without_the_survivor_the_old_row_takes_the_new_id():
    old = ResearcherFactory(openalex_id=OLD)
    FollowFactory(researcher=old)

    assert merge() == old

    old.refresh_from_db()
    assert old.openalex_id == NEW
    assert old.follows.count() == 1
    assert dict(
        ResearcherRedirect.objects.values_list("old_openalex_id", "researcher")
    ) == {OLD: old.pk}
    assert merge() == old


def test_an_id_we_never_held_changes_nothing():
    ResearcherFactory(openalex_id="A5000000009")
    before = digest()

    assert merge() is None

    assert digest() == before


@contextmanager
def merge_handler(handler):
    """``handler`` registered on the researcher-merge hook for the block."""
    researcher_merge_handler_register(handler)
    try:
        yield
    finally:
        hooks.researcher_merge_handlers.remove(handler)


def test_handlers_move_their_rows_before_the_old_record_goes():
    old = ResearcherFactory(openalex_id=OLD)
    survivor = ResearcherFactory(openalex_id=NEW)
    AuthorshipFactory(researcher=old)
    seen = []

    def handler(old_record, survivor_record):
        seen.append(
            (
                old_record.pk,
                survivor_record.pk,
                Researcher.objects.filter(pk=old.pk).exists(),
                Authorship.objects.filter(researcher=survivor).count(),
            )
        )

    with merge_handler(handler):
        merge()

    assert seen == [(old.pk, survivor.pk, True, 1)]


def test_a_failing_handler_is_rolled_back_alone_and_the_merge_goes_on(caplog):
    old = ResearcherFactory(openalex_id=OLD)
    survivor = ResearcherFactory(openalex_id=NEW)
    follow = FollowFactory(researcher=old)

    def handler(old_record, survivor_record):
        # Writes, then fails: what it wrote must not survive.
        Follow.objects.all().delete()
        raise RuntimeError("claims could not move")

    with merge_handler(handler):
        assert merge() == survivor

    assert not Researcher.objects.filter(pk=old.pk).exists()
    # profiles' own handler moved the follow, and the failed one undid nothing.
    assert Follow.objects.get(pk=follow.pk).researcher_id == survivor.pk
    assert "claims could not move" in caplog.text


def test_a_handler_registered_twice_runs_once():
    ResearcherFactory(openalex_id=OLD)
    ResearcherFactory(openalex_id=NEW)
    calls = []

    def handler(old_record, survivor_record):
        calls.append(old_record.openalex_id)

    with merge_handler(handler):
        researcher_merge_handler_register(handler)
        merge()

    assert calls == [OLD]


def test_every_relation_to_a_researcher_is_moved_by_the_merge():
    # A new model pointing at Researcher must be handled by researcher_merge
    # (or by a handler its own app registers on works.hooks): add it here then.
    handled = {
        ("profiles", "follow"),
        ("profiles", "researchertopic"),
        ("profiles", "researcherredirect"),
        ("works", "authorship"),
        ("profiles", "researcherowner"),
        ("claims", "claim"),
        ("profiles", "hiddenwork"),
        ("profiles", "profilechange"),
        ("collaboration", "conversation"),
    }
    relations = {
        (
            relation.related_model._meta.app_label,
            relation.related_model._meta.model_name,
        )
        for relation in Researcher._meta.related_objects
    }
    assert relations == handled


@pytest.mark.django_db(transaction=True)
def test_a_work_record_older_than_the_merge_attaches_the_survivor():
    # The PeerJ article lists Jason Priem as A5023888391; OpenAlex merged
    # that id into another since.
    old = ResearcherFactory(openalex_id="A5023888391")
    survivor = ResearcherFactory(openalex_id="A5099999999")
    researcher_merge(old_openalex_id="A5023888391", new_openalex_id="A5099999999")

    upsert_works([normalize_work(work_state_of_oa())])

    work = Work.objects.get()
    assert list(
        work.authorships.filter(researcher__isnull=False).values_list(
            "researcher", flat=True
        )
    ) == [survivor.pk]
    assert not Researcher.objects.filter(pk=old.pk).exists()


def test_an_old_author_record_of_a_merged_id_does_not_come_back():
    from works.ingest.records import AuthorRecord
    from works.ingest.upsert import upsert_researchers

    ResearcherFactory(openalex_id=OLD, display_name="Old Record")
    survivor = ResearcherFactory(openalex_id=NEW)
    merge()

    result = upsert_researchers(
        [AuthorRecord(openalex_id=OLD, display_name="Old Record")]
    )

    assert result.created == 0
    assert result.rejected == [(0, f"OpenAlex merged {OLD} into {NEW}")]
    assert list(Researcher.objects.values_list("pk", flat=True)) == [survivor.pk]


def test_views_of_both_records_add_up_once():
    ResearcherFactory(openalex_id=OLD, view_count=40)
    survivor = ResearcherFactory(openalex_id=NEW, view_count=2)

    merge()
    merge()

    survivor.refresh_from_db()
    assert survivor.view_count == 42
