"""Calls to the live sources (OpenAlex, arXiv): a rate limit shared by every
worker, and retries with backoff on 429, 5xx and lost connections.

Every request an importer makes goes through ``SourceCaller.call``: it waits
its turn in the source's Redis-held schedule, runs the request, and on a 429
or 5xx answer (or a connection error or timeout) waits ``Retry-After`` when
the source sends one (moving the shared schedule, so every worker waits),
else ``IMPORT_BACKOFF_SECONDS * 2^(attempt-1)``, up to ``IMPORT_MAX_ATTEMPTS``
tries in all. A ``Retry-After`` longer than ``IMPORT_MAX_WAIT_SECONDS`` ends
the call at once: the run fails with the wait in its reason, to be resumed.
What it cannot get raises a ``SourceError`` whose message an operator can act
on.

Every request is made through ``http_request`` (or a ``BoundedSession``): its
body is streamed and capped at ``HTTP_MAX_RESPONSE_BYTES`` (past it the call
fails with ``ResponseTooLarge``, not retried), and the whole request, body
included, must end within ``HTTP_TOTAL_DEADLINE_SECONDS`` besides the per-read
timeout (past it ``DeadlineExceeded``, a timeout, retried as one): a source
dripping a byte a second, or sending without end, cannot hold a worker. The
deadline covers the status line and headers too: a watchdog shuts the
request's socket down when it passes, wherever the request is waiting
(``works.ingest.watchdog``). What passes the cap is reported by the caller
with the source and the request it answered.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import redis
import requests
import urllib3.exceptions
from django.conf import settings

from works.ingest.watchdog import RequestWatchdog, mount_watched_adapters, watched

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class SourceError(Exception):
    """A source could not give what an import asked for; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SourceUnavailable(SourceError):
    """The source kept answering 429 / 5xx, or could not be reached."""


class SourceRefused(SourceError):
    """The source refused the request itself (400, 401, 404…): retrying the
    same request cannot help."""


class SourceMalformed(SourceError):
    """The source answered with something that is not what it documents (a
    page that is not JSON, a truncated Atom feed, an XML entity bomb)."""


class ResponseTooLarge(SourceMalformed):
    """The answer's body is longer than ``HTTP_MAX_RESPONSE_BYTES``."""


class DeadlineExceeded(requests.Timeout):
    """The request, body included, took longer than
    ``HTTP_TOTAL_DEADLINE_SECONDS`` in all."""


# Bytes read from the socket at most per read (a read returns what came).
_CHUNK = 64 * 1024


def _short(url: str) -> str:
    """``url`` for a message: its query cut when long (the caller's ``what``
    names the request; an OpenAlex ``select`` alone is 300 characters)."""
    return url if len(url) <= 120 else url[:119] + "…"


def _deadline_exceeded(url: str, *, deadline: float, size: int) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"{_short(url)} did not answer in full within {deadline:g} s "
        f"(HTTP_TOTAL_DEADLINE_SECONDS; {size} bytes read)"
    )


