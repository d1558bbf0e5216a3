"""PostgreSQL staging for the upsert path: TEMP tables filled with ``COPY``,
and the column lists that the set-based statements share.

Staging tables are created once per session (``IF NOT EXISTS``) with
``ON COMMIT DELETE ROWS`` and truncated before each use, so a batch's rows
never outlive its transaction and no catalog churn comes from creating tables
per batch. Callers run inside the batch's ``transaction.atomic()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Model

from bzpeer.db import quoted_table


@dataclass
class UpsertResult:
    """What one batch did. ``rejected`` holds (index in the batch, reason)
    for records the upsert refused; every other record was created, updated
    (its row or one of its child sets changed) or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def count(
        cls,
        *,
        total: int,
        created: int,
        updated: int,
        rejected: list[tuple[int, str]],
    ) -> UpsertResult:
        return cls(
            created=created,
            updated=updated,
            unchanged=total - len(rejected) - created - updated,
            rejected=sorted(rejected),
        )


def column_type(model: type[Model], name: str) -> str:
    """The database type of a model column, so staging and target agree."""
    return model._meta.get_field(name).db_type(connection)


def stage_rows(
    cursor,
    name: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[Any]],
    *,
    copied: int | None = None,
    indexes: Sequence[str] = ("seq",),
) -> None:
    """Empty (creating it if needed) the TEMP table ``name`` with
    ``columns`` ((name, type) pairs) and COPY ``rows`` into its leading
    columns; ``copied`` says how many leading columns the rows fill (the
    rest, such as resolved ids, are filled in SQL later). ``indexes`` are
    the column lists that later statements join on."""
    definition = ", ".join(f"{column} {kind}" for column, kind in columns)
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {name} ({definition}) ON COMMIT DELETE ROWS"
    )
    # Joins from a staging table into a 10^8-row target probe the target's
    # index; the other way round (NOT EXISTS into staging, child rows by
    # parent) must not scan the staging table once per target row.
    for number, index_columns in enumerate(indexes):
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {name}_{number} ON {name} ({index_columns})"
        )
    cursor.execute(f"TRUNCATE {name}")
    names = ", ".join(column for column, _ in columns[: copied or len(columns)])
    # Django's cursor wraps psycopg's; COPY is psycopg's own API.
    with cursor.cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
        for row in rows:
            # psycopg copies a tuple as a composite; records keep sequences
            # as tuples (they are frozen), the columns are arrays.
            copy.write_row([list(v) if isinstance(v, tuple) else v for v in row])
    _ANALYZED[name] = _key_columns(columns, indexes)
    analyze(cursor, name)


# The columns ``analyze`` samples in each staging table, set by ``stage_rows``.
_ANALYZED: dict[str, str] = {}
# Staging columns the set-based statements join or group on, besides the
# indexed ones and the ids (``*_id``).
_KEYS = frozenset(
    {
        "seq",
        "position",
        "doi",
        "orcid",
        "ror",
        "reject_reason",
        "is_matched_by_openalex_id",
    }
)


def _key_columns(columns: Sequence[tuple[str, str]], indexes: Sequence[str]) -> str:
    """The column list ``analyze`` samples: the staging table's keys, not its
    texts and arrays (a batch's abstracts or affiliation strings cost most
    of an ANALYZE and no statement joins on them)."""
    indexed = {c.strip() for index in indexes for c in index.split(",")}
    return ", ".join(
        column
        for column, _ in columns
        if column in indexed or column in _KEYS or column.endswith("_id")
    )


def analyze(cursor, *names: str) -> None:
    """Statistics for staging tables, which autovacuum never analyzes: run
    after COPY and again once resolved ids are filled in, or the planner
    takes every resolved column for NULL and nests loops over full scans.
    Only their keys are sampled (``_key_columns``)."""
    for name in names:
        cursor.execute(f"ANALYZE {name} ({_ANALYZED[name]})")


