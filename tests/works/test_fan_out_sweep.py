"""A fanned-out run without workers (``works.fan_out``): a part being
loaded by another process is left alone, and beat's sweep sends lost parts
again, never the whole run; a run whose own workers are gone is handed to
the default queue. (No task route here: what is sent stays in the queues.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bzpeer.db import AdvisoryLock
from tests.helpers.brokers import purge, queued_tasks
from tests.helpers.fan_out import write_fan_out_snapshot
from tests.helpers.workers import run_row
from works.fan_out import (
    IMPORT_RUN_PART_TASK,
    IMPORT_RUN_TASK,
    snapshot_fan_out,
    snapshot_part_execute,
)
from works.models import ImportRunPart
from works.services import import_runs_sweep

pytestmark = pytest.mark.django_db(transaction=True)

Status = ImportRunPart.Status


def test_a_part_being_loaded_elsewhere_is_left_alone(tmp_path, other_session):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")
    # No worker takes the run: its first stage waits in the test's queue.
    run = snapshot_fan_out(path=snapshot.root, own_queue=True)
    part = run.parts.order_by("position").first()
    key = list(AdvisoryLock.IMPORT_RUN_PART.key(part.pk))
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", key)
    try:
        assert snapshot_part_execute(part_id=part.pk).status == Status.QUEUED
    finally:
        other_session.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        purge(run.parameters["queue"])
    part.refresh_from_db()
    assert (part.lines_done, part.created_count, part.deliveries) == (0, 0, 0)
    assert run_row(run).created_count == 0


def test_the_sweep_sends_lost_parts_again_and_then_the_run(
    tmp_path, other_session, task_queue
):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")
    run = snapshot_fan_out(path=snapshot.root, own_queue=True)
    own_queue = run.parameters["queue"]
    first_stage = list(run.parts.filter(stage=0).order_by("position"))
    assert queued_tasks(own_queue) == [
        (IMPORT_RUN_PART_TASK, (part.pk,), {}) for part in first_stage
    ]
    # The command that started the run's workers was killed with them: the
    # parts go to the deployment's workers, on the default queue, from now on.
    purge(own_queue)
    dead, loading, waiting, done = first_stage
    ImportRunPart.objects.filter(pk__in=[dead.pk, loading.pk]).update(
        status=Status.RUNNING
    )
    ImportRunPart.objects.filter(pk=done.pk).update(status=Status.SUCCEEDED)
    key = list(AdvisoryLock.IMPORT_RUN_PART.key(loading.pk))
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", key)
    later = timezone.now() + timedelta(minutes=11)
    try:
        # The part whose worker died goes again; the one waiting in the
        # queue waits on while a part of the run is being loaded.
        assert import_runs_sweep(now=later) == [run.pk]
        assert queued_tasks(task_queue) == [(IMPORT_RUN_PART_TASK, (dead.pk,), {})]
    finally:
        other_session.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        purge(task_queue)
    assert "queue" not in run_row(run).parameters
    assert queued_tasks(own_queue) == []

    # Nothing of the run is loading: what is left of the stage goes again,
    # and never a part of a later stage.
    assert import_runs_sweep(now=later + timedelta(minutes=11)) == [run.pk]
    sent = {args[0] for _, args, _ in queued_tasks(task_queue)}
    assert sent == {dead.pk, loading.pk, waiting.pk}
    purge(task_queue)
    assert set(run.parts.filter(stage__gt=0).values_list("status", flat=True)) == {
        Status.PENDING
    }

    # Every part done: the run's own step is what the sweep sends.
    run.parts.update(status=Status.SUCCEEDED)
    assert import_runs_sweep(now=later) == [run.pk]
    assert queued_tasks(task_queue) == [(IMPORT_RUN_TASK, (run.pk,), {})]
