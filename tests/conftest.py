import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Tests share one Redis: start each with an empty cache namespace."""
    cache.clear()
    yield
