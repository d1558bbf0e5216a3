import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.brokers import purge

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SAMPLE_SNAPSHOT = ROOT / "works" / "sample_data" / "snapshot"
# Hostnames of the session's real Celery worker while it runs.
_SESSION_WORKERS: set[str] = set()
# How long a worker's BRPOP already waiting on a queue may still hand it a
# message after it stopped consuming that queue (kombu's Redis transport waits
# 1 s per BRPOP; a message it gets then goes back to the queue).
_BRPOP_SETTLE_SECONDS = 1.5


@pytest.fixture(autouse=True)
def _clear_cache():
    """Tests share one Redis: start each with an empty cache database."""
    cache.clear()
    yield


def worker_database_url() -> str:
    """The URL of the test database, for processes started by a test."""
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}"
        + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        + f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def other_session(django_db_setup):
    """A second database session on the test database, as another worker
    process would hold (autocommit; closed after the test)."""
    import psycopg

    other = psycopg.connect(worker_database_url(), autocommit=True)
    yield other
    other.close()


def start_celery_worker(
    *, queue: str, hostname: str, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start a Celery worker process (solo pool: tasks run in the process
    itself) consuming ``queue`` on the test broker and writing to the test
    database, with ``env`` added to its environment and its output in
    ``log``; return it once it answers a ping."""
    from bzpeer.celery import app

    ARTIFACTS.mkdir(exist_ok=True)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings.test",
        "DATABASE_URL": worker_database_url(),
        **(env or {}),
    }
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "bzpeer",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                f"--queues={queue}",
                f"--hostname={hostname}",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited; see {log}")
        if app.control.ping(destination=[hostname], timeout=0.5):
            return process
    process.kill()
    raise RuntimeError(f"the Celery worker did not answer within 60 s; see {log}")


def stop_celery_worker(process: subprocess.Popen) -> None:
    """Ask the worker to finish its task and stop; kill it if it hangs."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
    _SESSION_WORKERS.add(hostname)
    yield process
    _SESSION_WORKERS.discard(hostname)
    stop_celery_worker(process)


@contextmanager
def session_worker_paused(queue: str) -> Iterator[None]:
    """Have the session's real worker, when an earlier test started it, stop
    taking messages from ``queue`` (Celery's ``cancel_consumer``) for the
    duration, then consume it again (``add_consumer``)."""
    from bzpeer.celery import app

    hostnames = sorted(_SESSION_WORKERS)
    if not hostnames:
        yield
        return
    replies = app.control.cancel_consumer(
        queue, destination=hostnames, reply=True, timeout=30
    )
    assert len(replies) == len(hostnames), f"no answer from {hostnames}: {replies}"
    time.sleep(_BRPOP_SETTLE_SECONDS)
    try:
        yield
    finally:
        replies = app.control.add_consumer(
            queue, destination=hostnames, reply=True, timeout=30
        )
        assert len(replies) == len(hostnames), f"no answer: {replies}"


@pytest.fixture
def task_queue() -> Iterator[str]:
    """The name of the test broker's task queue (``CELERY_TASK_DEFAULT_QUEUE``),
    emptied, with no worker taking from it: the messages the test enqueues
    wait there to be read (``tests.brokers.queued_tasks``). Emptied again
    after the test, so the session's real worker never runs them against
    another test's data."""
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with session_worker_paused(queue):
        purge(queue)
        try:
            yield queue
        finally:
            purge(queue)


@pytest.fixture
def sample_data(transactional_db):
    """The bundled sample dataset, loaded by the real loader, trust computed."""
    from profiles.services import researcher_trust_update
    from works.services import snapshot_load

    run = snapshot_load(path=SAMPLE_SNAPSHOT, sample=True, progress=False)
    assert run.rejected_count == 0
    researcher_trust_update()
    return run
