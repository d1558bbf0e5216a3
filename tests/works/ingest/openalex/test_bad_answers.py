"""OpenAlex answering badly in the middle of a run, at the byte level: a
real local server (``tests.helpers.faulty_server``) answers as the recorded
API does, but for the second page of Jason Priem's works, which comes slowly,
cut short, enormous or as an HTML page. The run fails with a reason naming
OpenAlex, the page and the problem, retrying only what a retry can mend; the
author and the first page stay exactly as stored, no work of the bad page is
stored, and resuming once OpenAlex answers well completes the run."""

import json
import re

import pytest

from tests.helpers.faulty_server import FaultyServer, NoMock, Reply, openalex_answer
from tests.helpers.openalex import (
    PRIEM,
    PRIEM_WORKS_FILTER,
    OpenAlexReplay,
    catalog_state,
    priem,
    priem_pages,
)
from works.ingest.driver import run_execute
from works.ingest.runs import import_run_create
from works.models import Authorship, ImportRun, RejectedRecord, Work

pytestmark = pytest.mark.django_db

PAGE_2_CURSOR = priem_pages()[0]["meta"]["next_cursor"]
PAGE_1_WORKS = ["W2162348455", "W2741809807"]
CAP = 200_000
URL = r"http://127\.0\.0\.1:\d+/works\?\S*"
WHAT = f"works page 2 of author {PRIEM}"


def page_2() -> bytes:
    return json.dumps(priem_pages()[1]).encode()


def is_page_2(path: str, params: dict[str, str]) -> bool:
    return path == "/works" and params.get("cursor") == PAGE_2_CURSOR


@pytest.fixture
def server(settings):
    """Jason Priem and his works walk, served by a local OpenAlex."""
    settings.OPENALEX_API_KEY = "test-api-key"
    settings.OPENALEX_EMAIL = "operator@bzpeer.example"
    settings.HTTP_MAX_RESPONSE_BYTES = CAP
    settings.HTTP_TOTAL_DEADLINE_SECONDS = 1.0
    # Far longer than the gap between two bytes of a slow answer: only the
    # total deadline can end it.
    settings.IMPORT_HTTP_TIMEOUT = 5.0
    settings.IMPORT_MAX_ATTEMPTS = 2
    replay = OpenAlexReplay(NoMock())
    replay.single(f"authors/{PRIEM}", priem())
    replay.walk("works", priem_pages(), filter=PRIEM_WORKS_FILTER)
    with FaultyServer(openalex_answer(replay)) as running:
        settings.OPENALEX_API_URL = running.url
        yield running
    assert replay.unrecorded == []


def transient(last: str) -> str:
    return rf"openalex-api did not answer {WHAT} after 2 attempts \(last: {last}\)"


CASES = {
    "slow body": (
        Reply(body=page_2(), mode="dribble", interval=0.05),
        transient(
            rf"DeadlineExceeded: {URL} did not answer in full within 1 s "
            r"\(HTTP_TOTAL_DEADLINE_SECONDS; \d+ bytes read\)"
        ),
        2,
    ),
    "slow headers": (
        Reply(body=page_2(), mode="dribble-headers", interval=0.05),
        transient(
            rf"DeadlineExceeded: {URL} did not answer in full within 1 s "
            r"\(HTTP_TOTAL_DEADLINE_SECONDS; 0 bytes read\)"
        ),
        2,
    ),
    "shorter than its length": (
        Reply(body=page_2()[:5000], mode="short", declared=len(page_2())),
        transient(
            rf"ConnectionError: the answer to {URL} broke off after \d+ bytes "
            r"\(Connection broken: IncompleteRead\(\d+ bytes read, \d+ more "
            r"expected\)\)"
        ),
        2,
    ),
    "JSON cut mid-way": (
        Reply(body=page_2()[:5000]),
        rf"OpenAlex answered {WHAT} with JSON that breaks off after 5000 "
        r"characters \(.*\): a truncated answer, not imported",
        1,
    ),
    "enormous with its length": (
        Reply(
            body=json.dumps({**priem_pages()[1], "padding": "x" * CAP}).encode(),
            headers={"Content-Type": "application/json"},
        ),
        rf"openalex-api's answer to {WHAT} is too large, not imported: the "
        rf"answer to {URL} declares \d+ bytes, more than the {CAP} allowed "
        r"\(HTTP_MAX_RESPONSE_BYTES\)",
        1,
    ),
    "enormous, chunked, without end": (
        Reply(mode="chunked", headers={"Content-Type": "application/json"}),
        rf"openalex-api's answer to {WHAT} is too large, not imported: the "
        rf"answer to {URL} is longer than the {CAP} bytes allowed "
        r"\(HTTP_MAX_RESPONSE_BYTES\)",
        1,
    ),
    "an HTML error page answered 200": (
        Reply(
            body=b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title>"
            b"</head><body><h1>502 Bad Gateway</h1></body></html>",
            headers={"Content-Type": "text/html"},
        ),
        rf"OpenAlex answered {WHAT} with a page that is not JSON \(Expecting "
        r"value: line 1 column 1 \(char 0\)\): '<!DOCTYPE html> <html><head>"
        r"<title>502 Bad Gateway</title>.*'",
        1,
    ),
}


