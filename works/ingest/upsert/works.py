"""Works, with their authorships, authorship institutions and topics, for the
one upsert path; see ``works.ingest.upsert`` for the shared contract.

A work has three natural keys: OpenAlex id, DOI and arXiv id. A staged work
goes to the row with its OpenAlex id; failing that, to a row found by DOI,
then by arXiv id, when at most one of the two has an OpenAlex id (an arXiv
preprint stored before OpenAlex listed it becomes that OpenAlex work). Two
works with different OpenAlex ids are never merged: OpenAlex does list a few
distinct works under one DOI (a preprint and its article), and merging them
would swap the row between them on every load. The later one is stored
without the identifier the other holds; an arXiv id it loses that way (its
own, or the one inside an arXiv DOI) is kept as its ``related_arxiv_id``, the
evidence ``works.versions`` groups the two by. One exception keeps the
outcome independent of the order works arrive in (files loaded by several
workers at once): an arXiv id goes to the work whose own it is, the one
whose DOI is its arXiv DOI (the preprint), rather than to a work that only
lists an arXiv location (the published version), and between two equal
claims to the OpenAlex id first in text order; a stored holder with the weaker claim
gives it up (keeping it as its ``related_arxiv_id``). Identifiers are sticky: a
source that does not state a DOI or arXiv id never erases a stored one. Every
work also gets its ``title_key`` (``works.text.title_key``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace

from django.db import connection, transaction

from bzpeer.db import quoted_table
from profiles.models import Researcher, ResearcherRedirect
from works.ingest.identifiers import ARXIV_DOI_PREFIX, arxiv_id_from_doi
from works.ingest.records import WorkRecord
from works.ingest.upsert.staging import (
    UpsertResult,
    analyze,
    column_type,
    default_columns,
    keep_last,
    stage_rows,
    sync_children,
)
from works.models import (
    Authorship,
    AuthorshipInstitution,
    Institution,
    Source,
    Topic,
    Work,
    WorkTopic,
)
from works.text import title_key

logger = logging.getLogger(__name__)

_IDENTIFIERS = ("openalex_id", "doi", "arxiv_id")
_FIELDS = (
    "title",
    "abstract",
    "publication_year",
    "publication_date",
    "type",
    "language",
    "landing_page_url",
    "pdf_url",
    "cited_by_count",
    "is_retracted",
    "author_count",
    "source_updated_date",
)
_COLUMNS = (*_IDENTIFIERS, *_FIELDS)
_AUTHORSHIP_VALUES = (
    "researcher_id",
    "author_position",
    "raw_author_name",
    "raw_affiliation_strings",
    "is_corresponding",
)
_STAGE = "stage_work"
_STAGE_AUTHORSHIPS = "stage_authorship"
_STAGE_TOPICS = "stage_work_topic"


def _identity(record: WorkRecord) -> str | None:
    if record.openalex_id:
        return record.openalex_id
    if record.doi:
        return f"DOI {record.doi}"
    return f"arXiv {record.arxiv_id}" if record.arxiv_id else None


def _batch_unique(
    records: Sequence[WorkRecord],
) -> tuple[list[WorkRecord | None], list[tuple[int, str]]]:
    """The batch with a later record of the same work superseding an earlier
    one (None in its place), a work without any identifier rejected, and a
    DOI or arXiv id left to the first work that states it, as it would be
    left to a stored work."""
    kept, rejected = keep_last(records, _identity)
    staged: list[WorkRecord | None] = [None] * len(records)
    # Of the works stating one arXiv id, the one with the strongest claim.
    arxiv_holder: dict[str, int] = {}
    for index in kept:
        arxiv_id = records[index].arxiv_id
        if arxiv_id and _identity(records[index]) is not None:
            held = arxiv_holder.get(arxiv_id)
            if held is None or _stronger_arxiv_claim(records[index], records[held]):
                arxiv_holder[arxiv_id] = index
    taken: set[str] = set()
    for index in kept:
        record = records[index]
        if _identity(record) is None:
            # Nothing to find it by on the next load: it would be a new row
            # every time.
            rejected.append((index, "no OpenAlex id, DOI or arXiv id"))
            continue
        if record.doi and record.doi in taken:
            record = replace(record, doi=None)
        elif record.doi:
            taken.add(record.doi)
        if record.arxiv_id and arxiv_holder[record.arxiv_id] != index:
            record = replace(record, arxiv_id=None)
        staged[index] = record
    return staged, rejected


def _arxiv_is_own(record: WorkRecord) -> bool:
    """Whether the record's arXiv id is its own: its DOI is the arXiv DOI."""
    return bool(record.arxiv_id) and arxiv_id_from_doi(record.doi) == record.arxiv_id


