"""The catalog entities every work points at (institutions, sources, topics),
upserted on their OpenAlex id alone: one staging table and one set-based
``INSERT … ON CONFLICT`` each (see ``works.ingest.upsert``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from bzpeer.db import quoted_table
from works.ingest.records import InstitutionRecord, SourceRecord, TopicRecord
from works.ingest.upsert.staging import (
    UpsertResult,
    column_type,
    default_columns,
    distinct_changed,
    keep_last,
    stage_rows,
)
from works.models import Institution, Source, Topic

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
        target = quoted_table(model)
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
            -- Rows locked in key order: no deadlock with another writer.
            ORDER BY s.openalex_id
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
        FROM {quoted_table(Institution)} i
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
