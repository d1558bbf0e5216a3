"""The OpenAlex snapshot importer (``ImportRun.Source.OPENALEX_SNAPSHOT``): the
part files a run's ``parameters`` name (``path``, optionally ``entity``), read
a batch at a time (``works.ingest.openalex.snapshot``) and stored through
the driver's ``ImportContext.store`` (the bundled sample's researchers marked
``is_sample``); then, for a snapshot root, the merges
listed in ``merged_ids/`` applied to what we hold (``works.merges``).

The checkpoint says where a resumed run starts: ``files_done``, then the
file in progress with the lines and records done in it (``file``,
``lines_done``, ``records_done``); for merged ids ``merged_done``, then
``merged_file`` and ``merged_lines_done``. Progress counts records (lines),
and a manifest whose count disagrees with its file is a warning of the run.

A run fanned out over workers (``parameters["fan_out"]``, see
``works.fan_out``) has its part files loaded by tasks of their own, each
through ``part_file_store`` with a checkpoint of its own (an
``ImportRunPart``). Its importer runs once they are all done: it sums the
parts' counts into the run's, then applies the merged ids as above; a part
that failed fails the run (``SnapshotPartsUnfinished``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from profiles.models import Researcher
from works.ingest.driver import ImportContext, Located
from works.ingest.openalex.merged_ids import (
    MergedIdsBatch,
    MergedIdsFile,
    merged_ids_files,
    read_merged_ids,
)
from works.ingest.openalex.read_ahead import ReadAhead
from works.ingest.openalex.snapshot import (
    Batch,
    PartFile,
    count_records,
    read_ahead_start,
    read_batches,
    snapshot_plan,
)
from works.ingest.records import ENTITIES
from works.ingest.runs import FILES_SKIPPED, OUTCOMES, import_run_record_batch
from works.ingest.upsert import UpsertResult
from works.merges import merges_apply
from works.models import ImportRunPart, RejectedRecord, SnapshotPartLoad

logger = logging.getLogger(__name__)

# The run parameter that marks a run fanned out over workers.
FAN_OUT = "fan_out"
# Set in the checkpoint of a fanned-out run once its parts' counts are summed
# into the run's: the merged ids' pages add theirs after.
PARTS_COUNTED = "parts_counted"


class SnapshotPartsUnfinished(Exception):
    """A fanned-out run's importer ran while some of its part files are not
    loaded (one failed): the run fails with the message."""


def snapshot_import(context: ImportContext) -> None:
    """Load the run's snapshot path from its checkpoint (see the module
    docstring). Raises ``FileNotFoundError`` or ``ValueError`` for a path it
    cannot load (the driver fails the run with it)."""
    path = context.parameters["path"]
    entity = context.parameters.get("entity")
    if context.parameters.get(FAN_OUT):
        _parts_sum(context)
        merged = merged_ids_files(path, entity=entity) if Path(path).is_dir() else []
    else:
        merged = _files_load(context)
    for file in merged:
        if file.relative not in context.checkpoint.get("merged_done", []):
            _apply_merged_ids(context, file)


def _files_load(context: ImportContext) -> list[MergedIdsFile]:
    """The in-process load of every part file the checkpoint has not done;
    returns the merged-ids files to apply after them."""
    path = context.parameters["path"]
    entity = context.parameters.get("entity")
    plan = snapshot_plan(path, entity=entity)
    merged = merged_ids_files(path, entity=entity) if Path(path).is_dir() else []
    for message in plan.warnings:
        context.warn(message)
    context.set_total(
        sum(
            part.expected_records
            if part.expected_records is not None
            else count_records(part)
            for part in plan.files
        ),
        unit=" records",
    )
    done = set(context.checkpoint.get("files_done", []))
    todo = [part for part in plan.files if part.relative not in done]
    with contextlib.ExitStack() as children:
        ahead = None
        for index, part in enumerate(todo):
            context.describe(part.relative)
            current, ahead = ahead, None
            if index + 1 < len(todo) and not _last_load_matching(
                context, todo[index + 1]
            ):
                # The next file's first batch parsed while this one is written.
                ahead = read_ahead_start(todo[index + 1], batch_size=context.batch_size)
                if ahead is not None:
                    children.callback(ahead.close)
            _load_file(context, part, ahead=current)
    return merged


def _load_file(
    context: ImportContext, part: PartFile, *, ahead: ReadAhead[Batch] | None
) -> None:
    """One part file from where the checkpoint left it, a batch a page
    (``ahead``: a child already reading it from its first line)."""
    checkpoint = context.checkpoint
    resumed = checkpoint.get("file") == part.relative
    part_file_store(
        context,
        part,
        skip_lines=checkpoint.get("lines_done", 0) if resumed else 0,
        records_done=checkpoint.get("records_done", 0) if resumed else 0,
        checkpoint=lambda lines, records: {
            "file": part.relative,
            "lines_done": lines,
            "records_done": records,
        },
        ahead=None if resumed else ahead,
    )
    files_done = [*context.checkpoint.get("files_done", []), part.relative]
    for key in ("file", "lines_done", "records_done"):
        context.run.checkpoint.pop(key, None)
    context.run.checkpoint["files_done"] = files_done
    context.run.save(update_fields=["checkpoint"])


def part_file_store(
    context: ImportContext,
    part: PartFile,
    *,
    skip_lines: int,
    records_done: int,
    checkpoint: Callable[[int, int], dict[str, Any]],
    ahead: ReadAhead[Batch] | None = None,
) -> None:
    """Store ``part`` from the line after ``skip_lines`` (of which
    ``records_done`` records), a batch a page through ``context.store``,
    each page committed with ``checkpoint(lines_done, records_done)``; warn
    when the file holds another count than its manifest lists. The one loop
    of both ways to load a snapshot: the in-process importer and a part
    task (``works.ingest.openalex.snapshot_parts``). Raises ``StopSlice``
    before a batch when the context's time budget is spent. ``ahead`` is a
    child already reading the file from its first line
    (``read_ahead_start``)."""
    if skip_lines == 0 and _skipped_unchanged(context, part, checkpoint):
        return
    records = records_done
    lines = skip_lines
    rejected = 0
    for batch in read_batches(
        part,
        batch_size=context.batch_size,
        skip_lines=skip_lines,
        ahead=ahead if skip_lines == 0 else None,
    ):
        # Asked before each batch: a batch read and not written costs only
        # the reading, and the file is finished in the slice that wrote its
        # last batch.
        context.stop_if_spent()
        records += batch.size
        located: Located = []

        def locate(_records, result, batch=batch, located=located) -> Located:
            located += _rejections(batch, result)
            return located

        context.store(
            batch.records,
            entity=part.entity,
            after=_sample_marker(context, batch),
            checkpoint=checkpoint(batch.last_line, records),
            locate=locate,
            progress=batch.size,
            stop_after=False,
        )
        lines = batch.last_line
        rejected += len(located)
    if part.expected_records is not None and part.expected_records != records:
        context.warn(
            f"{part.relative}: the manifest lists {part.expected_records} "
            f"records, the file holds {records}"
        )
    elif part.expected_records is not None and skip_lines == 0:
        # Loaded whole in this run: what a later run compares the file with.
        # (Rejections of a resumed file's first slices are not counted here,
        # so such a file is read again next time.)
        _loaded_whole(context, part, lines=lines, rejected=rejected)


def _file_state(part: PartFile) -> tuple[str, int, int]:
    """The file's resolved path, size and modification time (ns)."""
    stat = part.path.stat()
    return str(part.path.resolve()), stat.st_size, stat.st_mtime_ns


