"""Versions of one work: a preprint and its published article are often two
records in OpenAlex (and the preprint a third one in arXiv). This service
groups them, so a profile lists the work once with its versions beside it.

Two rows are versions of one work when

- **arXiv id**: one row's arXiv id (its own or its related one) is the other's
  ``related_arxiv_id`` (the upsert path keeps there the arXiv id a record
  states while another row holds it);
- **DOI**: one row's DOI is the arXiv DOI (``10.48550/arxiv.<id>``) of an
  arXiv id the other row holds or relates to;
- **title**: both have the same ``title_key`` (of at least
  ``TITLE_KEY_MIN_LENGTH`` characters), the same first author (the researcher
  at position 0), publication years at most ``TITLE_YEARS_APART`` apart, and
  one of them is a preprint. Two published items with one title by one author
  (a conference paper and its journal version, yearly reports) stay apart:
  only a preprint is taken for an earlier version on title evidence alone.

A group is a connected component of these relations. Its listed version
(``canonical`` NULL) is the published one: not a preprint, then with an
OpenAlex id, then the most cited, then the lowest id, so the choice is
deterministic; every other member points straight at it (groups are flat).

Grouping works from the rows that changed: their current groups are
recomputed from their members' relations, followed through the groups those
relations reach, up to ``MAX_HOPS`` steps; groups reached beyond that are
joined as they stand (grouped when they changed, their own relations are
already in them). Every lookup goes through an index (the unique arXiv id
and DOI, the partial index on ``related_arxiv_id``, ``(work, position)``
and ``(researcher, work)`` of authorships, ``canonical``), a batch at a
time, so it scales to the full catalog. Title candidates are read from the
first author's works, not by title: a common title is shared by far more
rows than anyone authors. Idempotent: grouping unchanged rows again writes
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from bzpeer.db import AdvisoryLock, advisory_xact_lock, quoted_table

from .models import Authorship, Work

logger = logging.getLogger(__name__)

PREPRINT_TYPES = ("preprint", "posted-content")
ARXIV_DOI_PREFIX = "10.48550/arxiv."
TITLE_YEARS_APART = 2
# Shorter keys are generic ("introduction", "editorial", "book review"):
# a shared title says nothing there.
TITLE_KEY_MIN_LENGTH = 15
BATCH_SIZE = 2000
# Relations followed from the changed rows. Two steps reach every version of
# a preprint-article-arXiv triple even when none of them was grouped before.
MAX_HOPS = 3


@dataclass(frozen=True)
class _Row:
    id: int
    canonical_id: int | None
    is_preprint: bool
    has_openalex_id: bool
    cited_by_count: int

    @property
    def listing_rank(self) -> tuple:
        """Lowest is listed: published, from OpenAlex, most cited, oldest."""
        return (
            self.is_preprint,
            not self.has_openalex_id,
            -self.cited_by_count,
            self.id,
        )


def _tables() -> dict[str, str]:
    return {"work": quoted_table(Work), "authorship": quoted_table(Authorship)}


_GROUP_ROWS_SQL = """
    WITH roots AS (
        SELECT DISTINCT COALESCE(canonical_id, id) AS id
        FROM {work} WHERE id = ANY(%(ids)s)
    )
    SELECT w.id, w.canonical_id, w.type = ANY(%(preprint)s),
           w.openalex_id IS NOT NULL, w.cited_by_count
    FROM {work} w JOIN roots r ON w.id = r.id
    UNION
    SELECT w.id, w.canonical_id, w.type = ANY(%(preprint)s),
           w.openalex_id IS NOT NULL, w.cited_by_count
    FROM {work} w JOIN roots r ON w.canonical_id = r.id