def _stronger_arxiv_claim(record: WorkRecord, other: WorkRecord) -> bool:
    """Whether ``record`` claims its arXiv id more strongly than ``other``
    claims the same: its own beats one from a location; between equal
    claims the OpenAlex id first in text order wins (the order
    ``_arxiv_ids_reclaim`` applies against stored works)."""
    own, other_own = _arxiv_is_own(record), _arxiv_is_own(other)
    if own != other_own:
        return own
    return (record.openalex_id or "") < (other.openalex_id or "")


def _stated_arxiv_id(record: WorkRecord) -> str | None:
    """The arXiv id a source states for a work: its own, or the one inside
    its arXiv DOI."""
    return record.arxiv_id or arxiv_id_from_doi(record.doi)


def _counts_by_year_json(record: WorkRecord) -> str | None:
    """The JSON the ``counts_by_year`` column holds, or None when the source
    does not state the counts (then the stored ones stay)."""
    if record.counts_by_year is None:
        return None
    return json.dumps(
        [
            {"year": entry.year, "cited_by_count": entry.cited_by_count}
            for entry in record.counts_by_year
        ],
        separators=(",", ":"),
    )


def _stage(
    cursor, staged: list[WorkRecord | None], records: Sequence[WorkRecord]
) -> None:
    """Stage the works to write; ``records`` are the batch as the source
    stated it, before ``_batch_unique`` took identifiers away."""
    rows = [(index, record) for index, record in enumerate(staged) if record]
    stage_rows(
        cursor,
        _STAGE,
        [
            ("seq", "integer"),
            *((c, column_type(Work, c)) for c in _COLUMNS),
            ("source_openalex_id", "text"),
            ("title_key", column_type(Work, "title_key")),
            ("stated_arxiv_id", column_type(Work, "related_arxiv_id")),
            ("counts_by_year", column_type(Work, "counts_by_year")),
            ("arxiv_is_own", "boolean"),
            ("work_id", "bigint"),
            ("is_matched_by_openalex_id", "boolean NOT NULL DEFAULT false"),
        ],
        (
            (
                index,
                *(getattr(record, c) for c in _COLUMNS),
                record.source_id,
                title_key(record.title),
                _stated_arxiv_id(records[index]),
                _counts_by_year_json(record),
                _arxiv_is_own(record),
            )
            for index, record in rows
        ),
        copied=len(_COLUMNS) + 6,
        indexes=["seq", "work_id"],
    )
    stage_rows(
        cursor,
        _STAGE_AUTHORSHIPS,
        [
            ("seq", "integer"),
            ("position", "integer"),
            ("author_position", column_type(Authorship, "author_position")),
            ("raw_author_name", column_type(Authorship, "raw_author_name")),
            ("raw_affiliation_strings", "text[]"),
            ("is_corresponding", "boolean"),
            ("author_openalex_id", "text"),
            ("institution_openalex_ids", "text[]"),
            ("work_id", "bigint"),
            ("researcher_id", "bigint"),
        ],
        (
            (
                index,
                a.position,
                a.author_position,
                a.raw_author_name,
                list(a.raw_affiliation_strings),
                a.is_corresponding,
                a.author_id,
                list(a.institution_ids),
            )
            for index, record in rows
            for a in record.authorships
        ),
        copied=8,
        indexes=["seq", "work_id, position"],
    )
    stage_rows(
        cursor,
        _STAGE_TOPICS,
        [
            ("seq", "integer"),
            ("topic_openalex_id", "text"),
            ("score", "double precision"),
            ("is_primary", "boolean"),
            ("work_id", "bigint"),
            ("topic_id", "bigint"),
        ],
        (
            (index, link.topic_id, link.score, link.is_primary)
            for index, record in rows
            for link in record.topics
        ),
        copied=4,
        indexes=["seq", "work_id, topic_id"],
    )


