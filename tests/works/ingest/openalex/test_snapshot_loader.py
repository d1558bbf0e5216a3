"""The snapshot load service against the real PostgreSQL: exact counts,
idempotent reloads, rejections, resume.

Transactional (``transaction=True``): every batch commits as in production,
so ``now()`` moves between loads and an ``updated_at`` written by a reload
would show."""

import pytest
from django.core.cache import cache
from django.db import connection

from profiles.models import Researcher, ResearcherTopic, VerificationLevel
from tests.helpers.catalog import catalog_digest
from tests.helpers.paths import SAMPLE_SNAPSHOT
from tests.helpers.snapshot import (
    AUTHORS,
    AUTHORS_2023,
    INSTITUTIONS,
    SOURCES,
    STANDARD_COUNTS,
    TOPICS,
    WORKS,
    work_arxiv_preprint,
    work_state_of_oa,
    work_with_arxiv_location,
    write_manifest,
    write_part,
)
from works.models import ImportRun, Institution, Work
from works.selectors import SAMPLE_DATA_CACHE_KEY
from works.services import snapshot_load

pytestmark = pytest.mark.django_db(transaction=True)


def load(path, **options) -> ImportRun:
    # Trust is computed here, not by the session's worker behind the test's
    # back (a reload must change no byte).
    return snapshot_load(path=path, progress=False, sync_trust=True, **options)


def outcome(run: ImportRun, name: str) -> dict[str, int]:
    return {entity: counts[name] for entity, counts in run.counts.items()}


def row_text(model, **lookup) -> str:
    """The stored row as PostgreSQL prints it: every column, to the byte."""
    obj = model.objects.get(**lookup)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t::text FROM {model._meta.db_table} t WHERE id = %s", [obj.pk]
        )
        return cursor.fetchone()[0]


def test_a_snapshot_root_loads_every_record(snapshot_root):
    run = load(snapshot_root)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.source == ImportRun.Source.OPENALEX_SNAPSHOT
    assert run.parameters == {"path": str(snapshot_root.resolve()), "sample": False}
    assert not Researcher.objects.filter(is_sample=True).exists()
    assert outcome(run, "created") == STANDARD_COUNTS
    assert (run.created_count, run.updated_count, run.unchanged_count) == (14, 0, 0)
    assert run.rejected_count == 0
    assert (run.progress_done, run.progress_total) == (14, 14)
    assert run.checkpoint == {
        "files_done": [INSTITUTIONS, SOURCES, TOPICS, AUTHORS_2023, AUTHORS, WORKS]
    }
    assert run.finished_at >= run.started_at

    work = Work.objects.get(openalex_id="W2741809807")
    assert (work.doi, work.source.openalex_id, work.author_count) == (
        "10.7717/peerj.4375",
        "S1983995261",
        9,
    )
    assert work.abstract.startswith("Despite growing interest in Open Access (OA)")
    bylines = list(
        work.authorships.order_by("position").values_list(
            "position", "raw_author_name", "researcher__openalex_id"
        )
    )
    assert bylines[:2] == [
        (0, "Heather Piwowar", None),  # an author we do not hold: name only
        (1, "Jason Priem", "A5023888391"),
    ]
    assert [researcher for _, _, researcher in bylines[2:]] == [None] * 7
    assert sorted(
        work.authorships.filter(institutions__openalex_id="I4210166736").values_list(
            "position", flat=True
        )
    ) == [0, 1]
    assert list(
        work.worktopic_set.order_by("-score").values_list(
            "topic__openalex_id", "is_primary"
        )
    ) == [("T10102", True), ("T13607", False), ("T11937", False)]

    preprint = Work.objects.get(openalex_id="W3045921891")
    assert (preprint.arxiv_id, preprint.doi, preprint.source.openalex_id) == (
        "2007.14454",
        "10.48550/arxiv.2007.14454",
        "S4306400194",
    )
    article = Work.objects.get(openalex_id="W1996515099")
    assert (article.arxiv_id, article.source) == ("1503.05702", None)

    priem = Researcher.objects.get(openalex_id="A5023888391")
    assert (priem.orcid, priem.search_name, priem.affiliation.openalex_id) == (
        "0000-0001-6187-6610",
        "jason priem",
        "I4200000001",
    )
    assert (priem.verification_level, priem.is_claimed) == (VerificationLevel.L1, False)
    assert priem.is_open_to_collaborate is True
    assert dict(
        ResearcherTopic.objects.filter(researcher=priem).values_list(
            "topic__openalex_id", "count"
        )
    ) == {"T10102": 23, "T11937": 11, "T13607": 5}
    michigan = Institution.objects.get(openalex_id="I27837315")
    assert (michigan.ror, michigan.domain) == ("00jmfr291", "umich.edu")


def test_the_2023_schema_author_loads(snapshot_root):
    run = load(snapshot_root / AUTHORS_2023)
    assert outcome(run, "created") == {"authors": 1}
    molina = Researcher.objects.get(openalex_id="A4347464006")
    assert (molina.display_name, molina.orcid, molina.affiliation) == (
        "Lucero Molina",
        None,
        None,  # Stony Brook (I59553526) is not loaded
    )


@pytest.mark.parametrize(
    ("path", "created"),
    [
        ("topics", {"topics": 4}),
        (WORKS, {"works": 3}),
    ],
)
def test_one_entity_folder_or_part_file_loads(snapshot_root, path, created):
    run = load(snapshot_root / path)
    assert outcome(run, "created") == created
    assert run.checkpoint["files_done"] == ([TOPICS] if path == "topics" else [WORKS])


