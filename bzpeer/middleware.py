"""A statement timeout for the web requests whose cost a visitor controls
(search): ``SET LOCAL statement_timeout`` in a transaction around the view,
so it ends with the request and never reaches a worker or a command, which
do not pass through middleware.

Only views marked with ``with_statement_timeout`` get one: ATOMIC_REQUESTS
is off on purpose (views that enqueue tasks after commit, or take advisory
locks, decide their own transactions), and ``SET LOCAL`` means nothing
outside a transaction block.

``ServiceUnavailableMiddleware`` answers 503 with ``Retry-After`` when a
request fails because PostgreSQL cannot be reached (restarting, failing
over, refusing connections), or the cache's Redis where a view cannot do
without it, instead of a 500."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views import defaults
from psycopg.errors import QueryCanceled
from redis.exceptions import RedisError

from bzpeer.page_cache import ANSWER_ATTRIBUTE

logger = logging.getLogger(__name__)

TIMEOUT_ATTRIBUTE = "statement_timeout"
# What a 503 tells the client to wait before it tries again: a restart or a
# failover of PostgreSQL takes seconds.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = "BZPEER is briefly unavailable: please try again in a minute."
# SQLSTATEs of a server that is going away or will not take a session (class
# 08, connection exceptions, is matched whole): shutting down, crashed,
# starting up, out of connection slots.
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


def with_statement_timeout(*, setting: str, template: str = "") -> Callable:
    """Marks a view to run under the statement timeout named by ``setting``
    (milliseconds); a statement cancelled by it answers 503 with
    ``template`` (a page saying the search took too long)."""

    def decorator(view: Callable) -> Callable:
        setattr(view, TIMEOUT_ATTRIBUTE, (setting, template))
        return view

    return decorator


class StatementTimeoutMiddleware:
    """Runs the marked views in ``transaction.atomic()`` after ``SET LOCAL
    statement_timeout``; a ``QueryCanceled`` becomes a 503, not a 500.
    Last in MIDDLEWARE, so it calls the view itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        marked = getattr(view_func, TIMEOUT_ATTRIBUTE, None)
        if marked is None:
            return None
        setting, template = marked
        # A page the anonymous page cache holds costs no transaction.
        answer = getattr(view_func, ANSWER_ATTRIBUTE, None)
        stored = answer(request) if answer is not None else None
        if stored is not None:
            return stored
        milliseconds = int(getattr(settings, setting))
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true)",
                        [f"{milliseconds}ms"],
                    )
                response = view_func(request, *view_args, **view_kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
                with connection.cursor() as cursor:
                    # Back to the session's value for the rest of an outer
                    # transaction (tests run inside one).
                    cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
        except OperationalError as error:
            if database_is_unreachable(error):
                # process_exception never sees what process_view raises.
                return service_unavailable_response(request, error)
            if not isinstance(error.__cause__, QueryCanceled):
                raise
            logger.warning("statement timeout on %s", request.path)
            return render(
                request,
                template or "503.html",
                {"timeout_ms": milliseconds},
                status=503,
            )
        return response


def database_is_unreachable(error: BaseException) -> bool:
    """True for Django's errors of a connection refused, lost or closed (no
    server, a restart, a failover, a full server), False for errors a
    working server answers with (a cancelled statement, a lock timeout, a
    deadlock, a constraint)."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    # psycopg's own error, which Django's wraps; the client's errors (refused,
    # lost in the middle of a query) carry no SQLSTATE.
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    if sqlstate is None:
        return True
    return sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES


def service_unavailable_response(request, error: BaseException) -> HttpResponse:
    """503 with ``Retry-After``, logged: the API's error body under /api/,
    else the site's 503 page, rendered without context processors and so
    without a database query (no user, no session, no banner)."""
    logger.warning(
        "503 for %s %s: %s unavailable (%s: %s)",
        request.method,
        request.path,
        "the cache" if isinstance(error, RedisError) else "the database",
        type(error.__cause__ or error).__name__,
        str(error).strip(),
    )
    if request.path.startswith("/api/"):
        # The API's one error shape (api.exceptions), which no module below
        # the API imports.
        body = {"code": "service_unavailable", "message": UNAVAILABLE_MESSAGE}
        response = JsonResponse({"error": body}, status=503)
    else:
        response = HttpResponse(
            render_to_string("503.html", {"request": request}),
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ServiceUnavailableMiddleware:
    """Turns a view's (or its template's) failure to reach PostgreSQL, or
    the cache's Redis, into ``service_unavailable_response`` instead of a
    500. Statement timeouts are not its business: a working server cancelled
    the statement (``StatementTimeoutMiddleware`` answers those).

    The site recovers by itself, with no restart: Django tests a persistent
    connection (``CONN_MAX_AGE``) before a request uses it
    (``CONN_HEALTH_CHECKS``) and reconnects, and closes a connection that
    raised at the end of its request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_is_unreachable(exception) or isinstance(exception, RedisError):
            return service_unavailable_response(request, exception)
        return None


def server_error(request):
    """The site's ``handler500``: a 500 whose cause is PostgreSQL or the
    cache's Redis being away (raised outside a view, e.g. while the 404 page
    asked its context processors) answers the 503 instead."""
    error = sys.exc_info()[1]
    if error is not None and (
        database_is_unreachable(error) or isinstance(error, RedisError)
    ):
        return service_unavailable_response(request, error)
    return defaults.server_error(request)