"""

# Each branch but the last is one indexed lookup per row of ``s``. The
# explicit ``related_arxiv_id <> ''`` lets the planner use the partial index.
#
# The title branch starts from the first author, never from ``title_key``:
# a frequent long title ("Reply to comment on ...", "Erratum: ...") is shared
# by ~10^5 rows, a first author's works are ~10^4 at most. ``title_authors``
# and ``first_authored`` are MATERIALIZED so the planner cannot turn the join
# around into a ``title_key`` lookup: each distinct first author of the batch
# is read once through an authorship index on the researcher, the works they
# head through the primary key, and those are joined with ``s`` in memory on
# (first author, title key).
_RELATIONS_SQL = """
    WITH s AS (
        SELECT w.id, w.arxiv_id, w.related_arxiv_id, w.doi, w.title_key,
               w.type, w.publication_year, fa.researcher_id AS first_author_id
        FROM {work} w
        LEFT JOIN {authorship} fa ON fa.work_id = w.id AND fa.position = 0
        WHERE w.id = ANY(%(ids)s)
    ),
    title_authors AS MATERIALIZED (
        SELECT DISTINCT first_author_id AS id FROM s
        WHERE first_author_id IS NOT NULL
          AND length(title_key) >= %(title_min)s
    ),
    first_authored AS MATERIALIZED (
        SELECT a.researcher_id, o.id, o.title_key, o.type, o.publication_year
        FROM title_authors r
        JOIN {authorship} a ON a.researcher_id = r.id AND a.position = 0
        JOIN {work} o ON o.id = a.work_id
    )
    SELECT s.id, o.id FROM s JOIN {work} o ON o.arxiv_id = s.related_arxiv_id
    WHERE s.related_arxiv_id <> ''
    UNION ALL
    SELECT s.id, o.id FROM s JOIN {work} o ON o.related_arxiv_id = s.arxiv_id
    WHERE o.related_arxiv_id <> ''
    UNION ALL
    SELECT s.id, o.id FROM s
    JOIN {work} o ON o.related_arxiv_id = s.related_arxiv_id
    WHERE s.related_arxiv_id <> '' AND o.related_arxiv_id <> '' AND o.id <> s.id
    UNION ALL
    SELECT s.id, o.id FROM s
    JOIN {work} o ON o.doi = %(doi_prefix)s || lower(s.arxiv_id)
    WHERE o.id <> s.id
    UNION ALL
    SELECT s.id, o.id FROM s
    JOIN {work} o ON o.doi = %(doi_prefix)s || lower(s.related_arxiv_id)
    WHERE s.related_arxiv_id <> '' AND o.id <> s.id
    UNION ALL
    SELECT s.id, o.id FROM s
    JOIN {work} o ON o.arxiv_id = substr(s.doi, %(doi_cut)s)
    WHERE s.doi LIKE %(doi_pattern)s AND o.id <> s.id
    UNION ALL
    SELECT s.id, o.id FROM s
    JOIN {work} o ON o.related_arxiv_id = substr(s.doi, %(doi_cut)s)
    WHERE s.doi LIKE %(doi_pattern)s AND o.related_arxiv_id <> ''
      AND o.id <> s.id
    UNION ALL
    SELECT s.id, o.id FROM s
    JOIN first_authored o
      ON o.researcher_id = s.first_author_id AND o.title_key = s.title_key
     AND o.id <> s.id
    WHERE length(s.title_key) >= %(title_min)s
      AND o.publication_year
          BETWEEN s.publication_year - %(years)s AND s.publication_year + %(years)s
      AND (s.type = ANY(%(preprint)s) OR o.type = ANY(%(preprint)s))
"""

_UPDATE_SQL = """
    UPDATE {work} w SET canonical_id = d.canonical_id, updated_at = now()
    FROM unnest(%(ids)s::bigint[], %(canonical_ids)s::bigint[])
         AS d(id, canonical_id)
    WHERE w.id = d.id AND w.canonical_id IS DISTINCT FROM d.canonical_id
"""


def _group_rows(cursor, ids: Iterable[int]) -> dict[int, _Row]:
    """The rows of the groups ``ids`` belong to (their roots and every row
    pointing at those roots)."""
    cursor.execute(
        _GROUP_ROWS_SQL.format(**_tables()),
        {"ids": sorted(ids), "preprint": list(PREPRINT_TYPES)},
    )
    return {row[0]: _Row(*row) for row in cursor.fetchall()}


def _relations(cursor, ids: Iterable[int]) -> list[tuple[int, int]]:
    """Pairs (a row of ``ids``, a version of it) under the module's rules."""
    cursor.execute(
        _RELATIONS_SQL.format(**_tables()),
        {
            "ids": sorted(ids),
            "doi_prefix": ARXIV_DOI_PREFIX,
            "doi_pattern": ARXIV_DOI_PREFIX + "%",
            "doi_cut": len(ARXIV_DOI_PREFIX) + 1,
            "title_min": TITLE_KEY_MIN_LENGTH,
            "years": TITLE_YEARS_APART,
            "preprint": list(PREPRINT_TYPES),
        },
    )
    return cursor.fetchall()


