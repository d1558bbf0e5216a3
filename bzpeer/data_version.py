"""One data version for every cache of derived pages and pictures (the
research graph's slices, the site search's results, whole pages for
anonymous visitors: bzpeer.page_cache): a counter in Redis
that every change of what they show moves, so a cached item keyed by the
version it was built from is never served after such a change.

Moved by: the end of every import run (works' after-run step), every
researcher or work merge, every claim decision, every owner curation, every
follow and unfollow, every trust recompute that stored a score. A
writer calls ``data_version_bump()`` after its commit
(``data_version_bump_after_commit()`` inside a transaction).

With Redis down, ``data_version_get()`` answers None (callers then build
without caching) and a bump is lost, harmlessly: nothing could be cached
meanwhile, and the version only ever moves forward."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

KEY = "data-version"


def data_version_get() -> int | None:
    """The current data version, or None when the cache cannot be reached.
    One Redis round trip."""
    try:
        version = cache.get(KEY)
        if version is None:
            cache.add(KEY, 1, timeout=None)
            version = cache.get(KEY, 1)
        return int(version)
    except (RedisError, OSError):
        logger.warning("cache unavailable: no data version, nothing cached")
        return None


def data_version_bump() -> None:
    """Move the data version on: everything cached under an older one is
    stale from now on. Never raises."""
    try:
        try:
            cache.incr(KEY)
        except ValueError:  # not set yet (a flushed cache)
            cache.add(KEY, 2, timeout=None)
    except (RedisError, OSError):
        logger.warning("cache unavailable: the data version did not move")


def data_version_bump_after_commit() -> None:
    """``data_version_bump`` once the current transaction commits (at once
    outside one), so no reader rebuilds from rows not yet committed."""
    transaction.on_commit(data_version_bump)
