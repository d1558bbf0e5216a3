"""Tie strength between coauthors, and who counts as a close collaborator.

Tie strength is Newman's collaboration weight: for researchers X and Y,

    tie(X, Y) = sum over the works they share of 1 / (n - 1)

where n is the work's team size (``Work.author_count``, as the source states
it). Each author of an n-author paper spreads one unit of tie over the n - 1
others, so a 3-author paper ties each pair by 1/2 and a 200-author paper by
1/199. Works with fewer than two authors tie nobody and are skipped. The
versions of one work (a preprint and its article, see ``works.versions``) are
one shared work: a pair on both is tied once, at the larger of their team
sizes.

A *close collaborator* is a coauthor whose tie strength reaches
``settings.CLOSE_COLLABORATOR_THRESHOLD`` (0.2: one shared paper in a team of up
to six, or repeated work in larger teams).

Everything here is a read (a selector) computed in PostgreSQL from
``works_authorship`` joined to itself on ``work_id``; nothing is stored here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from bzpeer.db import quoted_table
from works.models import Authorship, Work

from .models import Researcher
from .visibility import hidden_authorship_sql

# The pair join multiplies each work's authorships by themselves: an n-author
# work yields n x (n - 1) pairs, so one 2,000-author paper alone is ~4 million
# rows, and OpenAlex holds thousands of such papers. Above 100 authors a work
# adds less than 1/99 = 0.0101 to a tie, so no such work can by itself bring a
# pair near the 0.2 threshold; counting close collaborators leaves them out.
# The price is deliberate: two people who only ever meet in >100-author
# consortia are not "close", however many of those papers they share.
LARGE_TEAM_AUTHOR_CAP = 100

# Tie strengths are sums of fractions 1/(n - 1) added in floating point: six
# shares of 1/30 add up to 0.19999999999999998. The threshold is compared with
# this much slack so that an exact tie on paper is an exact tie here.
_THRESHOLD_TOLERANCE = 1e-9


def is_close(strength: float, *, threshold: float) -> bool:
    """True when a tie of ``strength`` makes a close collaborator: at least
    ``threshold``, give or take floating-point rounding (see above)."""
    return strength >= threshold - _THRESHOLD_TOLERANCE


@dataclass(frozen=True)
class CloseCollaboratorSummary:
    """A researcher's close collaborators: how many, and the mean of their
    stored trust scores (``None`` when none of them has a computed score)."""

    count: int
    mean_trust: float | None


def _tables() -> dict[str, str]:
    return {
        "authorship": quoted_table(Authorship),
        "work": quoted_table(Work),
        "researcher": quoted_table(Researcher),
        # A work its author hid ties them to nobody (profiles.visibility).
        "own_hidden": hidden_authorship_sql(
            researcher_id="a.researcher_id",
            work_id="w.id",
            listed_id="COALESCE(w.canonical_id, w.id)",
        ),
    }


def _coauthor_hidden(coauthor: str, works: str) -> str:
    return hidden_authorship_sql(
        researcher_id=f"{coauthor}.researcher_id",
        work_id=f"{works}.work_id",
        listed_id=f"{works}.listed_id",
    )


def tie_strengths(
    *,
    researcher_id: int,
    limit: int | None = None,
    max_author_count: int | None = None,
) -> list[tuple[int, float]]:
    """The coauthors of ``researcher_id`` with their tie strength, strongest
    first (ties broken by coauthor id, so the order is stable).

    ``limit`` keeps the strongest ``limit`` coauthors. ``max_author_count``
    leaves out works with larger teams; ``None`` gives the exact Newman
    weight, and ``LARGE_TEAM_AUTHOR_CAP`` the same strengths that
    ``close_collaborator_summaries`` counts. Authorships not attached to a
    researcher record (bare names) tie nobody. One query; its cost grows with
    the sum of the team sizes of this researcher's works."""
    sql = """
        WITH own_works AS (
            SELECT DISTINCT a.work_id, COALESCE(w.canonical_id, w.id) AS listed_id,
                   w.author_count
            FROM {authorship} a
            JOIN {work} w ON w.id = a.work_id
            WHERE a.researcher_id = %(researcher_id)s
              AND w.author_count >= 2
              AND (%(max_author_count)s::integer IS NULL
                   OR w.author_count <= %(max_author_count)s::integer)
              AND NOT {own_hidden}
        ),
        shared AS (
            -- Grouped: a coauthor listed twice on one work, or on two
            -- versions of it, shares it once.
            SELECT b.researcher_id, o.listed_id, MAX(o.author_count) AS author_count
            FROM own_works o
            JOIN {authorship} b ON b.work_id = o.work_id
            WHERE b.researcher_id IS NOT NULL
              AND b.researcher_id <> %(researcher_id)s
              AND NOT {coauthor_hidden}
            GROUP BY b.researcher_id, o.listed_id
        )
        SELECT researcher_id,
               SUM(1.0::double precision / (author_count - 1)) AS strength
        FROM shared
        GROUP BY researcher_id
        ORDER BY strength DESC, researcher_id
        LIMIT %(limit)s
    """.format(**_tables(), coauthor_hidden=_coauthor_hidden("b", "o"))
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "researcher_id": researcher_id,
                "max_author_count": max_author_count,
                "limit": limit,
            },
        )
        return [(coauthor_id, float(strength)) for coauthor_id, strength in cursor]


