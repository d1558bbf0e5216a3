"""The one upsert path: every source adapter hands its normalized records
here, a batch at a time; no other code turns source data into catalog rows.
(Merges, ``works.merges``, and version grouping, ``works.versions``, rewrite
rows already held: they are the only other writers of the catalog.)

The modules: ``staging`` (COPY into TEMP tables, shared SQL pieces),
``entities`` (institutions, sources, topics), ``researchers`` (authors and
their topics), ``works`` (works with their authorships and topics).

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

Concurrent writers: batches of import runs are written one at a time (the
catalog write lock, ``works.ingest.runs``), but other writers change the same
rows meanwhile (trust recomputes, merges, version grouping, owners' edits).
Each statement that locks catalog rows takes them in one fixed order, the
order of the key it locks them by (``ON CONFLICT`` target, row id), so two
writers meeting on rows wait for each other instead of deadlocking; a batch
that is chosen as a deadlock's victim all the same (or meets a
serialization failure) is rolled back to its savepoint and written again,
a few times, with backoff (``upsert_records``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import OperationalError, connection
from django.db.models import Model

from bzpeer.db import quoted_table
from profiles.models import Researcher, ResearcherTopic
from works.ingest.records import (
    AuthorRecord,
    InstitutionRecord,
    Record,
    SourceRecord,
    TopicRecord,
    WorkRecord,
)
from works.ingest.upsert.entities import (
    upsert_institutions,
    upsert_sources,
    upsert_topics,
)
from works.ingest.upsert.researchers import upsert_researchers
from works.ingest.upsert.staging import UpsertResult
from works.ingest.upsert.works import upsert_works
from works.models import (
    Authorship,
    AuthorshipInstitution,
    Institution,
    Source,
    Topic,
    Work,
    WorkTopic,
)

__all__ = [
    "UpsertResult",
    "catalog_analyze",
    "is_deadlock",
    "upsert_institutions",
    "upsert_records",
    "upsert_researchers",
    "upsert_sources",
    "upsert_topics",
    "upsert_works",
]

logger = logging.getLogger(__name__)

_UPSERTS: dict[type, Callable[[Sequence[Any]], UpsertResult]] = {
    InstitutionRecord: upsert_institutions,
    SourceRecord: upsert_sources,
    TopicRecord: upsert_topics,
    AuthorRecord: upsert_researchers,
    WorkRecord: upsert_works,
}


# Tries of a batch that deadlocks, and the first wait between two (doubled
# each time, with jitter): about a second and a half in all.
DEADLOCK_ATTEMPTS = 4
DEADLOCK_BACKOFF_SECONDS = 0.1
# SQLSTATEs worth writing a batch again for: deadlock_detected,
# serialization_failure.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_deadlock(error: BaseException) -> bool:
    """True for a database error that writing the same batch again may
    escape: PostgreSQL's deadlock_detected (40P01) or serialization_failure
    (40001), as Django wraps psycopg's."""
    cause = error if getattr(error, "sqlstate", None) else error.__cause__
    return getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES


def upsert_records(records: Sequence[Record]) -> UpsertResult:
    """Upsert a batch of records of one kind (all institutions, all works…);
    an empty batch does nothing. A batch chosen as a deadlock's victim is
    rolled back (its savepoint: the caller's transaction goes on) and written
    again, ``DEADLOCK_ATTEMPTS`` times in all, waiting a little longer each
    time; the last attempt's error is raised."""
    if not records:
        return UpsertResult()
    kinds = {type(record) for record in records}
    if len(kinds) != 1:
        raise TypeError("a batch holds records of one kind")
    upsert = _UPSERTS[kinds.pop()]
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            return upsert(records)
        except OperationalError as error:
            if attempt == DEADLOCK_ATTEMPTS or not is_deadlock(error):
                raise
            wait = DEADLOCK_BACKOFF_SECONDS * 2 ** (attempt - 1)
            logger.warning(
                "a batch of %d %s deadlocked (try %d of %d); writing it again "
                "in %.2f s",
                len(records),
                type(records[0]).__name__,
                attempt,
                DEADLOCK_ATTEMPTS,
                wait,
            )
            time.sleep(wait * random.uniform(1, 1.5))  # noqa: S311
    raise AssertionError("unreachable")


_ENTITY_TABLES: dict[str, tuple[type[Model], ...]] = {
    "institutions": (Institution,),
    "sources": (Source,),
    "topics": (Topic,),
    "authors": (Researcher, ResearcherTopic),
    "works": (Work, Authorship, AuthorshipInstitution, WorkTopic),
}


def catalog_analyze(*, entity: str) -> None:
    """Refresh the planner statistics the upsert's lookups need, for the
    tables ``entity`` writes. A first load grows them from nothing faster
    than autovacuum re-analyzes, and statistics that still say "a few rows"
    would turn the upsert's index probes into scans of the whole table.

    Only the columns an index leads with are analyzed (keys, references,
    indexed values): naming columns makes PostgreSQL skip the statistics of
    expression indexes, which for works means computing the full-text vector
    of 30,000 sampled titles and abstracts, 50 times the cost of the rest.
    Autovacuum analyzes the whole tables once the load has grown them (the
    search's plans need those statistics, the load's do not). ANALYZE
    samples a fixed number of rows, so this costs a fraction of a second
    even at 10^8 rows."""
    with connection.cursor() as cursor:
        for model in _ENTITY_TABLES[entity]:
            columns = ", ".join(
                connection.ops.quote_name(c) for c in _indexed_columns(model)
            )
            cursor.execute(f"ANALYZE {quoted_table(model)} ({columns})")


def _indexed_columns(model: type[Model]) -> list[str]:
    """The columns of ``model`` that a plain index leads with or holds: the
    key, unique and indexed fields, references, the fields of the model's
    indexes and unique constraints."""
    meta = model._meta
    names = [
        f.column
        for f in meta.concrete_fields
        if f.primary_key or f.unique or f.db_index or f.is_relation
    ]
    for group in [
        *(index.fields for index in meta.indexes),
        *(getattr(c, "fields", ()) for c in meta.constraints),
        *meta.unique_together,
    ]:
        names += [meta.get_field(name.lstrip("-")).column for name in group]
    return list(dict.fromkeys(names))
