"""The run driver every live import shares (OpenAlex API, arXiv API).

A live import is an ``ImportRun`` whose ``source`` names an importer (see
``works.importers.IMPORTERS``): a function that takes an ``ImportContext``,
reads where to start from ``context.checkpoint``, fetches through
``context.call`` (rate-limited, retried, counted) and hands what it fetched
to ``context.store`` a page at a time. ``store`` writes the page through the
one upsert path, its rejections, the run's counts, its calls and the new
checkpoint in one transaction: a run killed at any point loses at most the
page in flight, and resuming it starts again exactly there, so nothing is
stored twice and no work is left half-written.

``live_import_execute`` runs (or resumes) a run: one process at a time
(``import_run_lock``), marking it succeeded, or failed with the reason a
``SourceError`` gives, keeping everything already committed. After a success
it groups the versions of the works the run changed and recomputes the trust
of the researchers it touched.
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models.functions import Now
from django.utils.module_loading import import_string
from tqdm import tqdm

from works.ingest.http import SourceCaller, SourceError
from works.ingest.records import (
    ENTITIES,
    AuthorRecord,
    InstitutionRecord,
    Record,
    SourceRecord,
    TopicRecord,
    WorkRecord,
)
from works.ingest.runs import (
    TimeBudget,
    catalog_write_lock,
    import_run_fail,
    import_run_lock,
    import_run_record_batch,
)
from works.ingest.upsert import upsert_records
from works.models import ImportRun

logger = logging.getLogger(__name__)

T = TypeVar("T")

ENTITY_OF: dict[type, str] = {
    InstitutionRecord: "institutions",
    SourceRecord: "sources",
    TopicRecord: "topics",
    AuthorRecord: "authors",
    WorkRecord: "works",
}

# Importers by ImportRun.source; dotted paths so this module imports none.
IMPORTERS: dict[str, str] = {
    "openalex-api": "works.importers.openalex.openalex_import",
    "arxiv": "works.importers.arxiv.arxiv_import",
}


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


@dataclass
class ImportContext:
    """What an importer works with during one execution of its run."""

    run: ImportRun
    caller: SourceCaller
    bar: tqdm
    budget: TimeBudget
    pages: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def parameters(self) -> dict[str, Any]:
        return self.run.parameters

    @property
    def checkpoint(self) -> dict[str, Any]:
        """Where the last committed page left the run (a copy: change it
        through ``store``)."""
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

    def store(
        self,
        records: Iterable[Record] | Callable[[], Iterable[Record]],
        *,
        checkpoint: dict[str, Any],
        locator: str,
        rejections: Sequence[Rejection] = (),
        progress: int = 1,
        after: Callable[[], None] | None = None,
        before: Callable[[], None] | None = None,
    ) -> None:
        """Write one page: ``records`` (any mix of kinds; they are upserted
        in dependency order, institutions to works), the importer's own
        ``rejections``, the run's counts and calls, ``progress`` more units
        done, and ``checkpoint`` merged into the run's, all in one
        transaction; ``after`` runs inside it too (bookkeeping of the
        importer's own), and ``before`` inside it ahead of the upserts (a
        change the records depend on, e.g. a merge of researcher rows).
        ``locator`` names the page in the rejections of the upsert. Raises
        ``StopSlice`` after committing when the time budget is spent.

        ``records`` may be a callable that builds them: it is called inside
        the transaction, after the catalog write lock is taken, so records
        built from stored rows (an arXiv preprint filling an OpenAlex work)
        read what no other import can change before they are written.

        Pages of concurrent runs are written one at a time (a transaction
        advisory lock): the upsert path picks row ids before it inserts, and
        two runs inserting the same new work at once would otherwise fail on
        its natural key. Fetching, the slow part, stays concurrent."""
        own: dict[str, list[Rejection]] = defaultdict(list)
        for rejection in rejections:
            own[rejection.entity].append(rejection)
        with transaction.atomic():
            catalog_write_lock()
            if before is not None:
                before()
            by_entity: dict[str, list[Record]] = defaultdict(list)
            for record in records() if callable(records) else records:
                by_entity[ENTITY_OF[type(record)]].append(record)
            for entity in ENTITIES:
                batch = by_entity.get(entity, [])
                if not batch and not own.get(entity):
                    continue
                result = upsert_records(batch)
                located = [
                    (r.locator, r.reason, r.excerpt) for r in own.get(entity, [])
                ] + [
                    (f"{locator} #{index + 1}", reason, _excerpt(batch[index]))
                    for index, reason in result.rejected
                ]
                self.run.checkpoint.update(checkpoint)
                import_run_record_batch(
                    self.run,
                    entity=entity,
                    result=result,
                    rejections=located,
                    lines=0,
                )
            if after is not None:
                after()
            self.run.checkpoint.update(checkpoint)
            self.run.progress_done += progress
            self.run.save(update_fields=["checkpoint", "calls", "progress_done"])
        self.pages += 1
        self.budget.batches += 1
        self.bar.update(progress)
        if self.budget.is_spent():
            raise StopSlice

    def set_total(self, total: int | None) -> None:
        """The progress bar's and the admin's total, in the importer's units."""
        self.run.progress_total = total
        self.run.save(update_fields=["progress_total"])
        self.bar.total = total
        self.bar.refresh()

    def warn(self, message: str) -> None:
        logger.warning("import run %s: %s", self.run.pk, message)
        warnings = self.run.checkpoint.setdefault("warnings", [])
        if message not in warnings:
            warnings.append(message)
        self.warnings.append(message)


