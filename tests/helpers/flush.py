"""The emptying of the database after each transactional test, as Django's
``flush`` does it (every table of the project emptied, sequences left as
they are, then the ``post_migrate`` signal: content types and permissions
made again), without its cost: one ``TRUNCATE`` of the 40-odd
tables makes PostgreSQL create, sync and remove files for each of them and
their indexes, 0.4 s even when they are empty (seconds on a busy disk),
after each of some 230 tests.

The tables are locked first, as ``TRUNCATE`` locks them (a worker's
transaction still writing is waited for, and nothing writes meanwhile);
then those that hold rows are emptied with ``DELETE`` (the project's
foreign keys are all deferred to the commit, so the order does not matter),
or, when they hold many rows, all are truncated as Django does."""

from __future__ import annotations

from django.core.management.color import no_style
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, transaction
from django.test import TransactionTestCase

# Above this many rows in all, ``TRUNCATE`` is the cheaper way.
DELETE_AT_MOST = 20_000


def tables_emptied(alias: str) -> None:
    """Empty every table of the project in database ``alias``."""
    connection = connections[alias]
    tables = connection.introspection.django_table_names(
        only_existing=True, include_views=False
    )
    if not tables:
        return
    quote = connection.ops.quote_name
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(
            f"LOCK TABLE {', '.join(quote(t) for t in tables)} IN ACCESS EXCLUSIVE MODE"
        )
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT %s, (SELECT count(*) FROM (SELECT FROM {quote(table)}"
                f" LIMIT {DELETE_AT_MOST + 1}) AS r)"
                for table in tables
            ),
            tables,
        )
        rows = dict(cursor.fetchall())
        if sum(rows.values()) > DELETE_AT_MOST:
            statements = connection.ops.sql_flush(no_style(), tables)
        else:
            statements = [f"DELETE FROM {quote(t)}" for t in tables if rows[t]]
        for statement in statements:
            cursor.execute(statement)


_django_fixture_teardown = TransactionTestCase._fixture_teardown


def _fixture_teardown(self) -> None:
    # Django's own flush where it does more (a subset of the apps, or the
    # serialized contents put back afterwards).
    if self.available_apps is not None or self.serialized_rollback:
        return _django_fixture_teardown(self)
    for alias in self._databases_names(include_mirrors=False):
        tables_emptied(alias)
        emit_post_migrate_signal(verbosity=0, interactive=False, db=alias)


def quick_flush_installed(monkeypatch) -> None:
    """Have transactional tests empty the database with ``tables_emptied``."""
    monkeypatch.setattr(TransactionTestCase, "_fixture_teardown", _fixture_teardown)
