"""Snapshot runs fanned out over real Celery workers (``works.fan_out``): a
snapshot tree with several part files per entity, the catalog as its
natural keys and values (row ids differ between two loads of one snapshot),
and a pool of worker processes that ``works.import_run_part`` and
``works.import_run`` messages are routed to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from bzpeer.celery import app
from tests.helpers.snapshot import write_manifest, write_part
from tests.helpers.workers import Workers
from works.fan_out import IMPORT_RUN_PART_TASK, IMPORT_RUN_TASK

PARTITION = "updated_date=2025-06-01"


def _openalex(prefix: str, number: int) -> str:
    # Ids from 9·10^9: none of OpenAlex's own.
    return f"https://openalex.org/{prefix}{9_000_000_000 + number}"


def institution(number: int) -> dict:
    return {
        "id": _openalex("I", number),
        "display_name": f"University {number}",
        "country_code": "GB",
        "type": "education",
        "homepage_url": f"https://www.u{number}.example.ac.uk/",
        "updated_date": "2025-06-01",
    }


def source(number: int) -> dict:
    return {
        "id": _openalex("S", number),
        "display_name": f"Journal {number}",
        "type": "journal",
        "updated_date": "2025-06-01",
    }


def topic(number: int) -> dict:
    return {
        "id": _openalex("T", number),
        "display_name": f"Topic {number}",
        "description": f"What topic {number} is about.",
        "subfield": {"display_name": f"Subfield {number % 3}"},
        "field": {"display_name": f"Field {number % 2}"},
        "domain": {"display_name": "Physical Sciences"},
        "updated_date": "2025-06-01",
    }


def author(number: int, *, institutions: int, topics: int) -> dict:
    return {
        "id": _openalex("A", number),
        "display_name": f"Ada Example {number}",
        "display_name_alternatives": [f"A. Example {number}"],
        "works_count": number % 40,
        "cited_by_count": number * 3,
        "summary_stats": {"h_index": number % 9},
        "last_known_institutions": [{"id": _openalex("I", number % institutions)}],
        "topics": [
            {"id": _openalex("T", (number + k) % topics), "count": k + 1}
            for k in range(2)
        ],
        "updated_date": "2025-06-01",
    }


def work(number: int, *, authors: int, institutions: int, topics: int, sources: int):
    # Authors beyond ``authors`` are not in the snapshot: the authorship
    # keeps the raw name.
    names = [(number * 7 + k) % (authors + 3) for k in range(3)]
    return {
        "id": _openalex("W", number),
        "doi": f"https://doi.org/10.5555/fan-out.{number}",
        "title": f"On the fanning out of loads, part {number}",
        "publication_year": 2000 + number % 25,
        "publication_date": f"{2000 + number % 25}-0{1 + number % 9}-1{number % 9}",
        "type": "article",
        "language": "en",
        "primary_location": {
            "source": {"id": _openalex("S", number % sources)},
            "landing_page_url": f"https://doi.org/10.5555/fan-out.{number}",
        },
        "authorships": [
            {
                "author_position": "first" if position == 0 else "middle",
                "author": {"id": _openalex("A", name), "display_name": f"A {name}"},
                "institutions": [{"id": _openalex("I", name % institutions)}],
                "raw_author_name": f"Ada Example {name}",
                "raw_affiliation_strings": [f"University {name % institutions}"],
                "is_corresponding": position == 0,
            }
            for position, name in enumerate(names)
        ],
        "primary_topic": {"id": _openalex("T", number % topics), "score": 0.9},
        "topics": [
            {"id": _openalex("T", (number + k) % topics), "score": 0.9 - k / 10}
            for k in range(2)
        ],
        "abstract_inverted_index": {"Loads": [0], "fan": [1], "out": [2]},
        "cited_by_count": number % 50,
        "counts_by_year": [{"year": 2024, "cited_by_count": number % 5}],
        "is_retracted": False,
        "updated_date": "2025-06-01",
    }


@dataclass(frozen=True)
class FanOutSnapshot:
    root: Path
    # Part files by entity, in load order.
    parts: dict[str, list[str]]
    # (locator, reason) of every line the load rejects.
    rejected: list[tuple[str, str]]

    @property
    def part_count(self) -> int:
        return sum(len(paths) for paths in self.parts.values())


def write_fan_out_snapshot(
    root: Path,
    *,
    works_parts: int = 4,
    works_per_part: int = 12,
    authors_parts: int = 3,
    authors_per_part: int = 8,
    manifests: bool = False,
) -> FanOutSnapshot:
    """A snapshot tree under ``root`` with several part files per entity
    (institutions 2, sources 1, topics 1, then ``authors_parts`` and
    ``works_parts``), some gzipped, the second works and authors parts each
    with a line that is not JSON and one that is not an object; and merged
    ids: author A9000000001 into A9000000002, work W9000000001 into
    W9000000002. With ``manifests``, each entity has one listing its files'
    line counts."""
    institutions, sources, topics = 6, 3, 5
    authors = authors_parts * authors_per_part
    parts: dict[str, list[str]] = {}
    rejected: list[tuple[str, str]] = []
    listed: dict[str, dict[str, int]] = {}

    def part(entity: str, number: int, items: list) -> None:
        suffix = ".gz" if number % 2 == 0 else ""
        relative = f"{entity}/{PARTITION}/part_{number:03d}{suffix}"
        write_part(root, relative, items)
        parts.setdefault(entity, []).append(relative)
        listed.setdefault(entity, {})[relative.split("/", 1)[1]] = len(items)

    part("institutions", 0, [institution(n) for n in range(0, 3)])
    part("institutions", 1, [institution(n) for n in range(3, institutions)])
    part("sources", 0, [source(n) for n in range(sources)])
    part("topics", 0, [topic(n) for n in range(topics)])
    for entity, count, per_part, make in (
        (
            "authors",
            authors_parts,
            authors_per_part,
            lambda n: author(n, institutions=institutions, topics=topics),
        ),
        (
            "works",
            works_parts,
            works_per_part,
            lambda n: work(
                n,
                authors=authors,
                institutions=institutions,
                topics=topics,
                sources=sources,
            ),
        ),
    ):
        for number in range(count):
            items: list = [
                make(n) for n in range(number * per_part, (number + 1) * per_part)
            ]
            if number == 1:
                items[2:2] = ["{not json", "[]"]
            part(entity, number, items)
            if number == 1:
                locator = parts[entity][-1]
                rejected += [
                    (
                        f"{locator}:3",
                        "invalid JSON: Expecting property name enclosed in double "
                        "quotes",
                    ),
                    (f"{locator}:4", "record is not a JSON object"),
                ]
    if manifests:
        for entity, counts in listed.items():
            write_manifest(root, entity, counts)
    # OpenAlex merged an author and a work into others of the snapshot.
    for entity, old, survivor in (("authors", "A", "A"), ("works", "W", "W")):
        merged = root / "merged_ids" / entity / "2025-06-02.csv"
        merged.parent.mkdir(parents=True)
        merged.write_text(
            "merge_date,id,merge_into_id\n"
            f"2025-06-02,{old}9000000001,{survivor}9000000002\n"
        )
    return FanOutSnapshot(root=root, parts=parts, rejected=rejected)


# Columns the run does not decide: row ids and timestamps, and what the trust
# recompute it enqueues writes (in its own time, on whichever worker).
_NOT_COMPARED = [
    "id",
    "created_at",
    "updated_at",
    "trust_score",
    "trust_label",
    "trust_breakdown",
    "trust_computed_at",
    "close_collaborators_count",
    "listed_works_count",
]

_NATURAL_QUERIES = {
    "institutions": "SELECT to_jsonb(t) - %(skip)s::text[] FROM works_institution t",
    "sources": "SELECT to_jsonb(t) - %(skip)s::text[] FROM works_source t",
    "topics": "SELECT to_jsonb(t) - %(skip)s::text[] FROM works_topic t",
    "researchers": """
        SELECT to_jsonb(r) - %(skip)s::text[] - 'affiliation_id'
               || jsonb_build_object('affiliation', i.openalex_id)
        FROM profiles_researcher r
        LEFT JOIN works_institution i ON i.id = r.affiliation_id
    """,
    "researcher_topics": """
        SELECT jsonb_build_array(r.openalex_id, t.openalex_id, rt.count)
        FROM profiles_researchertopic rt
        JOIN profiles_researcher r ON r.id = rt.researcher_id
        JOIN works_topic t ON t.id = rt.topic_id
    """,
    "works": """
        SELECT to_jsonb(w) - %(skip)s::text[] - 'source_id' - 'canonical_id'
               || jsonb_build_object('source', s.openalex_id,
                                     'canonical', c.openalex_id)
        FROM works_work w
        LEFT JOIN works_source s ON s.id = w.source_id
        LEFT JOIN works_work c ON c.id = w.canonical_id
    """,
    "authorships": """
        SELECT to_jsonb(a) - %(skip)s::text[] - 'work_id' - 'researcher_id'
               || jsonb_build_object('work', w.openalex_id,
                                     'researcher', r.openalex_id)
        FROM works_authorship a
        JOIN works_work w ON w.id = a.work_id
        LEFT JOIN profiles_researcher r ON r.id = a.researcher_id
    """,
    "authorship_institutions": """
        SELECT jsonb_build_array(w.openalex_id, a.position, i.openalex_id)
        FROM works_authorshipinstitution ai
        JOIN works_authorship a ON a.id = ai.authorship_id
        JOIN works_work w ON w.id = a.work_id
        JOIN works_institution i ON i.id = ai.institution_id
    """,
    "researcher_redirects": """
        SELECT jsonb_build_array(m.old_openalex_id, r.openalex_id)
        FROM profiles_researcherredirect m
        JOIN profiles_researcher r ON r.id = m.researcher_id
    """,
    "work_redirects": """
        SELECT jsonb_build_array(m.old_openalex_id, w.openalex_id)
        FROM works_workredirect m JOIN works_work w ON w.id = m.work_id
    """,
    "work_topics": """
        SELECT jsonb_build_array(w.openalex_id, t.openalex_id, wt.score,
                                 wt.is_primary)
        FROM works_worktopic wt
        JOIN works_work w ON w.id = wt.work_id
        JOIN works_topic t ON t.id = wt.topic_id
    """,
}


def catalog_by_natural_keys() -> dict[str, list[str]]:
    """Every catalog row as JSON, its row ids replaced by the natural keys
    they point at, sorted: equal for two loads that stored the same."""
    catalog = {}
    with connection.cursor() as cursor:
        for name, query in _NATURAL_QUERIES.items():
            cursor.execute(query, {"skip": _NOT_COMPARED})
            catalog[name] = sorted(
                json.dumps(value, sort_keys=True)
                if not isinstance(value, str)
                else json.dumps(json.loads(value), sort_keys=True)
                for (value,) in cursor.fetchall()
            )
    return catalog


def catalog_clear() -> None:
    """Empty the catalog's tables (a test's second load starts afresh)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE works_authorshipinstitution, works_worktopic, "
            "works_authorship, works_workredirect, works_work, "
            "profiles_researchertopic, profiles_researcherredirect, "
            "profiles_researcher, works_institution, works_source, works_topic, "
            "works_snapshotpartload "
            "CASCADE"
        )


@contextmanager
def fan_out_worker_pool(*, name: str) -> Iterator[Workers]:
    """Celery workers (``pool.start()``) on a queue of their own, emptied
    before and after; the part and run tasks this process sends meanwhile go
    to it (a task route), and so do the tasks the workers send themselves
    (their ``CELERY_QUEUE``). All are stopped at the end."""
    pool = Workers("http://127.0.0.1:9", name=name)
    routes = app.conf.task_routes
    route = {"queue": pool.queue}
    app.conf.update(task_routes={IMPORT_RUN_PART_TASK: route, IMPORT_RUN_TASK: route})
    try:
        pool.stop_all()  # empties what an interrupted run left in the queue
        yield pool
    finally:
        app.conf.update(task_routes=routes)
        pool.stop_all()
