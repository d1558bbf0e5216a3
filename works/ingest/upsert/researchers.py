"""Researchers (OpenAlex authors) for the one upsert path; see
``works.ingest.upsert`` for the contract shared by every entity."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, transaction

from bzpeer.db import quoted_table
from profiles.models import Researcher, ResearcherRedirect, ResearcherTopic
from works.ingest.records import AuthorRecord
from works.ingest.upsert.staging import (
    UpsertResult,
    analyze,
    column_type,
    default_columns,
    distinct_changed,
    keep_last,
    stage_rows,
    sync_children,
)
from works.models import Institution, Topic

# Columns the source owns. The owner-curated ones (headline, bio,
# is_open_to_collaborate), the claim state (is_claimed, verification_level)
# and the stored trust are never in the update branch: a reload must not undo
# a claim or an owner's edit.
_COLUMNS = (
    "openalex_id",
    "orcid",
    "display_name",
    "display_name_alternatives",
    "search_name",
    "works_count",
    "cited_by_count",
    "h_index",
    "source_updated_date",
)
_STAGE = "stage_researcher"
_STAGE_TOPICS = "stage_researcher_topic"


def _staged_indexes(
    records: Sequence[AuthorRecord],
) -> tuple[list[int], list[tuple[int, str]]]:
    """A later record of the same author supersedes an earlier one; of two
    authors with one ORCID iD, the earlier keeps it and the later is
    rejected, as it would be against a stored researcher."""
    kept, rejected = keep_last(records, lambda record: record.openalex_id)
    holders: dict[str, str] = {}
    staged = []
    for index in kept:
        record = records[index]
        if record.orcid and record.orcid in holders:
            rejected.append(
                (
                    index,
                    f"ORCID {record.orcid} is also claimed by "
                    f"{holders[record.orcid]} earlier in the same batch",
                )
            )
            continue
        if record.orcid:
            holders[record.orcid] = record.openalex_id
        staged.append(index)
    return staged, rejected


def _stage(cursor, records: Sequence[AuthorRecord], staged: list[int]) -> None:
    stage_rows(
        cursor,
        _STAGE,
        [
            ("seq", "integer"),
            *((c, column_type(Researcher, c)) for c in _COLUMNS),
            ("last_known_institution_ids", "text[]"),
            ("researcher_id", "bigint"),
            ("reject_reason", "text"),
        ],
        (
            (
                index,
                *(getattr(records[index], c) for c in _COLUMNS),
                list(records[index].last_known_institution_ids),
            )
            for index in staged
        ),
        copied=len(_COLUMNS) + 2,
        indexes=["seq", "researcher_id"],
    )
    stage_rows(
        cursor,
        _STAGE_TOPICS,
        [
            ("seq", "integer"),
            ("topic_openalex_id", "text"),
            ("count", "integer"),
            ("researcher_id", "bigint"),
            ("topic_id", "bigint"),
        ],
        (
            (index, link.topic_id, link.count)
            for index in staged
            for link in records[index].topics
        ),
        copied=3,
        indexes=["seq", "researcher_id, topic_id"],
    )


def _resolve(cursor) -> list[tuple[int, str]]:
    """Give each staged author the id of its row: the one with its OpenAlex
    id, else one with its ORCID iD and no OpenAlex id yet (a record created
    from the ORCID side), else a new id. Returns the authors refused because
    their ORCID iD belongs to another researcher."""
    researcher = quoted_table(Researcher)
    cursor.execute(
        f"""
        UPDATE {_STAGE} s SET researcher_id = r.id
        FROM {researcher} r WHERE r.openalex_id = s.openalex_id
        """
    )
    cursor.execute(
        f"""
        UPDATE {_STAGE} s SET researcher_id = r.id
        FROM {researcher} r
        WHERE s.researcher_id IS NULL AND r.orcid = s.orcid AND r.openalex_id IS NULL
        """
    )
    cursor.execute(
        f"""
        UPDATE {_STAGE} s
        SET reject_reason = 'ORCID ' || s.orcid || ' already belongs to researcher '
                            || COALESCE(r.openalex_id, '#' || r.id)
        FROM {researcher} r
        WHERE r.orcid = s.orcid AND r.id IS DISTINCT FROM s.researcher_id
        RETURNING s.seq, s.reject_reason
        """
    )
    rejected = [(seq, reason) for seq, reason in cursor.fetchall()]
    # An old record of an author OpenAlex merged away must not bring the
    # retired id back as a second profile.
    cursor.execute(
        f"""
        UPDATE {_STAGE} s
        SET reject_reason = 'OpenAlex merged ' || s.openalex_id || ' into '
                            || COALESCE(r.openalex_id, '#' || r.id)
        FROM {quoted_table(ResearcherRedirect)} m
        JOIN {researcher} r ON r.id = m.researcher_id
        WHERE m.old_openalex_id = s.openalex_id AND s.researcher_id IS NULL
          AND s.reject_reason IS NULL
        RETURNING s.seq, s.reject_reason
        """
    )
    rejected += [(seq, reason) for seq, reason in cursor.fetchall()]
    # New rows get their ids now, in file order, so that child rows can be
    # staged against them before the insert.
    cursor.execute(
        f"""
        UPDATE {_STAGE} s SET researcher_id = fresh.id
        FROM (
            SELECT seq, nextval(pg_get_serial_sequence('{researcher}', 'id')) AS id
            FROM (
                SELECT seq FROM {_STAGE}
                WHERE researcher_id IS NULL AND reject_reason IS NULL
                ORDER BY seq OFFSET 0
            ) ordered
        ) fresh
        WHERE fresh.seq = s.seq
        """
    )
    analyze(cursor, _STAGE)
    return rejected


def _write(cursor) -> tuple[set[int], set[int]]:
    """Insert or update the staged researchers; (created ids, updated ids)."""
    columns = [*_COLUMNS, "affiliation_id"]
    defaults, placeholders, params = default_columns(
        Researcher, written=[*columns, "created_at", "updated_at"]
    )
    cursor.execute(
        f"""
        INSERT INTO {quoted_table(Researcher)} AS t
            ({", ".join(["id", *columns, "created_at", "updated_at", *defaults])})
        SELECT {", ".join(["s.researcher_id", *(f"s.{c}" for c in _COLUMNS)])},
               affiliation.id, now(), now() {"".join(f", {p}" for p in placeholders)}
        FROM {_STAGE} s
        -- The affiliation is the first last-known institution we hold.
        LEFT JOIN LATERAL (
            SELECT i.id
            FROM unnest(s.last_known_institution_ids) WITH ORDINALITY
                 AS known(openalex_id, position)
            JOIN {quoted_table(Institution)} i ON i.openalex_id = known.openalex_id
            ORDER BY known.position
            LIMIT 1
        ) affiliation ON true
        WHERE s.reject_reason IS NULL
        -- Rows (the updated ones and those left unchanged, which ON CONFLICT
        -- locks too) locked in id order, the order of every batch writer.
        ORDER BY s.researcher_id
        ON CONFLICT (id) DO UPDATE SET
            {", ".join(f"{c} = EXCLUDED.{c}" for c in columns)},
            updated_at = EXCLUDED.updated_at
        WHERE {distinct_changed(columns, target="t", new="EXCLUDED")}
        RETURNING t.id, (xmax = 0)
        """,
        params or None,
    )
    created, updated = set(), set()
    for researcher_id, inserted in cursor.fetchall():
        (created if inserted else updated).add(researcher_id)
    return created, updated


def _sync_topics(cursor) -> set[int]:
    cursor.execute(
        f"""
        UPDATE {_STAGE_TOPICS} st SET researcher_id = s.researcher_id
        FROM {_STAGE} s WHERE s.seq = st.seq AND s.reject_reason IS NULL
        """
    )
    cursor.execute(
        f"""
        UPDATE {_STAGE_TOPICS} st SET topic_id = t.id
        FROM {quoted_table(Topic)} t WHERE t.openalex_id = st.topic_openalex_id
        """
    )
    analyze(cursor, _STAGE_TOPICS)
    return sync_children(
        cursor,
        child=ResearcherTopic,
        parent="researcher_id",
        keys=["topic_id"],
        values=["count"],
        desired=f"""
            SELECT researcher_id, topic_id, count FROM {_STAGE_TOPICS}
            WHERE researcher_id IS NOT NULL AND topic_id IS NOT NULL
        """,
        parents=f"SELECT researcher_id FROM {_STAGE} WHERE reject_reason IS NULL",
    )


@transaction.atomic
def upsert_researchers(records: Sequence[AuthorRecord]) -> UpsertResult:
    """Upsert researchers on ``openalex_id`` (a stored researcher with the
    record's ORCID iD and no OpenAlex id is taken over), with their topic
    links; the affiliation is the first last-known institution we hold.

    An author whose ORCID iD already belongs to another researcher is
    rejected with the reason, and the stored one keeps it. A researcher whose
    topic links changed counts as updated and gets a new ``updated_at``."""
    staged, rejected = _staged_indexes(records)
    with connection.cursor() as cursor:
        _stage(cursor, records, staged)
        rejected += _resolve(cursor)
        created, updated = _write(cursor)
        relinked = _sync_topics(cursor) - created - updated
        if relinked:
            cursor.execute(
                f"UPDATE {quoted_table(Researcher)} SET updated_at = now() "
                "WHERE id = ANY(%s)",
                [sorted(relinked)],
            )
    return UpsertResult.count(
        total=len(records),
        created=len(created),
        updated=len(updated) + len(relinked),
        rejected=rejected,
    )
