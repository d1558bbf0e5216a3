"""Bookkeeping of an import run on its row, shared by every source: creating
it, its rejections and counts, its failure; one process per run (a session
advisory lock); the catalog write lock; time slices; planner statistics of
the tables a load fills. The run's life is ``works.ingest.driver``'s.

For a snapshot run fanned out over workers (``works.fan_out``), the same for
each of its parts: one process per part (its own session lock, and which
parts are held), a page's counts and checkpoint on the part's row with the
run's totals moved by increments, and the deliveries of its task."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Model
from django.db.models.functions import Now

from bzpeer.db import AdvisoryLock, advisory_xact_lock, quoted_table
from profiles.models import Researcher
from works.ingest.upsert import UpsertResult, catalog_analyze
from works.models import (
    ImportRun,
    ImportRunPart,
    Institution,
    RejectedRecord,
    Source,
    Topic,
    Work,
)

logger = logging.getLogger(__name__)

OUTCOMES = ("created", "updated", "unchanged", "rejected")
# The run's count of part files skipped as unchanged since their last load.
FILES_SKIPPED = "files_skipped"


def import_run_create(*, source: str, parameters: dict[str, Any]) -> ImportRun:
    """A new run of ``source`` with ``parameters``, ``pending`` until the
    driver executes it (``works.ingest.driver.run_execute``): the one place
    runs are made. Raises ``ValueError`` for a source no importer reads."""
    if source not in ImportRun.Source.values:
        raise ValueError(f"no importer for source {source!r}")
    return ImportRun.objects.create(
        source=source, parameters=parameters, status=ImportRun.Status.PENDING
    )


def catalog_write_lock() -> None:
    """Take the transaction-scoped lock that serializes the catalog writes of
    concurrent import runs, released at commit or rollback. The upsert path
    picks row ids before it inserts, so two runs inserting the same new work
    at once would otherwise fail on its natural key; with the lock the later
    batch finds the row. Reading and fetching stay concurrent."""
    advisory_xact_lock(AdvisoryLock.CATALOG_WRITE)


class ImportRunBusy(Exception):
    """Another process is loading this import run right now."""


@contextmanager
def import_run_lock(run: ImportRun) -> Iterator[None]:
    """Hold a session-level advisory lock on ``run`` while loading it.
    PostgreSQL releases it if the process dies, so a crashed run can be
    resumed while a running one cannot be loaded twice (a redelivered Celery
    message, an operator's second --resume): that raises ``ImportRunBusy``."""
    with _session_lock(AdvisoryLock.IMPORT_RUN, run.pk, what=f"import run {run.pk}"):
        yield


@contextmanager
def import_run_part_lock(part: ImportRunPart) -> Iterator[None]:
    """Hold a session-level advisory lock on one part file of a fanned-out
    run while loading it, as ``import_run_lock`` does for a run: a part is
    loaded by one worker at a time (a redelivered message finds it busy:
    ``ImportRunBusy``), and a part whose worker died is free again."""
    with _session_lock(
        AdvisoryLock.IMPORT_RUN_PART,
        part.pk,
        what=f"part {part.path} of import run {part.run_id}",
    ):
        yield


@contextmanager
def _session_lock(lock: AdvisoryLock, object_id: int, *, what: str) -> Iterator[None]:
    key = list(lock.key(object_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        if not cursor.fetchone()[0]:
            raise ImportRunBusy(f"{what} is being loaded by another process")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        except DatabaseError:
            logger.warning("could not unlock %s", what, exc_info=True)


def import_run_parts_held(run: ImportRun) -> set[int]:
    """The ids of ``run``'s parts some process is loading right now (holds
    their lock), in one look at ``pg_locks``: a part ``running`` that is not
    among them lost its worker."""
    namespace = AdvisoryLock.IMPORT_RUN_PART.namespace
    with connection.cursor() as cursor:
        # Advisory locks of two int4 keys show as (classid, objid), objsubid 2.
        cursor.execute(
            f"""
            SELECT p.id FROM pg_locks l
            JOIN {quoted_table(ImportRunPart)} p ON p.id = l.objid::bigint
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
              AND l.classid = %s::oid AND p.run_id = %s
              AND l.database = (
                  SELECT oid FROM pg_database WHERE datname = current_database()
              )
            """,
            [namespace, run.pk],
        )
        return {part_id for (part_id,) in cursor.fetchall()}


def import_run_record_batch(
    run: ImportRun,
    *,
    entity: str,
    result: UpsertResult,
    rejections: Sequence[tuple[str, str, str]],
) -> None:
    """Store one batch's ``rejections`` ((locator, reason, excerpt), those of
    the adapter and those ``result`` reports, already located) and add its
    outcome to the run's counts, total and per entity, on the in-memory run.
    Call it in the batch's transaction, before the run's row is saved with
    the page (``ImportContext.page``), so the row always describes what is
    committed."""
    RejectedRecord.objects.bulk_create(
        RejectedRecord(
            run=run,
            entity=entity,
            locator=locator[:1000],
            reason=reason,
            excerpt=excerpt,
        )
        for locator, reason, excerpt in rejections
    )
    outcome = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": len(rejections),
    }
    counts = run.counts.setdefault(entity, dict.fromkeys(OUTCOMES, 0))
    for name, value in outcome.items():
        counts[name] = counts.get(name, 0) + value
        setattr(run, f"{name}_count", getattr(run, f"{name}_count") + value)


def import_run_part_record_page(
    part: ImportRunPart,
    *,
    checkpoint: dict[str, int],
    counts: dict[str, int],
    progress: int,
    warnings: Sequence[str] = (),
) -> None:
    """Store one committed page of a fanned-out run's part: the part's new
    checkpoint (``lines_done``, ``records_done``), its counts so far
    (``counts``: the four outcomes) and warnings; and add what the page did
    to the run's row, its totals and ``progress`` more units done, as
    increments (``F()``), since other parts add theirs meanwhile. Call it in
    the page's transaction, so the part's checkpoint and both rows' counts
    commit with the page or not at all."""
    delta = {name: counts[name] - getattr(part, f"{name}_count") for name in OUTCOMES}
    part.lines_done = checkpoint["lines_done"]
    part.records_done = checkpoint["records_done"]
    for name in OUTCOMES:
        setattr(part, f"{name}_count", counts[name])
    part.warnings = list(warnings)
    part.save(
        update_fields=[
            "lines_done",
            "records_done",
            "warnings",
            *(f"{name}_count" for name in OUTCOMES),
        ]
    )
    changes = {
        f"{name}_count": F(f"{name}_count") + value
        for name, value in delta.items()
        if value
    }
    if progress:
        changes["progress_done"] = F("progress_done") + progress
    if changes:
        ImportRun.objects.filter(pk=part.run_id).update(**changes)


def import_run_part_delivery_start(part: ImportRunPart) -> int:
    """Count one more delivery of ``part``'s task, committed at once (before
    any work, as ``import_run_delivery_start`` does for a run), and return
    the count."""
    with transaction.atomic():
        ImportRunPart.objects.filter(pk=part.pk).update(deliveries=F("deliveries") + 1)
        part.deliveries = (
            ImportRunPart.objects.filter(pk=part.pk)
            .values_list("deliveries", flat=True)
            .get()
        )
    return part.deliveries


def import_run_fail(run: ImportRun, error: str) -> None:
    """Mark the run failed. The in-memory run may hold counts of a batch that
    rolled back, so only the failure is written and the rest re-read."""
    try:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED, error=error, finished_at=Now()
        )
        run.refresh_from_db()
    except DatabaseError:
        logger.exception("could not record the failure of import run %s", run.pk)


# The checkpoint key counting the deliveries of a run's import task that have
# not returned (each worker that started it died): see ``works.tasks``.
DELIVERIES = "deliveries"


def import_run_delivery_start(run: ImportRun) -> int:
    """Count one more delivery of ``run``'s import task, committed at once in
    its own transaction (before any work, so a worker killed by what it then
    reads has counted it), and return the count; the in-memory run's
    checkpoint gets it too, so its page saves keep it."""
    table = ImportRun._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET checkpoint = jsonb_set("  # noqa: S608
            "COALESCE(checkpoint, '{}'::jsonb), %s, to_jsonb(COALESCE("
            "(checkpoint ->> %s)::int, 0) + 1)) WHERE id = %s "
            "RETURNING (checkpoint ->> %s)::int",
            [[DELIVERIES], DELIVERIES, run.pk, DELIVERIES],
        )
        row = cursor.fetchone()
    count = row[0] if row else 1
    run.checkpoint[DELIVERIES] = count
    return count


def import_run_delivery_end(run: ImportRun) -> None:
    """Forget ``run``'s delivery count: the delivery returned (its slice ended,
    the run finished or failed), so its worker survived what it read."""
    run.checkpoint.pop(DELIVERIES, None)
    table = ImportRun._meta.db_table
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET checkpoint = checkpoint - %s "  # noqa: S608
                "WHERE id = %s",
                [DELIVERIES, run.pk],
            )
    except DatabaseError:
        logger.warning(
            "could not reset the deliveries of import run %s", run.pk, exc_info=True
        )


