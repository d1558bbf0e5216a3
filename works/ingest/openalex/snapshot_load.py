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
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from profiles.models import Researcher
from works.ingest.driver import ImportContext, Located
from works.ingest.openalex.merged_ids import (
    MergedIdsBatch,
    MergedIdsFile,
    merged_ids_files,
    read_merged_ids,
)
from works.ingest.openalex.snapshot import (
    Batch,
    PartFile,
    count_records,
    read_batches,
    snapshot_plan,
)
from works.ingest.upsert import UpsertResult
from works.merges import merges_apply
from works.models import RejectedRecord


def snapshot_import(context: ImportContext) -> None:
    """Load the run's snapshot path from its checkpoint (see the module
    docstring). Raises ``FileNotFoundError`` or ``ValueError`` for a path it
    cannot load (the driver fails the run with it)."""
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
    for part in plan.files:
        if part.relative not in done:
            context.describe(part.relative)
            _load_file(context, part)
    for file in merged:
        if file.relative not in context.checkpoint.get("merged_done", []):
            _apply_merged_ids(context, file)


def _load_file(context: ImportContext, part: PartFile) -> None:
    """One part file from where the checkpoint left it, a batch a page."""
    checkpoint = context.checkpoint
    resumed = checkpoint.get("file") == part.relative
    records = checkpoint.get("records_done", 0) if resumed else 0
    skip = checkpoint.get("lines_done", 0) if resumed else 0
    for batch in read_batches(part, batch_size=context.batch_size, skip_lines=skip):
        # Asked before each batch: a batch read and not written costs only
        # the reading, and the file is finished in the slice that wrote its
        # last batch.
        context.stop_if_spent()
        records += batch.size
        context.store(
            batch.records,
            entity=part.entity,
            after=_sample_marker(context, batch),
            checkpoint={
                "file": part.relative,
                "lines_done": batch.last_line,
                "records_done": records,
            },
            locate=lambda _records, result, batch=batch: _rejections(batch, result),
            progress=batch.size,
            stop_after=False,
        )
    if part.expected_records is not None and part.expected_records != records:
        context.warn(
            f"{part.relative}: the manifest lists {part.expected_records} "
            f"records, the file holds {records}"
        )
    files_done = [*context.checkpoint.get("files_done", []), part.relative]
    for key in ("file", "lines_done", "records_done"):
        context.run.checkpoint.pop(key, None)
    context.run.checkpoint["files_done"] = files_done
    context.run.save(update_fields=["checkpoint"])


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
