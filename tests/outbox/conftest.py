"""Fixtures of the outbox's tests: this process's Celery app pointed at
another broker (one that is down, one that never answers, a redis-server of
the test's own), and outbox rows left pending by a broker that was away."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from bzpeer.celery import app
from outbox.models import OutboxMessage
from outbox.services import enqueue
from tests.helpers.redis_server import spare_port

# A task no worker knows: messages the tests publish only to read them back.
PROBE_TASK = "outbox.test_probe"


def _broker_pools_reset() -> None:
    # Celery keeps its connection pools for the URL it saw first; forget them
    # (as Celery itself does after a fork) so that the control commands and
    # purges of the rest of the test use the broker configured now (kombu
    # keeps one pool per URL, found again when the URL comes back). The
    # outbox opens its own connection for every send.
    app._after_fork()


@pytest.fixture(autouse=True)
def _no_leftover_rows(db):
    """Start from an empty outbox: a row committed by another test's process
    would be sent by these tests' senders too."""
    OutboxMessage.objects.all().delete()


@pytest.fixture
def broker_on(settings) -> Iterator[Callable[[str], None]]:
    """``broker_on(url)`` points this process's Celery app (the outbox's
    publishes, control commands, purges) at the broker ``url`` for the rest
    of the test; the test broker is back afterwards."""
    original = app.conf.broker_url

    def point(url: str) -> None:
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url
        _broker_pools_reset()

    yield point
    app.conf.broker_url = original
    _broker_pools_reset()


@contextmanager
def silent_server() -> Iterator[str]:
    """A TCP server on a spare port that accepts connections and never
    answers (a broker hung, or a firewall that swallows replies); yields a
    Redis URL to it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        stopping.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()


@pytest.fixture(params=["refusing", "silent"])
def unreachable_broker(request, broker_on) -> Iterator[str]:
    """The Celery app pointed at a broker that is away: nothing listening on
    its port (``refusing``), or a server that never answers (``silent``);
    yields which."""
    if request.param == "refusing":
        broker_on(f"redis://127.0.0.1:{spare_port()}/0")
        yield request.param
        return
    with silent_server() as url:
        broker_on(url)
        yield request.param


@pytest.fixture
def pending_rows(
    broker_on, django_capture_on_commit_callbacks
) -> Callable[[int], list[int]]:
    """``pending_rows(n)`` enqueues ``n`` probe messages (args ``[i]``) while
    the broker is down, so each stays pending after its one failed publish
    (``attempts`` 1), as after an outage; then points the app back at the
    broker it had. Returns their ids, oldest first."""

    def make(count: int) -> list[int]:
        original = app.conf.broker_url
        broker_on(f"redis://127.0.0.1:{spare_port()}/0")
        try:
            # Each publish runs after its commit, or (in a test's own
            # transaction, which never commits) as it is captured.
            with django_capture_on_commit_callbacks(execute=True):
                ids = [
                    enqueue(PROBE_TASK, args=(number,)).pk for number in range(count)
                ]
        finally:
            broker_on(original)
        return ids

    return make