def test_loading_again_changes_no_byte(snapshot_root):
    load(snapshot_root)
    before = catalog_digest()

    run = load(snapshot_root)

    assert outcome(run, "created") == dict.fromkeys(STANDARD_COUNTS, 0)
    assert outcome(run, "updated") == dict.fromkeys(STANDARD_COUNTS, 0)
    assert outcome(run, "unchanged") == STANDARD_COUNTS
    assert (run.created_count, run.updated_count, run.unchanged_count) == (0, 0, 14)
    assert catalog_digest() == before


def test_a_changed_record_counts_as_one_update(snapshot_root):
    load(snapshot_root)
    untouched = row_text(Work, openalex_id="W3045921891")
    before = Work.objects.get(openalex_id="W2741809807").updated_at
    changed = work_state_of_oa()
    changed["cited_by_count"] = 1000
    write_part(
        snapshot_root,
        WORKS,
        [changed, work_arxiv_preprint(), work_with_arxiv_location()],
    )

    run = load(snapshot_root)

    assert run.counts["works"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 2,
        "rejected": 0,
    }
    assert outcome(run, "updated") == {**dict.fromkeys(STANDARD_COUNTS, 0), "works": 1}
    work = Work.objects.get(openalex_id="W2741809807")
    assert work.cited_by_count == 1000
    assert work.updated_at > before
    assert row_text(Work, openalex_id="W3045921891") == untouched


def test_a_shorter_byline_rewrites_only_what_changed(snapshot_root):
    load(snapshot_root)
    work = Work.objects.get(openalex_id="W2741809807")
    kept_ids = list(work.authorships.order_by("position").values_list("id", flat=True))
    changed = work_state_of_oa()
    changed["authorships"] = changed["authorships"][:8]
    write_part(snapshot_root, WORKS, [changed])

    run = load(snapshot_root / WORKS)

    assert run.counts["works"]["updated"] == 1
    work.refresh_from_db()
    assert work.author_count == 8
    assert (
        list(work.authorships.order_by("position").values_list("id", flat=True))
        == kept_ids[:8]
    )


def test_malformed_lines_are_rejected_and_the_rest_loads(snapshot_root):
    load(snapshot_root)
    stored_preprint = row_text(Work, openalex_id="W3045921891")
    stored_article = row_text(Work, openalex_id="W1996515099")
    preprint = work_arxiv_preprint()
    preprint["title"] = 42
    article = work_with_arxiv_location()
    article["authorships"] = "nope"
    hostile = work_state_of_oa()
    hostile.update(
        id="https://openalex.org/W1",
        doi="https://doi.org/10.5555/hostile",
        title="<script>alert('x')</script>",
    )
    write_part(
        snapshot_root,
        WORKS,
        [
            work_state_of_oa(),
            "{bad json",
            {"title": "no id"},
            preprint,
            article,
            hostile,
        ],
    )

    run = load(snapshot_root / WORKS)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.counts["works"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 1,
        "rejected": 4,
    }
    assert list(run.rejected.order_by("id").values_list("locator", "reason")) == [
        (
            f"{WORKS}:2",
            "invalid JSON: Expecting property name enclosed in double quotes",
        ),
        (f"{WORKS}:3", "missing id"),
        (f"{WORKS}:4", "title is not a string"),
        (f"{WORKS}:5", "authorships is not a list"),
    ]
    excerpts = list(run.rejected.order_by("id").values_list("excerpt", flat=True))
    assert excerpts[:2] == ["{bad json", '{"title": "no id"}']
    assert [len(excerpt) for excerpt in excerpts[2:]] == [500, 500]
    assert row_text(Work, openalex_id="W3045921891") == stored_preprint
    assert row_text(Work, openalex_id="W1996515099") == stored_article
    assert Work.objects.get(openalex_id="W1").title == "<script>alert('x')</script>"


def test_a_manifest_count_mismatch_warns_and_loads(snapshot_root):
    write_manifest(
        snapshot_root,
        "authors",
        {
            "updated_date=2023-04-21/part_000.gz": 1,
            "updated_date=2025-06-08/part_000.gz": 5,
        },
    )
    run = load(snapshot_root)
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.checkpoint["warnings"] == [
        f"{AUTHORS}: the manifest lists 5 records, the file holds 1"
    ]
    assert run.created_count == 14


def test_the_sample_dataset_loads_twice_without_a_change():
    cache.set(SAMPLE_DATA_CACHE_KEY, False)
    first = load(SAMPLE_SNAPSHOT, sample=True)
    assert first.status == ImportRun.Status.SUCCEEDED
    assert first.rejected_count == 0
    assert first.parameters["sample"] is True
    assert cache.get(SAMPLE_DATA_CACHE_KEY) is None
    # Every sample researcher is marked, so the refresh job leaves it alone.
    assert Researcher.objects.filter(is_sample=False).count() == 0
    assert Researcher.objects.count() == 91
    before = catalog_digest()

    second = load(SAMPLE_SNAPSHOT, sample=True)

    assert (second.created_count, second.updated_count) == (0, 0)
    assert second.unchanged_count == first.created_count
    assert second.rejected_count == 0
    assert catalog_digest() == before
