"""Version grouping (``works.versions``): which rows are versions of one work,
which one is listed, and that grouping again changes nothing."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from tests.factories import ResearcherFactory, WorkFactory, work_with_team
from works.models import Work
from works.text import title_key
from works.versions import versions_group

pytestmark = pytest.mark.django_db

TITLE = "Conditional Memory via Scalable Lookup: A New Axis of Sparsity"


def canonicals(*works) -> list[int | None]:
    return [Work.objects.get(pk=work.pk).canonical_id for work in works]


def titled(title: str = TITLE, **fields):
    return {"title": title, "title_key": title_key(title), **fields}


def test_a_preprint_is_listed_under_the_article_that_relates_to_its_arxiv_id():
    preprint = WorkFactory(type="preprint", arxiv_id="2601.07372", title="One")
    article = WorkFactory(type="article", related_arxiv_id="2601.07372", title="Two")
    other = WorkFactory(type="preprint", arxiv_id="2601.00001")

    assert versions_group(work_ids=[preprint.pk]) == 1

    assert canonicals(preprint, article, other) == [article.pk, None, None]


def test_two_rows_relating_to_one_arxiv_id_are_versions_of_one_work():
    # The row holding the id is gone (merged away); the relation remains.
    first = WorkFactory(type="preprint", related_arxiv_id="2601.07372", doi=None)
    second = WorkFactory(type="article", related_arxiv_id="2601.07372")

    versions_group(work_ids=[first.pk])

    assert canonicals(first, second) == [second.pk, None]


def test_the_arxiv_doi_of_a_preprint_names_the_arxiv_id_an_article_relates_to():
    preprint = WorkFactory(
        type="preprint", doi="10.48550/arxiv.2601.07372", arxiv_id=None
    )
    article = WorkFactory(type="article", related_arxiv_id="2601.07372")

    versions_group(work_ids=[article.pk])

    assert canonicals(preprint, article) == [article.pk, None]


def test_the_arxiv_doi_of_one_row_names_the_arxiv_id_another_holds():
    # An arXiv-only row (from the arXiv API) and the OpenAlex record of the
    # same preprint, which could not take the arXiv id.
    arxiv_only = WorkFactory(
        type="preprint", openalex_id=None, doi=None, arxiv_id="2601.07372"
    )
    openalex = WorkFactory(
        type="preprint", doi="10.48550/arxiv.2601.07372", cited_by_count=0
    )

    versions_group(work_ids=[arxiv_only.pk])

    # Both preprints: the one with an OpenAlex id is listed.
    assert canonicals(arxiv_only, openalex) == [openalex.pk, None]


def test_a_preprint_and_its_article_share_title_first_author_and_years():
    author, coauthor = ResearcherFactory.create_batch(2)
    preprint = work_with_team(
        researchers=[author, coauthor],
        type="preprint",
        publication_year=2024,
        **titled("Conditional memory via scalable lookup — a new axis of sparsity"),
    )
    article = work_with_team(
        researchers=[author], type="article", publication_year=2026, **titled()
    )

    versions_group(work_ids=[preprint.pk])

    assert canonicals(preprint, article) == [article.pk, None]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"first_author": "other"}, "a different first author"),
        ({"year": 2029}, "published five years apart"),
        ({"type": "article"}, "two published items, no preprint"),
        ({"title": "Sparse lookups"}, "a title too generic to tell"),
    ],
)
def test_a_shared_title_alone_does_not_make_versions(change, why):
    author = ResearcherFactory()
    first_author = ResearcherFactory() if change.get("first_author") else author
    title = change.get("title", TITLE)
    preprint = work_with_team(
        researchers=[first_author, author],
        type=change.get("type", "preprint"),
        publication_year=2024,
        **titled(title),
    )
    article = work_with_team(
        researchers=[author],
        type="article",
        publication_year=change.get("year", 2024),
        **titled(title),
    )

    assert versions_group(work_ids=[preprint.pk, article.pk]) == 0, why

    assert canonicals(preprint, article) == [None, None]


def test_relations_chain_into_one_group_under_the_published_version():
    author = ResearcherFactory()
    arxiv_only = WorkFactory(
        type="preprint", openalex_id=None, doi=None, arxiv_id="2601.07372"
    )
    openalex_preprint = work_with_team(
        researchers=[author],
        type="preprint",
        doi=None,
        related_arxiv_id="2601.07372",
        publication_year=2025,
        cited_by_count=50,
        **titled(),
    )
    article = work_with_team(
        researchers=[author],
        type="article",
        publication_year=2026,
        cited_by_count=3,
        **titled(),
    )

    assert versions_group(work_ids=[arxiv_only.pk]) == 2

    assert canonicals(arxiv_only, openalex_preprint, article) == [
        article.pk,
        article.pk,
        None,
    ]


def test_among_published_versions_the_most_cited_is_listed_then_the_oldest():
    preprint = WorkFactory(type="preprint", arxiv_id="2601.07372")
    cited = WorkFactory(type="article", related_arxiv_id="2601.07372", cited_by_count=9)
    newer = WorkFactory(
        type="book-chapter", related_arxiv_id="2601.07372", cited_by_count=9
    )

    versions_group(work_ids=[preprint.pk])

    assert canonicals(preprint, cited, newer) == [cited.pk, None, cited.pk]


def test_grouping_again_writes_nothing():
    preprint = WorkFactory(type="preprint", arxiv_id="2601.07372")
    article = WorkFactory(type="article", related_arxiv_id="2601.07372")
    versions_group(work_ids=[preprint.pk])
    stamps = list(Work.objects.order_by("pk").values_list("updated_at", flat=True))

    assert versions_group(work_ids=[preprint.pk, article.pk]) == 0
    assert versions_group(since=timezone.now() - timedelta(days=1)) == 0

    assert canonicals(preprint, article) == [article.pk, None]
    assert (
        list(Work.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    )


def test_a_published_version_arriving_later_takes_the_group_over():
    preprint = WorkFactory(type="preprint", arxiv_id="2601.07372")
    arxiv_doi = WorkFactory(
        type="preprint", openalex_id=None, doi="10.48550/arxiv.2601.07372"
    )
    versions_group(work_ids=[preprint.pk])
    assert canonicals(preprint, arxiv_doi) == [None, preprint.pk]

    article = WorkFactory(type="article", related_arxiv_id="2601.07372")
    versions_group(work_ids=[article.pk])

    assert canonicals(preprint, arxiv_doi, article) == [article.pk, article.pk, None]


def test_a_version_that_no_longer_relates_leaves_its_group():
    author = ResearcherFactory()
    preprint = work_with_team(
        researchers=[author], type="preprint", publication_year=2025, **titled()
    )
    article = work_with_team(
        researchers=[author], type="article", publication_year=2025, **titled()
    )
    versions_group(work_ids=[preprint.pk])
    assert canonicals(preprint, article) == [article.pk, None]

    # The article's title was corrected at the source.
    Work.objects.filter(pk=article.pk).update(
        **titled("Conditional Memory: Scalable Lookup as a Sparsity Axis")
    )
    assert versions_group(work_ids=[article.pk]) == 1

    assert canonicals(preprint, article) == [None, None]


def test_since_regroups_the_works_changed_since_then_and_what_they_reach():
    old_article = WorkFactory(type="article", related_arxiv_id="2601.07372")
    unrelated_preprint = WorkFactory(type="preprint", arxiv_id="2601.00001")
    unrelated_article = WorkFactory(type="article", related_arxiv_id="2601.00001")
    long_ago = timezone.now() - timedelta(days=30)
    Work.objects.update(updated_at=long_ago)
    started = timezone.now()
    new_preprint = WorkFactory(type="preprint", arxiv_id="2601.07372")

    assert versions_group(since=started) == 1

    assert canonicals(new_preprint, old_article) == [old_article.pk, None]
    # Rows that did not change since were not looked at, nor written.
    assert canonicals(unrelated_preprint, unrelated_article) == [None, None]
    untouched = Work.objects.filter(updated_at=long_ago)
    assert set(untouched.values_list("pk", flat=True)) == {
        old_article.pk,
        unrelated_preprint.pk,
        unrelated_article.pk,
    }


def test_groups_stay_flat_every_version_points_at_a_listed_one():
    works = [
        WorkFactory(type="preprint", arxiv_id=f"2601.0000{n}") for n in range(3)
    ] + [
        WorkFactory(type="article", related_arxiv_id=f"2601.0000{n}") for n in range(3)
    ]

    versions_group(work_ids=[work.pk for work in works])

    assert not Work.objects.filter(canonical__canonical__isnull=False).exists()
    assert Work.objects.filter(canonical__isnull=False).count() == 3
    assert (
        list(
            Work.objects.filter(canonical__isnull=False).values_list(
                "canonical__type", flat=True
            )
        )
        == ["article"] * 3
    )
    assert not Work.objects.filter(canonical=F("pk")).exists()


def test_exactly_one_of_since_and_work_ids():
    with pytest.raises(ValueError, match="exactly one"):
        versions_group()
    with pytest.raises(ValueError, match="exactly one"):
        versions_group(since=timezone.now(), work_ids=[])
