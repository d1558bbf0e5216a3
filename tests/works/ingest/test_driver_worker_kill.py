"""An import run survives its worker being killed: a real Celery worker runs
an arXiv import against a local arXiv server, is killed (SIGKILL) between
pages, and a second worker resumes the run from its checkpoint, storing every
paper exactly once.

The run is resumed explicitly, as the admin's Resume does: the killed
worker's message was acknowledged late, so Redis would hand it out again only
after its visibility timeout (hours)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db.models import Count

from tests.helpers.arxiv_server import ArxivServer, entries_with_distinct_ids
from tests.helpers.workers import (
    Workers,
    authors_per_paper,
    run_row,
    wait_for,
    worker_pool,
)
from works.ingest.runs import import_run_create
from works.models import Authorship, ImportRun, Work
from works.selectors import import_run_is_busy
from works.services import import_run_resume
from works.tasks import import_run_task

PAPERS = 15
PAGE_SIZE = 3
PAGES = PAPERS // PAGE_SIZE
# Each answer of the arXiv server takes this long, so the test sees the run
# between two pages; it is a pace, not a limit anything is measured against.
SLOW_ANSWER_SECONDS = 1.0


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
    ``works.import_run`` messages sent from the test (the admin's Resume
    included) go to their queue (``worker_pool``)."""
    with worker_pool(arxiv_server.url, name="kill-resume") as pool:
        yield pool


def test_a_run_killed_with_its_worker_resumes_and_stores_every_paper_once(
    workers, arxiv_server
):
    run = import_run_create(
        source="arxiv", parameters={"query": "all:testing", "page_size": PAGE_SIZE}
    )
    first = workers.start()
    import_run_task.apply_async(args=[run.pk], queue=workers.queue)

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
    assert not import_run_is_busy(run=killed)
    import_run_resume(run=killed)  # the admin's Resume
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
