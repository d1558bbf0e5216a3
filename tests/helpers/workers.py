"""Pools of real Celery worker processes importing from a local arXiv server
(``worker_pool``), and waiting on what they do."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bzpeer.celery import app
from tests.helpers.arxiv_server import entry_id
from tests.helpers.brokers import forget_unacknowledged, purge, queued_tasks
from tests.helpers.celery_worker import start_celery_worker, worker_database_url
from tests.helpers.paths import ARTIFACTS
from works.models import ImportRun
from works.tasks import import_run_task

# How long a test waits for a worker process before it gives up on it (one
# that died or hangs); a bound on polling, not a limit anything is measured
# against.
WAIT_SECONDS = 120
# How long a stopping worker may take to finish its task before it is killed.
STOP_SECONDS = 20


def wait_for(condition: Callable[[], bool], *, what: str) -> None:
    """Poll ``condition`` until it holds; fail after ``WAIT_SECONDS`` (a
    worker that died or hangs), pointing at the workers' logs."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}; see test-artifacts/")
        time.sleep(0.05)


def run_row(run: ImportRun) -> ImportRun:
    return ImportRun.objects.get(pk=run.pk)


def authors_per_paper(entries: list[str]) -> dict[str, int]:
    """The number of authors of each served ``<entry>``, by arXiv id."""
    return {entry_id(entry): len(re.findall(r"<author>", entry)) for entry in entries}


class Workers:
    """Celery worker processes of one test (or module), on a queue of their
    own named after ``name`` (so no other worker of the session takes their
    messages), each pointed at the arXiv server at ``api_url`` and named in
    PostgreSQL by its application name."""

    def __init__(self, api_url: str, *, name: str):
        self.api_url = api_url
        self.name = name
        self.queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-{name}"
        # Each process with the application name its database sessions carry.
        self.started: dict[subprocess.Popen, str] = {}
        self.logs: list[Path] = []
        self._numbers = count(1)

    def start(self) -> subprocess.Popen:
        number = next(self._numbers)
        application = f"bzpeer-{self.name}-{os.getpid()}-{number}"
        database_url = f"{worker_database_url()}?application_name={application}"
        log = ARTIFACTS / f"celery-worker-{self.name}-{number}.log"
        process = start_celery_worker(
            queue=self.queue,
            hostname=self.hostname(application),
            log=log,
            env={
                "DATABASE_URL": database_url,
                # Tasks it enqueues itself (the next slice, trust) stay here.
                "CELERY_QUEUE": self.queue,
                "ARXIV_API_URL": self.api_url,
                "ARXIV_MIN_INTERVAL": "0.01",
                # The shared rate limit's key, in this test run's own Redis.
                "REDIS_URL": settings.CACHES["default"]["LOCATION"],
            },
        )
        self.started[process] = application
        self.logs.append(log)
        return process

    def start_together(self, number: int) -> list[subprocess.Popen]:
        """Start ``number`` workers at once (each takes a second or two to
        come up); return them once all answer a ping."""
        with ThreadPoolExecutor(max_workers=number) as executor:
            started = [executor.submit(self.start) for _ in range(number)]
        return [future.result() for future in started]

    @staticmethod
    def hostname(application: str) -> str:
        return f"{application}@{socket.gethostname()}"

    def log_text(self) -> str:
        """What the workers wrote to their logs so far."""
        return "".join(log.read_text(errors="replace") for log in self.logs)

    def wait_until_idle(self) -> None:
        """Wait until the queue is empty and every live worker answers a
        ping: a solo-pool worker answers only between tasks, so no message
        of the queue is waiting or being run any more."""
        hostnames = [
            self.hostname(application)
            for process, application in self.started.items()
            if process.poll() is None
        ]

        def idle() -> bool:
            if queued_tasks(self.queue):
                return False
            replies = app.control.ping(destination=hostnames, timeout=0.5)
            return len(replies) == len(hostnames)

        wait_for(idle, what=f"the workers of {self.queue} to be idle")

    def wait_for_database_to_drop(self, process: subprocess.Popen) -> None:
        """Wait until PostgreSQL has closed the sessions of the killed
        ``process`` (and so released the run's advisory lock), terminating
        them if it has not noticed the dead client by itself."""
        application = self.started[process]

        def sessions() -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    [application],
                )
                return cursor.fetchone()[0]

        deadline = time.monotonic() + 10
        while sessions() and time.monotonic() < deadline:
            time.sleep(0.05)
        if sessions():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = %s",
                    [application],
                )
        wait_for(lambda: sessions() == 0, what="the dead worker's session to end")

    def stop_all(self) -> None:
        """Stop the workers (all at once: each finishes its task first, and
        is killed if it hangs) and empty their queue, dropping a killed
        worker's unacknowledged message too."""
        running = [process for process in self.started if process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        purge(self.queue)
        forget_unacknowledged(self.queue)


@contextmanager
def worker_pool(api_url: str, *, name: str) -> Iterator[Workers]:
    """Workers (started with ``pool.start()``) that import from the arXiv
    server at ``api_url``, on a queue of their own, emptied before and after;
    all are stopped at the end. Meanwhile the ``works.import_run`` messages
    this process sends (``--enqueue``, the admin's Resume) go to their queue:
    a Celery task route."""
    pool = Workers(api_url, name=name)
    purge(pool.queue)  # left by an earlier, interrupted run
    routes = app.conf.task_routes
    # conf.update, not an assignment: it has Celery rebuild its router.
    app.conf.update(task_routes={import_run_task.name: {"queue": pool.queue}})
    try:
        yield pool
    finally:
        app.conf.update(task_routes=routes)
        pool.stop_all()
