"""Fixtures of the graph's tests: a Redis of the test's own (to stop), and
Python processes of their own on the test database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
import redis

from tests.helpers.celery_worker import worker_database_url
from tests.helpers.paths import ROOT

WAIT_SECONDS = 10


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own on a spare port, as (process, URL);
    the test stops it when it likes, the fixture at the end."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: make test installs it")
    port = spare_port()
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
        + ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        + ["--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"redis-server did not answer on port {port}")
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait()


@pytest.fixture
def cache_on(settings):
    """Point the cache at a Redis URL for the rest of the test (Django's
    setting_changed handler rebuilds the cache connections)."""

    def point(url: str, prefix: str = "bzpeer-graph-own") -> None:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": prefix,
            }
        }

    return point


def run_python(code: str, *, env: dict[str, str] | None = None, timeout=120):
    """Run ``code`` in a Python process of its own with the test settings on
    the test database (its data must be committed: ``transactional_db``);
    return the finished process (stdout and stderr as text)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings.test",
        "DATABASE_URL": worker_database_url(),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
