"""One real Celery worker process on the test broker and database: started,
stopped, and (the session's own worker, the ``celery_worker_process``
fixture) paused while a test reads the queue it consumes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, nullcontext
from pathlib import Path

import redis
from celery import Celery

from tests.helpers.paths import ARTIFACTS, ROOT

# The session's real Celery worker while it runs: its process id by hostname.
SESSION_WORKERS: dict[str, int] = {}
# How long a worker's BRPOP already waiting on a queue may still hand it a
# message after it stopped consuming that queue (kombu's Redis transport waits
# 1 s per BRPOP; a message it gets then goes back to the queue).
_BRPOP_SETTLE_SECONDS = 1.5


def worker_database_url() -> str:
    """The URL of the test database, for processes started by a test."""
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}"
        + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        + f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_celery_worker(
    *,
    queue: str,
    hostname: str,
    log: Path,
    env: dict[str, str] | None = None,
    pool: str = "solo",
    broker_url: str | None = None,
) -> subprocess.Popen:
    """Start a Celery worker process (solo pool: tasks run in the process
    itself) consuming ``queue`` on the test broker and writing to the test
    database, with ``env`` added to its environment and its output in
    ``log``; return it once it answers a ping.

    ``pool="prefork"`` runs each task in one child process instead
    (concurrency 1), which a test may kill alone; ``broker_url`` is a broker
    (and result backend) other than the test broker: a Redis of the test's
    own."""
    from bzpeer.celery import app

    ARTIFACTS.mkdir(exist_ok=True)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings.test",
        "DATABASE_URL": worker_database_url(),
        **({"TEST_BROKER_URL": broker_url} if broker_url else {}),
        **(env or {}),
    }
    concurrency = ["--concurrency=1"] if pool == "prefork" else []
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "bzpeer",
                "worker",
                f"--pool={pool}",
                *concurrency,
                "--loglevel=INFO",
                f"--queues={queue}",
                f"--hostname={hostname}",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    # Another broker's workers answer an app of its own: the project's app
    # publishes control messages through its pool on the test broker, even
    # when handed another connection.
    pinger = (
        Celery("ping", broker=broker_url, set_as_current=False) if broker_url else app
    )
    deadline = time.monotonic() + 60
    try:
        with nullcontext() if pinger is app else closing(pinger):
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"the Celery worker exited; see {log}")
                if pinger.control.ping(destination=[hostname], timeout=0.5):
                    return process
        raise RuntimeError(f"the Celery worker did not answer within 60 s; see {log}")
    except BaseException:
        # Never leave a worker behind a failed start (a ping that raised).
        process.kill()
        process.wait()
        raise


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


@contextmanager
def session_worker_paused(queue: str) -> Iterator[None]:
    """Have the session's real worker, when an earlier test started it, stop
    taking messages from ``queue`` (Celery's ``cancel_consumer``) for the
    duration, then consume it again (``add_consumer``)."""
    from bzpeer.celery import app

    hostnames = sorted(SESSION_WORKERS)
    if not hostnames:
        yield
        return
    replies = app.control.cancel_consumer(
        queue, destination=hostnames, reply=True, timeout=30
    )
    assert len(replies) == len(hostnames), f"no answer from {hostnames}: {replies}"
    # A BRPOP the worker sent before it stopped consuming may still be
    # waiting: until it returns (within kombu's 1 s), the queue is not the
    # test's alone. Without a queue left, the worker sends no other.
    pids = [SESSION_WORKERS[hostname] for hostname in hostnames]
    deadline = time.monotonic() + _BRPOP_SETTLE_SECONDS
    while time.monotonic() < deadline and _waiting_on_the_broker(pids):
        time.sleep(0.02)
    try:
        yield
    finally:
        replies = app.control.add_consumer(
            queue, destination=hostnames, reply=True, timeout=30
        )
        assert len(replies) == len(hostnames), f"no answer: {replies}"


def _local_ports(pid: int) -> set[int]:
    """The local ports of the TCP connections process ``pid`` holds (its
    socket descriptors, looked up in the kernel's TCP tables)."""
    inodes = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _waiting_on_the_broker(pids: list[int]) -> bool:
    """Whether a connection of one of the processes ``pids`` to the test
    broker is blocked in a BRPOP (Redis's CLIENT LIST: flag ``b``)."""
    from django.conf import settings

    ports = set().union(*(_local_ports(pid) for pid in pids))
    with closing(redis.Redis.from_url(settings.CELERY_BROKER_URL)) as broker:
        clients = broker.client_list()
    return any(
        "b" in client["flags"] and int(client["addr"].rsplit(":", 1)[1]) in ports
        for client in clients
    )