def _resolve(cursor) -> None:
    """Give each staged work the id of its row (or a new id), and drop the
    identifiers that another row already holds."""
    work = quoted_table(Work)
    cursor.execute(
        f"""
        UPDATE {_STAGE} s SET work_id = w.id, is_matched_by_openalex_id = true
        FROM {work} w WHERE w.openalex_id = s.openalex_id
        """
    )
    for identifier in ("doi", "arxiv_id"):
        cursor.execute(
            f"""
            UPDATE {_STAGE} s SET work_id = w.id
            FROM {work} w
            WHERE s.work_id IS NULL AND w.{identifier} = s.{identifier}
              AND (w.openalex_id IS NULL OR s.openalex_id IS NULL)
            """
        )
    # Two staged works found one row (one by DOI, one by arXiv id): the row
    # goes to the one that matched by OpenAlex id, else the first; the other
    # becomes a new row.
    cursor.execute(
        f"""
        UPDATE {_STAGE} s SET work_id = NULL
        FROM {_STAGE} k
        WHERE k.work_id = s.work_id AND k.seq <> s.seq
          AND (k.is_matched_by_openalex_id, -k.seq)
              > (s.is_matched_by_openalex_id, -s.seq)
        """
    )
    _arxiv_ids_reclaim(cursor)
    for identifier in ("doi", "arxiv_id"):
        cursor.execute(
            f"""
            UPDATE {_STAGE} s SET {identifier} = NULL
            FROM {work} w
            WHERE w.{identifier} = s.{identifier} AND w.id IS DISTINCT FROM s.work_id
            """
        )
        if cursor.rowcount:
            logger.info(
                "%d work(s) stored without a %s that another work holds",
                cursor.rowcount,
                identifier,
            )
    cursor.execute(
        f"""
        UPDATE {_STAGE} s SET work_id = fresh.id
        FROM (
            SELECT seq, nextval(pg_get_serial_sequence('{work}', 'id')) AS id
            FROM (SELECT seq FROM {_STAGE} WHERE work_id IS NULL
                  ORDER BY seq OFFSET 0) ordered
        ) fresh
        WHERE fresh.seq = s.seq
        """
    )
    analyze(cursor, _STAGE)


def _arxiv_ids_reclaim(cursor) -> None:
    """Take an arXiv id from the stored work holding it when a staged work
    claims it more strongly (``_stronger_arxiv_claim``: its own against one
    from a location, else the OpenAlex id first in text order): the holder keeps it as
    its ``related_arxiv_id`` and gets a new ``updated_at``. Rows locked in
    id order, as every batch writer locks them."""
    work = quoted_table(Work)
    cursor.execute(
        f"""
        WITH losing AS (
            SELECT w.id FROM {work} w
            JOIN {_STAGE} s ON w.arxiv_id = s.arxiv_id
            WHERE w.id IS DISTINCT FROM s.work_id
              AND s.openalex_id IS NOT NULL AND w.openalex_id IS NOT NULL
              AND (s.arxiv_is_own, w.openalex_id)
                  > (lower(COALESCE(w.doi, '')) = %s || lower(w.arxiv_id),
                     s.openalex_id)
            ORDER BY w.id
            FOR UPDATE OF w
        )
        UPDATE {work} w
        SET related_arxiv_id = w.arxiv_id, arxiv_id = NULL, updated_at = now()
        FROM losing WHERE w.id = losing.id
        """,
        [ARXIV_DOI_PREFIX],
    )
    if cursor.rowcount:
        logger.info(
            "%d stored work(s) gave their arXiv id to a work whose own it is",
            cursor.rowcount,
        )


# The arXiv id a work relates to: the one its source states when the work
# did not get it as its own. A new row's value; see _RELATED_ARXIV_ID_UPDATE.
_RELATED_ARXIV_ID_NEW = """
    CASE WHEN s.stated_arxiv_id IS DISTINCT FROM s.arxiv_id
         THEN COALESCE(s.stated_arxiv_id, '') ELSE '' END
"""
# A stored row's: the newly stated one while another row holds it; cleared
# once the row holds that id itself; otherwise sticky, like the identifiers.
_RELATED_ARXIV_ID_UPDATE = """
    CASE WHEN EXCLUDED.related_arxiv_id <> ''
              AND EXCLUDED.related_arxiv_id
                  IS DISTINCT FROM COALESCE(EXCLUDED.arxiv_id, t.arxiv_id)
         THEN EXCLUDED.related_arxiv_id
         WHEN t.related_arxiv_id = COALESCE(EXCLUDED.arxiv_id, t.arxiv_id)
         THEN ''
         ELSE t.related_arxiv_id END
"""


