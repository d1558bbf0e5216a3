"""Poison messages: a run whose import task keeps killing its worker fails
with the reason instead of being redelivered for ever; an enormous snapshot
line is rejected unread; an enormous or endless HTTP answer, or one dripping
a byte at a time, ends at its cap or its deadline.

Redelivery is simulated in this process: a delivery whose worker died is one
that counted itself (``import_run_delivery_start``, committed before any
work, as the task does) and never returned."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers.snapshot import (
    INSTITUTIONS,
    STANDARD_COUNTS,
    write_part,
)
from works.ingest.http import (
    DeadlineExceeded,
    ResponseTooLarge,
    SourceCaller,
    SourceUnavailable,
    http_get,
)
from works.ingest.openalex.snapshot import read_batches, snapshot_plan
from works.ingest.runs import (
    DELIVERIES,
    import_run_create,
    import_run_delivery_start,
)
from works.models import ImportRun, RejectedRecord, Work
from works.services import snapshot_load
from works.tasks import import_run_task


def snapshot_run(root) -> ImportRun:
    return import_run_create(
        source=ImportRun.Source.OPENALEX_SNAPSHOT,
        parameters={"path": str(root.resolve()), "sample": False},
    )


@pytest.mark.django_db(transaction=True)
def test_a_run_delivered_past_the_maximum_fails_with_the_reason(
    snapshot_root, settings, enqueued
):
    settings.IMPORT_MAX_DELIVERIES = 3
    run = snapshot_run(snapshot_root)
    # Three deliveries, each counted, whose workers died before returning.
    for expected in (1, 2, 3):
        assert import_run_delivery_start(run) == expected
        stored = ImportRun.objects.get(pk=run.pk)
        assert stored.checkpoint[DELIVERIES] == expected
    # The fourth is not run: the run fails and the message is acked.
    assert import_run_task(run.pk) == run.pk
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert run.error.startswith(
        "delivered 4 times without finishing: a record or answer may kill the "
        "worker (last "
    )
    assert Work.objects.count() == 0
    # The count went with the failure: the operator's resume starts afresh
    # and, the workers surviving, loads the whole snapshot.
    assert DELIVERIES not in run.checkpoint
    assert import_run_task(run.pk) == run.pk
    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert Work.objects.count() == STANDARD_COUNTS["works"]
    assert DELIVERIES not in run.checkpoint


@pytest.mark.django_db(transaction=True)
def test_deliveries_that_return_are_not_counted_against_the_run(
    snapshot_root, settings, enqueued
):
    settings.IMPORT_MAX_DELIVERIES = 1
    # Slices of one page each: the task re-enqueues itself; each slice is a
    # delivery that returned, so the count never passes one.
    settings.IMPORT_TASK_TIME_BUDGET = 0
    run = snapshot_run(snapshot_root)
    for _ in range(40):
        import_run_task(run.pk)
        run.refresh_from_db()
        assert DELIVERIES not in run.checkpoint
        if run.status != ImportRun.Status.RUNNING:
            break
    assert run.status == ImportRun.Status.SUCCEEDED, run.error


@pytest.mark.django_db(transaction=True)
def test_a_delivery_killed_mid_page_keeps_its_count_with_the_checkpoint(
    snapshot_root, settings, enqueued
):
    """A run the sweep re-enqueues after a lost worker counts on: the count
    survives in the stored checkpoint while the run is running."""
    settings.IMPORT_MAX_DELIVERIES = 2
    run = snapshot_run(snapshot_root)
    import_run_delivery_start(run)
    import_run_delivery_start(run)
    import_run_task(run.pk)  # the third: over the maximum
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert run.error.startswith("delivered 3 times without finishing")


# --- Snapshot lines --------------------------------------------------------

LONG_LINE = b'{"id": "https://openalex.org/I1", "x": "' + b"a" * 300_000 + b'"}'


def test_a_line_past_the_cap_is_rejected_unread_and_the_file_goes_on(
    tmp_path, settings
):
    settings.SNAPSHOT_MAX_LINE_BYTES = 1000
    short = b'{"id": "https://openalex.org/I2"}'
    path = write_part(
        tmp_path,
        "institutions/updated_date=2025-01-01/part_000.gz",
        [short, LONG_LINE, short],
    )
    (part,) = snapshot_plan(path).files
    (batch,) = list(read_batches(part, batch_size=100))
    assert batch.last_line == 3
    rejected = {number: reason for number, reason, _ in batch.rejected}
    assert rejected[2] == (
        f"line of {len(LONG_LINE)} bytes is longer than the 1000 bytes "
        "allowed (SNAPSHOT_MAX_LINE_BYTES)"
    )
    # The lines around it are read as usual (parsed or rejected on their own).
    assert 1 not in rejected or "longer than" not in rejected[1]
    assert 3 not in rejected or "longer than" not in rejected[3]
    assert batch.size == 3


def test_a_line_at_the_cap_is_read(tmp_path, settings):
    line = b'{"id": "https://openalex.org/I2", "x": "' + b"b" * 100 + b'"}'
    settings.SNAPSHOT_MAX_LINE_BYTES = len(line)
    path = write_part(tmp_path, "institutions/part_000", [line])
    (part,) = snapshot_plan(path).files
    (batch,) = list(read_batches(part, batch_size=100))
    assert all("longer than" not in reason for _, reason, _ in batch.rejected)


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_with_an_enormous_line_loads_the_rest(snapshot_root, settings):
    settings.SNAPSHOT_MAX_LINE_BYTES = 200_000
    write_part(
        snapshot_root,
        INSTITUTIONS.replace("2025-06-17", "2025-06-18"),
        [LONG_LINE],
    )
    run = snapshot_load(path=snapshot_root, progress=False, sync_trust=True)
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    rejection = RejectedRecord.objects.get(run=run, reason__contains="longer than")
    assert rejection.entity == "institutions"
    assert rejection.locator.endswith("part_000.gz:1")
    assert rejection.reason.startswith(f"line of {len(LONG_LINE)} bytes")
    assert Work.objects.count() == STANDARD_COUNTS["works"]


# --- HTTP answers ----------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        try:
            if self.path == "/endless":
                self.end_headers()
                while True:
                    self.wfile.write(b"x" * 65536)
            elif self.path == "/declared":
                self.send_header("Content-Length", str(10**12))
                self.end_headers()
                self.wfile.write(b"x" * 1000)
            elif self.path == "/drip":
                self.end_headers()
                for _ in range(600):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            else:
                body = b'{"ok": true}'
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        except OSError:
            pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def small_limits(settings):
    settings.HTTP_MAX_RESPONSE_BYTES = 100_000
    settings.HTTP_TOTAL_DEADLINE_SECONDS = 1.0
    settings.IMPORT_HTTP_TIMEOUT = 5.0
    return settings


def test_an_answer_within_the_limits_is_read(server, small_limits):
    response = http_get(f"{server}/ok")
    assert response.json() == {"ok": True}


def test_an_endless_answer_stops_at_the_body_cap(server, small_limits):
    with pytest.raises(ResponseTooLarge) as caught:
        http_get(f"{server}/endless")
    assert "longer than the 100000 bytes allowed" in caught.value.reason


def test_an_answer_declaring_too_many_bytes_is_refused_unread(server, small_limits):
    with pytest.raises(ResponseTooLarge) as caught:
        http_get(f"{server}/declared")
    assert f"declares {10**12} bytes" in caught.value.reason


def test_a_dripping_answer_ends_at_the_total_deadline(server, small_limits):
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as caught:
        http_get(f"{server}/drip")
    elapsed = time.monotonic() - started
    # Each byte came well within the 5 s read timeout; the deadline ended it.
    assert 1.0 <= elapsed < 2.0
    assert "HTTP_TOTAL_DEADLINE_SECONDS" in str(caught.value)


def test_the_caller_reports_the_deadline_in_the_runs_reason(server, small_limits):
    caller = SourceCaller(
        "test-poison", interval=0, max_attempts=2, sleep=lambda _: None
    )
    with pytest.raises(SourceUnavailable) as caught:
        caller.call(lambda: http_get(f"{server}/drip"), what="a dripping page")
    assert caller.calls == 2
    assert "DeadlineExceeded" in caught.value.reason
    assert "HTTP_TOTAL_DEADLINE_SECONDS" in caught.value.reason