class _Components:
    """Union-find over row ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, node: int) -> int:
        self.parent.setdefault(node, node)
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)

    def groups(self) -> Iterator[list[int]]:
        members: dict[int, list[int]] = {}
        for node in list(self.parent):
            members.setdefault(self.find(node), []).append(node)
        yield from members.values()


def _desired_canonicals(
    rows: dict[int, _Row], recomputed: set[int], relations: list[tuple[int, int]]
) -> dict[int, int | None]:
    """The canonical each of ``rows`` should have: the groups of the rows in
    ``recomputed`` rebuilt from ``relations``, the other groups kept whole."""
    components = _Components()
    for row in rows.values():
        components.find(row.id)
        if row.id not in recomputed and row.canonical_id in rows:
            components.union(row.id, row.canonical_id)
    for a, b in relations:
        components.union(a, b)
    desired: dict[int, int | None] = {}
    for members in components.groups():
        listed = min(members, key=lambda member: rows[member].listing_rank)
        for member in members:
            desired[member] = None if member == listed else listed
    return desired


def versions_group_ids(*, work_ids: Iterable[int]) -> int:
    """Regroup the versions of ``work_ids`` (and of every row related to
    them) and return how many rows got a new ``canonical``; their
    ``updated_at`` moves too. One transaction (a savepoint in the caller's),
    holding the grouping lock; a few queries whatever the number of ids.
    Idempotent."""
    ids = set(work_ids)
    if not ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Two processes grouping overlapping rows could otherwise leave a chain.
        advisory_xact_lock(AdvisoryLock.VERSIONS_GROUP)
        rows = _group_rows(cursor, ids)
        if not rows:
            return 0
        recomputed: set[int] = set()
        relations: list[tuple[int, int]] = []
        frontier = set(rows)
        for _ in range(MAX_HOPS):
            found = _relations(cursor, frontier)
            relations += found
            recomputed |= frontier
            reached = {b for _, b in found} - rows.keys()
            if not reached:
                break
            grown = {
                row_id: row
                for row_id, row in _group_rows(cursor, reached).items()
                if row_id not in rows
            }
            rows |= grown
            frontier = set(grown)
            if not frontier:
                break
        # A related row deleted meanwhile is not in ``rows``; drop its pairs.
        relations = [(a, b) for a, b in relations if a in rows and b in rows]
        desired = _desired_canonicals(rows, recomputed, relations)
        changes = {
            row_id: canonical_id
            for row_id, canonical_id in desired.items()
            if rows[row_id].canonical_id != canonical_id
        }
        if not changes:
            return 0
        changed_ids = sorted(changes)
        cursor.execute(
            _UPDATE_SQL.format(**_tables()),
            {
                "ids": changed_ids,
                "canonical_ids": [changes[row_id] for row_id in changed_ids],
            },
        )
        return cursor.rowcount


def versions_changed_batches(
    *, since: datetime, after_id: int = 0, batch_size: int = BATCH_SIZE
) -> Iterator[list[int]]:
    """Ids of the works changed at or after ``since`` (``updated_at``, which
    the upsert path moves only on a change), above ``after_id``, in id
    order, ``batch_size`` at a time: one keyset page per batch, through the
    ``updated_at`` index for a small set and the primary key for a large
    one. Rows the grouping itself changes come up again, harmlessly."""
    while True:
        batch = list(
            Work.objects.filter(updated_at__gte=since, id__gt=after_id)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not batch:
            return
        yield batch
        after_id = batch[-1]


def versions_group(
    *,
    since: datetime | None = None,
    work_ids: Iterable[int] | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Group the versions of the works changed at or after ``since``, or of
    ``work_ids``, and return how many rows got a new ``canonical``. Each
    batch of ``batch_size`` commits on its own (``versions_group_ids``).
    Idempotent. Call it after every import, outside the import's own
    transaction."""
    if (since is None) == (work_ids is None):
        raise ValueError("pass exactly one of since= and work_ids=")
    if work_ids is not None:
        ids = sorted(set(work_ids))
        batches: Iterable[list[int]] = (
            ids[start : start + batch_size] for start in range(0, len(ids), batch_size)
        )
    else:
        batches = versions_changed_batches(since=since, batch_size=batch_size)
    changed = 0
    for batch in batches:
        changed += versions_group_ids(work_ids=batch)
    if changed:
        logger.info("versions: %d work(s) got a new canonical version", changed)
    return changed
