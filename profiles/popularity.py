"""Profile views: counted in Redis on every page view, folded into
``Researcher.view_count`` by a periodic task.

A popular profile may be read hundreds of times a second; an ``UPDATE`` per
view would serialize those readers on one row. A view is one ``HINCRBY`` on a
Redis hash (researcher id -> views since the last flush), and
``researcher_views_flush`` turns the whole hash into one set-based ``UPDATE``.

The hash lives in the Django cache's Redis under the cache's key prefix, so a
test run (its own Redis database and prefix) never counts another's views.

A flush takes the hash away atomically (``RENAME`` to a key of its own)
before it writes, so no view is ever added twice; a failed ``UPDATE`` gives
the counters back. Only a flush process killed between the rename and the
commit loses those minutes of views (the renamed hash expires), which a
popularity signal can afford.

Only real readers are counted, so nobody can push a profile up the refresh
queue by reloading it: a page view counts when it is a GET (never HEAD), its
User-Agent is not an obvious robot (``BOT_USER_AGENT``), and the visitor has
not been counted for that researcher in the last ``VISITOR_PERIOD_SECONDS``.
A visitor is a hash of the client address (``REMOTE_ADDR``) and User-Agent;
its "seen" key is set with ``SET NX EX`` and the counter raised in the same
server-side script, so concurrent hits of one visitor count once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid

import redis
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction

from .models import Researcher

logger = logging.getLogger(__name__)

VIEWS_KEY = "profiles:researcher-views"
# A hash taken by a flush that died before deleting it is dropped after this.
FLUSHING_TTL_SECONDS = 24 * 60 * 60
SEEN_KEY = "profiles:researcher-seen"
# A visitor counts once per researcher in this period.
VISITOR_PERIOD_SECONDS = 6 * 60 * 60
# Robots that say so: crawlers, command-line and library clients, headless
# browsers (Playwright's and Puppeteer's "HeadlessChrome" included). An empty
# User-Agent is not taken for a robot.
BOT_USER_AGENT = re.compile(
    r"bot|crawl|spider|slurp|curl|wget|python-requests|python-urllib|httpx"
    r"|aiohttp|go-http-client|okhttp|java/|libwww|scrapy|headless|phantomjs"
    r"|lighthouse|facebookexternalhit|preview",
    re.IGNORECASE,
)
# KEYS: the visitor's "seen" key, the counters' hash; ARGV: period, field.
_COUNT_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
end
return 0
"""


def _client() -> redis.Redis:
    """The Django cache's own Redis connection (``RedisCache``)."""
    return cache._cache.get_client(write=True)


def _views_key() -> str:
    return cache.make_key(VIEWS_KEY)


def is_bot(user_agent: str) -> bool:
    return bool(BOT_USER_AGENT.search(user_agent or ""))


def _visitor(request) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    agent = request.META.get("HTTP_USER_AGENT", "")
    return hashlib.sha256(f"{address}\0{agent}".encode()).hexdigest()[:32]


def researcher_view_record(*, researcher_id: int, request=None) -> None:
    """Count one view of the researcher ``researcher_id``: one ``HINCRBY``,
    no database write. A Redis outage loses the view, never the page.

    With ``request`` (a page view), count it only when it is a GET from a
    visitor that is not a robot and was not counted for this researcher in
    the last ``VISITOR_PERIOD_SECONDS``: one atomic script, one round trip."""
    if request is not None:
        if request.method != "GET":
            return
        if is_bot(request.META.get("HTTP_USER_AGENT", "")):
            return
    try:
        client = _client()
        if request is None:
            client.hincrby(_views_key(), str(researcher_id), 1)
            return
        seen = cache.make_key(f"{SEEN_KEY}:{researcher_id}:{_visitor(request)}")
        client.eval(
            _COUNT_ONCE,
            2,
            seen,
            _views_key(),
            VISITOR_PERIOD_SECONDS,
            str(researcher_id),
        )
    except redis.RedisError:
        logger.warning("could not count a view of researcher %s", researcher_id)


def researcher_views_pending() -> dict[int, int]:
    """Views counted in Redis and not yet flushed, by researcher id."""
    return _parse(_client().hgetall(_views_key()))


def _parse(raw: dict[bytes, bytes]) -> dict[int, int]:
    views: dict[int, int] = {}
    for field, value in raw.items():
        try:
            researcher_id, count = int(field), int(value)
        except ValueError:
            logger.warning("ignoring a malformed view counter %r=%r", field, value)
            continue
        if count > 0:
            views[researcher_id] = count
    return views


def _take_views(client: redis.Redis) -> str | None:
    """Atomically move the counters away from the hash that views write to,
    under a key of this flush's own, and return that key (``None`` when no
    view was counted): a view counted meanwhile starts a new hash."""
    taken = f"{_views_key()}:flushing:{uuid.uuid4().hex}"
    pipeline = client.pipeline(transaction=True)
    pipeline.rename(_views_key(), taken)
    pipeline.expire(taken, FLUSHING_TTL_SECONDS)
    try:
        pipeline.execute()
    except redis.ResponseError as exc:
        if "no such key" in str(exc).lower():
            return None
        raise
    return taken


def _give_back(client: redis.Redis, taken: str, views: dict[int, int]) -> None:
    """Return counters whose ``UPDATE`` failed to the live hash."""
    pipeline = client.pipeline(transaction=True)
    for researcher_id, count in views.items():
        pipeline.hincrby(_views_key(), str(researcher_id), count)
    pipeline.delete(taken)
    pipeline.execute()


def _add_views(views: dict[int, int]) -> int:
    table = Researcher._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS researcher"
            " SET view_count = researcher.view_count + counted.views"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS counted(id, views)"
            " WHERE researcher.id = counted.id",
            [list(views), list(views.values())],
        )
        return cursor.rowcount


def researcher_views_flush() -> int:
    """Add the views counted in Redis to ``Researcher.view_count`` in one
    ``UPDATE`` and return how many researchers it changed.

    Counters of researchers deleted since their views were counted are
    dropped. Safe to run concurrently: each flush takes its own snapshot of
    the counters, so none is added twice. When the ``UPDATE`` fails the
    counters go back to Redis for the next flush."""
    client = _client()
    taken = _take_views(client)
    if taken is None:
        return 0
    views = _parse(client.hgetall(taken))
    try:
        with transaction.atomic():
            changed = _add_views(views) if views else 0
    except DatabaseError:
        _give_back(client, taken, views)
        raise
    client.delete(taken)
    return changed
