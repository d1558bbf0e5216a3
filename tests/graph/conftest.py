"""Fixtures of the graph's tests: a Redis of the test's own (to stop), and
Python processes of their own on the test database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers.celery_worker import worker_database_url
from tests.helpers.paths import ROOT


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
