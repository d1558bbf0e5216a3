"""Fixtures of the catalog and import tests: the task messages sent to the
real broker, a logged-in operator, the standard snapshot tree."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.factories import staff_user
from tests.helpers.brokers import QueuedTask, purge, queued_tasks
from tests.helpers.celery_worker import session_worker_paused
from tests.helpers.snapshot import build_standard_snapshot


@pytest.fixture
def task_queue() -> Iterator[str]:
    """The name of the test broker's task queue (``CELERY_TASK_DEFAULT_QUEUE``),
    emptied, with no worker taking from it: the messages the test enqueues
    wait there to be read (``tests.helpers.brokers.queued_tasks``). Emptied
    again after the test, so the session's real worker never runs them
    against another test's data."""
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with session_worker_paused(queue):
        purge(queue)
        try:
            yield queue
        finally:
            purge(queue)


@pytest.fixture
def enqueued(task_queue) -> Callable[[], list[QueuedTask]]:
    """Read what the test sent to the real broker: the task messages waiting
    in the (emptied, unconsumed) test queue, oldest first, as (task name,
    args, kwargs)."""
    return lambda: queued_tasks(task_queue)


@pytest.fixture
def trust_enqueued(task_queue) -> Callable[[], list[list[int]]]:
    """Read the chunks of researcher ids sent to the trust recompute task: its
    messages waiting in the test queue on the real broker (emptied, and not
    consumed while the test runs), oldest first. They are sent when the
    enqueuing transaction commits: the tests using this commit
    (``transactional_db``)."""
    from profiles.tasks import researcher_trust_recompute

    return lambda: [
        args[0]
        for name, args, _ in queued_tasks(task_queue)
        if name == researcher_trust_recompute.name
    ]


@pytest.fixture
def operator(client):
    """A logged-in staff member who may view, start and resume runs."""
    user = staff_user("view_importrun", "change_importrun", "add_importrun")
    client.force_login(user)
    return user


@pytest.fixture
def snapshot_root(tmp_path) -> Path:
    return build_standard_snapshot(tmp_path / "snapshot")