def _write(cursor) -> tuple[set[int], set[int]]:
    """Insert or update the staged works; (created ids, updated ids)."""
    # Counts a source does not state (NULL) are the stored ones, so the
    # comparison below sees them unchanged; a new row gets an empty list.
    cursor.execute(
        f"""
        UPDATE {_STAGE} s SET counts_by_year = w.counts_by_year
        FROM {quoted_table(Work)} w
        WHERE s.counts_by_year IS NULL AND w.id = s.work_id
        """
    )
    columns = [
        *_COLUMNS,
        "source_id",
        "title_key",
        "related_arxiv_id",
        "counts_by_year",
    ]
    defaults, placeholders, params = default_columns(
        Work, written=[*columns, "created_at", "updated_at"]
    )
    new_values = {c: f"EXCLUDED.{c}" for c in (*_FIELDS, "source_id", "title_key")}
    new_values |= {c: f"COALESCE(EXCLUDED.{c}, t.{c})" for c in _IDENTIFIERS}
    new_values["related_arxiv_id"] = _RELATED_ARXIV_ID_UPDATE
    new_values["counts_by_year"] = "EXCLUDED.counts_by_year"
    old = ", ".join(f"t.{c}" for c in columns)
    new = ", ".join(new_values[c] for c in columns)
    cursor.execute(
        f"""
        INSERT INTO {quoted_table(Work)} AS t
            ({", ".join(["id", *columns, "created_at", "updated_at", *defaults])})
        SELECT s.work_id, {", ".join(f"s.{c}" for c in _COLUMNS)}, venue.id,
               s.title_key, {_RELATED_ARXIV_ID_NEW},
               COALESCE(s.counts_by_year, '[]'::jsonb),
               now(), now() {"".join(f", {p}" for p in placeholders)}
        FROM {_STAGE} s
        LEFT JOIN {quoted_table(Source)} venue
            ON venue.openalex_id = s.source_openalex_id
        -- Rows (the updated ones and those left unchanged, which ON CONFLICT
        -- locks too) locked in id order, the order of every batch writer.
        ORDER BY s.work_id
        ON CONFLICT (id) DO UPDATE SET
            {", ".join(f"{c} = {new_values[c]}" for c in columns)},
            updated_at = EXCLUDED.updated_at
        WHERE ({old}) IS DISTINCT FROM ({new})
        RETURNING t.id, (xmax = 0)
        """,
        params or None,
    )
    created, updated = set(), set()
    for work_id, inserted in cursor.fetchall():
        (created if inserted else updated).add(work_id)
    return created, updated


