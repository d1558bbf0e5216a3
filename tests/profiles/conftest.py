"""Fixtures of the profiles tests: the session's real Celery worker."""

import os
import socket

import pytest

from tests.helpers.brokers import purge
from tests.helpers.celery_worker import (
    SESSION_WORKERS,
    start_celery_worker,
    stop_celery_worker,
)
from tests.helpers.paths import ARTIFACTS


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker in its own process, consuming the test queue on
    Redis and writing to the test database. Tests that use it must commit
    their data (``transactional_db``) so the worker can see it."""
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    hostname = f"bzpeer-test-{os.getpid()}@{socket.gethostname()}"
    purge(queue)  # left by an earlier, interrupted run
    process = start_celery_worker(
        queue=queue, hostname=hostname, log=ARTIFACTS / "celery-worker.log"
    )
    SESSION_WORKERS.add(hostname)
    yield process
    SESSION_WORKERS.discard(hostname)
    stop_celery_worker(process)
