"""A real HTTP server on 127.0.0.1 that answers badly on purpose: slowly, cut
short, without end, or with the wrong kind of page, at the byte level where
``responses`` cannot reach (a body dribbled a byte at a time, a
``Content-Length`` the body never reaches, a chunked answer that goes on).

``FaultyServer(answer)`` answers every request with ``answer(path, params)``
(a ``Reply``; e.g. the arXiv stand-in's answers, or OpenAlex's recorded ones,
see ``openalex_answer``) unless a fault the test added with ``fault`` matches
the request first. A fault is a ``Reply`` sent the way its ``mode`` says:

- ``"whole"``: the body with its length (an HTML page answered 200);
- ``"dribble"``: the body with its length, one byte every ``interval``
  seconds: each read gets a byte well within any read timeout;
  ``"dribble-headers"``: the status line and headers too;
- ``"short"``: ``Content-Length`` says ``declared`` bytes, the body sends
  fewer, and the connection closes;
- ``"chunked"``: no ``Content-Length``, ``size`` filler bytes in chunks
  (``size=None``: until the client goes away).

Every request's path and parameters are kept in ``requests``. Usable as a
context manager; stopping it ends every answer in flight.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

# Chunk of an endless or enormous chunked answer.
_FILLER = b"x" * 65536


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "whole"
    interval: float = 0.02
    declared: int | None = None
    size: int | None = None


@dataclass
class _Fault:
    reply: Reply
    matches: Callable[[str, dict[str, str]], bool]
    times: int | None


@dataclass
class Seen:
    path: str
    params: dict[str, str]


class FaultyServer:
    """See the module docstring."""

    def __init__(self, answer: Callable[[str, dict[str, str]], Reply]):
        self.answer = answer
        self.requests: list[Seen] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def fault(
        self,
        reply: Reply,
        *,
        when: Callable[[str, dict[str, str]], bool] = lambda path, params: True,
        times: int | None = None,
    ) -> None:
        """Answer the requests ``when(path, params)`` picks with ``reply``:
        the next ``times`` of them, or all (``None``)."""
        with self._lock:
            self._faults.append(_Fault(reply, when, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def made(self, path: str) -> list[Seen]:
        """The requests made for ``path``."""
        return [seen for seen in self.requests if seen.path == path]

    def _reply_for(self, path: str, params: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(Seen(path, params))
            for fault in self._faults:
                if fault.matches(path, params) and fault.times != 0:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault.reply
        return self.answer(path, params)

    def start(self) -> FaultyServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="faulty-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                split = urlsplit(self.path)
                query = parse_qs(split.query, keep_blank_values=True)
                params = {key: values[-1] for key, values in query.items()}
                reply = server._reply_for(split.path, params)
                # One request a connection: a cut or endless answer must not
                # leave a connection the client would reuse.
                self.close_connection = True
                # OSError: the client gave up, which is what a fault is for.
                with contextlib.suppress(OSError):
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                if reply.mode == "dribble-headers":
                    self._dribble(self._head(reply) + reply.body, reply.interval)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Connection", "close")
                if reply.mode == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self._send_chunks(reply.size)
                    return
                length = len(reply.body)
                if reply.mode == "short":
                    length = reply.declared or len(reply.body) * 2 + 1
                self.send_header("Content-Length", str(length))
                self.end_headers()
                if reply.mode == "dribble":
                    self._dribble(reply.body, reply.interval)
                    return
                self.wfile.write(reply.body)
                self.wfile.flush()

            @staticmethod
            def _head(reply: Reply) -> bytes:
                lines = [f"HTTP/1.1 {reply.status} OK"]
                lines += [f"{name}: {value}" for name, value in reply.headers.items()]
                lines += [f"Content-Length: {len(reply.body)}", "Connection: close"]
                return ("\r\n".join(lines) + "\r\n\r\n").encode()

            def _dribble(self, data: bytes, interval: float) -> None:
                for index in range(len(data)):
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                    if server._stopping.wait(interval):
                        return

            def _send_chunks(self, size: int | None) -> None:
                sent = 0
                while size is None or sent < size:
                    if server._stopping.is_set():
                        return
                    chunk = _FILLER if size is None else _FILLER[: size - sent]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent += len(chunk)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # tests read ``server.requests``, not stderr

        return Handler


def openalex_answer(replay: Any) -> Callable[[str, dict[str, str]], Reply]:
    """The answers of an ``OpenAlexReplay`` (``tests.helpers.openalex``) as a
    ``FaultyServer``'s: each request is answered as the replay answers the
    same request made to api.openalex.org."""

    def answer(path: str, params: dict[str, str]) -> Reply:
        url = f"https://api.openalex.org{path}?{urlencode(params)}"
        status, headers, text = replay._answer(SimpleNamespace(url=url, headers={}))
        return Reply(status=status, body=text.encode(), headers=headers)

    return answer


class NoMock:
    """Stands for the ``responses`` mock an ``OpenAlexReplay`` registers
    itself on, when a ``FaultyServer`` answers for it instead."""

    def add_callback(self, *args: Any, **kwargs: Any) -> None:
        pass