def close_collaborator_summaries(
    *, researcher_ids: list[int], threshold: float
) -> dict[int, CloseCollaboratorSummary]:
    """For each of ``researcher_ids``: how many coauthors have a tie strength
    of at least ``threshold`` (works above ``LARGE_TEAM_AUTHOR_CAP`` authors
    left out), and the mean stored ``trust_score`` of those whose trust has
    been computed.

    One set-based query for the whole batch: the batch's authorships joined to
    all authorships of the same works, grouped by pair, filtered by the
    threshold, then counted per researcher. Every requested id is in the
    answer (with a count of 0 when it has no close collaborator, or no longer
    exists). Coauthors whose profile is hidden are not counted, as no list
    shows them. Trust is read as stored; see ``profiles.services``."""
    ids = sorted(set(researcher_ids))
    if not ids:
        return {}
    sql = """
        WITH batch_works AS (
            SELECT DISTINCT a.researcher_id, a.work_id,
                   COALESCE(w.canonical_id, w.id) AS listed_id, w.author_count
            FROM {authorship} a
            JOIN {work} w ON w.id = a.work_id
            WHERE a.researcher_id = ANY(%(ids)s)
              AND w.author_count BETWEEN 2 AND %(max_author_count)s
              AND NOT {own_hidden}
        ),
        shared AS (
            -- One row per pair and work, its versions counted once.
            SELECT bw.researcher_id, c.researcher_id AS coauthor_id,
                   bw.listed_id, MAX(bw.author_count) AS author_count
            FROM batch_works bw
            JOIN {authorship} c ON c.work_id = bw.work_id
            WHERE c.researcher_id IS NOT NULL
              AND c.researcher_id <> bw.researcher_id
              AND NOT {coauthor_hidden}
            GROUP BY bw.researcher_id, c.researcher_id, bw.listed_id
        ),
        close_pairs AS (
            SELECT researcher_id, coauthor_id
            FROM shared
            GROUP BY researcher_id, coauthor_id
            HAVING SUM(1.0::double precision / (author_count - 1))
                   >= %(threshold)s
        )
        SELECT p.researcher_id,
               COUNT(*),
               AVG(r.trust_score) FILTER (WHERE r.trust_computed_at IS NOT NULL)
        FROM close_pairs p
        JOIN {researcher} r ON r.id = p.coauthor_id
        -- A hidden profile is in nobody's count, list or graph
        -- (profiles.visibility).
        WHERE NOT r.is_hidden
        GROUP BY p.researcher_id
    """.format(**_tables(), coauthor_hidden=_coauthor_hidden("c", "bw"))
    summaries = {
        researcher_id: CloseCollaboratorSummary(count=0, mean_trust=None)
        for researcher_id in ids
    }
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "ids": ids,
                "max_author_count": LARGE_TEAM_AUTHOR_CAP,
                "threshold": threshold - _THRESHOLD_TOLERANCE,
            },
        )
        for researcher_id, count, mean_trust in cursor:
            summaries[researcher_id] = CloseCollaboratorSummary(
                count=count,
                mean_trust=None if mean_trust is None else float(mean_trust),
            )
    return summaries