def _excerpt(record: Record) -> str:
    return repr(record)[:500]


def live_import_create(*, source: str, parameters: dict[str, Any]) -> ImportRun:
    """A new run of ``source`` with ``parameters``, pending until executed."""
    if source not in IMPORTERS:
        raise ValueError(f"no importer for source {source!r}")
    return ImportRun.objects.create(
        source=source, parameters=parameters, status=ImportRun.Status.PENDING
    )


def live_import_rerun(run: ImportRun) -> ImportRun:
    """A new pending run with the same source and parameters as ``run``."""
    return live_import_create(source=run.source, parameters=dict(run.parameters))


def caller_for(source: str) -> SourceCaller:
    from django.conf import settings

    interval = {
        "openalex-api": settings.OPENALEX_MIN_INTERVAL,
        "arxiv": settings.ARXIV_MIN_INTERVAL,
    }.get(source, 1.0)
    return SourceCaller(source, interval=interval)


def live_import_execute(
    run: ImportRun,
    *,
    progress: bool = True,
    time_budget: float | None = None,
    sync_trust: bool = False,
) -> ImportRun:
    """Run ``run`` from its checkpoint (from the start when it has none) and
    return it: ``succeeded``, ``failed`` with the reason (what was committed
    stays), or still ``running`` when ``time_budget`` seconds ran out (the
    next call resumes it). A run already succeeded is returned as it is.

    Raises ``ImportRunBusy`` when another process runs it, and ``ValueError``
    for a run that is not a live import."""
    if run.source not in IMPORTERS:
        raise ValueError(f"run {run.pk} is a {run.source} run, not a live import")
    importer = import_string(IMPORTERS[run.source])
    with import_run_lock(run):
        run.refresh_from_db()
        if run.status == ImportRun.Status.SUCCEEDED:
            return run
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
        )
        try:
            importer(context)
            # Inside the lock and before the run counts as succeeded: a
            # finish that fails leaves the run failed, and resuming it (its
            # checkpoint is at the end) runs the finish again.
            live_import_finish(run, sync_trust=sync_trust)
        except (StopSlice, SoftTimeLimitExceeded):
            # The page in flight rolled back; the checkpoint is after the
            # last committed one, where the next slice starts.
            _save_progress_notes(run)
            return run
        except SourceError as exc:
            logger.error("import run %s failed: %s", run.pk, exc.reason)
            _fail(run, exc.reason, sync_trust=sync_trust)
            return run
        except Exception as exc:
            logger.exception("import run %s failed", run.pk)
            _fail(run, f"{type(exc).__name__}: {exc}", sync_trust=sync_trust)
            return run
        except BaseException:
            # Interrupted (Ctrl-C, worker shutdown): record it, then stop.
            _save_progress_notes(run)
            import_run_fail(run, "interrupted")
            raise
        finally:
            bar.close()
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.SUCCEEDED, finished_at=Now(), calls=run.calls
        )
        run.refresh_from_db()
    return run


def _save_progress_notes(run: ImportRun) -> None:
    """What the run learnt on a page that never committed still counts: its
    calls, and its warnings (kept in the checkpoint)."""
    warnings = run.checkpoint.get("warnings")
    stored = ImportRun.objects.filter(pk=run.pk).values_list("checkpoint", flat=True)
    checkpoint = dict(stored.first() or {})
    if warnings:
        checkpoint["warnings"] = warnings
    ImportRun.objects.filter(pk=run.pk).update(calls=run.calls, checkpoint=checkpoint)


def _fail(run: ImportRun, reason: str, *, sync_trust: bool) -> None:
    """Mark the run failed with ``reason``, keeping its calls and warnings;
    what its committed pages stored is grouped and its trust recomputed all
    the same (a failed run may have stored most of an author)."""
    _save_progress_notes(run)
    import_run_fail(run, reason)
    try:
        live_import_finish(run, sync_trust=sync_trust)
    except Exception:
        logger.exception("import run %s: finishing what it stored failed", run.pk)


def live_import_finish(run: ImportRun, *, sync_trust: bool = False) -> None:
    """After a run (at its end, or after it failed): group the versions of
    the works it changed (batches committed one by one, before the trust that
    counts them), then recompute the trust of the researchers it touched
    (enqueued, or here with ``sync_trust``). Idempotent."""
    from works.services import import_run_trust_refresh
    from works.versions import versions_group

    if run.started_at is not None:
        versions_group(since=run.started_at)
    with transaction.atomic():
        import_run_trust_refresh(run=run, sync=sync_trust)