@pytest.mark.parametrize(("reply", "reason", "attempts"), CASES.values(), ids=CASES)
def test_a_bad_second_page_fails_the_run_and_keeps_the_first(
    server, reply, reason, attempts
):
    run = import_run_create(source="openalex-api", parameters={"authors": [PRIEM]})
    # The author, then the first page, each committed in a slice of its own.
    for _ in range(2):
        run = run_execute(run, progress=False, time_budget=0, sync_trust=True)
        assert run.status == ImportRun.Status.RUNNING, run.error
    stored = catalog_state()
    assert sorted(Work.objects.values_list("openalex_id", flat=True)) == PAGE_1_WORKS
    server.fault(reply, when=is_page_2)

    run = run_execute(run, progress=False, sync_trust=True)

    assert run.status == ImportRun.Status.FAILED
    assert re.fullmatch(reason, run.error), run.error
    assert len([r for r in server.requests if is_page_2(r.path, r.params)]) == attempts
    # Nothing of the bad page is stored, and what was is as it was: no
    # work, author or authorship half written.
    assert catalog_state() == stored
    assert not RejectedRecord.objects.filter(run=run).exists()
    for work in Work.objects.all():
        assert work.authorships.count() == work.author_count
    assert (run.checkpoint["cursor"], run.checkpoint["page"]) == (PAGE_2_CURSOR, 2)

    server.clear_faults()
    run = run_execute(run, progress=False, sync_trust=True)

    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    assert Work.objects.count() == 4
    assert Authorship.objects.count() == 9 + 5 + 3 + 4


def test_a_bad_answer_for_a_pages_coauthors_stores_nothing_of_the_page(server):
    """The page's works came whole; the coauthors they name did not: the
    page is written with everything it references or not at all."""
    run = import_run_create(source="openalex-api", parameters={"authors": [PRIEM]})
    for _ in range(2):
        run = run_execute(run, progress=False, time_budget=0, sync_trust=True)
    stored = catalog_state()

    def is_coauthor_lookup(path: str, params: dict[str, str]) -> bool:
        return path == "/authors" and params.get("filter", "").startswith(
            "openalex_id:"
        )

    server.fault(Reply(mode="chunked"), when=is_coauthor_lookup)

    run = run_execute(run, progress=False, sync_trust=True)

    assert run.status == ImportRun.Status.FAILED
    assert re.fullmatch(
        rf"openalex-api's answer to coauthors on {WHAT} \(5 by id\) is too large, "
        r"not imported: the answer to http://127\.0\.0\.1:\d+/authors\?\S* is "
        rf"longer than the {CAP} bytes allowed \(HTTP_MAX_RESPONSE_BYTES\)",
        run.error,
    ), run.error
    assert len([r for r in server.requests if is_page_2(r.path, r.params)]) == 1
    assert catalog_state() == stored
    assert (run.checkpoint["cursor"], run.checkpoint["page"]) == (PAGE_2_CURSOR, 2)
