"""``/healthz``: liveness of what the site depends on (PostgreSQL, Redis).

The status is public: 200 ``{"status": "ok"}`` or 503
``{"status": "unavailable"}``. Which check failed and with what exception
class is shown only to staff users and to requests from the machine itself
(``REMOTE_ADDR`` 127.0.0.1 or ::1; forwarded headers are not trusted), so a
stranger learns nothing about the stack from a probe.

The Redis check borrows a connection from a module-level pool per URL: a
probe every few seconds reuses one connection instead of opening a new one
per hit.
"""

from __future__ import annotations

import logging
import threading

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1"})
# Short timeouts so a stuck server cannot hang the probe.
REDIS_TIMEOUT_SECONDS = 2

_pools: dict[str, redis.ConnectionPool] = {}
_pools_lock = threading.Lock()


def redis_pool(url: str) -> redis.ConnectionPool:
    """The health check's connection pool for ``url``, made once a process."""
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None:
            pool = redis.ConnectionPool.from_url(
                url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            _pools[url] = pool
        return pool


def site_health() -> dict[str, str]:
    """ "ok" or a short error for the database (``SELECT 1``) and Redis (a
    PING on ``REDIS_URL`` over the pooled connection). Never cached. Error
    details go to the log; the view decides who sees the short error."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:
        logger.exception("healthz: database check failed")
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis.Redis(connection_pool=redis_pool(settings.REDIS_URL)).ping()
        checks["redis"] = "ok"
    except Exception as exc:
        logger.exception("healthz: redis check failed")
        checks["redis"] = f"error: {type(exc).__name__}"
    return checks


def details_allowed(request) -> bool:
    """Staff users, and requests from this machine by their socket address
    (``REMOTE_ADDR``; an ``X-Forwarded-For`` header anyone can send)."""
    if request.META.get("REMOTE_ADDR", "") in LOCAL_ADDRESSES:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)


@never_cache
@require_safe
def healthz(request):
    checks = site_health()
    healthy = all(value == "ok" for value in checks.values())
    answer = {"status": "ok" if healthy else "unavailable"}
    if details_allowed(request):
        answer.update(checks)
    return JsonResponse(answer, status=200 if healthy else 503)
