"""Beat's sweep resumes import runs a lost worker left running, and runs left
pending, by enqueuing them again on the real broker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bzpeer.db import AdvisoryLock
from tests.helpers.brokers import queued_tasks
from works.models import ImportRun
from works.services import import_runs_sweep

pytestmark = pytest.mark.django_db


def _run(status, *, minutes_ago, source="arxiv", **fields):
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    run = ImportRun.objects.create(source=source, status=status, **fields)
    ImportRun.objects.filter(pk=run.pk).update(started_at=moment, created_at=moment)
    return run


def test_the_sweep_enqueues_abandoned_runs_only(
    task_queue, django_capture_on_commit_callbacks, other_session
):
    abandoned = _run(ImportRun.Status.RUNNING, minutes_ago=30)
    lost_message = _run(ImportRun.Status.PENDING, minutes_ago=30)
    snapshot = _run(
        ImportRun.Status.RUNNING,
        minutes_ago=30,
        source="openalex-snapshot",
        parameters={"path": "/data/openalex", "sample": False},
    )
    _run(ImportRun.Status.RUNNING, minutes_ago=1)  # just started
    _run(ImportRun.Status.PENDING, minutes_ago=1)  # not picked up yet
    _run(ImportRun.Status.FAILED, minutes_ago=30)  # the operator decides
    _run(ImportRun.Status.SUCCEEDED, minutes_ago=30)
    loading = _run(ImportRun.Status.RUNNING, minutes_ago=30)
    # Another process is loading that one: it holds the run's advisory lock.
    other_session.execute(
        "SELECT pg_advisory_lock(%s, %s)", AdvisoryLock.IMPORT_RUN.key(loading.pk)
    )
    with django_capture_on_commit_callbacks(execute=True):
        swept = import_runs_sweep()

    assert swept == [abandoned.pk, lost_message.pk, snapshot.pk]
    assert queued_tasks(task_queue) == [
        ("works.import_run", (abandoned.pk,), {}),
        ("works.import_run", (lost_message.pk,), {}),
        ("works.import_run", (snapshot.pk,), {}),
    ]
