"""Fixtures of the whole suite: an empty cache for each test, a second
database session, the session's real Celery worker, and the mail it and the
live server send."""

import os
import socket

import pytest
from django.core.cache import cache

from tests.factories import UserFactory
from tests.helpers.brokers import QueuedTask, purge, queued_tasks
from tests.helpers.celery_worker import (
    SESSION_WORKERS,
    session_worker_paused,
    start_celery_worker,
    stop_celery_worker,
    worker_database_url,
)
from tests.helpers.flush import quick_flush_installed
from tests.helpers.mail import MailDirectory
from tests.helpers.paths import ARTIFACTS
from tests.helpers.redis_server import redis_server


@pytest.fixture(scope="session", autouse=True)
def _quick_flush():
    """Transactional tests end with every table emptied, as Django's flush
    leaves them, at a fraction of its cost (tests/helpers/flush.py)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        quick_flush_installed(monkeypatch)
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    """Tests share one Redis: start each with an empty cache database."""
    cache.clear()
    yield


@pytest.fixture
def other_session(django_db_setup):
    """A second database session on the test database, as another worker
    process would hold (autocommit; closed after the test)."""
    import psycopg

    other = psycopg.connect(worker_database_url(), autocommit=True)
    yield other
    other.close()


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
    SESSION_WORKERS[hostname] = process.pid
    yield process
    SESSION_WORKERS.pop(hostname, None)
    stop_celery_worker(process)


@pytest.fixture
def sent_mail(settings):
    """The mail this test's processes send (the test itself, the live
    server's thread, the session's worker), read from the file-based backend
    they share: pytest-django's ``mail.outbox`` sees none of the worker's."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    directory = MailDirectory(settings.EMAIL_FILE_PATH)
    directory.clear()
    return directory


class Enqueued:
    """The task messages a test sent to the real test broker, read back from
    its queue: ``enqueued()`` all of them, oldest first, as (task name, args,
    kwargs); ``trust_recomputes()`` the researcher ids of each trust
    recompute; ``clear()`` forgets those sent so far."""

    def __init__(self, queue: str):
        self.queue = queue

    def __call__(self) -> list[QueuedTask]:
        return queued_tasks(self.queue)

    def trust_recomputes(self) -> list[list[int]]:
        return [
            args[0]
            for name, args, _ in self()
            if name == "profiles.researcher_trust_recompute"
        ]

    def clear(self) -> None:
        purge(self.queue)


@pytest.fixture
def enqueued():
    """What the test enqueued on the real broker (``Enqueued``); the
    session's worker, if one runs, is paused meanwhile, and the queue is
    emptied before and after."""
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with session_worker_paused(queue):
        purge(queue)
        yield Enqueued(queue)
        purge(queue)


@pytest.fixture
def moderator():
    return UserFactory(username="moderator", is_staff=True)


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own on a spare port, as (process, URL);
    the test stops it when it likes, the fixture at the end."""
    with redis_server(tmp_path) as started:
        yield started
