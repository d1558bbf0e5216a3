"""What the import commands (``load_openalex_snapshot``, ``import_openalex``,
``import_arxiv``) share: the summary of a run; for the live imports also
``--enqueue``, ``--resume RUN_ID`` and ``--sync-trust``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from works.ingest.driver import run_execute
from works.ingest.records import ENTITIES
from works.ingest.runs import FILES_SKIPPED, ImportRunBusy, import_run_create
from works.models import ImportRun
from works.selectors import import_run_counts
from works.services import import_run_enqueue

REJECTIONS_SHOWN = 10


def write_run_summary(command: BaseCommand, run: ImportRun) -> None:
    """The run's status, its counts per entity, its API calls, warnings and
    first rejections, as a table on the command's stdout."""
    write = command.stdout.write
    write(f"Import run {run.pk} ({run.source}): {run.status}")
    header = ("entity", "created", "updated", "unchanged", "rejected")
    rows = [
        (entity, *(str(counts[name]) for name in header[1:]))
        for entity, counts in import_run_counts(run=run).items()
    ]
    rows.append(
        (
            "total",
            str(run.created_count),
            str(run.updated_count),
            str(run.unchanged_count),
            str(run.rejected_count),
        )
    )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    widths[0] = max(widths[0], max(map(len, ENTITIES)))
    for row in [header, *rows]:
        numbers = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in numbers]
        write("  ".join(cells))
    skipped = run.checkpoint.get(FILES_SKIPPED)
    if skipped:
        write(
            f"Part files skipped as unchanged since their last load: {skipped} "
            "(--full reads them again)"
        )
    if run.calls:
        calls = ", ".join(f"{n} {kind}" for kind, n in sorted(run.calls.items()))
        write(f"API calls: {sum(run.calls.values())} ({calls})")
    for warning in run.checkpoint.get("warnings", []):
        write(command.style.WARNING(f"warning: {warning}"))
    rejected = run.rejected.order_by("id")[:REJECTIONS_SHOWN]
    if rejected:
        write(f"First rejected records (of {run.rejected_count}):")
        for record in rejected:
            write(f"  {record.locator}  {record.reason}")


def report_run(command: BaseCommand, run: ImportRun) -> None:
    """The run's summary; then, unless it succeeded, a ``CommandError`` that
    says how to continue it (the command exits non-zero)."""
    write_run_summary(command, run)
    raise_unless_succeeded(run)


def raise_unless_succeeded(run: ImportRun) -> None:
    """A ``CommandError`` saying how to continue ``run``, unless it
    succeeded."""
    if run.status != ImportRun.Status.SUCCEEDED:
        raise CommandError(
            f"import run {run.pk} {run.status}: {run.error or 'stopped'}; "
            f"continue it with --resume {run.pk}"
        )


class LiveImportCommand(BaseCommand):
    """Subclasses set ``source``, add their own arguments in
    ``add_source_arguments`` and turn the options into the run's parameters
    in ``parameters`` (returning None when there is nothing to import, e.g.
    after listing search candidates)."""

    source: str = ""

    def add_source_arguments(self, parser) -> None:
        raise NotImplementedError

    def parameters(self, options: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def add_arguments(self, parser):
        self.add_source_arguments(parser)
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="hand the import to the Celery workers and print the run id",
        )
        parser.add_argument(
            "--resume",
            type=int,
            metavar="RUN_ID",
            help="continue an interrupted or failed run from its checkpoint",
        )
        parser.add_argument(
            "--sync-trust",
            action="store_true",
            help="recompute trust in this process instead of enqueuing Celery tasks",
        )

    def handle(self, *args, **options):
        if options["resume"] is not None:
            run = ImportRun.objects.filter(pk=options["resume"]).first()
            if run is None:
                raise CommandError(f"there is no import run {options['resume']}")
            if run.source != self.source:
                raise CommandError(f"import run {run.pk} is a {run.source} run")
        else:
            parameters = self.parameters(options)
            if parameters is None:
                return
            run = import_run_create(source=self.source, parameters=parameters)
        if options["enqueue"]:
            import_run_enqueue(run=run)
            self.stdout.write(
                f"Import run {run.pk} queued; follow it in the admin "
                f"(/admin/works/importrun/{run.pk}/change/)."
            )
            return
        try:
            run = run_execute(run, sync_trust=options["sync_trust"])
        except ImportRunBusy as exc:
            raise CommandError(str(exc)) from exc
        report_run(self, run)
