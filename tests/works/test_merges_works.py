"""``work_merge``: OpenAlex merged two records of one work; what referenced
the old one moves to the survivor, and the old id redirects."""

import pytest

from tests.factories import (
    AuthorshipFactory,
    ResearcherFactory,
    WorkFactory,
    WorkTopicFactory,
    work_with_team,
)
from works.merges import work_merge
from works.models import Authorship, Work, WorkRedirect, WorkTopic
from works.versions import versions_group

pytestmark = pytest.mark.django_db

OLD, NEW = "W5000000001", "W5000000002"


def merge():
    return work_merge(old_openalex_id=OLD, new_openalex_id=NEW)


def test_the_survivor_takes_the_identifiers_it_lacks_and_the_old_row_goes():
    old = WorkFactory(openalex_id=OLD, doi="10.5555/old", arxiv_id="2601.07372")
    survivor = WorkFactory(openalex_id=NEW, doi=None, arxiv_id="2601.00001")

    assert merge() == survivor

    survivor.refresh_from_db()
    assert (survivor.doi, survivor.arxiv_id, survivor.related_arxiv_id) == (
        "10.5555/old",
        "2601.00001",
        "2601.07372",
    )
    assert not Work.objects.filter(pk=old.pk).exists()
    assert dict(WorkRedirect.objects.values_list("old_openalex_id", "work")) == {
        OLD: survivor.pk
    }


def test_the_survivors_byline_stays_and_the_old_one_goes():
    author, other = ResearcherFactory.create_batch(2)
    work_with_team(researchers=[author], openalex_id=OLD)
    survivor = work_with_team(researchers=[other, author], openalex_id=NEW)

    merge()

    assert list(
        Authorship.objects.order_by("position").values_list(
            "work", "researcher", "position"
        )
    ) == [(survivor.pk, other.pk, 0), (survivor.pk, author.pk, 1)]


def test_a_survivor_without_byline_or_topics_takes_the_old_ones():
    author = ResearcherFactory()
    old = work_with_team(researchers=[author, None], openalex_id=OLD)
    topic = WorkTopicFactory(work=old).topic
    survivor = WorkFactory(openalex_id=NEW, author_count=0)

    merge()

    survivor.refresh_from_db()
    assert survivor.author_count == 2
    assert list(
        survivor.authorships.order_by("position").values_list("researcher", flat=True)
    ) == [author.pk, None]
    assert list(WorkTopic.objects.values_list("work", "topic")) == [
        (survivor.pk, topic.pk)
    ]


def test_versions_listed_under_the_old_row_are_listed_under_the_survivor():
    preprint = WorkFactory(type="preprint", arxiv_id="2601.07372")
    old = WorkFactory(openalex_id=OLD, type="article", related_arxiv_id="2601.07372")
    versions_group(work_ids=[preprint.pk])
    assert Work.objects.get(pk=preprint.pk).canonical_id == old.pk
    survivor = WorkFactory(openalex_id=NEW, type="article")

    merge()

    preprint.refresh_from_db()
    survivor.refresh_from_db()
    assert preprint.canonical_id == survivor.pk
    assert survivor.canonical_id is None
    # The relation the old row held is the survivor's now.
    assert survivor.related_arxiv_id == "2601.07372"
    assert versions_group(work_ids=[preprint.pk, survivor.pk]) == 0


def test_merging_again_changes_nothing():
    AuthorshipFactory(work=WorkFactory(openalex_id=OLD))
    survivor = WorkFactory(openalex_id=NEW)
    merge()
    rows = list(Work.objects.values_list("pk", "doi", "updated_at", "canonical"))

    assert merge() == survivor

    assert list(Work.objects.values_list("pk", "doi", "updated_at", "canonical")) == (
        rows
    )
    assert WorkRedirect.objects.count() == 1


def test_without_the_survivor_the_old_row_takes_the_new_id():
    old = WorkFactory(openalex_id=OLD)

    assert merge() == old

    old.refresh_from_db()
    assert old.openalex_id == NEW
    assert dict(WorkRedirect.objects.values_list("old_openalex_id", "work")) == {
        OLD: old.pk
    }


def test_an_id_we_never_held_changes_nothing():
    assert merge() is None
    assert WorkRedirect.objects.count() == 0
