"""Requests to the live sources: the shared rate limit (real Redis) and the
retry policy (HTTP replayed with ``responses``)."""

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses

from works.ingest.http import (
    RateLimiter,
    SourceCaller,
    SourceRefused,
    SourceUnavailable,
    retry_after_seconds,
)

URL = "https://api.example.org/items"


def _get():
    response = requests.get(URL, timeout=5)
    response.raise_for_status()
    return response.json()


def _caller(sleeps, **kwargs):
    options = {"interval": 0, "max_attempts": 3, "backoff": 2.0, "max_wait": 300}
    options.update(kwargs)
    return SourceCaller(f"test-{uuid.uuid4().hex}", sleep=sleeps.append, **options)


def test_the_rate_limit_books_slots_one_interval_apart_across_limiters():
    source = f"test-{uuid.uuid4().hex}"
    # Two limiters stand for two workers: they share the schedule in Redis.
    first, second = RateLimiter(source, 3.0), RateLimiter(source, 3.0)

    waits = [first.reserve(), second.reserve(), first.reserve()]

    assert waits[0] == pytest.approx(0, abs=0.05)
    assert waits[1] == pytest.approx(3.0, abs=0.1)
    assert waits[2] == pytest.approx(6.0, abs=0.1)
    first.client.delete(first.key)


def test_a_zero_interval_never_waits():
    assert RateLimiter(f"test-{uuid.uuid4().hex}", 0).reserve() == 0


@responses.activate
def test_a_429_then_200_is_retried_after_the_wait_retry_after_asks():
    responses.get(URL, status=429, headers={"Retry-After": "7"})
    responses.get(URL, json={"ok": True})
    sleeps = []

    assert _caller(sleeps).call(_get, what="the items") == {"ok": True}
    assert sleeps == [pytest.approx(7.0, abs=0.1)]
    assert len(responses.calls) == 2


@responses.activate
def test_retry_after_holds_every_worker_of_the_source():
    source = f"test-{uuid.uuid4().hex}"
    responses.get(URL, status=429, headers={"Retry-After": "30"})
    responses.get(URL, json={"ok": True})
    first = SourceCaller(source, interval=0, max_wait=300, sleep=[].append)
    other_worker = RateLimiter(source, 0)

    first.call(_get, what="the items")

    # The schedule moved for everyone: another process's next request waits
    # as long as the source asked.
    assert other_worker.reserve() == pytest.approx(30, abs=0.5)
    other_worker.client.delete(other_worker.key)


@responses.activate
def test_a_retry_after_longer_than_the_longest_wait_ends_the_call_at_once():
    responses.get(URL, status=503, headers={"Retry-After": "86400"})
    sleeps = []
    caller = _caller(sleeps, max_wait=60)

    with pytest.raises(SourceUnavailable) as failure:
        caller.call(_get, what="the items")

    assert caller.calls == 1 and sleeps == []
    assert "asked to wait 86400 s" in failure.value.reason
    assert "resume the run" in failure.value.reason
    caller.limiter.client.delete(caller.limiter.key)


@responses.activate
def test_5xx_answers_back_off_exponentially_then_fail_with_the_reason():
    for _ in range(3):
        responses.get(URL, status=500, body="upstream exploded")
    sleeps = []
    caller = _caller(sleeps)

    with pytest.raises(SourceUnavailable) as failure:
        caller.call(_get, what="the items")

    assert sleeps == [2.0, 4.0]
    assert caller.calls == 3
    assert "after 3 attempts" in failure.value.reason
    assert "HTTP 500: upstream exploded" in failure.value.reason


@responses.activate
def test_a_lost_connection_is_retried():
    responses.get(URL, body=requests.ConnectionError("connection reset"))
    responses.get(URL, json={"ok": True})
    sleeps = []

    assert _caller(sleeps).call(_get, what="the items") == {"ok": True}
    assert sleeps == [2.0]


@responses.activate
def test_a_refusal_is_not_retried():
    responses.get(URL, status=404, json={"error": "not found"})
    sleeps = []
    caller = _caller(sleeps)

    with pytest.raises(SourceRefused) as failure:
        caller.call(_get, what="the items")

    assert caller.calls == 1 and sleeps == []
    assert "HTTP 404" in failure.value.reason


def test_retry_after_reads_seconds_and_http_dates():
    def answer(value):
        response = requests.Response()
        response.headers["Retry-After"] = value
        return response

    later = datetime.now(UTC) + timedelta(seconds=30)
    assert retry_after_seconds(answer("12")) == 12.0
    assert retry_after_seconds(answer(format_datetime(later, usegmt=True))) == (
        pytest.approx(30, abs=2)
    )
    assert retry_after_seconds(answer("soon")) is None
    assert retry_after_seconds(None) is None
