"""A local stand-in for the arXiv API: a real HTTP server on 127.0.0.1 that
answers ``/api/query`` with Atom built from recorded arXiv bytes.

Point ``ARXIV_API_URL`` at ``ArxivServer.url`` and the importer talks to it
exactly as to arXiv: ``id_list`` requests get the entries with those ids,
search requests get ``entries[start:start + max_results]`` with
``opensearch:totalResults`` counting them all. ``delay`` slows every answer
(time to kill a worker in the middle of a run), ``fail`` answers chosen pages
with an error status, ``empty`` with no entries (as arXiv now and then does),
and ``respond_with`` serves fixed bytes instead (a recorded error feed, a
truncated one, the same page for every ``start``). Every request's parameters
are kept in ``requests``.

Usable outside pytest too (``with ArxivServer(entries=...) as server:``), for
a test that runs the import in a Celery worker process.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv"

_ENTRY = re.compile(r"<entry>.*?</entry>", re.DOTALL)
_ENTRY_ID = re.compile(r"<id>https?://arxiv\.org/abs/(.+?)(?:v\d+)?</id>")
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
# Lines of an entry that name its DOI: a synthetic copy must not share them.
_DOI_LINES = re.compile(
    r"\n\s*(?:<arxiv:doi[^>]*>.*?</arxiv:doi>|<link[^>]*title=\"doi\"[^>]*/>)"
)

FEED_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
    "  <id>https://arxiv.org/api/local-test-server</id>\n"
    "  <title>arXiv Query: local test server</title>\n"
    "  <updated>2026-04-12T22:10:19Z</updated>\n"
)


def recorded(name: str) -> bytes:
    """The bytes of a file of ``tests/fixtures/arxiv`` (see its SOURCES.md)."""
    return (FIXTURES / name).read_bytes()


def recorded_entries(name: str) -> list[str]:
    """The ``<entry>`` elements of a recorded feed, as arXiv wrote them (the
    current format, whose ``arxiv:`` prefix is declared on the feed)."""
    return _ENTRY.findall(recorded(name).decode("utf-8"))


def entry_id(entry: str) -> str:
    """The bare arXiv id of an ``<entry>`` element."""
    match = _ENTRY_ID.search(entry)
    if match is None:
        raise ValueError("an entry without an arXiv id")
    return match.group(1)


def entries_with_distinct_ids(
    count: int, *, first: int = 1, templates: Sequence[str] | None = None
) -> list[str]:
    """``count`` entries for a multi-page result set, made from recorded
    entries (by default the ten of ``q_testing_s0_m10.atom.xml``, in turn):
    entry ``n`` gets the id ``2501.{first + n:05d}`` wherever the recorded id
    appears, ``[copy n]`` after its title (so no two share one), and loses
    its DOI (which the recorded entry's copies would all share)."""
    templates = list(templates or recorded_entries("q_testing_s0_m10.atom.xml"))
    entries = []
    for offset in range(count):
        number = first + offset
        template = templates[offset % len(templates)]
        entry = template.replace(entry_id(template), f"2501.{number:05d}")
        entry = _TITLE.sub(
            lambda match, n=number: f"<title>{match.group(1)} [copy {n}]</title>",
            entry,
            count=1,
        )
        entries.append(_DOI_LINES.sub("", entry))
    return entries


def atom_feed(entries: Sequence[str], *, total: int, start: int = 0) -> bytes:
    """A result feed in arXiv's current format holding ``entries``."""
    body = "".join(f"  {entry}\n" for entry in entries)
    return (
        f"{FEED_HEAD}"
        f"  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        f"{body}</feed>\n"
    ).encode()


class ArxivServer:
    """The arXiv API on ``127.0.0.1`` at a free port; see the module."""

    def __init__(self, *, entries: Sequence[str] = (), delay: float = 0.0):
        self.entries = list(entries)
        self.delay = delay
        self.requests: list[dict[str, str]] = []
        self._fixed: tuple[int, bytes] | None = None
        self._failures: dict[int, tuple[int, int]] = {}
        self._empty: dict[int, int] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/api/query"

    def respond_with(self, body: bytes, *, status: int = 200) -> None:
        """Answer every request with ``body`` (until ``serve_entries``)."""
        self._fixed = (status, body)

    def serve_entries(self, entries: Sequence[str]) -> None:
        self.entries = list(entries)
        self._fixed = None

    def fail(self, *, start: int, times: int, status: int = 503) -> None:
        """Answer the next ``times`` search requests for ``start`` with
        ``status`` and no body."""
        with self._lock:
            self._failures[start] = (times, status)

    def empty(self, *, start: int, times: int) -> None:
        """Answer the next ``times`` search requests for ``start`` with a
        feed that counts every entry but holds none."""
        with self._lock:
            self._empty[start] = times

    def start(self) -> ArxivServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        httpd.daemon_threads = True
        self._httpd = httpd
        # A short poll interval, so stopping the server takes no half second.
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="arxiv-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ArxivServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def answer(self, params: dict[str, str]) -> tuple[int, bytes]:
        """The status and body for a request with ``params``."""
        with self._lock:
            self.requests.append(params)
            start = int(params.get("start") or 0)
            times, status = self._failures.get(start, (0, 0))
            if times and not params.get("id_list"):
                self._failures[start] = (times - 1, status)
                return status, b""
            searching = not params.get("id_list") and self._fixed is None
            if searching and self._empty.get(start):
                self._empty[start] -= 1
                return 200, atom_feed([], total=len(self.entries), start=start)
        if self._fixed is not None:
            return self._fixed
        if params.get("id_list"):
            by_id = {entry_id(entry): entry for entry in self.entries}
            wanted = params["id_list"].split(",")
            found = [by_id[i] for i in wanted if i in by_id]
            return 200, atom_feed(found, total=len(found))
        size = int(params.get("max_results") or 10)
        page = self.entries[start : start + size]
        return 200, atom_feed(page, total=len(self.entries), start=start)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
                params = {key: values[-1] for key, values in query.items()}
                if server.delay:
                    time.sleep(server.delay)
                status, body = server.answer(params)
                try:
                    self.send_response(status)
                    self.send_header(
                        "Content-Type", "application/atom+xml; charset=UTF-8"
                    )
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    # The client is gone (a worker killed by its test, a
                    # request timed out): nobody to answer, nothing wrong.
                    pass

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass  # tests read ``server.requests``, not stderr

        return Handler
