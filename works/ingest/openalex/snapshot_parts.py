"""One part file of a snapshot run fanned out over workers
(``works.fan_out``): which files a run is cut into and in which stages, and
the load of one of them by a task of its own, from its own checkpoint,
through the same store path as the in-process importer
(``part_file_store`` → ``ImportContext.store`` → the one upsert path).

``PartContext`` is the ``ImportContext`` of one part. Its pages commit the
part's bookkeeping on the part's row (checkpoint, counts, warnings) and add
their counts and progress to the run's row as increments: several parts of
one run commit pages at once, so none may save the run's row whole. Its
``run`` is the run's row used as the part's ledger, its counts starting at
the part's committed ones; it is never saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from tqdm import tqdm

from works.ingest.driver import BATCH_SIZE, ImportContext, StopSlice, caller_for
from works.ingest.openalex.snapshot import (
    PartFile,
    count_records,
    snapshot_plan,
)
from works.ingest.openalex.snapshot_load import part_file_store
from works.ingest.runs import (
    OUTCOMES,
    SharedPlannerStatistics,
    TimeBudget,
    catalog_write_lock,
    import_run_part_record_page,
)
from works.models import ImportRun, ImportRunPart

# The run parameter holding the lines a part's page stores (when not the
# driver's ``BATCH_SIZE``), so that every part of a run pages alike.
BATCH_SIZE_PARAMETER = "batch_size"
# The stage of each entity: a stage starts once every part of the stages
# before it is loaded. Institutions, sources and topics reference nothing we
# store; authors reference institutions and topics; works all of them (the
# order of ``snapshot_plan``, which the in-process load follows file by
# file). Merged ids come after the last stage, in the run's own step.
STAGE_OF: dict[str, int] = {
    "institutions": 0,
    "sources": 0,
    "topics": 0,
    "authors": 1,
    "works": 2,
}


@dataclass(frozen=True)
class PlannedPart:
    file: PartFile
    stage: int
    records_total: int


def snapshot_parts_plan(
    path: str, *, entity: str | None = None
) -> tuple[list[PlannedPart], list[str]]:
    """The part files of the snapshot at ``path`` in load order, each with
    its stage and record count (the manifest's, else counted, as the
    in-process load does), and the plan's warnings. Raises as
    ``snapshot_plan``."""
    plan = snapshot_plan(path, entity=entity)
    parts = [
        PlannedPart(
            file=file,
            stage=STAGE_OF[file.entity],
            records_total=(
                file.expected_records
                if file.expected_records is not None
                else count_records(file)
            ),
        )
        for file in plan.files
    ]
    return parts, plan.warnings


@dataclass
class PartContext(ImportContext):
    """What one part's load works with: see the module docstring."""

    part: ImportRunPart | None = None

    @contextmanager
    def page(
        self, *, checkpoint: dict[str, Any], progress: int = 0, stop_after: bool = True
    ) -> Iterator[None]:
        """One page's transaction under the catalog write lock, as
        ``ImportContext.page``, committing the part's checkpoint and counts
        with it and adding the page's to the run's row."""
        assert self.part is not None
        with transaction.atomic():
            catalog_write_lock()
            yield
            counts = self.run.counts.get(self.part.entity, {})
            import_run_part_record_page(
                self.part,
                checkpoint=checkpoint,
                counts={name: counts.get(name, 0) for name in OUTCOMES},
                progress=progress,
                warnings=self.run.checkpoint.get("warnings", []),
            )
        self.pages += 1
        self.budget.batches += 1
        self.bar.update(progress)
        if stop_after:
            self.stop_if_spent()

    def file_skipped(self) -> None:
        assert self.part is not None
        self.part.skipped = True
        self.part.save(update_fields=["skipped"])

    def set_total(self, total: int | None, *, unit: str | None = None) -> None:
        raise NotImplementedError("a part's total is planned with its run")


def part_context(
    part: ImportRunPart,
    *,
    budget: TimeBudget,
    bar: tqdm | None = None,
    batch_size: int = BATCH_SIZE,
) -> PartContext:
    """The context of ``part``'s load from its committed checkpoint: the
    run's row as its ledger, holding the part's counts and warnings."""
    run = ImportRun.objects.get(pk=part.run_id)
    run.counts = {
        part.entity: {name: getattr(part, f"{name}_count") for name in OUTCOMES}
    }
    for name in OUTCOMES:
        setattr(run, f"{name}_count", getattr(part, f"{name}_count"))
    run.checkpoint = {"warnings": list(part.warnings)}
    context = PartContext(
        run=run,
        caller=caller_for(run.source),
        bar=bar if bar is not None else tqdm(disable=True),
        budget=budget,
        batch_size=batch_size,
        part=part,
    )
    # What the other parts create meanwhile counts too.
    context.statistics = SharedPlannerStatistics(batch_size=batch_size)
    return context


def snapshot_part_load(
    part: ImportRunPart, *, budget: TimeBudget, bar: tqdm | None = None
) -> bool:
    """Load ``part``'s file from its checkpoint, a batch a page (of the
    run's ``batch_size`` lines), each page committed with the part's
    checkpoint and counts (see the module docstring); True once the file is
    done (its warnings saved), False when ``budget`` ran out first (the next
    call goes on from the checkpoint).

    Idempotent: the checkpoint moves with each committed page, so a load
    repeated after a crash writes each line once and counts it once.
    Raises ``FileNotFoundError`` when the file is no longer in the
    snapshot, and what the store path raises."""
    run = part.run
    file = _planned_file(run, part)
    batch_size = run.parameters.get(BATCH_SIZE_PARAMETER, BATCH_SIZE)
    context = part_context(part, budget=budget, bar=bar, batch_size=batch_size)
    context.describe(part.path)
    try:
        part_file_store(
            context,
            file,
            skip_lines=part.lines_done,
            records_done=part.records_done,
            checkpoint=lambda lines, records: {
                "lines_done": lines,
                "records_done": records,
            },
        )
    except StopSlice:
        return False
    warnings = context.run.checkpoint.get("warnings", [])
    if warnings != part.warnings:
        part.warnings = warnings
        part.save(update_fields=["warnings"])
    return True


def _planned_file(run: ImportRun, part: ImportRunPart) -> PartFile:
    """The ``PartFile`` of ``part`` in the run's snapshot as it is now."""
    path = run.parameters["path"]
    plan = snapshot_plan(path, entity=run.parameters.get("entity"))
    for file in plan.files:
        if file.relative == part.path:
            return file
    raise FileNotFoundError(f"{part.path} is no longer in {path}")
