"""A redis-server of a test's own on a spare port, never the machine's: for
tests that stop Redis, or count its connections."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

# How long a starting redis-server may take to answer; a bound on polling.
WAIT_SECONDS = 10


def spare_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_server(
    folder: Path, port: int | None = None
) -> Iterator[tuple[subprocess.Popen, str]]:
    """Start a redis-server (nothing kept on disk) on ``port`` (a spare one
    by default; a given one to bring a stopped server back where it was) and
    yield (process, URL) once it answers a PING; the caller may stop it
    early, it is killed at the end either way."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: make test installs it")
    port = port or spare_port()
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
        + ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        + ["--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    probe = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        while True:
            try:
                probe.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"redis-server did not answer on port {port}")
                time.sleep(0.05)
        probe.close()
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait()
