"""Database helpers every app shares: the registry of PostgreSQL advisory
locks, and quoting a model's table for raw SQL.

Advisory locks are keyed by two integers; each lock the project takes is
named here once, so no two purposes can pick the same key by accident. A
lock whose second key is a row id (one per import run) gives only its
namespace.
"""

from __future__ import annotations

import enum

from django.db import connection
from django.db.models import Model


class AdvisoryLock(enum.Enum):
    """(namespace, key) of each advisory lock; namespaces are two ASCII
    letters, so ``pg_locks`` tells at a glance whose lock it sees."""

    # Transaction lock around every catalog batch write: the upsert path picks
    # row ids before it inserts, so two runs inserting one new work at once
    # would otherwise fail on its natural key ("WC").
    CATALOG_WRITE = (0x5743, 0)
    # Transaction lock around version grouping: two processes regrouping
    # overlapping rows could otherwise leave a chain ("WV").
    VERSIONS_GROUP = (0x5756, 0)
    # Transaction lock that keeps two beat ticks from planning a refresh at
    # once ("WF").
    RESEARCHERS_REFRESH = (0x5746, 1)
    # Session lock per import run, keyed by the run's id: one process loads a
    # run at a time, and PostgreSQL frees it when that process dies ("WR").
    IMPORT_RUN = (0x5752, None)
    # Session lock per part file of a fanned-out snapshot run, keyed by the
    # part's id: one worker loads a part at a time ("WP").
    IMPORT_RUN_PART = (0x5750, None)

    @property
    def namespace(self) -> int:
        return self.value[0]

    def key(self, object_id: int | None = None) -> tuple[int, int]:
        """The two integers of this lock (of ``object_id``'s lock for a lock
        per row)."""
        namespace, fixed = self.value
        if (fixed is None) == (object_id is None):
            raise ValueError(f"{self.name} takes {'an' if fixed is None else 'no'} id")
        return namespace, fixed if fixed is not None else object_id


def advisory_xact_lock(lock: AdvisoryLock) -> None:
    """Wait for ``lock`` until the current transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(lock.key()))


def advisory_xact_lock_try(lock: AdvisoryLock) -> bool:
    """Take ``lock`` until the current transaction ends when it is free;
    False, without waiting, when another session holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", list(lock.key()))
        return bool(cursor.fetchone()[0])


def quoted_table(model: type[Model]) -> str:
    """``model``'s table name, quoted for raw SQL."""
    return connection.ops.quote_name(model._meta.db_table)
