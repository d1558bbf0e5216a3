"""Whole pages for anonymous visitors, served from the cache under the data
version (bzpeer.data_version): a page stored while the version was N is
never served once a write moved it to N+1, so the cache needs no other
invalidation and its timeout only bounds its memory.

Only what is the same for every anonymous visitor is stored:

- a GET from a request carrying no session or messages cookie (a logged-in
  user, or a visitor with a message waiting, gets the page rendered for
  them, and theirs is never stored);
- a 200 that sets no cookie and rendered no CSRF token (a page with a form
  of its own is rendered each time, so no visitor gets another's token).

What a view must still do on every request — counting a profile view — it
does through ``on_hit``, called with what the view left on its response
(``response.page_cache_meta``) when it was stored. With Redis down nothing
is cached and every page is rendered, as before."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError

from .data_version import data_version_get

logger = logging.getLogger(__name__)

HitHandler = Callable[[HttpRequest, dict], None]


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _cacheable_response(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
    )


def page_key(version: int, path: str) -> str:
    digest = hashlib.sha256(path.encode()).hexdigest()[:32]
    return f"page:{version}:{digest}"


# The attribute of a cached view (and of every wrapper ``functools.wraps``
# puts around it) that answers a request from the cache, or None.
ANSWER_ATTRIBUTE = "page_cache_answer"


def _stored_answer(
    request: HttpRequest, on_hit: HitHandler | None
) -> HttpResponse | None:
    """The page stored for ``request`` under the current data version
    (``on_hit`` run first), or None: not cacheable, not stored, no cache."""
    if not _cacheable_request(request):
        return None
    version = data_version_get()
    if version is None:
        return None
    try:
        stored = cache.get(page_key(version, request.get_full_path()))
    except (RedisError, OSError):
        logger.warning("page cache unavailable: %s rendered", request.path)
        return None
    if stored is None:
        return None
    content, content_type, meta = stored
    if on_hit is not None and meta:
        on_hit(request, meta)
    response = HttpResponse(content, content_type=content_type)
    response["X-Page-Cache"] = "hit"
    return response


def anonymous_page_cache(view=None, *, on_hit: HitHandler | None = None):
    """Decorate a page view: anonymous visitors are answered from the cache
    when the page is there under the current data version (``on_hit`` runs
    first), and a page rendered for them is stored. ``@anonymous_page_cache``
    or ``@anonymous_page_cache(on_hit=...)``.

    The view (and what wraps it) carries ``ANSWER_ATTRIBUTE``: a middleware
    that would otherwise do work around the view first (a transaction with a
    statement timeout) asks it for the stored page."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            stored = _stored_answer(request, on_hit)
            if stored is not None:
                return stored
            version = data_version_get() if _cacheable_request(request) else None
            response = view(request, *args, **kwargs)
            if version is not None and _cacheable_response(request, response):
                entry = (
                    response.content,
                    response["Content-Type"],
                    getattr(response, "page_cache_meta", None),
                )
                try:
                    cache.set(
                        page_key(version, request.get_full_path()),
                        entry,
                        timeout=settings.PAGE_CACHE_SECONDS,
                    )
                except (RedisError, OSError):
                    logger.warning(
                        "page cache unavailable: %s not stored", request.path
                    )
                response["X-Page-Cache"] = "miss"
            return response

        setattr(
            wrapper, ANSWER_ATTRIBUTE, lambda request: _stored_answer(request, on_hit)
        )
        return wrapper

    if view is not None:
        return decorate(view)
    return decorate
