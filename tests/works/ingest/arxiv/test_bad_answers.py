"""arXiv answering badly in the middle of a run, at the byte level: a real
local server (``tests.helpers.faulty_server``) answers as the arXiv stand-in
(``tests.helpers.arxiv_server``) does, but for the second page of a search,
which comes slowly, cut short, enormous, or as something other than an Atom
feed. The run fails with a reason naming arXiv, the page and the problem,
retrying only what a retry can mend; the first page stays exactly as stored,
nothing of the bad page is stored, and resuming once arXiv answers well
completes the run. (A feed cut mid-way with a matching length is in
``test_import``.)"""

import re

import pytest

from tests.helpers.arxiv_server import (
    ArxivServer,
    atom_feed,
    entries_with_distinct_ids,
)
from tests.helpers.catalog import catalog_digest
from tests.helpers.faulty_server import FaultyServer, Reply
from works.ingest.driver import run_execute
from works.ingest.runs import import_run_create
from works.models import ImportRun, RejectedRecord, Work

pytestmark = pytest.mark.django_db

QUERY = "all:testing"
WHAT = f"results 3-4 of {QUERY!r}"
CAP = 100_000
URL = r"http://127\.0\.0\.1:\d+/api/query\?\S*"
ENTRIES = entries_with_distinct_ids(4)
ATOM = {"Content-Type": "application/atom+xml; charset=UTF-8"}


def is_page_2(path: str, params: dict[str, str]) -> bool:
    return params.get("start") == "2"


@pytest.fixture
def server(settings):
    """Four papers, two a page, served by a local arXiv."""
    settings.HTTP_MAX_RESPONSE_BYTES = CAP
    settings.HTTP_TOTAL_DEADLINE_SECONDS = 1.0
    # Far longer than the gap between two bytes of a slow answer: only the
    # total deadline can end it.
    settings.IMPORT_HTTP_TIMEOUT = 5.0
    settings.IMPORT_MAX_ATTEMPTS = 2
    arxiv = ArxivServer(entries=ENTRIES)

    def answer(path: str, params: dict[str, str]) -> Reply:
        status, body = arxiv.answer(params)
        return Reply(status=status, body=body, headers=ATOM)

    with FaultyServer(answer) as running:
        settings.ARXIV_API_URL = f"{running.url}/api/query"
        yield running


def page_2() -> bytes:
    return atom_feed(ENTRIES[2:], total=4, start=2)


def transient(last: str) -> str:
    return rf"arxiv did not answer {WHAT} after 2 attempts \(last: {last}\)"


def html(body: bytes) -> Reply:
    return Reply(body=body, headers={"Content-Type": "text/html"})


CASES = {
    "slow body": (
        Reply(body=page_2(), mode="dribble", interval=0.05, headers=ATOM),
        transient(
            rf"DeadlineExceeded: {URL} did not answer in full within 1 s "
            r"\(HTTP_TOTAL_DEADLINE_SECONDS; \d+ bytes read\)"
        ),
        2,
    ),
    "slow headers": (
        Reply(body=page_2(), mode="dribble-headers", interval=0.05, headers=ATOM),
        transient(
            rf"DeadlineExceeded: {URL} did not answer in full within 1 s "
            r"\(HTTP_TOTAL_DEADLINE_SECONDS; 0 bytes read\)"
        ),
        2,
    ),
    "shorter than its length": (
        Reply(body=page_2()[:3000], mode="short", declared=len(page_2())),
        transient(
            rf"ConnectionError: the answer to {URL} broke off after \d+ bytes "
            r"\(Connection broken: IncompleteRead\(\d+ bytes read, \d+ more "
            r"expected\)\)"
        ),
        2,
    ),
    "enormous with its length": (
        Reply(body=page_2() + b" " * CAP, headers=ATOM),
        rf"arxiv's answer to {WHAT} is too large, not imported: the answer to "
        rf"{URL} declares \d+ bytes, more than the {CAP} allowed "
        r"\(HTTP_MAX_RESPONSE_BYTES\)",
        1,
    ),
    "enormous, chunked, without end": (
        Reply(mode="chunked", headers=ATOM),
        rf"arxiv's answer to {WHAT} is too large, not imported: the answer to "
        rf"{URL} is longer than the {CAP} bytes allowed \(HTTP_MAX_RESPONSE_BYTES\)",
        1,
    ),
    "an HTML error page answered 200": (
        html(
            b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable"
            b"</title></head><body><h1>Service Unavailable</h1></body></html>"
        ),
        rf"arXiv answered {WHAT} with an HTML page, not an Atom feed \(503 "
        r"Service Unavailable\)",
        1,
    ),
    "ill-formed HTML without a doctype": (
        html(b"<html><body><p>Down for maintenance<br></body></html>"),
        rf"arXiv answered {WHAT} with an HTML page, not an Atom feed \(Down "
        r"for maintenance\)",
        1,
    ),
    "XML that is not Atom": (
        Reply(
            body=b"<?xml version='1.0'?>\n<rss version='2.0'><channel><title>"
            b"arXiv</title></channel></rss>",
            headers={"Content-Type": "application/rss+xml"},
        ),
        rf"arXiv answered {WHAT} with <rss>, not an Atom feed",
        1,
    ),
    "JSON": (
        Reply(
            body=b'{"error": "rate limited"}',
            headers={"Content-Type": "application/json"},
        ),
        rf"arXiv answered {WHAT} with a page that is not XML "
        r"\('\{\"error\": \"rate limited\"\}'\)",
        1,
    ),
    "an empty page": (
        Reply(body=b"", headers=ATOM),
        rf"arXiv answered {WHAT} with an empty page, not an Atom feed",
        1,
    ),
}


@pytest.mark.parametrize(("reply", "reason", "attempts"), CASES.values(), ids=CASES)
def test_a_bad_second_page_fails_the_run_and_keeps_the_first(
    server, reply, reason, attempts
):
    run = import_run_create(
        source=ImportRun.Source.ARXIV, parameters={"query": QUERY, "page_size": 2}
    )
    # The first page, committed in a slice of its own.
    run = run_execute(run, progress=False, time_budget=0, sync_trust=True)
    assert run.status == ImportRun.Status.RUNNING, run.error
    stored = catalog_digest()
    assert sorted(Work.objects.values_list("arxiv_id", flat=True)) == [
        "2501.00001",
        "2501.00002",
    ]
    server.fault(reply, when=is_page_2)

    run = run_execute(run, progress=False, sync_trust=True)

    assert run.status == ImportRun.Status.FAILED
    assert re.fullmatch(reason, run.error), run.error
    assert len([r for r in server.requests if is_page_2(r.path, r.params)]) == attempts
    # Nothing of the bad page is stored, and what was is as it was.
    assert catalog_digest() == stored
    assert not RejectedRecord.objects.filter(run=run).exists()
    for work in Work.objects.all():
        assert work.authorships.count() == work.author_count
    assert run.checkpoint == {"start": 2}

    server.clear_faults()
    run = run_execute(run, progress=False, sync_trust=True)

    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    assert Work.objects.count() == 4
    assert run.counts["works"]["created"] == 4
