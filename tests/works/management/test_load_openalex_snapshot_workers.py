"""``load_openalex_snapshot --workers N`` and ``--enqueue``: the run fanned
out over Celery workers (``works.fan_out``), the command starting and
stopping its own real worker processes, or handing the run to the workers
already running."""

from __future__ import annotations

import re
import socket
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from bzpeer.celery import app
from tests.helpers.celery_worker import worker_database_url
from tests.helpers.fan_out import (
    catalog_by_natural_keys,
    catalog_clear,
    write_fan_out_snapshot,
)
from works.fan_out import IMPORT_RUN_PART_TASK
from works.models import ImportRun, Work

pytestmark = pytest.mark.django_db(transaction=True)


def run_command(*args) -> list[str]:
    out = StringIO()
    call_command("load_openalex_snapshot", *map(str, args), stdout=out)
    return out.getvalue().splitlines()


def test_enqueue_returns_at_once_with_the_run_id(tmp_path, enqueued):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")

    output = run_command(snapshot.root, "--enqueue")

    run = ImportRun.objects.get()
    assert output == [
        f"Import run {run.pk} queued: 11 part files for the Celery workers; "
        f"follow it in the admin (/admin/works/importrun/{run.pk}/change/)."
    ]
    # Nothing loaded yet: the first stage's parts wait for the workers.
    assert run.status == ImportRun.Status.RUNNING
    assert (run.progress_done, run.progress_total) == (0, 90)
    first_stage = run.parts.filter(stage=0).order_by("position")
    assert enqueued() == [(IMPORT_RUN_PART_TASK, (p.pk,), {}) for p in first_stage]
    assert not Work.objects.exists()


def test_the_options_that_do_not_go_together_are_refused(tmp_path):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")
    with pytest.raises(CommandError, match="not allowed with argument"):
        run_command(snapshot.root, "--workers", 2, "--enqueue")
    with pytest.raises(CommandError, match="--sync-trust works in this process"):
        run_command(snapshot.root, "--workers", 2, "--sync-trust")
    with pytest.raises(CommandError, match="from 1"):
        run_command(snapshot.root, "--workers", 0)
    assert not ImportRun.objects.exists()


def test_workers_load_what_one_process_loads_and_stop(
    tmp_path, monkeypatch, task_queue
):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")
    in_process = run_command(snapshot.root)
    expected = catalog_by_natural_keys()
    catalog_clear()
    # The workers the command starts write to the test database.
    monkeypatch.setenv("DATABASE_URL", worker_database_url())

    output = run_command(snapshot.root, "--workers", 2)

    run = ImportRun.objects.exclude(parameters__fan_out=None).get()
    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    assert catalog_by_natural_keys() == expected
    # The test run's queue: bzpeer-test, or CELERY_QUEUE's when it sets one.
    queue = re.escape(settings.CELERY_TASK_DEFAULT_QUEUE)
    started = re.fullmatch(
        rf"Import run {run.pk}: 11 part files on 2 worker\(s\) \(queue "
        rf"{queue}\S*\.import-{run.pk}-[0-9a-f]{{6}}, logs in (\S+)\)\.",
        output[0],
    )
    assert started, output[0]
    summary = output.index(f"Import run {run.pk} (openalex-snapshot): succeeded")
    # Progress lines while it ran, the last one saying it is all done.
    assert output[summary - 1] == "11 of 11 part files done; 90 of 90 records (100%)"
    # The summary reads as the in-process load's.
    assert output[summary + 1 :] == in_process[1:]
    # The workers are gone.
    hostnames = [f"import-{run.pk}-{n}@{socket.gethostname()}" for n in (1, 2)]
    assert app.control.ping(destination=hostnames, timeout=1) == []