def where_it_was(checkpoint: dict[str, Any]) -> str:
    """Where a run's checkpoint says it was (the last page or file), for a
    failure's reason."""
    items = [
        f"{key}={value}"
        for key, value in checkpoint.items()
        if key not in (DELIVERIES, FILES_SKIPPED, "warnings")
        and not isinstance(value, dict | list)
    ]
    text = ", ".join(items) or "before its first page"
    return text if len(text) <= 300 else text[:299] + "…"


class TimeBudget:
    """When a sliced load must stop: once the budget is spent, before the
    next batch, but never before one batch was done (a slice always moves)."""

    def __init__(self, seconds: float | None):
        self.deadline = float("inf") if seconds is None else time.monotonic() + seconds
        self.batches = 0

    def is_spent(self) -> bool:
        return self.batches > 0 and time.monotonic() > self.deadline


class PlannerStatistics:
    """Keeps the planner's statistics of the tables a run fills from going
    stale: ANALYZE an entity's tables each time the rows this run created for
    it have doubled since the last ANALYZE (from one batch's worth on), so a
    full snapshot costs a few dozen ANALYZEs and a small load none."""

    def __init__(self, *, batch_size: int) -> None:
        self.batch_size = batch_size
        self.pending: dict[str, int] = {}
        self.analyzed: dict[str, int] = {}

    def grown(self, *, entity: str, created: int) -> None:
        self.pending[entity] = self.pending.get(entity, 0) + created
        if self.pending[entity] >= max(self.batch_size, self.analyzed.get(entity, 0)):
            catalog_analyze(entity=entity)
            self.analyzed[entity] = self.analyzed.get(entity, 0) + self.pending[entity]
            self.pending[entity] = 0


