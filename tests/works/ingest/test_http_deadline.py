"""The total deadline of a request covers its status line and headers: the
per-read timeout restarts at every byte, so without the watchdog a source
sending its headers a byte at a time holds the worker for as long as it
likes (``test_poison_messages`` covers a body sent that way)."""

import time

import pytest

from tests.helpers.faulty_server import FaultyServer, Reply
from works.ingest.http import BoundedSession, DeadlineExceeded, http_get

# Some 1,300 bytes of headers, a byte every 20 ms: 26 s to send them all.
SLOW_HEADERS = Reply(
    body=b'{"ok": true}',
    mode="dribble-headers",
    interval=0.02,
    headers={f"X-Padding-{n}": "y" * 40 for n in range(25)},
)


@pytest.fixture
def server(settings):
    settings.HTTP_TOTAL_DEADLINE_SECONDS = 0.5
    settings.IMPORT_HTTP_TIMEOUT = 5.0
    with FaultyServer(lambda path, params: Reply(body=b'{"ok": true}')) as running:
        yield running


@pytest.mark.parametrize("through", ["http_get", "BoundedSession"])
def test_headers_sent_a_byte_at_a_time_end_at_the_deadline(server, through):
    server.fault(SLOW_HEADERS)
    started = time.monotonic()

    with pytest.raises(DeadlineExceeded) as caught:
        if through == "http_get":
            http_get(f"{server.url}/slow")
        else:
            BoundedSession().get(f"{server.url}/slow")

    assert time.monotonic() - started < 2.5
    assert str(caught.value) == (
        f"{server.url}/slow did not answer in full within 0.5 s "
        "(HTTP_TOTAL_DEADLINE_SECONDS; 0 bytes read)"
    )


def test_answers_within_the_deadline_are_read_one_after_another(server):
    session = BoundedSession()
    started = time.monotonic()

    answers = [session.get(f"{server.url}/ok/{n}").json() for n in range(5)]

    assert answers == [{"ok": True}] * 5
    # Each request has a deadline of its own: five in a row outlast one.
    assert time.monotonic() - started < 2.5