def _sync_authorships(cursor) -> set[int]:
    cursor.execute(
        f"""
        UPDATE {_STAGE_AUTHORSHIPS} a SET work_id = s.work_id
        FROM {_STAGE} s WHERE s.seq = a.seq
        """
    )
    cursor.execute(
        f"""
        UPDATE {_STAGE_AUTHORSHIPS} a SET researcher_id = r.id
        FROM {quoted_table(Researcher)} r WHERE r.openalex_id = a.author_openalex_id
        """
    )
    # A record older than an OpenAlex merge of its author names the id merged
    # away; it means the survivor (profiles.services.researcher_merge).
    cursor.execute(
        f"""
        UPDATE {_STAGE_AUTHORSHIPS} a SET researcher_id = rr.researcher_id
        FROM {quoted_table(ResearcherRedirect)} rr
        WHERE a.researcher_id IS NULL AND rr.old_openalex_id = a.author_openalex_id
        """
    )
    # An author id that resolves to nothing (a record refused in this very
    # load, one the source did not answer) is no evidence against the
    # researcher the slot is linked to: under the same name the link stays,
    # unless the byline names that researcher elsewhere. Unlinking would
    # silently take the work off a profile; the link moves once the author
    # is held.
    cursor.execute(
        f"""
        UPDATE {_STAGE_AUTHORSHIPS} a SET researcher_id = wa.researcher_id
        FROM {quoted_table(Authorship)} wa
        WHERE a.researcher_id IS NULL AND a.author_openalex_id IS NOT NULL
          AND wa.work_id = a.work_id AND wa.position = a.position
          AND wa.raw_author_name = a.raw_author_name
          AND wa.researcher_id IS NOT NULL
          AND NOT EXISTS (
              SELECT 1 FROM {_STAGE_AUTHORSHIPS} named
              WHERE named.work_id = a.work_id
                AND named.researcher_id = wa.researcher_id
          )
        """
    )
    analyze(cursor, _STAGE_AUTHORSHIPS)
    # Authorships about to go take their institution links with them first.
    cursor.execute(
        f"""
        DELETE FROM {quoted_table(AuthorshipInstitution)} ai
        USING {quoted_table(Authorship)} wa
        WHERE ai.authorship_id = wa.id
          AND wa.work_id IN (SELECT work_id FROM {_STAGE})
          AND NOT EXISTS (
              SELECT 1 FROM {_STAGE_AUTHORSHIPS} a
              WHERE a.work_id = wa.work_id AND a.position = wa.position
          )
        """
    )
    changed = sync_children(
        cursor,
        child=Authorship,
        parent="work_id",
        keys=["position"],
        values=_AUTHORSHIP_VALUES,
        desired=f"""
            SELECT work_id, position, {", ".join(_AUTHORSHIP_VALUES)}
            FROM {_STAGE_AUTHORSHIPS}
        """,
        parents=f"SELECT work_id FROM {_STAGE}",
    )
    relinked = sync_children(
        cursor,
        child=AuthorshipInstitution,
        parent="authorship_id",
        keys=["institution_id"],
        values=[],
        desired=f"""
            SELECT DISTINCT wa.id AS authorship_id, i.id AS institution_id
            FROM {_STAGE_AUTHORSHIPS} a
            JOIN {quoted_table(Authorship)} wa
              ON wa.work_id = a.work_id AND wa.position = a.position
            CROSS JOIN LATERAL unnest(a.institution_openalex_ids) AS k(openalex_id)
            JOIN {quoted_table(Institution)} i ON i.openalex_id = k.openalex_id
        """,
        parents=f"""
            SELECT wa.id FROM {quoted_table(Authorship)} wa
            JOIN {_STAGE} s ON s.work_id = wa.work_id
        """,
    )
    if relinked:
        cursor.execute(
            f"SELECT DISTINCT work_id FROM {quoted_table(Authorship)} "
            "WHERE id = ANY(%s)",
            [sorted(relinked)],
        )
        changed |= {work_id for (work_id,) in cursor.fetchall()}
    return changed


def _sync_topics(cursor) -> set[int]:
    cursor.execute(
        f"""
        UPDATE {_STAGE_TOPICS} st SET work_id = s.work_id
        FROM {_STAGE} s WHERE s.seq = st.seq
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
        child=WorkTopic,
        parent="work_id",
        keys=["topic_id"],
        values=["score", "is_primary"],
        desired=f"""
            SELECT work_id, topic_id, score, is_primary FROM {_STAGE_TOPICS}
            WHERE topic_id IS NOT NULL
        """,
        parents=f"SELECT work_id FROM {_STAGE}",
    )


@transaction.atomic
def upsert_works(records: Sequence[WorkRecord]) -> UpsertResult:
    """Upsert works (matched by OpenAlex id, DOI or arXiv id, as the module
    says) with their authorships, authorship institutions and topics.

    Authorships are keyed by (work, position) and rewritten only where they
    differ; an author id OpenAlex merged away means its survivor
    (``ResearcherRedirect``); an author we do not hold leaves ``researcher``
    NULL and keeps the raw name, except that a slot already linked under the
    same raw name keeps its researcher (see ``_sync_authorships``). A
    reference to an unknown source is stored as NULL; links to unknown topics
    or institutions are skipped. A work whose child rows changed counts as
    updated and gets a new ``updated_at``."""
    staged, rejected = _batch_unique(records)
    with connection.cursor() as cursor:
        _stage(cursor, staged, records)
        _resolve(cursor)
        created, updated = _write(cursor)
        changed = _sync_authorships(cursor) | _sync_topics(cursor)
        relinked = changed - created - updated
        if relinked:
            cursor.execute(
                f"UPDATE {quoted_table(Work)} SET updated_at = now() "
                "WHERE id = ANY(%s)",
                [sorted(relinked)],
            )
    return UpsertResult.count(
        total=len(records),
        created=len(created),
        updated=len(updated) + len(relinked),
        rejected=rejected,
    )
