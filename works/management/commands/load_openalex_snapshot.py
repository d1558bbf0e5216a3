"""``manage.py load_openalex_snapshot PATH``: load an OpenAlex snapshot (or a
part of one), print what it did, and recompute the trust it may have moved."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from works.ingest.records import ENTITIES
from works.ingest.runs import ImportRunBusy
from works.management.import_commands import (
    raise_unless_succeeded,
    write_run_summary,
)
from works.models import ImportRun
from works.services import snapshot_load


class Command(BaseCommand):
    help = (
        "Load OpenAlex snapshot files: a snapshot root (authors/ works/ topics/ "
        "institutions/ sources/), one entity folder, or one part file. Loading "
        "again changes nothing; --resume RUN_ID continues an interrupted run."
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
            "--sync-trust",
            action="store_true",
            help="recompute trust in this process instead of enqueuing Celery tasks",
        )

    def handle(self, *args, path, sample, resume, entity, sync_trust, **options):
        if not Path(path).exists():
            raise CommandError(f"{path} does not exist")
        run = None
        if resume is not None:
            run = ImportRun.objects.filter(pk=resume).first()
            if run is None:
                raise CommandError(f"there is no import run {resume}")
        try:
            run = snapshot_load(
                path=path, run=run, sample=sample, entity=entity, sync_trust=sync_trust
            )
        except (FileNotFoundError, ValueError, ImportRunBusy) as exc:
            raise CommandError(str(exc)) from exc
        write_run_summary(self, run)
        how = "recomputed" if sync_trust else "queued for recompute"
        self.stdout.write(f"Trust {how} for the researchers the run touched.")
        raise_unless_succeeded(run)
