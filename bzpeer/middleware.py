"""A statement timeout for the web requests whose cost a visitor controls
(search): ``SET LOCAL statement_timeout`` in a transaction around the view,
so it ends with the request and never reaches a worker or a command, which
do not pass through middleware.

Only views marked with ``with_statement_timeout`` get one: ATOMIC_REQUESTS
is off on purpose (views that enqueue tasks after commit, or take advisory
locks, decide their own transactions), and ``SET LOCAL`` means nothing
outside a transaction block."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.shortcuts import render
from psycopg.errors import QueryCanceled

logger = logging.getLogger(__name__)

TIMEOUT_ATTRIBUTE = "statement_timeout"


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