def _read_bounded(
    response: requests.Response, *, started: float, watchdog: RequestWatchdog
) -> None:
    """Read ``response``'s body (streamed) into it, within the size cap and
    the total deadline; close it and raise otherwise."""
    cap = settings.HTTP_MAX_RESPONSE_BYTES
    deadline = settings.HTTP_TOTAL_DEADLINE_SECONDS
    url = response.url
    declared = response.headers.get("Content-Length", "").strip()
    # ASCII digits only ("²" is a digit to isdigit, not to int), and a number
    # of 19 digits and more is past any cap (int() refuses 4,300 and more).
    if (
        declared.isascii()
        and declared.isdigit()
        and (len(declared) > 18 or int(declared) > cap)
    ):
        raise ResponseTooLarge(
            f"the answer to {_short(url)} declares {declared} bytes, more than the "
            f"{cap} allowed (HTTP_MAX_RESPONSE_BYTES)"
        )
    chunks: list[bytes] = []
    size = 0
    raw = response.raw
    while True:
        if watchdog.fired or time.monotonic() - started > deadline:
            raise _deadline_exceeded(url, deadline=deadline, size=size)
        try:
            # read1 returns what has arrived (b"" only at the end), so the
            # deadline is checked at every byte a slow source sends.
            chunk = raw.read1(_CHUNK, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.ReadTimeout(str(exc)) from exc
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(str(exc)) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if watchdog.fired:
                raise _deadline_exceeded(url, deadline=deadline, size=size) from exc
            # A body shorter than its Content-Length, a chunk cut off: the
            # connection broke, which a retry may mend.
            detail = exc.args[0] if exc.args and isinstance(exc.args[0], str) else exc
            raise requests.ConnectionError(
                f"the answer to {_short(url)} broke off after {size} bytes ({detail})"
            ) from exc
        if not chunk:
            break
        size += len(chunk)
        if size > cap:
            raise ResponseTooLarge(
                f"the answer to {_short(url)} is longer than the {cap} bytes allowed "
                "(HTTP_MAX_RESPONSE_BYTES)"
            )
        chunks.append(chunk)
    if watchdog.fired:
        # The watchdog's shutdown reads as the end of a body sent without a
        # length: what came is not the whole answer.
        raise _deadline_exceeded(url, deadline=deadline, size=size)
    response._content = b"".join(chunks)
    response._content_consumed = True


def http_request(
    method: str,
    url: str,
    *,
    session: requests.Session | None = None,
    **kwargs: object,
) -> requests.Response:
    """``requests.request`` (or ``session.request``) with the one policy of
    outbound requests: a per-read ``timeout`` (``IMPORT_HTTP_TIMEOUT`` unless
    given), a body of at most ``HTTP_MAX_RESPONSE_BYTES`` and a total
    deadline of ``HTTP_TOTAL_DEADLINE_SECONDS``, headers included (a
    ``session`` of its own should be a ``BoundedSession``). The response
    comes with its body read (``content``, ``text``, ``json()`` work as
    usual); raises ``ResponseTooLarge`` or ``DeadlineExceeded`` past a
    limit."""
    started = time.monotonic()
    deadline = settings.HTTP_TOTAL_DEADLINE_SECONDS
    kwargs["stream"] = True
    timeout = kwargs.pop("timeout", None) or settings.IMPORT_HTTP_TIMEOUT
    own_session = session is None
    if session is None:
        session = requests.Session()
        mount_watched_adapters(session)
    try:
        with watched(deadline) as watchdog:
            try:
                response = requests.Session.request(
                    session,
                    method,
                    url,
                    timeout=timeout,
                    **kwargs,  # type: ignore[arg-type]
                )
            except requests.RequestException as exc:
                if watchdog.fired:
                    raise _deadline_exceeded(url, deadline=deadline, size=0) from exc
                raise
            try:
                _read_bounded(response, started=started, watchdog=watchdog)
            finally:
                response.close()
    finally:
        if own_session:
            session.close()
    return response


def http_get(url: str, **kwargs: object) -> requests.Response:
    """A GET through ``http_request``."""
    return http_request("GET", url, **kwargs)


class BoundedSession(requests.Session):
    """A session whose every request follows ``http_request``'s policy (for
    a library that takes a session, e.g. pyalex)."""

    def __init__(self) -> None:
        super().__init__()
        mount_watched_adapters(self)

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        if args:
            raise TypeError("BoundedSession.request takes keyword arguments only")
        return http_request(method, url, session=self, **kwargs)


# Atomically books the next free slot of a source: the slot is the later of
# now and the booked time, and the schedule moves one interval past it.
# Returns the microseconds to wait. Redis's own clock, so every worker agrees.
_RESERVE = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local booked = tonumber(redis.call('GET', KEYS[1]) or '0')
local interval = tonumber(ARGV[1])
local slot = math.max(now, booked)
local ttl = math.ceil((slot + interval - now) / 1000) + 1000
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', ttl)
return slot - now
"""


# Moves the source's schedule to at least now + ARGV[1] microseconds.
_DEFER = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local booked = tonumber(redis.call('GET', KEYS[1]) or '0')
local until_t = math.max(booked, now + tonumber(ARGV[1]))
local ttl = math.ceil((until_t - now) / 1000) + 1000
redis.call('SET', KEYS[1], tostring(until_t), 'PX', ttl)
return until_t - now
"""


class RateLimiter:
    """At most one request per ``interval`` seconds to ``source``, counted
    across every process that shares the Redis at ``RATE_LIMIT_REDIS_URL``
    (``REDIS_URL`` by default). The schedule is consulted even with a zero
    interval: a source's ``Retry-After`` (``defer``) holds every process."""

    def __init__(
        self, source: str, interval: float, *, client: redis.Redis | None = None
    ):
        self.source = source
        self.interval = max(interval, 0.0)
        self.key = f"bzpeer:ratelimit:{source}"
        self._client = client

    @property
    def client(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis.from_url(settings.RATE_LIMIT_REDIS_URL)
        return self._client

    def reserve(self) -> float:
        """Book the next slot and return the seconds to wait for it."""
        micros = self.client.eval(_RESERVE, 1, self.key, int(self.interval * 1_000_000))
        return int(micros) / 1_000_000

    def defer(self, seconds: float) -> None:
        """Book no slot before ``seconds`` from now, for every process: the
        source asked us to wait (``Retry-After``)."""
        if seconds <= 0:
            return
        self.client.eval(_DEFER, 1, self.key, int(seconds * 1_000_000))

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> None:
        delay = self.reserve()
        if delay > 0:
            sleep(delay)


def retry_after_seconds(response: requests.Response | None) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or an HTTP date)."""
    if response is None:
        return None
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        seconds = float(value)
        # 400 digits read as infinity, which no schedule can be moved by.
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _describe(response: requests.Response) -> str:
    text = response.text[:300].strip().replace("\n", " ")
    return f"HTTP {response.status_code}" + (f": {text}" if text else "")


class SourceCaller:
    """Makes one source's requests: rate-limited, retried, and counted."""

    def __init__(
        self,
        source: str,
        *,
        interval: float,
        max_attempts: int | None = None,
        backoff: float | None = None,
        max_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.source = source
        self.limiter = RateLimiter(source, interval)
        self.max_attempts = max(1, max_attempts or settings.IMPORT_MAX_ATTEMPTS)
        self.backoff = settings.IMPORT_BACKOFF_SECONDS if backoff is None else backoff
        self.max_wait = (
            settings.IMPORT_MAX_WAIT_SECONDS if max_wait is None else max_wait
        )
        self.sleep = sleep
        self.calls = 0
        self.retries = 0

    def call(self, request: Callable[[], T], *, what: str) -> T:
        """Run ``request`` (a callable that makes one HTTP request and raises
        ``requests.HTTPError`` for an error status) until it succeeds, and
        return its result. ``what`` names the request in errors."""
        last = ""
        for attempt in range(1, self.max_attempts + 1):
            self.limiter.wait(self.sleep)
            self.calls += 1
            try:
                return request()
            except ResponseTooLarge as exc:
                # The same request would get the same answer: not retried.
                raise ResponseTooLarge(
                    f"{self.source}'s answer to {what} is too large, not "
                    f"imported: {exc.reason}"
                ) from exc
            except requests.HTTPError as exc:
                response = exc.response
                status = response.status_code if response is not None else 0
                last = _describe(response) if response is not None else str(exc)
                if status not in RETRY_STATUSES:
                    raise SourceRefused(
                        f"{self.source} refused {what}: {last}"
                    ) from exc
                wait = retry_after_seconds(response)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}: {exc}"
                wait = None
            if wait is not None:
                if wait > self.max_wait:
                    # Retrying before the source allows it would only be
                    # refused again: stop, resumable once the wait is over.
                    self.limiter.defer(wait)
                    raise SourceUnavailable(
                        f"{self.source} asked to wait {wait:.0f} s before "
                        f"{what} (Retry-After, last: {last}); resume the run "
                        "after that"
                    )
                # Every worker waits, this one at the top of the loop.
                self.limiter.defer(wait)
            if attempt == self.max_attempts:
                break
            self.retries += 1
            logger.warning(
                "%s: %s answered %s; retry %d in %.1fs",
                self.source,
                what,
                last,
                attempt,
                self.backoff * 2 ** (attempt - 1) if wait is None else wait,
            )
            if wait is None:
                # No word from the source: this caller backs off alone.
                self.sleep(self.backoff * 2 ** (attempt - 1))
        raise SourceUnavailable(
            f"{self.source} did not answer {what} after {self.max_attempts} "
            f"attempts (last: {last})"
        )
