"""The title rule at catalog scale: a common long title ("Reply to comment
on ...", "Erratum: ...") is shared by thousands of rows, so candidates are
read from the first author's works, never by title (``works.versions``)."""

import json

import factory
import pytest
from django.db import connection

from profiles.models import Researcher
from tests.factories import (
    ResearcherFactory,
    SourceFactory,
    WorkFactory,
    work_with_team,
)
from works.models import Authorship, Work
from works.text import title_key
from works.versions import versions_group

pytestmark = pytest.mark.django_db

TITLE = "Reply to comment on 'Conditional memory via scalable lookup'"
SHARED_BY = 2000
WORK_BY_TITLE_KEY = "work_title_key"


def titled(title: str = TITLE, **fields):
    return {"title": title, "title_key": title_key(title), **fields}


def works_sharing_the_title(*, second_author: Researcher) -> list[Work]:
    """``SHARED_BY`` preprints and articles titled ``TITLE``, of 2024, each
    headed by a researcher of its own; ``second_author`` is second on every
    tenth, which does not make them theirs for the title rule."""
    first_authors = Researcher.objects.bulk_create(
        ResearcherFactory.build_batch(SHARED_BY)
    )
    works = Work.objects.bulk_create(
        WorkFactory.build_batch(
            SHARED_BY,
            source=SourceFactory(),
            publication_year=2024,
            type=factory.Iterator(["preprint", "article"]),
            **titled(),
        )
    )
    Authorship.objects.bulk_create(
        Authorship(work=work, researcher=researcher, position=position)
        for index, work in enumerate(works)
        for position, researcher in enumerate(
            [first_authors[index], second_author]
            if index % 10 == 0
            else [first_authors[index]]
        )
    )
    return works


def plan_index_scans(sql: str) -> set[tuple[str, str, str]]:
    """(table, index, condition) of every index scan in the plan of ``sql``."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found, nodes = set(), [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        if "Index Name" in node:
            found.add(
                (
                    node.get("Relation Name", ""),
                    node["Index Name"],
                    node.get("Index Cond", ""),
                )
            )
        nodes += node.get("Plans", [])
    return found


def test_a_title_shared_by_thousands_groups_one_pair_through_its_first_author(
    django_assert_max_num_queries,
):
    author = ResearcherFactory()
    others = works_sharing_the_title(second_author=author)
    preprint = work_with_team(
        researchers=[author], type="preprint", publication_year=2024, **titled()
    )
    article = work_with_team(
        researchers=[author, ResearcherFactory()],
        type="article",
        publication_year=2025,
        **titled(),
    )
    # Statistics as over the whole catalog, where nearly every title is one
    # of its kind: a planner free to choose would look candidates up by title.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # lets ALTER TABLE run
        cursor.execute(
            f"ALTER TABLE {Work._meta.db_table} "
            "ALTER COLUMN title_key SET (n_distinct = -1)"
        )
        cursor.execute(f"ANALYZE {Work._meta.db_table}, {Authorship._meta.db_table}")

    with django_assert_max_num_queries(10) as captured:
        assert versions_group(work_ids=[preprint.pk]) == 1

    assert list(
        Work.objects.filter(canonical__isnull=False).values_list("pk", "canonical")
    ) == [(preprint.pk, article.pk)]
    assert (
        Work.objects.filter(pk__in=[w.pk for w in others], canonical=None).count()
        == SHARED_BY
    )
    relations = [
        query["sql"]
        for query in captured.captured_queries
        if "title_key" in query["sql"]
    ]
    assert len(relations) == 2  # from the preprint, then from the article
    for sql in relations:
        scans = plan_index_scans(sql)
        # The first author's works: (researcher, work) or the researcher
        # foreign key's index, whichever the planner prefers.
        assert any(
            table == Authorship._meta.db_table
            and condition.startswith("(researcher_id")
            for table, _, condition in scans
        )
        assert WORK_BY_TITLE_KEY not in {index for _, index, _ in scans}
    assert versions_group(work_ids=[preprint.pk, article.pk, others[0].pk]) == 0


def test_a_prolific_first_authors_versions_pair_up_by_title_in_one_pass(
    django_assert_max_num_queries,
):
    # Their works are read once for the whole batch, not once per work.
    author = ResearcherFactory()
    pairs = [
        (
            work_with_team(
                researchers=[author],
                type="preprint",
                publication_year=2020 + n % 5,
                **titled(f"{TITLE}, part {n}"),
            ),
            work_with_team(
                researchers=[author],
                type="article",
                publication_year=2021 + n % 5,
                cited_by_count=n,
                **titled(f"{TITLE}, part {n}"),
            ),
        )
        for n in range(150)
    ]
    all_ids = [work.pk for pair in pairs for work in pair]

    with django_assert_max_num_queries(10):
        assert versions_group(work_ids=all_ids) == 150

    assert dict(
        Work.objects.filter(canonical__isnull=False).values_list("pk", "canonical")
    ) == {preprint.pk: article.pk for preprint, article in pairs}
    assert versions_group(work_ids=all_ids) == 0
