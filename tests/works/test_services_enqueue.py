"""``import_arxiv --enqueue`` end to end: the command hands the run to a real
Celery worker process, which imports it from a local arXiv server; the test
reads the run id the command prints and waits for the run to succeed. A
failed run is resumed the same way (``--resume RUN_ID --enqueue``), and a
second message for a run a worker is loading finds it busy and leaves it to
that worker.

The workers, the arXiv server they talk to and the route of
``works.import_run`` messages to the workers' own queue last for the module
(starting a worker takes a second or two); each test gets the server reset,
and leaves the workers idle and their queue empty."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.urls import reverse

from tests.helpers.arxiv_server import ArxivServer, entries_with_distinct_ids
from tests.helpers.workers import (
    WAIT_SECONDS,
    Workers,
    authors_per_paper,
    run_row,
    wait_for,
    worker_pool,
)
from works.models import Authorship, ImportRun, Work
from works.selectors import import_run_is_busy

PAPERS = 10
PAGE_SIZE = 3
PAGES = 4  # three pages of three papers, one of one
QUERY = "all:testing"
QUEUED = re.compile(r"Import run (\d+) queued; .*")


class GatedArxivServer(ArxivServer):
    """An ``ArxivServer`` that can hold back its answer to one page
    (``hold``) until the test lets it go (``release``): the worker asking
    for it waits inside its run, holding the run's lock, for as long as the
    test needs."""

    def __init__(self) -> None:
        super().__init__()
        self._held_start: int | None = None
        self._gate = threading.Event()
        self.holding = threading.Event()

    def reset(self, entries: list[str]) -> None:
        """Serve ``entries`` promptly, with no failures, nothing held and no
        requests remembered."""
        self.release()
        self.delay = 0.0
        self.serve_entries(entries)
        with self._lock:
            self._failures.clear()
            self._empty.clear()
            self.requests.clear()

    def hold(self, *, start: int) -> None:
        """Hold the answers to searches for ``start`` until ``release``."""
        self.holding.clear()
        self._gate.clear()
        self._held_start = start

    def release(self) -> None:
        self._held_start = None
        self._gate.set()

    def answer(self, params: dict[str, str]) -> tuple[int, bytes]:
        start = int(params.get("start") or 0)
        if not params.get("id_list") and start == self._held_start:
            self.holding.set()
            self._gate.wait(timeout=WAIT_SECONDS)
        return super().answer(params)


@pytest.fixture(scope="module")
def arxiv_server() -> Iterator[GatedArxivServer]:
    with GatedArxivServer() as server:
        try:
            yield server
        finally:
            server.release()


@pytest.fixture(scope="module")
def worker_processes(django_db_setup, arxiv_server) -> Iterator[Workers]:
    """Two workers importing from ``arxiv_server``, for the module; their
    queue is emptied when they stop."""
    with worker_pool(arxiv_server.url, name="enqueue") as pool:
        pool.start_together(2)
        yield pool
        arxiv_server.release()  # a worker waiting on a held page can stop


@pytest.fixture
def workers(transactional_db, worker_processes, arxiv_server) -> Iterator[Workers]:
    """The module's workers and server, the server serving ``PAPERS``
    papers; after the test, nothing is held, the workers have finished
    everything the test sent them and their queue is empty (before the test
    database is emptied: no message is left to run on a later test's
    data)."""
    arxiv_server.reset(entries_with_distinct_ids(PAPERS))
    yield worker_processes
    arxiv_server.release()
    worker_processes.wait_until_idle()


def enqueue(*arguments: str) -> ImportRun:
    """Run ``import_arxiv *arguments --enqueue``; return the run its one
    line of output names, checking the line names its admin page too."""
    out = StringIO()
    call_command("import_arxiv", *arguments, "--enqueue", stdout=out)
    (line,) = out.getvalue().splitlines()
    match = QUEUED.fullmatch(line)
    assert match, line
    run = ImportRun.objects.get(pk=int(match.group(1)))
    admin = reverse("admin:works_importrun_change", args=[run.pk])
    assert admin == f"/admin/works/importrun/{run.pk}/change/"
    assert line == f"Import run {run.pk} queued; follow it in the admin ({admin})."
    return run


def finished(run: ImportRun, *, last_finished: datetime | None = None) -> ImportRun:
    """``run`` once a worker has taken it to its end: finished at another
    time than ``last_finished``, when it had finished before it was
    enqueued (a failed run)."""

    def ended() -> bool:
        row = run_row(run)
        unfinished = {ImportRun.Status.PENDING, ImportRun.Status.RUNNING}
        return row.status not in unfinished and row.finished_at != last_finished

    wait_for(ended, what=f"import run {run.pk} to finish")
    return run_row(run)


def starts(server: ArxivServer) -> list[int]:
    """The ``start`` of every search the server answered, in order."""
    assert {request["search_query"] for request in server.requests} == {QUERY}
    return [int(request["start"]) for request in server.requests]


def assert_every_paper_stored_once(run: ImportRun, server: ArxivServer) -> None:
    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    assert ImportRun.objects.count() == 1
    served = authors_per_paper(server.entries)
    assert len(served) == PAPERS
    stored = dict(
        Work.objects.annotate(authors=Count("authorships")).values_list(
            "arxiv_id", "authors"
        )
    )
    assert stored == served  # every paper once, every author slot once
    assert Authorship.objects.count() == sum(served.values())
    assert run.counts["works"] == {
        "created": PAPERS,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert run.created_count == sum(c["created"] for c in run.counts.values())
    assert (run.updated_count, run.unchanged_count, run.rejected_count) == (0, 0, 0)
    assert (run.progress_done, run.progress_total) == (PAGES, PAGES)
    assert run.checkpoint == {"start": PAPERS}


def test_enqueue_hands_a_search_to_a_worker_that_stores_every_paper_once(
    workers, arxiv_server
):
    run = enqueue("--query", QUERY, "--page-size", str(PAGE_SIZE))

    assert (run.source, run.parameters) == (
        "arxiv",
        {"query": QUERY, "page_size": PAGE_SIZE},
    )
    done = finished(run)
    assert_every_paper_stored_once(done, arxiv_server)
    assert starts(arxiv_server) == [0, 3, 6, 9]
    assert done.calls == {"list": PAGES}


def test_a_failed_run_resumed_with_enqueue_finishes_in_a_worker(
    workers, arxiv_server, settings
):
    settings.ARXIV_API_URL = arxiv_server.url  # the run in this process
    # The third page keeps failing until the run gives up on it.
    arxiv_server.fail(start=6, times=settings.IMPORT_MAX_ATTEMPTS)
    with pytest.raises(CommandError) as failed_run:
        call_command(
            "import_arxiv",
            *("--query", QUERY, "--page-size", str(PAGE_SIZE), "--sync-trust"),
            stdout=StringIO(),
        )
    failed = ImportRun.objects.get()
    assert str(failed_run.value).endswith(f"continue it with --resume {failed.pk}")
    assert (failed.status, failed.checkpoint, failed.progress_done) == (
        ImportRun.Status.FAILED,
        {"start": 6},
        2,
    )
    assert Work.objects.count() == 6
    assert starts(arxiv_server) == [0, 3, 6, 6, 6]
    arxiv_server.requests.clear()

    run = enqueue("--resume", str(failed.pk))

    assert run.pk == failed.pk
    done = finished(run, last_finished=failed.finished_at)
    assert_every_paper_stored_once(done, arxiv_server)
    # The worker started at the failed page: nothing committed was asked for
    # (or written) again.
    assert starts(arxiv_server) == [6, 9]


def test_enqueuing_a_run_a_worker_is_loading_leaves_it_to_that_worker(
    workers, arxiv_server
):
    # The worker that takes the run waits for its second page, run lock held.
    arxiv_server.hold(start=PAGE_SIZE)
    run = enqueue("--query", QUERY, "--page-size", str(PAGE_SIZE))
    wait_for(arxiv_server.holding.is_set, what="the worker to ask for page 2")
    assert import_run_is_busy(run=run)

    assert enqueue("--resume", str(run.pk)) == run

    # The other worker takes the second message and leaves the run alone.
    wait_for(
        lambda: f"import run {run.pk} is being run elsewhere" in workers.log_text(),
        what="the second message to find the run busy",
    )
    arxiv_server.release()
    done = finished(run)
    assert_every_paper_stored_once(done, arxiv_server)
    assert starts(arxiv_server) == [0, 3, 6, 9]  # each page fetched once
