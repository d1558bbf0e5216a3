"""The total deadline of an outbound request, enforced on its sockets
(``works.ingest.http`` reads the body within it; this covers the rest).

The per-read timeout restarts at every byte, so a source sending its status
line or headers a byte at a time (or its TLS handshake) would hold the
request, and the worker, for as long as it likes: ``http.client`` reads
headers with no deadline of its own. Inside ``watched(seconds)``, every
connection a session with ``mount_watched_adapters`` opens or reads from
registers its socket with the request's ``RequestWatchdog``, whose timer
shuts them down when the deadline passes: the blocked read returns at once,
and the caller, seeing ``fired``, reports the deadline rather than a lost
connection.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
from collections.abc import Iterator

import requests
import urllib3.connection
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class RequestWatchdog:
    """The sockets of one request, shut down once its deadline passed."""

    def __init__(self, seconds: float):
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut_down(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    # OSError: closed already, or detached by the TLS wrapper.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# The watchdog of the request this thread is making, if any.
_CURRENT: contextvars.ContextVar[RequestWatchdog | None] = contextvars.ContextVar(
    "request_watchdog", default=None
)


@contextlib.contextmanager
def watched(seconds: float) -> Iterator[RequestWatchdog]:
    """Watch the request made inside the block: its sockets are shut down
    ``seconds`` from now unless the block has ended."""
    watchdog = RequestWatchdog(seconds)
    token = _CURRENT.set(watchdog)
    watchdog._timer.start()
    try:
        yield watchdog
    finally:
        watchdog._timer.cancel()
        _CURRENT.reset(token)


class _WatchedConnection:
    """A urllib3 connection that registers its sockets with the current
    request's watchdog: the TCP socket as soon as it is connected (before a
    TLS handshake), and the socket the answer is read from (a connection
    reused from the pool included)."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        watchdog = _CURRENT.get()
        if watchdog is not None:
            watchdog.watch(sock)
        return sock

    def getresponse(self):  # type: ignore[no-untyped-def]
        watchdog = _CURRENT.get()
        if watchdog is not None:
            watchdog.watch(self.sock)
        return super().getresponse()  # type: ignore[misc]


class _WatchedHTTPConnection(_WatchedConnection, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnection, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, its connections watched."""

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def mount_watched_adapters(session: requests.Session) -> None:
    """Have ``session``'s connections register with the request's watchdog."""
    session.mount("http://", _WatchedAdapter())
    session.mount("https://", _WatchedAdapter())
