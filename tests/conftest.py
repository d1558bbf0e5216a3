"""Fixtures of the whole suite: an empty cache for each test, and a second
database session."""

import pytest
from django.core.cache import cache

from tests.helpers.celery_worker import worker_database_url


@pytest.fixture(autouse=True)
def _clear_cache():
    """Tests share one Redis: start each with an empty cache database."""
    cache.clear()
    yield


@pytest.fixture
def other_session(django_db_setup):
    """A second database session on the test database, as another worker
    process would hold (autocommit; closed after the test)."""
    import psycopg

    other = psycopg.connect(worker_database_url(), autocommit=True)
    yield other
    other.close()
