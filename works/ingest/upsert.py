"""The one upsert path: every source adapter hands its normalized records
here, a batch at a time, and nothing else writes the catalog.

Each ``upsert_*`` function stages its batch with ``COPY`` into TEMP tables and
writes it with a few set-based statements: ``INSERT … SELECT … ON CONFLICT
DO UPDATE … WHERE (target) IS DISTINCT FROM (new) RETURNING (xmax = 0)``, so
created and updated rows are counted exactly and an unchanged record writes
nothing (``updated_at`` moves only in the update branch, which only fires on a
change). Loading the same records twice therefore changes no byte.

Each call is atomic (a savepoint when the caller holds a transaction; the
staging tables live only inside it). Contract for callers: put each batch in
a transaction of its own with the bookkeeping that records it (a crash then
loses at most that batch), load institutions, sources and topics before the
authors and works that reference them (an unknown reference is stored as
NULL or skipped), and keep batches to a few thousand records. Records
refused here (an ORCID already held by another researcher, a record
superseded by a later one in the same batch) come back in
``UpsertResult.rejected``; nothing already stored is lost to them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from profiles.models import Researcher, ResearcherTopic
from works.models import (
    Authorship,
    AuthorshipInstitution,
    Institution,
    Source,
    Topic,
    Work,
    WorkTopic,
)

from .records import (
    AuthorRecord,
    InstitutionRecord,
    Record,
    SourceRecord,
    TopicRecord,
    WorkRecord,
)
from .staging import (
    UpsertResult,
    column_type,
    default_columns,
    distinct_changed,
    keep_last,
    stage_rows,
    table,
)
from .upsert_people import upsert_researchers
from .upsert_works import upsert_works

__all__ = [
    "UpsertResult",
    "catalog_analyze",
    "upsert_institutions",
    "upsert_records",
    "upsert_researchers",
    "upsert_sources",
    "upsert_topics",
    "upsert_works",
]

_INSTITUTION_COLUMNS = (
    "openalex_id",
    "ror",
    "display_name",
    "country_code",
    "type",
    "homepage_url",
    "domain",
    "source_updated_date",
)
_SOURCE_COLUMNS = (
    "openalex_id",
    "display_name",
    "type",
    "issn_l",
    "homepage_url",
    "source_updated_date",
)
_TOPIC_COLUMNS = (
    "openalex_id",
    "display_name",
    "description",
    "subfield_name",
    "field_name",
    "domain_name",
    "source_updated_date",
)


def _upsert_by_openalex_id(
    *,
    model: type[Model],
    records: Sequence[Any],
    columns: Sequence[str],
    prepare: Callable[[Any, str], None] | None = None,
) -> UpsertResult:
    """Upsert entities whose only natural key is ``openalex_id`` and whose
    record fields are named like their columns."""
    kept, rejected = keep_last(records, lambda record: record.openalex_id)
    stage = f"stage_{model._meta.model_name}"
    with connection.cursor() as cursor:
        stage_rows(
            cursor,
            stage,
            [("seq", "integer"), *((c, column_type(model, c)) for c in columns)],
            ((index, *(getattr(records[index], c) for c in columns)) for index in kept),
        )
        if prepare:
            prepare(cursor, stage)
        target = table(model)
        defaults, placeholders, params = default_columns(
            model, written=[*columns, "created_at", "updated_at"]
        )
        updated = [c for c in columns if c != "openalex_id"]
        cursor.execute(
            f"""
            INSERT INTO {target} AS t
                ({", ".join([*columns, "created_at", "updated_at", *defaults])})
            SELECT {", ".join([*(f"s.{c}" for c in columns), "now()", "now()"])}
                   {"".join(f", {p}" for p in placeholders)}
            FROM {stage} s
            ORDER BY s.seq
            ON CONFLICT (openalex_id) DO UPDATE SET
                {", ".join(f"{c} = EXCLUDED.{c}" for c in updated)},
                updated_at = EXCLUDED.updated_at
            WHERE {distinct_changed(updated, target="t", new="EXCLUDED")}
            RETURNING (xmax = 0)
            """,
            params or None,
        )
        outcomes = [inserted for (inserted,) in cursor.fetchall()]
    created = sum(outcomes)
    return UpsertResult.count(
        total=len(records),
        created=created,
        updated=len(outcomes) - created,
        rejected=rejected,
    )


def _drop_taken_rors(cursor, stage: str) -> None:
    # A ROR held by another institution stays with it; the newcomer is stored
    # without one rather than lost (its authorships still link to it).
    cursor.execute(
        f"""
        UPDATE {stage} s SET ror = NULL
        FROM {table(Institution)} i
        WHERE i.ror = s.ror AND i.openalex_id <> s.openalex_id
        """
    )


@transaction.atomic
def upsert_institutions(records: Sequence[InstitutionRecord]) -> UpsertResult:
    """Upsert institutions on ``openalex_id``. ROR ids are unique too: one
    already held by another institution, or by an earlier record of the
    batch, is not given to this one."""
    seen: set[str] = set()
    unique = []
    for record in records:
        if record.ror in seen:
            record = replace(record, ror=None)
        elif record.ror:
            seen.add(record.ror)
        unique.append(record)
    return _upsert_by_openalex_id(
        model=Institution,
        records=unique,
        columns=_INSTITUTION_COLUMNS,
        prepare=_drop_taken_rors,
    )


@transaction.atomic
def upsert_sources(records: Sequence[SourceRecord]) -> UpsertResult:
    """Upsert venues on ``openalex_id``."""
    return _upsert_by_openalex_id(
        model=Source, records=records, columns=_SOURCE_COLUMNS
    )


@transaction.atomic
def upsert_topics(records: Sequence[TopicRecord]) -> UpsertResult:
    """Upsert topics on ``openalex_id``."""
    return _upsert_by_openalex_id(model=Topic, records=records, columns=_TOPIC_COLUMNS)


_UPSERTS: dict[type, Callable[[Sequence[Any]], UpsertResult]] = {
    InstitutionRecord: upsert_institutions,
    SourceRecord: upsert_sources,
    TopicRecord: upsert_topics,
    AuthorRecord: upsert_researchers,
    WorkRecord: upsert_works,
}


def upsert_records(records: Sequence[Record]) -> UpsertResult:
    """Upsert a batch of records of one kind (all institutions, all works…);
    an empty batch does nothing."""
    if not records:
        return UpsertResult()
    kinds = {type(record) for record in records}
    if len(kinds) != 1:
        raise TypeError("a batch holds records of one kind")
    return _UPSERTS[kinds.pop()](records)


_ENTITY_TABLES: dict[str, tuple[type[Model], ...]] = {
    "institutions": (Institution,),
    "sources": (Source,),
    "topics": (Topic,),
    "authors": (Researcher, ResearcherTopic),
    "works": (Work, Authorship, AuthorshipInstitution, WorkTopic),
}


def catalog_analyze(*, entity: str) -> None:
    """Refresh the planner statistics of the tables ``entity`` writes. A
    first load grows them from nothing faster than autovacuum (if it runs at
    all) re-analyzes, and statistics that still say "a few rows" would turn
    the upsert's index probes into scans of the whole table. ANALYZE samples
    a fixed number of rows, so this costs seconds even at 10^8 rows."""
    with connection.cursor() as cursor:
        for model in _ENTITY_TABLES[entity]:
            cursor.execute(f"ANALYZE {table(model)}")