def default_columns(
    model: type[Model], *, written: Iterable[str]
) -> tuple[list[str], list[str], list[Any]]:
    """The columns of ``model`` that an INSERT does not otherwise write, with
    their model defaults: raw SQL gets no Python-side defaults, and a field
    added to the model later must not break the loader. Returns (quoted
    column names, typed placeholders, parameters)."""
    written = set(written)
    names, placeholders, params = [], [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.column in written:
            continue
        if model_field.has_default():
            value = model_field.get_default()
        elif model_field.null:
            value = None
        else:
            raise ImproperlyConfigured(
                f"{model.__name__}.{model_field.name} has no default; "
                "the upsert path must write it"
            )
        names.append(connection.ops.quote_name(model_field.column))
        # A typed placeholder, so a NULL or a JSON default lands in its
        # column's type whether parameters are bound client- or server-side.
        placeholders.append(f"%s::{model_field.db_type(connection)}")
        params.append(model_field.get_db_prep_save(value, connection))
    return names, placeholders, params


def distinct_changed(columns: Iterable[str], *, target: str, new: str) -> str:
    """``(t.a, t.b) IS DISTINCT FROM (n.a, n.b)``: the guard that makes an
    update fire only when something changed, so a reload writes nothing and
    ``updated_at`` keeps its value."""
    columns = list(columns)
    old = ", ".join(f"{target}.{column}" for column in columns)
    fresh = ", ".join(f"{new}.{column}" for column in columns)
    return f"({old}) IS DISTINCT FROM ({fresh})"


def keep_last(records: Sequence[Any], key) -> tuple[list[int], list[tuple[int, str]]]:
    """Indexes of ``records`` to stage when two share ``key(record)``: the
    later one, as a later line of a snapshot is the newer state. The earlier
    ones are returned as rejected with the reason."""
    last: dict[Any, int] = {}
    for index, record in enumerate(records):
        value = key(record)
        last[value if value is not None else ("#", index)] = index
    kept = sorted(last.values())
    kept_set = set(kept)
    rejected = [
        (index, f"superseded by a later record of {key(record)} in the same batch")
        for index, record in enumerate(records)
        if index not in kept_set
    ]
    return kept, rejected


def sync_children(
    cursor,
    *,
    child: type[Model],
    parent: str,
    keys: Sequence[str],
    values: Sequence[str],
    desired: str,
    parents: str,
) -> set[int]:
    """Make the ``child`` rows of the parents that the query ``parents``
    selects equal to the rows of the query ``desired`` (columns ``parent``,
    ``keys``, ``values``): delete the rows it lacks, insert the rows it adds,
    update the values that differ, and leave equal rows alone so that child
    ids survive a reload. Returns the ids of the parents whose set changed.
    Both queries read staging tables and take no parameters."""
    child_table = quoted_table(child)
    matched = " AND ".join(f"d.{column} = c.{column}" for column in (parent, *keys))
    cursor.execute(
        f"""
        DELETE FROM {child_table} c
        WHERE c.{parent} IN ({parents})
          AND NOT EXISTS (SELECT 1 FROM ({desired}) d WHERE {matched})
        RETURNING c.{parent}
        """
    )
    changed = {row[0] for row in cursor.fetchall()}
    columns = [parent, *keys, *values]
    defaults, placeholders, default_params = default_columns(child, written=columns)
    if values:
        assignments = ", ".join(f"{column} = EXCLUDED.{column}" for column in values)
        guard = distinct_changed(values, target="c", new="EXCLUDED")
        on_conflict = f"DO UPDATE SET {assignments} WHERE {guard}"
    else:
        on_conflict = "DO NOTHING"
    cursor.execute(
        f"""
        INSERT INTO {child_table} AS c ({", ".join([*columns, *defaults])})
        SELECT {", ".join([*(f"d.{column}" for column in columns), *placeholders])}
        FROM ({desired}) d
        ORDER BY {", ".join(f"d.{column}" for column in (parent, *keys))}
        ON CONFLICT ({", ".join((parent, *keys))}) {on_conflict}
        RETURNING c.{parent}
        """,
        default_params or None,
    )
    changed |= {row[0] for row in cursor.fetchall()}
    return changed