def _skipped_unchanged(
    context: ImportContext,
    part: PartFile,
    checkpoint: Callable[[int, int], dict[str, Any]],
) -> bool:
    """Skip ``part`` when it is the file last loaded whole (its manifest's
    record count, its size and modification time unchanged: see
    ``SnapshotPartLoad``), unless the run reads every file
    (``parameters["full"]``): its records count as unchanged, its lines
    rejected then as listed on that run, in one page with its checkpoint at
    the file's end. True when skipped."""
    last = _last_load_matching(context, part)
    if last is None:
        return False
    unchanged = last.records - last.rejected
    with context.page(
        checkpoint=checkpoint(last.lines, last.records),
        progress=last.records,
        stop_after=False,
    ):
        import_run_record_batch(
            context.run,
            entity=part.entity,
            result=UpsertResult(unchanged=unchanged),
            rejections=[],
        )
        context.file_skipped()
    where = f"import run {last.run_id}" if last.run_id else "an earlier run"
    rejected = f", {last.rejected} rejected line(s) listed there" * bool(last.rejected)
    logger.info(
        "%s: unchanged since %s (%d records%s): skipped",
        part.relative,
        where,
        last.records,
        rejected,
    )
    return True


def _last_load_matching(
    context: ImportContext, part: PartFile
) -> SnapshotPartLoad | None:
    """The last complete load of ``part`` when the file is still as it was
    then and the run may skip it; else None."""
    if part.expected_records is None or context.parameters.get("full"):
        return None
    path, size, modified_ns = _file_state(part)
    return SnapshotPartLoad.objects.filter(
        path=path, size=size, modified_ns=modified_ns, records=part.expected_records
    ).first()


