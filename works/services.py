"""Writes of the catalog: import runs, and the OpenAlex snapshot load that
streams part files through the one upsert path (``works.ingest.upsert``),
applies the snapshot's merged ids and groups the versions of what it loaded."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.functions import Now
from tqdm import tqdm

from profiles.models import Researcher

from .ingest.merged_ids import (
    MergedIdsBatch,
    MergedIdsFile,
    merged_ids_files,
    read_merged_ids,
)
from .ingest.records import ENTITIES
from .ingest.runs import (
    OUTCOMES,
    PlannerStatistics,
    TimeBudget,
    catalog_write_lock,
    import_run_fail,
    import_run_lock,
    import_run_record_batch,
    import_run_warn,
)
from .ingest.snapshot import (
    Batch,
    PartFile,
    SnapshotPlan,
    count_records,
    read_batches,
    snapshot_plan,
)
from .ingest.upsert import UpsertResult, upsert_records
from .merges import merges_apply
from .models import Authorship, ImportRun, RejectedRecord
from .versions import versions_changed_batches, versions_group_ids

logger = logging.getLogger(__name__)

SNAPSHOT_SOURCE = "openalex-snapshot"
# Must equal profiles.selectors.SAMPLE_DATA_CACHE_KEY (a test checks it);
# spelled out because works does not import the pages' selectors.
SAMPLE_DATA_CACHE_KEY = "site:shows-sample-data"
BATCH_SIZE = 5000


def import_run_start(*, source: str, parameters: dict[str, Any]) -> ImportRun:
    """Create an import run in status ``running``. ``started_at`` is the
    database's clock, the same clock that stamps ``updated_at`` on the rows
    the run writes, so "rows changed by this run" is a comparison between
    them."""
    run = ImportRun.objects.create(
        source=source,
        parameters=parameters,
        status=ImportRun.Status.RUNNING,
        started_at=Now(),
    )
    run.refresh_from_db(fields=["started_at"])
    return run


def _resume(run: ImportRun, *, path: str, entity: str | None) -> None:
    if run.source != SNAPSHOT_SOURCE:
        raise ValueError(f"run {run.pk} is a {run.source} run, not a snapshot load")
    if run.parameters.get("path") != path:
        raise ValueError(f"run {run.pk} loaded {run.parameters.get('path')}")
    if run.parameters.get("entity") != entity:
        raise ValueError(f"run {run.pk} loaded entity {run.parameters.get('entity')}")
    # started_at stays: the rows written before the interruption belong to
    # the run too (see import_run_touched_researcher_ids).
    run.status = ImportRun.Status.RUNNING
    run.error = ""
    run.finished_at = None
    run.save(update_fields=["status", "error", "finished_at"])


def _rejections(batch: Batch, result: UpsertResult) -> list[tuple[str, str, str]]:
    """The batch's rejected lines, the adapter's and the upsert's, in line
    order, as (locator, reason, excerpt)."""
    located = [*batch.rejected] + [
        (batch.line_numbers[index], reason, batch.excerpts[index])
        for index, reason in result.rejected
    ]
    return [
        (f"{batch.part.relative}:{line}", reason, excerpt)
        for line, reason, excerpt in sorted(located)
    ]


def _finish_file(run: ImportRun, part: PartFile, records: int) -> None:
    if part.expected_records is not None and part.expected_records != records:
        import_run_warn(
            run,
            f"{part.relative}: the manifest lists {part.expected_records} "
            f"records, the file holds {records}",
        )
    files_done = run.checkpoint.get("files_done", [])
    run.checkpoint["files_done"] = [*files_done, part.relative]
    for key in ("file", "lines_done", "records_done"):
        run.checkpoint.pop(key, None)
    run.save(update_fields=["checkpoint"])


def _load_file(
    run: ImportRun,
    part: PartFile,
    *,
    batch_size: int,
    bar: tqdm,
    budget: TimeBudget,
    statistics: PlannerStatistics,
) -> bool:
    """Load one part file from where the checkpoint left it; False when the
    time budget ran out first."""
    resumed = run.checkpoint.get("file") == part.relative
    records = run.checkpoint.get("records_done", 0) if resumed else 0
    skip = run.checkpoint.get("lines_done", 0) if resumed else 0
    for batch in read_batches(part, batch_size=batch_size, skip_lines=skip):
        if budget.is_spent():
            return False  # this batch was read, not written: the next slice's
        records += batch.size
        with transaction.atomic():
            catalog_write_lock()
            result = upsert_records(batch.records)
            run.checkpoint.update(
                file=part.relative, lines_done=batch.last_line, records_done=records
            )
            import_run_record_batch(
                run,
                entity=part.entity,
                result=result,
                rejections=_rejections(batch, result),
                lines=batch.size,
            )
        statistics.grown(entity=part.entity, created=result.created)
        budget.batches += 1
        bar.update(batch.size)
    _finish_file(run, part, records)
    return True


def _record_merges(run: ImportRun, batch: MergedIdsBatch, *, applied: int) -> None:
    """One batch of merged ids on the run's row: its rejected lines, the
    merges applied (``counts["merged_ids"]``) and the checkpoint."""
    file = batch.file
    RejectedRecord.objects.bulk_create(
        RejectedRecord(
            run=run,
            entity=f"merged_ids/{file.entity}",
            locator=f"{file.relative}:{line}",
            reason=reason,
            excerpt=excerpt,
        )
        for line, reason, excerpt in batch.rejected
    )
    merged = run.counts.setdefault("merged_ids", {})
    merged[file.entity] = merged.get(file.entity, 0) + applied
    run.rejected_count += len(batch.rejected)
    run.checkpoint.update(merged_file=file.relative, merged_lines_done=batch.last_line)
    run.save(update_fields=["counts", "rejected_count", "checkpoint"])


def _apply_merged_ids(
    run: ImportRun,
    files: list[MergedIdsFile],
    *,
    batch_size: int,
    budget: TimeBudget,
) -> bool:
    """Apply the snapshot's merged ids once every part file is loaded (the
    survivors are stored by then), file by file (``merged_done`` in the
    checkpoint) and batch by batch, each batch committed with its
    bookkeeping; False when the time budget ran out first."""
    for file in files:
        done = run.checkpoint.get("merged_done", [])
        if file.relative in done:
            continue
        resumed = run.checkpoint.get("merged_file") == file.relative
        skip = run.checkpoint.get("merged_lines_done", 0) if resumed else 0
        for batch in read_merged_ids(file, batch_size=batch_size, skip_lines=skip):
            if budget.is_spent():
                return False
            with transaction.atomic():
                applied = merges_apply(entity=file.entity, pairs=batch.pairs)
                _record_merges(run, batch, applied=applied)
            budget.batches += 1
        run.checkpoint["merged_done"] = [*done, file.relative]
        for key in ("merged_file", "merged_lines_done"):
            run.checkpoint.pop(key, None)
        run.save(update_fields=["checkpoint"])
    return True


def _group_versions(run: ImportRun, *, budget: TimeBudget) -> bool:
    """Group the versions of the works the run changed (``works.versions``),
    a batch at a time, each batch committed with the checkpoint
    (``versions_after_id``), so a resumed run goes on from there; False when
    the time budget ran out first. The checkpoint key goes once done."""
    after_id = run.checkpoint.get("versions_after_id", 0)
    for work_ids in versions_changed_batches(since=run.started_at, after_id=after_id):
        if budget.is_spent():
            return False
        with transaction.atomic():
            versions_group_ids(work_ids=work_ids)
            run.checkpoint["versions_after_id"] = work_ids[-1]
            run.save(update_fields=["checkpoint"])
        budget.batches += 1
    if run.checkpoint.pop("versions_after_id", None) is not None:
        run.save(update_fields=["checkpoint"])
    return True


def snapshot_load(
    *,
    path: str | Path,
    run: ImportRun | None = None,
    sample: bool = False,
    progress: bool = True,
    entity: str | None = None,
    batch_size: int = BATCH_SIZE,
    time_budget: float | None = None,
) -> ImportRun:
    """Load the OpenAlex snapshot at ``path`` (a root, an entity folder or one
    part file; ``entity`` limits a root or names a loose file's entity) and
    return its ``ImportRun``: a new one, or ``run`` resumed from its
    checkpoint.

    Side effects: upserts the catalog batch by batch (``batch_size`` lines),
    each batch in its own transaction together with its ``RejectedRecord``
    rows, the run's counts (total and per entity in ``counts``), its progress
    (lines) and its checkpoint (``files_done``, plus the line reached in the
    current file). A crash loses at most the batch in flight, and resuming
    the run continues exactly there. Manifest count mismatches are logged and
    kept in ``checkpoint["warnings"]``. Once every file is loaded, the
    merges a snapshot root lists in ``merged_ids/`` are applied to the
    records we hold (``works.merges.merges_apply``), then the versions of the
    works the run changed are grouped (``works.versions``), each step with
    a checkpoint of its own. On success the run is ``succeeded``
    and the sample-data cache key is cleared; on an error it is ``failed``
    with the error, and is returned all the same. With ``time_budget``
    (seconds) the load stops at the first batch boundary past it (after one
    batch at least) and returns the run still ``running``, for the next
    slice to resume (Celery time limits).

    Idempotent: loading the same files again writes nothing and counts every
    record unchanged. A progress bar is drawn when ``progress`` and stderr is
    a terminal.

    Raises, before writing anything: ``FileNotFoundError`` or ``ValueError``
    for a path it cannot load or a run it cannot resume, ``ImportRunBusy``
    when another process is loading ``run``.
    """
    plan = snapshot_plan(path, entity=entity)
    merged = merged_ids_files(path, entity=entity) if Path(path).is_dir() else []
    resolved = str(Path(path).resolve())
    resumed = run is not None
    if run is None:
        parameters: dict[str, Any] = {"path": resolved, "sample": sample}
        if entity:
            parameters["entity"] = entity
        run = import_run_start(source=SNAPSHOT_SOURCE, parameters=parameters)
    with import_run_lock(run):
        if resumed:
            _resume(run, path=resolved, entity=entity)
        return _load_plan(
            run,
            plan,
            merged,
            batch_size=batch_size,
            budget=TimeBudget(time_budget),
            progress=progress,
        )


def _load_plan(
    run: ImportRun,
    plan: SnapshotPlan,
    merged: list[MergedIdsFile],
    *,
    batch_size: int,
    budget: TimeBudget,
    progress: bool,
) -> ImportRun:
    for message in plan.warnings:
        import_run_warn(run, message)
    statistics = PlannerStatistics(batch_size=batch_size)
    bar = None
    try:
        run.progress_total = sum(
            part.expected_records
            if part.expected_records is not None
            else count_records(part)
            for part in plan.files
        )
        run.save(update_fields=["progress_total", "checkpoint"])
        done = set(run.checkpoint.get("files_done", []))
        bar = tqdm(
            total=run.progress_total,
            initial=run.progress_done,
            unit=" records",
            disable=not (progress and sys.stderr.isatty()),
        )
        for part in plan.files:
            if part.relative in done:
                continue
            bar.set_description(part.relative)
            if not _load_file(
                run,
                part,
                batch_size=batch_size,
                bar=bar,
                budget=budget,
                statistics=statistics,
            ):
                return run
        if not _apply_merged_ids(run, merged, batch_size=batch_size, budget=budget):
            return run
        if not _group_versions(run, budget=budget):
            return run
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.SUCCEEDED, finished_at=Now()
        )
    except Exception as exc:
        logger.exception("import run %s failed", run.pk)
        import_run_fail(run, f"{type(exc).__name__}: {exc}")
        return run
    except BaseException:
        # Interrupted (Ctrl-C, worker shutdown): record it, then let it stop us.
        import_run_fail(run, "interrupted")
        raise
    finally:
        if bar is not None:
            bar.close()
    run.refresh_from_db()
    cache.delete(SAMPLE_DATA_CACHE_KEY)
    return run


def import_run_touched_researcher_ids(
    *, run: ImportRun, chunk_size: int = 1000
) -> Iterator[list[int]]:
    """Ids of the researchers whose trust inputs ``run`` may have changed,
    ``chunk_size`` at a time: researchers whose row changed since the run
    started, and the authors of works whose row or authorships or topics
    changed since then (the upsert stamps ``updated_at`` only on a change).

    Scales to a full snapshot: the ids are never held in memory or on the
    run row but streamed from a server-side cursor, in two scans keyed on
    ``updated_at``. It over-reports (a row changed by someone else meanwhile
    is included, harmlessly) and misses one case: a researcher dropped from a
    work's byline is recomputed at the next full recompute, not now.
    """
    if run.started_at is None:
        return
    changed = Researcher.objects.filter(updated_at__gte=run.started_at)
    authors = Authorship.objects.filter(
        work__updated_at__gte=run.started_at, researcher__isnull=False
    )
    # UNION removes duplicates by sorting or hashing anyway; ordering the
    # result costs little more and gives each chunk a contiguous id range.
    ids = (
        changed.order_by()
        .values_list("id", flat=True)
        .union(authors.order_by().values_list("researcher_id", flat=True))
        .order_by("id")
    )
    chunk: list[int] = []
    for researcher_id in ids.iterator(chunk_size=chunk_size):
        chunk.append(researcher_id)
        if len(chunk) == chunk_size:
            yield sorted(chunk)
            chunk = []
    if chunk:
        yield sorted(chunk)


def import_run_trust_refresh(
    *, run: ImportRun, sync: bool = False, chunk_size: int = 1000
) -> int:
    """Recompute the trust of the researchers ``run`` touched and return how
    many ids were handed on: enqueued as ``profiles.researcher_trust_recompute``
    tasks of ``chunk_size`` ids each (after the current transaction commits),
    or with ``sync`` computed in this process. Idempotent: recomputing an
    unchanged researcher stores the same score."""
    from profiles.services import researcher_trust_update
    from profiles.tasks import researcher_trust_recompute

    handed_on = 0
    for chunk in import_run_touched_researcher_ids(run=run, chunk_size=chunk_size):
        if sync:
            researcher_trust_update(researcher_ids=chunk)
        else:
            transaction.on_commit(
                lambda ids=chunk: researcher_trust_recompute.delay(ids)
            )
        handed_on += len(chunk)
    return handed_on


def snapshot_counts(*, run: ImportRun) -> dict[str, dict[str, int]]:
    """Per-entity outcome counts of a run, in load order, zeros included."""
    return {
        entity: {name: run.counts.get(entity, {}).get(name, 0) for name in OUTCOMES}
        for entity in ENTITIES
        if entity in run.counts
    }
