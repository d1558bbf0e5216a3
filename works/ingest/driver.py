"""The run driver: the one life of an import run, whatever its source.

An import run is an ``ImportRun`` whose ``source`` names an importer in
``IMPORTERS``: a function that takes an ``ImportContext``, reads where to
start from ``context.checkpoint``, fetches or reads its data (through
``context.call`` for an API: rate-limited, retried, counted) and hands it to
``context.store`` a page at a time. ``store`` writes the page through the one
upsert path, with its rejections, the run's counts, calls, progress and new
checkpoint, in one transaction: a run killed at any point loses at most the
page in flight, and resuming it starts again exactly there.

``run_execute`` runs (or resumes) a run, one process at a time
(``import_run_lock``): the importer, then the **after-run step** — the
versions of the works the run changed are grouped (``works.versions``, in
checkpointed batches), the handlers registered in ``works.hooks`` run (trust
is recomputed for the researchers the run touched), and the sample-data flag
is forgotten. A run ends ``succeeded``, or ``failed`` with the reason (what
its pages committed stays, and is grouped and handed to the hooks all the
same), or stays ``running`` when its time budget ran out, for the next slice.
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models.functions import Now
from django.utils.module_loading import import_string
from tqdm import tqdm

from bzpeer.data_version import data_version_bump_after_commit
from works.hooks import import_run_finished_handlers_run
from works.ingest.http import SourceCaller, SourceError
from works.ingest.records import (
    ENTITIES,
    AuthorRecord,
    InstitutionRecord,
    Record,
    SourceRecord,
    TopicRecord,
    WorkRecord,
    rejection_excerpt,
)
from works.ingest.runs import (
    FILES_SKIPPED,
    OUTCOMES,
    PlannerStatistics,
    TimeBudget,
    catalog_write_lock,
    import_run_delivery_end,
    import_run_delivery_start,
    import_run_fail,
    import_run_lock,
    import_run_record_batch,
    where_it_was,
)
from works.ingest.upsert import UpsertResult, upsert_records
from works.models import ImportRun
from works.selectors import site_sample_data_forget
from works.versions import versions_changed_batches, versions_group_ids

logger = logging.getLogger(__name__)

T = TypeVar("T")

ENTITY_OF: dict[type, str] = {
    InstitutionRecord: "institutions",
    SourceRecord: "sources",
    TopicRecord: "topics",
    AuthorRecord: "authors",
    WorkRecord: "works",
}

# The importer of each source; dotted paths, since the importers import this
# module for ``ImportContext``.
IMPORTERS: dict[str, str] = {
    ImportRun.Source.OPENALEX_SNAPSHOT: (
        "works.ingest.openalex.snapshot_load.snapshot_import"
    ),
    ImportRun.Source.OPENALEX_API: "works.ingest.openalex.walks.openalex_import",
    ImportRun.Source.ARXIV: "works.ingest.arxiv.queries.arxiv_import",
}
# Records a page holds before the importer writes it (the snapshot's lines
# per batch; the planner statistics grow by it).
BATCH_SIZE = 5000
# Set in the checkpoint once the importer returned: a resumed run goes
# straight to the after-run step.
IMPORTED = "imported"


class StopSlice(Exception):
    """Raised by ``ImportContext.store`` when the run's time budget is spent:
    the page was committed, the checkpoint points past it, and the run stays
    ``running`` for the next slice to resume."""


@dataclass(frozen=True)
class Rejection:
    entity: str
    locator: str
    reason: str
    excerpt: str = ""


# A page's rejections of one entity, located: (locator, reason, excerpt).
Located = list[tuple[str, str, str]]


@dataclass
class ImportContext:
    """What an importer works with during one execution of its run."""

    run: ImportRun
    caller: SourceCaller
    bar: tqdm
    budget: TimeBudget
    batch_size: int = BATCH_SIZE
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    statistics: PlannerStatistics = field(init=False)

    def __post_init__(self) -> None:
        self.statistics = PlannerStatistics(batch_size=self.batch_size)

    @property
    def parameters(self) -> dict[str, Any]:
        return self.run.parameters

    @property
    def checkpoint(self) -> dict[str, Any]:
        """Where the last committed page left the run (a copy: change it
        through ``store`` or ``page``)."""
        return dict(self.run.checkpoint)

    def call(self, request: Callable[[], T], *, what: str, kind: str = "single") -> T:
        """Make one request through the source's caller (rate limit, retries)
        and count it under ``kind`` ("single" for a one-entity look-up,
        "list" for a list or search call, which OpenAlex bills)."""
        before = self.caller.calls
        try:
            return self.caller.call(request, what=what)
        finally:
            calls = self.run.calls
            calls[kind] = calls.get(kind, 0) + (self.caller.calls - before)

    def stop_if_spent(self) -> None:
        """Raise ``StopSlice`` when the time budget is spent (never before the
        slice's first page). An importer whose next page costs nothing to
        read again (a file) asks before reading it, and stores with
        ``stop_after=False``."""
        if self.budget.is_spent():
            raise StopSlice

    @contextmanager
    def page(
        self, *, checkpoint: dict[str, Any], progress: int = 0, stop_after: bool = True
    ) -> Iterator[None]:
        """One page's transaction, under the catalog write lock: what the
        ``with`` body writes commits together with ``checkpoint`` (merged into
        the run's), ``progress`` more units done and the run's counts and
        calls. Then, with ``stop_after``, raises ``StopSlice`` when the time
        budget is spent: a fetched page is never thrown away.

        Pages of concurrent runs are written one at a time (a transaction
        advisory lock): the upsert path picks row ids before it inserts, and
        two runs inserting the same new work at once would otherwise fail on
        its natural key. Fetching, the slow part, stays concurrent."""
        with transaction.atomic():
            catalog_write_lock()
            yield
            self.run.checkpoint.update(checkpoint)
            self.run.progress_done += progress
            self.run.save(
                update_fields=[
                    "checkpoint",
                    "calls",
                    "progress_done",
                    "counts",
                    *(f"{name}_count" for name in OUTCOMES),
                ]
            )
        self.pages += 1
        self.budget.batches += 1
        self.bar.update(progress)
        if stop_after:
            self.stop_if_spent()

    def store(
        self,
        records: Iterable[Record] | Callable[[], Iterable[Record]],
        *,
        checkpoint: dict[str, Any],
        entity: str | None = None,
        locator: str = "",
        rejections: Sequence[Rejection] = (),
        locate: Callable[[list[Record], UpsertResult], Located] | None = None,
        progress: int = 1,
        after: Callable[[], None] | None = None,
        before: Callable[[], None] | None = None,
        stop_after: bool = True,
    ) -> None:
        """Write one page (see ``page``): ``records`` (any mix of kinds; they
        are upserted in dependency order, institutions to works), the
        importer's own ``rejections`` and the upsert's, and the counts;
        ``before`` runs inside the transaction ahead of the upserts (a change
        the records depend on, e.g. a merge of researcher rows), ``after``
        behind them (bookkeeping of the importer's own). A page of one
        ``entity`` counts under it even when it holds no record (the last
        lines of a file, all rejected).

        The upsert's rejections are located as ``"{locator} #N"`` (N the
        record's place in its entity's batch) with the record as excerpt;
        an importer that knows better passes ``locate(batch, result)``, which
        returns every rejection of the batch, its own included, located.

        ``records`` may be a callable that builds them: it is called inside
        the transaction, after the catalog write lock is taken, so records
        built from stored rows (an arXiv preprint filling an OpenAlex work)
        read what no other import can change before they are written."""
        own: dict[str, list[Rejection]] = defaultdict(list)
        for rejection in rejections:
            own[rejection.entity].append(rejection)
        created: dict[str, int] = {}
        with self.page(checkpoint=checkpoint, progress=progress, stop_after=stop_after):
            if before is not None:
                before()
            by_entity: dict[str, list[Record]] = defaultdict(list)
            for record in records() if callable(records) else records:
                by_entity[ENTITY_OF[type(record)]].append(record)
            for kind in ENTITIES:
                batch = by_entity.get(kind, [])
                if not batch and not own.get(kind) and kind != entity:
                    continue
                result = upsert_records(batch)
                if locate is not None:
                    located = locate(batch, result)
                else:
                    located = [
                        (r.locator, r.reason, r.excerpt) for r in own.get(kind, [])
                    ] + [
                        (
                            f"{locator} #{index + 1}",
                            reason,
                            rejection_excerpt(batch[index]),
                        )
                        for index, reason in result.rejected
                    ]
                import_run_record_batch(
                    self.run, entity=kind, result=result, rejections=located
                )
                created[kind] = result.created
            if after is not None:
                after()
        for entity, count in created.items():
            self.statistics.grown(entity=entity, created=count)

    def file_skipped(self) -> None:
        """Count a file skipped as unchanged since its last load, in the
        page's transaction (``checkpoint["files_skipped"]``)."""
        checkpoint = self.run.checkpoint
        checkpoint[FILES_SKIPPED] = checkpoint.get(FILES_SKIPPED, 0) + 1

    def set_total(self, total: int | None, *, unit: str | None = None) -> None:
        """The progress bar's and the admin's total, in the importer's units
        (pages unless ``unit`` says otherwise)."""
        self.run.progress_total = total
        self.run.save(update_fields=["progress_total"])
        self.bar.total = total
        if unit is not None:
            self.bar.unit = unit
        self.bar.refresh()

    def describe(self, text: str) -> None:
        """What the progress bar shows the importer doing (e.g. a file)."""
        self.bar.set_description(text)

    def warn(self, message: str) -> None:
        """Log ``message`` and keep it in ``checkpoint["warnings"]`` (saved
        with the run's next save), once however often a resumed run meets
        it."""
        logger.warning("import run %s: %s", self.run.pk, message)
        warnings = self.run.checkpoint.setdefault("warnings", [])
        if message not in warnings:
            warnings.append(message)
        self.warnings.append(message)


def caller_for(source: str) -> SourceCaller:
    """The rate-limited, retrying caller of ``source``'s API."""
    interval = {
        ImportRun.Source.OPENALEX_API: settings.OPENALEX_MIN_INTERVAL,
        ImportRun.Source.ARXIV: settings.ARXIV_MIN_INTERVAL,
    }.get(source, 1.0)
    return SourceCaller(source, interval=interval)


def run_execute(
    run: ImportRun,
    *,
    progress: bool = True,
    time_budget: float | None = None,
    sync_trust: bool = False,
    batch_size: int = BATCH_SIZE,
    max_deliveries: int | None = None,
) -> ImportRun:
    """Run ``run`` from its checkpoint (from the start when it has none) and
    return it: ``succeeded``, ``failed`` with the reason (what was committed
    stays), or still ``running`` when ``time_budget`` seconds ran out (the
    next call resumes it). A run already succeeded is returned as it is.
    ``sync_trust`` has the after-run handlers work in this process instead of
    enqueuing; ``progress`` draws a bar when stderr is a terminal.

    With ``max_deliveries`` (the import task's), each call is counted as a
    delivery of the run's task, committed before any work and forgotten when
    the call returns: the count only grows while the workers that started it
    die (an enormous record, an endless answer). Past ``max_deliveries`` the
    run fails with that reason instead of running again.

    Raises ``ImportRunBusy`` when another process runs it, and ``ValueError``
    for a source no importer reads."""
    if run.source not in IMPORTERS:
        raise ValueError(f"run {run.pk} is a {run.source} run: no importer reads it")
    importer = import_string(IMPORTERS[run.source])
    with import_run_lock(run):
        run.refresh_from_db()
        if run.status == ImportRun.Status.SUCCEEDED:
            return run
        if max_deliveries is not None:
            deliveries = import_run_delivery_start(run)
            if deliveries > max_deliveries:
                reason = (
                    f"delivered {deliveries} times without finishing: a record "
                    "or answer may kill the worker (last "
                    f"{where_it_was(run.checkpoint)}); resume the run once that "
                    "is dealt with"
                )
                logger.error("import run %s failed: %s", run.pk, reason)
                import_run_delivery_end(run)
                import_run_fail(run, reason)
                return run
        arguments = {
            "progress": progress,
            "time_budget": time_budget,
            "sync_trust": sync_trust,
            "batch_size": batch_size,
        }
        if max_deliveries is None:
            succeeded = _execute(run, importer, **arguments)
        else:
            try:
                succeeded = _execute(run, importer, **arguments)
            finally:
                # This delivery returned: its worker lived through the slice.
                import_run_delivery_end(run)
    if succeeded:
        site_sample_data_forget()
    return run


def _execute(
    run: ImportRun,
    importer: Callable[[ImportContext], None],
    *,
    progress: bool,
    time_budget: float | None,
    sync_trust: bool,
    batch_size: int,
) -> bool:
    """``run_execute``'s work under the run's lock; True once the run
    succeeded."""
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.RUNNING,
        error="",
        finished_at=None,
        # The first start stays: rows written before an interruption
        # belong to the run (trust refresh and version grouping).
        started_at=run.started_at or Now(),
    )
    run.refresh_from_db()
    bar = tqdm(
        total=run.progress_total,
        initial=run.progress_done,
        unit=" pages",
        disable=not (progress and sys.stderr.isatty()),
        desc=f"{run.source} #{run.pk}",
    )
    context = ImportContext(
        run=run,
        caller=caller_for(run.source),
        bar=bar,
        budget=TimeBudget(time_budget),
        batch_size=batch_size,
    )
    try:
        if not run.checkpoint.get(IMPORTED):
            importer(context)
            run.checkpoint[IMPORTED] = True
            run.save(update_fields=["checkpoint", "calls"])
        # Inside the lock and before the run counts as succeeded: an
        # after-run step that fails leaves the run failed, and resuming
        # it runs the step again.
        _after_run(context, sync_trust=sync_trust)
    except (StopSlice, SoftTimeLimitExceeded):
        # The page in flight rolled back; the checkpoint is after the
        # last committed one, where the next slice starts.
        _save_progress_notes(run)
        return False
    except SourceError as exc:
        logger.error("import run %s failed: %s", run.pk, exc.reason)
        _fail(context, exc.reason, sync_trust=sync_trust)
        return False
    except Exception as exc:
        logger.exception("import run %s failed", run.pk)
        _fail(context, f"{type(exc).__name__}: {exc}", sync_trust=sync_trust)
        return False
    except BaseException:
        # Interrupted (Ctrl-C, worker shutdown): record it, then stop.
        _save_progress_notes(run)
        import_run_fail(run, "interrupted")
        raise
    finally:
        bar.close()
    # The run's checkpoint ends as its importer left it.
    run.checkpoint.pop(IMPORTED, None)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.SUCCEEDED,
        finished_at=Now(),
        calls=run.calls,
        checkpoint=run.checkpoint,
    )
    run.refresh_from_db()
    return True


