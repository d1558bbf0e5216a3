import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SAMPLE_SNAPSHOT = ROOT / "works" / "sample_data" / "snapshot"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Tests share one Redis: start each with an empty cache database."""
    cache.clear()
    yield


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker in its own process, consuming the test queue on
    Redis and writing to the test database. Tests that use it must commit
    their data (``transactional_db``) so the worker can see it."""
    from django.conf import settings
    from django.db import connection

    from bzpeer.celery import app

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}"
        + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        + f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    # Messages left by an earlier, interrupted run would run against this one.
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "celery-worker.log", "w")  # noqa: SIM115
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings.test",
        "DATABASE_URL": database_url,
    }
    hostname = f"bzpeer-test-{os.getpid()}@%h"
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
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the Celery worker exited; see test-artifacts/")
        if app.control.ping(timeout=0.5):
            break
    else:
        process.kill()
        raise RuntimeError("the Celery worker did not answer within 60 s")
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def sample_data(transactional_db):
    """The bundled sample dataset, loaded by the real loader, trust computed."""
    from profiles.services import researcher_trust_update
    from works.services import snapshot_load

    run = snapshot_load(path=SAMPLE_SNAPSHOT, sample=True, progress=False)
    assert run.rejected_count == 0
    researcher_trust_update()
    return run