def _loaded_whole(
    context: ImportContext, part: PartFile, *, lines: int, rejected: int
) -> None:
    path, size, modified_ns = _file_state(part)
    SnapshotPartLoad.objects.update_or_create(
        path=path,
        defaults={
            "size": size,
            "modified_ns": modified_ns,
            "records": part.expected_records,
            "lines": lines,
            "rejected": rejected,
            "run": context.run if context.run.pk else None,
        },
    )


def _parts_sum(context: ImportContext) -> None:
    """A fanned-out run's counts from its parts': per entity and in all,
    with their warnings; raises ``SnapshotPartsUnfinished`` while a part is
    not loaded. Once every part is, the sum is marked done
    (``PARTS_COUNTED``) so that a resumed run does not count the merged ids'
    pages over again."""
    run = context.run
    if not run.checkpoint.get(PARTS_COUNTED):
        parts = list(ImportRunPart.objects.filter(run=run).order_by("position"))
        counts = {
            key: value for key, value in run.counts.items() if key not in ENTITIES
        }
        for name in OUTCOMES:
            setattr(run, f"{name}_count", 0)
        warnings = run.checkpoint.setdefault("warnings", [])
        skipped = sum(part.skipped for part in parts)
        if skipped:
            run.checkpoint[FILES_SKIPPED] = skipped
        for part in parts:
            entity = counts.setdefault(part.entity, dict.fromkeys(OUTCOMES, 0))
            for name in OUTCOMES:
                value = getattr(part, f"{name}_count")
                entity[name] += value
                setattr(run, f"{name}_count", getattr(run, f"{name}_count") + value)
            warnings += [w for w in part.warnings if w not in warnings]
        run.counts = counts
        if all(part.status == ImportRunPart.Status.SUCCEEDED for part in parts):
            run.checkpoint[PARTS_COUNTED] = True
        run.save(
            update_fields=[
                "counts",
                "checkpoint",
                *(f"{name}_count" for name in OUTCOMES),
            ]
        )
    unfinished = ImportRunPart.objects.filter(run=run).exclude(
        status=ImportRunPart.Status.SUCCEEDED
    )
    if unfinished.exists():
        failed = unfinished.filter(status=ImportRunPart.Status.FAILED).first()
        reason = f": {failed.path}: {failed.error}" if failed else ""
        raise SnapshotPartsUnfinished(
            f"{unfinished.count()} part file(s) not loaded{reason}"
        )


def _sample_marker(context: ImportContext, batch: Batch) -> Callable[[], None] | None:
    """For a load of the bundled sample (``parameters["sample"]``), what marks
    the batch's researchers ``is_sample`` in the page's transaction: the
    refresh job leaves them alone (fictional people whose ids look like
    OpenAlex's), and they can be told from imported ones."""
    if not context.parameters.get("sample") or batch.part.entity != "authors":
        return None
    ids = [record.openalex_id for record in batch.records]

    def mark() -> None:
        Researcher.objects.filter(openalex_id__in=ids, is_sample=False).update(
            is_sample=True
        )

    return mark


def _rejections(batch: Batch, result: UpsertResult) -> Located:
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


def _apply_merged_ids(context: ImportContext, file: MergedIdsFile) -> None:
    """Apply one merged-ids file once every part file is loaded (the
    survivors are stored by then), batch by batch, each batch a page with
    its rejected lines and the merges applied (``counts["merged_ids"]``)."""
    checkpoint = context.checkpoint
    resumed = checkpoint.get("merged_file") == file.relative
    skip = checkpoint.get("merged_lines_done", 0) if resumed else 0
    for batch in read_merged_ids(file, batch_size=context.batch_size, skip_lines=skip):
        context.stop_if_spent()
        with context.page(
            checkpoint={
                "merged_file": file.relative,
                "merged_lines_done": batch.last_line,
            },
            stop_after=False,
        ):
            applied = merges_apply(entity=file.entity, pairs=batch.pairs)
            _record_merges(context, batch, applied=applied)
    done = [*context.checkpoint.get("merged_done", []), file.relative]
    for key in ("merged_file", "merged_lines_done"):
        context.run.checkpoint.pop(key, None)
    context.run.checkpoint["merged_done"] = done
    context.run.save(update_fields=["checkpoint"])


def _record_merges(
    context: ImportContext, batch: MergedIdsBatch, *, applied: int
) -> None:
    """One batch of merged ids on the run: its rejected lines and the merges
    applied, saved with the page."""
    run = context.run
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