# The table of each entity whose planner statistics ``SharedPlannerStatistics``
# watches (its children grow with it).
_ENTITY_TABLE: dict[str, type[Model]] = {
    "institutions": Institution,
    "sources": Source,
    "topics": Topic,
    "authors": Researcher,
    "works": Work,
}


class SharedPlannerStatistics(PlannerStatistics):
    """``PlannerStatistics`` for the parts of a fanned-out run, which create
    an entity's rows in many processes at once, none of which sees what the
    others created: after each page that created rows, ask PostgreSQL's own
    count (``pg_stat_user_tables``, shared by every process) whether the
    rows changed since the table's last ANALYZE, by anyone, outnumber the
    rows it held then (from one batch's worth on), and ANALYZE when they do:
    the statistics stay as fresh as a load in one process keeps them, at a
    few dozen ANALYZEs for a full snapshot whatever the number of parts."""

    def grown(self, *, entity: str, created: int) -> None:
        if created and self._stale(entity):
            catalog_analyze(entity=entity)

    def _stale(self, entity: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.n_mod_since_analyze, greatest(c.reltuples, 0)"
                " FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
                " WHERE s.relid = %s::regclass",
                [_ENTITY_TABLE[entity]._meta.db_table],
            )
            row = cursor.fetchone()
        if row is None:
            return False
        changed, rows = row
        return changed >= max(self.batch_size, rows)
