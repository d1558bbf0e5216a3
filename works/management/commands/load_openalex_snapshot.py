"""``manage.py load_openalex_snapshot PATH``: load an OpenAlex snapshot (or a
part of one), print what it did, and recompute the trust it may have moved.

In this process by default; with ``--workers N`` fanned out over N Celery
worker processes it starts (and stops) for the run, one task per part file,
showing the progress until the run ends; with ``--enqueue`` fanned out over
the workers already running, returning at once (``works.fan_out``)."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from works.fan_out import (
    QUEUE,
    import_run_parts_progress,
    import_run_parts_resume,
    run_is_fanned_out,
    snapshot_fan_out,
    snapshot_fan_out_interrupt,
)
from works.ingest.records import ENTITIES
from works.ingest.runs import ImportRunBusy
from works.management.import_commands import (
    raise_unless_succeeded,
    write_run_summary,
)
from works.management.local_workers import LocalWorkers
from works.models import ImportRun
from works.services import snapshot_load

# Seconds between two looks at a fanned-out run, and at least between two
# progress lines when the output is not a terminal.
POLL_SECONDS = 0.5
LINE_SECONDS = 5.0
FINISHED = (ImportRun.Status.SUCCEEDED, ImportRun.Status.FAILED)


class Command(BaseCommand):
    help = (
        "Load OpenAlex snapshot files: a snapshot root (authors/ works/ topics/ "
        "institutions/ sources/), one entity folder, or one part file. Loading "
        "again changes nothing; --resume RUN_ID continues an interrupted run. "
        "--workers N loads the part files on N worker processes started for "
        "the run; --enqueue hands them to the workers already running."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="snapshot root, entity folder or part file")
        parser.add_argument(
            "--sample",
            action="store_true",
            help="mark the run as the bundled sample dataset (shows the banner)",
        )
        parser.add_argument(
            "--resume", type=int, metavar="RUN_ID", help="continue this import run"
        )
        parser.add_argument(
            "--entity",
            choices=ENTITIES,
            help="load only this entity of a root, or name a loose file's entity",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help=(
                "read every part file, even one unchanged since its last load "
                "(same manifest count, size and time), which is skipped otherwise"
            ),
        )
        parser.add_argument(
            "--sync-trust",
            action="store_true",
            help="recompute trust in this process instead of enqueuing Celery tasks",
        )
        fan_out = parser.add_mutually_exclusive_group()
        fan_out.add_argument(
            "--workers",
            type=int,
            metavar="N",
            help=(
                "start N Celery worker processes for this run, load one part "
                "file per task on them, show the progress, stop them at the end"
            ),
        )
        fan_out.add_argument(
            "--enqueue",
            action="store_true",
            help=(
                "hand the part files to the Celery workers already running, "
                "print the run id and return"
            ),
        )

    def handle(self, *args, path, sample, resume, entity, sync_trust, full, **options):
        workers, enqueue = options["workers"], options["enqueue"]
        if not Path(path).exists():
            raise CommandError(f"{path} does not exist")
        if workers is not None and workers < 1:
            raise CommandError("--workers takes a number of workers from 1")
        if sync_trust and (workers or enqueue):
            raise CommandError(
                "--sync-trust works in this process; with --workers or "
                "--enqueue the workers queue the trust recompute"
            )
        run = None
        if resume is not None:
            run = ImportRun.objects.filter(pk=resume).first()
            if run is None:
                raise CommandError(f"there is no import run {resume}")
        if workers or enqueue:
            run = self._fan_out(
                path=path,
                run=run,
                sample=sample,
                entity=entity,
                own_queue=bool(workers),
                full=full,
            )
            if enqueue:
                self._write_enqueued(run)
                return
            run = self._wait_on_own_workers(run, workers)
        else:
            try:
                run = snapshot_load(
                    path=path,
                    run=run,
                    sample=sample,
                    entity=entity,
                    sync_trust=sync_trust,
                    full=full,
                )
            except (FileNotFoundError, ValueError, ImportRunBusy) as exc:
                raise CommandError(str(exc)) from exc
        write_run_summary(self, run)
        how = "recomputed" if sync_trust else "queued for recompute"
        self.stdout.write(f"Trust {how} for the researchers the run touched.")
        raise_unless_succeeded(run)

    def _fan_out(
        self,
        *,
        path: str,
        run: ImportRun | None,
        sample: bool,
        entity: str | None,
        own_queue: bool,
        full: bool,
    ) -> ImportRun:
        """A new run fanned out over workers, or ``run`` resumed on them."""
        if run is None:
            try:
                return snapshot_fan_out(
                    path=path,
                    sample=sample,
                    entity=entity,
                    own_queue=own_queue,
                    full=full,
                )
            except (FileNotFoundError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        if not run_is_fanned_out(run):
            raise CommandError(
                f"import run {run.pk} was not fanned out over workers: resume it "
                "without --workers or --enqueue"
            )
        if run.parameters.get("path") != str(Path(path).resolve()):
            raise CommandError(f"run {run.pk} loaded {run.parameters.get('path')}")
        if run.status == ImportRun.Status.SUCCEEDED:
            raise CommandError(f"import run {run.pk} has already succeeded")
        try:
            import_run_parts_resume(run=run, own_queue=own_queue)
        except ImportRunBusy as exc:
            raise CommandError(str(exc)) from exc
        run.refresh_from_db()
        return run

    def _write_enqueued(self, run: ImportRun) -> None:
        parts = import_run_parts_progress(run=run)
        self.stdout.write(
            f"Import run {run.pk} queued: {parts.total:,} part files for the "
            "Celery workers; follow it in the admin "
            f"(/admin/works/importrun/{run.pk}/change/)."
        )

    def _wait_on_own_workers(self, run: ImportRun, count: int) -> ImportRun:
        """Start ``count`` workers on the run's own queue, show the progress
        until the run ends, stop them; a run they leave unfinished (the
        command interrupted, the workers dead) fails, to be resumed."""
        queue = run.parameters[QUEUE]
        workers = LocalWorkers(count=count, queue=queue, name=f"import-{run.pk}")
        self.stdout.write(
            f"Import run {run.pk}: {import_run_parts_progress(run=run).total:,} "
            f"part files on {count} worker(s) (queue {queue}, logs in "
            f"{workers.log_dir})."
        )
        interrupted = True
        try:
            with _stopping_on_signals():
                run = self._follow(run, workers)
            interrupted = False
        finally:
            workers.stop(interrupted=interrupted)
            workers.purge()
            run.refresh_from_db()
            if run.status not in FINISHED or interrupted:
                why = "interrupted" if interrupted else "its workers stopped"
                snapshot_fan_out_interrupt(
                    run=run,
                    reason=(
                        f"{why} (logs in {workers.log_dir}); resume it with "
                        f"--resume {run.pk} --workers N"
                    ),
                )
                run.refresh_from_db()
        return run

    def _follow(self, run: ImportRun, workers: LocalWorkers) -> ImportRun:
        """Show the run's progress (a bar on a terminal, else a line now and
        then) until it ends or no worker is left."""
        bar = tqdm(
            total=run.progress_total,
            initial=run.progress_done,
            unit=" records",
            desc=f"{run.source} #{run.pk}",
            disable=not sys.stderr.isatty(),
        )
        last_line, last_said = 0.0, ""
        try:
            while True:
                run.refresh_from_db()
                parts = import_run_parts_progress(run=run)
                bar.update(run.progress_done - bar.n)
                bar.set_postfix_str(parts.describe(), refresh=False)
                said = parts.describe()
                ended = run.status in FINISHED or not workers.alive()
                due = time.monotonic() - last_line >= LINE_SECONDS
                if bar.disable and (ended or (said != last_said and due)):
                    self.stdout.write(f"{said}; {_records(run)}")
                    last_line, last_said = time.monotonic(), said
                if ended:
                    return run
                time.sleep(POLL_SECONDS)
        finally:
            bar.close()


@contextmanager
def _stopping_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal) interrupt the command as Ctrl-C
    does, so that it still stops its workers and records why the run
    stopped."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    try:
        previous = {
            signum: signal.signal(signum, interrupt)
            for signum in (signal.SIGTERM, signal.SIGHUP)
        }
    except ValueError:  # not the main thread: leave the signals alone
        previous = {}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _records(run: ImportRun) -> str:
    if not run.progress_total:
        return f"{run.progress_done:,} records"
    percent = min(100, 100 * run.progress_done // run.progress_total)
    return f"{run.progress_done:,} of {run.progress_total:,} records ({percent}%)"