def _group_versions(context: ImportContext) -> None:
    """Group the versions of the works the run changed (``works.versions``),
    a batch at a time, each batch committed with the checkpoint
    (``versions_after_id``), so a resumed run goes on from there; raises
    ``StopSlice`` when the time budget ran out. The key goes once done."""
    run = context.run
    after_id = run.checkpoint.get("versions_after_id", 0)
    for work_ids in versions_changed_batches(since=run.started_at, after_id=after_id):
        context.stop_if_spent()
        with transaction.atomic():
            versions_group_ids(work_ids=work_ids)
            run.checkpoint["versions_after_id"] = work_ids[-1]
            run.save(update_fields=["checkpoint"])
        context.budget.batches += 1
    if run.checkpoint.pop("versions_after_id", None) is not None:
        run.save(update_fields=["checkpoint"])


def _after_run(context: ImportContext, *, sync_trust: bool) -> None:
    """The after-run step: versions grouped (before the trust that counts
    them), then the hooks' handlers, whose enqueues leave after commit.
    Idempotent."""
    if context.run.started_at is not None:
        _group_versions(context)
    with transaction.atomic():
        import_run_finished_handlers_run(run=context.run, sync=sync_trust)
        # What the pages derive from the catalog (graph slices) is stale.
        data_version_bump_after_commit()


def _save_progress_notes(run: ImportRun) -> None:
    """What the run learnt on a page that never committed still counts: its
    calls, and its warnings (kept in the checkpoint)."""
    warnings = run.checkpoint.get("warnings")
    stored = ImportRun.objects.filter(pk=run.pk).values_list("checkpoint", flat=True)
    checkpoint = dict(stored.first() or {})
    if warnings:
        checkpoint["warnings"] = warnings
    ImportRun.objects.filter(pk=run.pk).update(calls=run.calls, checkpoint=checkpoint)


def _fail(context: ImportContext, reason: str, *, sync_trust: bool) -> None:
    """Mark the run failed with ``reason``, keeping its calls and warnings;
    what its committed pages stored is grouped and handed to the after-run
    handlers all the same (a failed run may have stored most of an author),
    without a time budget, and a failure there is only logged."""
    run = context.run
    _save_progress_notes(run)
    import_run_fail(run, reason)
    context.budget = TimeBudget(None)
    try:
        _after_run(context, sync_trust=sync_trust)
    except Exception:
        logger.exception("import run %s: the after-run step failed", run.pk)
