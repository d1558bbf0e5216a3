"""Reads of public pages from a PostgreSQL read replica, when one is
configured (``DATABASE_REPLICA_URL`` adds ``DATABASES["replica"]``);
everything else on the primary.

A replica lags its primary (streaming replication: usually well under a
second, more under load), so a read goes to it only when a stale answer is
harmless and nothing is written back from it. All of these must hold:

- the request is an anonymous GET or HEAD (no logged-in session, no
  ``Authorization`` header: an API token) of a page in ``REPLICA_VIEWS``,
  as ``ReplicaReadsMiddleware`` finds it;
- nothing was written earlier in that request (a write pins the rest of the
  request to the primary: read-your-writes);
- the primary's connection is not inside a transaction (an atomic block
  reads what it wrote and holds its locks; search's statement timeout is set
  with ``SET LOCAL`` on the primary's connection);
- the model is not an account, session, token or admin row.

Workers, commands, the admin, logged-in visitors and every other page never
allow replica reads, so they read the primary. The router routes the ORM
only: raw SQL through ``django.db.connection`` runs on the primary
(``read_connection`` gives raw readers the router's choice). Without a
replica configured the router answers None everywhere, which leaves
Django's defaults unchanged.

No page that stores what it builds under the data version
(``bzpeer.data_version``) may read the replica: the anonymous page cache
(``bzpeer.page_cache``: home, search, profile, trust, work, topic and
institution pages), search results and graph slices. A replica still behind
a version just moved (an owner hid a work, an import ended) would have them
store the old rows under the new version, served until the next change.
Their misses read the primary, once per page and version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, router

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"

# URL names (with namespace) of the pages whose anonymous reads may go to the
# replica: public, read-only, and cached under no data version.
# tests/bzpeer/test_db_router.py checks that each exists and that none is
# in the page cache.
REPLICA_VIEWS = frozenset(
    {
        "trust",
        "profiles:topics",
        "profiles:collaborators",
        "profiles:citations",
        "catalog:work_citation",
        # The public API's reads (its graph slices are cached: left out).
        "api:researchers",
        "api:researcher",
        "api:researcher-works",
        "api:researcher-citations",
        "api:works",
        "api:work",
        "api:work-citations",
        "api:topics",
        "api:topic",
        "api:institutions",
        "api:institution",
    }
)

# Rows that decide who someone is and what they may do: always the primary
# (a password just changed, a session just opened, a token just revoked).
PRIMARY_ONLY_APPS = frozenset(
    {
        "admin",
        "auth",
        "contenttypes",
        "sessions",
        "account",
        "socialaccount",
        "authtoken",
    }
)

SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class _RequestReads:
    # Mutated, never replaced, so a copied context (ASGI's sync_to_async)
    # still shares the request's state.
    replica_allowed: bool = False
    written: bool = False


_request_reads: ContextVar[_RequestReads | None] = ContextVar(
    "bzpeer_request_reads", default=None
)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the ORM reads of the block go to the replica, under the rules of
    this module (no write before, no open transaction, no account rows).
    What ``ReplicaReadsMiddleware`` does around a listed page."""
    token = _request_reads.set(_RequestReads(replica_allowed=True))
    try:
        yield
    finally:
        _request_reads.reset(token)


def read_connection(model):
    """The connection a raw SQL read of ``model``'s rows should use: the
    one the router picks for the ORM (``django.db.connection`` is always the
    primary, so raw reads through it never reach the replica)."""
    return connections[router.db_for_read(model)]


class ReplicaReadsMiddleware:
    """Allows replica reads for anonymous GET and HEAD requests of the pages
    in ``REPLICA_VIEWS``. After AuthenticationMiddleware (it asks whether
    the visitor is logged in) and before StatementTimeoutMiddleware (which
    calls its views itself). An API client with a token is not anonymous
    here: DRF authenticates it only inside the view, so any
    ``Authorization`` header counts as logged in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_reads.set(_RequestReads())
        try:
            return self.get_response(request)
        finally:
            _request_reads.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            request.method in SAFE_METHODS
            and match is not None
            and match.view_name in REPLICA_VIEWS
            and "HTTP_AUTHORIZATION" not in request.META
            and not request.user.is_authenticated
        ):
            state = _request_reads.get()
            if state is not None:
                state.replica_allowed = True
        return None


class ReplicaRouter:
    """``DATABASE_ROUTERS``: reads to the replica when this module's rules
    allow it, everything else to the primary; migrations on the primary
    only (the replica follows it)."""

    def db_for_read(self, model, **hints):
        if not replica_configured():
            return None
        state = _request_reads.get()
        if (
            state is None
            or not state.replica_allowed
            or state.written
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or connections[PRIMARY].in_atomic_block
        ):
            # Explicitly, so a row read from the replica earlier does not
            # take its related reads there (Django's instance hint).
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _request_reads.get()
        if state is not None:
            state.written = True
        return PRIMARY if replica_configured() else None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None
