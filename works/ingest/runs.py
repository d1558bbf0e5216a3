"""Bookkeeping of an import run on its row, shared by every source: creating
it, its rejections and counts, its failure; one process per run (a session
advisory lock); the catalog write lock; time slices; planner statistics of
the tables a load fills. The run's life is ``works.ingest.driver``'s."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models.functions import Now

from bzpeer.db import AdvisoryLock, advisory_xact_lock
from works.ingest.upsert import UpsertResult, catalog_analyze
from works.models import ImportRun, RejectedRecord

logger = logging.getLogger(__name__)

OUTCOMES = ("created", "updated", "unchanged", "rejected")


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
    key = list(AdvisoryLock.IMPORT_RUN.key(run.pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        if not cursor.fetchone()[0]:
            raise ImportRunBusy(
                f"import run {run.pk} is being loaded by another process"
            )
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        except DatabaseError:
            logger.warning("could not unlock import run %s", run.pk, exc_info=True)


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
        if key not in (DELIVERIES, "warnings") and not isinstance(value, dict | list)
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
