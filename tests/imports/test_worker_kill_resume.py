"""An import run survives its worker being killed: a real Celery worker runs
an arXiv import against a local arXiv server, is killed (SIGKILL) between
pages, and a second worker resumes the run from its checkpoint, storing every
paper exactly once.

The run is resumed explicitly, as the admin's Resume does: the killed
worker's message was acknowledged late, so Redis would hand it out again only
after its visibility timeout (hours)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from itertools import count

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from bzpeer.celery import app
from tests.arxiv.server import ArxivServer, entries_with_distinct_ids, entry_id
from tests.brokers import forget_unacknowledged, purge
from tests.conftest import (
    ARTIFACTS,
    start_celery_worker,
    stop_celery_worker,
    worker_database_url,
)
from works.dispatch import import_run_is_busy, import_run_resume
from works.importers.base import live_import_create
from works.models import Authorship, ImportRun, Work
from works.tasks import live_import_task

PAPERS = 15
PAGE_SIZE = 3
PAGES = PAPERS // PAGE_SIZE
# Each answer of the arXiv server takes this long, so the test sees the run
# between two pages; it is a pace, not a limit anything is measured against.
SLOW_ANSWER_SECONDS = 1.0
WAIT_SECONDS = 120


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


class Workers:
    """Celery worker processes of one test, on a queue of their own (so no
    other worker of the session takes their messages), each pointed at the
    local arXiv server and named in PostgreSQL by its application name."""

    def __init__(self, api_url: str):
        self.api_url = api_url
        self.queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-kill-resume"
        # Each process with the application name its database sessions carry.
        self.started: dict[subprocess.Popen, str] = {}
        self._numbers = count(1)

    def start(self) -> subprocess.Popen:
        number = next(self._numbers)
        application = f"bzpeer-kill-resume-{os.getpid()}-{number}"
        database_url = f"{worker_database_url()}?application_name={application}"
        process = start_celery_worker(
            queue=self.queue,
            hostname=f"{application}@{socket.gethostname()}",
            log=ARTIFACTS / f"celery-worker-kill-resume-{number}.log",
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
        return process

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
        """Stop the workers and empty their queue, dropping the killed
        worker's unacknowledged message too."""
        for process in self.started:
            stop_celery_worker(process)
        purge(self.queue)
        forget_unacknowledged(self.queue)


@pytest.fixture
def arxiv_server() -> Iterator[ArxivServer]:
    """The arXiv API on 127.0.0.1 serving ``PAPERS`` papers, slowly."""
    entries = entries_with_distinct_ids(PAPERS)
    with ArxivServer(entries=entries, delay=SLOW_ANSWER_SECONDS) as server:
        yield server


@pytest.fixture
def workers(transactional_db, arxiv_server) -> Iterator[Workers]:
    """Start Celery workers (``workers.start()``) that import from the
    local arXiv server; all are stopped, and their queue emptied, after.
    ``works.live_import`` messages sent from the test (the admin's Resume
    included) go to their queue: a Celery task route, for the test's
    duration."""
    pool = Workers(arxiv_server.url)
    purge(pool.queue)
    routes = app.conf.task_routes
    # conf.update, not an assignment: it has Celery rebuild its router.
    app.conf.update(task_routes={live_import_task.name: {"queue": pool.queue}})
    try:
        yield pool
    finally:
        app.conf.update(task_routes=routes)
        pool.stop_all()


def authors_per_paper(entries: list[str]) -> dict[str, int]:
    return {entry_id(entry): len(re.findall(r"<author>", entry)) for entry in entries}


def test_a_run_killed_with_its_worker_resumes_and_stores_every_paper_once(
    workers, arxiv_server
):
    run = live_import_create(
        source="arxiv", parameters={"query": "all:testing", "page_size": PAGE_SIZE}
    )
    first = workers.start()
    live_import_task.apply_async(args=[run.pk], queue=workers.queue)

    wait_for(lambda: run_row(run).progress_done >= 1, what="the first page")
    first.kill()  # SIGKILL: no chance to record anything on the run
    first.wait()

    killed = run_row(run)
    committed_pages = killed.progress_done
    assert 1 <= committed_pages < PAGES, "kill the worker between pages"
    assert killed.status == ImportRun.Status.RUNNING
    assert killed.checkpoint["start"] == committed_pages * PAGE_SIZE
    # Exactly the committed pages are stored, each with its counts.
    assert Work.objects.count() == committed_pages * PAGE_SIZE
    assert killed.counts["works"]["created"] == committed_pages * PAGE_SIZE

    arxiv_server.delay = 0
    workers.start()
    workers.wait_for_database_to_drop(first)
    assert not import_run_is_busy(killed)
    import_run_resume(killed)  # the admin's Resume
    wait_for(
        lambda: run_row(run).status != ImportRun.Status.RUNNING,
        what="the resumed run to finish",
    )

    done = run_row(run)
    assert (done.status, done.error) == (ImportRun.Status.SUCCEEDED, "")
    served = authors_per_paper(arxiv_server.entries)
    stored = dict(
        Work.objects.annotate(authors=Count("authorships")).values_list(
            "arxiv_id", "authors"
        )
    )
    assert stored == served  # every paper once, every author slot once
    assert Authorship.objects.count() == sum(served.values())
    # Nothing committed before the kill was written again: a re-imported
    # page would count its papers as unchanged.
    assert done.counts["works"] == {
        "created": PAPERS,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert done.created_count == sum(c["created"] for c in done.counts.values())
    assert (done.unchanged_count, done.rejected_count) == (0, 0)
    assert (done.progress_done, done.progress_total) == (PAGES, PAGES)
    # Only the page in flight when the worker died was asked for twice.
    starts = [int(request.get("start") or 0) for request in arxiv_server.requests]
    in_flight = committed_pages * PAGE_SIZE
    assert sorted(set(starts)) == list(range(0, PAPERS, PAGE_SIZE))
    assert all(starts.count(start) == 1 for start in set(starts) - {in_flight})
