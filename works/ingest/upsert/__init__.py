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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
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
    "upsert_institutions",
    "upsert_records",
    "upsert_researchers",
    "upsert_sources",
    "upsert_topics",
    "upsert_works",
]

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
            cursor.execute(f"ANALYZE {quoted_table(model)}")
