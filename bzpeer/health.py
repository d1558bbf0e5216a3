"""``/healthz``: liveness of what the site depends on (PostgreSQL, Redis)."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def site_health() -> dict[str, str]:
    """ "ok" or a short error for the database (``SELECT 1``) and Redis (a
    PING on ``REDIS_URL``, with short timeouts so a stuck server cannot hang
    the probe). Never cached. Error details go to the log, not the answer."""
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
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        try:
            client.ping()
        finally:
            client.close()
        checks["redis"] = "ok"
    except Exception as exc:
        logger.exception("healthz: redis check failed")
        checks["redis"] = f"error: {type(exc).__name__}"
    return checks


@never_cache
@require_safe
def healthz(request):
    checks = site_health()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks},
        status=200 if healthy else 503,
    )
