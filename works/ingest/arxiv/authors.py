"""arXiv's bare author names attached to researchers, on evidence.

An arXiv author is attached to a researcher only on evidence besides the
name: a shared coauthor (another author of the paper is a namesake of a
researcher who has a stored work with the candidate), or an
``arxiv:affiliation`` that names the candidate's affiliation. Exactly one
candidate with evidence is linked; none, or several, leave the name unlinked
on the authorship. arXiv's Atom has no ORCID iDs, so that evidence never
applies here.

A name shared by more than ``MAX_NAMESAKES`` researchers ("Wei Wang") is not
linked at all: one shared coauthor among thousands of namesakes is weak
evidence, and looking for it would join the works of all of them. Such a name
stays plain text, and its namesakes are no evidence for the other authors of
the byline either.

The look-ups are set-based: two queries per page, whatever its number of
authors, reading at most ``MAX_NAMESAKES + 1`` researchers per name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.db import connection

from bzpeer.db import quoted_table
from profiles.models import Researcher
from works.ingest.records import WorkRecord
from works.models import Authorship, Institution
from works.text import normalize_name

# More namesakes than this and a name is ambiguous: left unlinked.
MAX_NAMESAKES = 25
# An affiliation string shorter than this many words must equal the
# institution's name; a longer one may be part of it ("Ohio State" in "The
# Ohio State University"). One word ("CfA", "Physics") says too little.
_AFFILIATION_MIN_WORDS = 2
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A stored researcher whose name matches an arXiv author's."""

    researcher_id: int
    openalex_id: str
    affiliation: str


def authors_attribute(
    records: Sequence[WorkRecord], *, rewritten_work_ids: Iterable[int] = ()
) -> list[WorkRecord]:
    """``records`` with each authorship attached (``author_id``) to the one
    researcher that the name and evidence point at, as the module says, and
    unattached otherwise. ``rewritten_work_ids`` are the stored rows of these
    records: their current bylines are not evidence for themselves.

    Two queries for the whole batch: the namesakes of every name (by name
    and by alternative name), and the coauthorships among the namesakes of
    names that are not ambiguous (skipped when no byline has two such)."""
    names: dict[str, set[str]] = defaultdict(set)
    for record in records:
        for authorship in record.authorships:
            if key := _name_key(authorship.raw_author_name):
                names[key].add(authorship.raw_author_name)
    if not names:
        return list(records)
    candidates = _namesakes(names)
    bylines = [
        [candidates.get(_name_key(a.raw_author_name), []) for a in record.authorships]
        for record in records
    ]
    # Namesakes are evidence for each other only within one byline.
    sharing = {
        candidate.researcher_id
        for slots in bylines
        if sum(1 for slot in slots if slot) >= 2
        for slot in slots
        for candidate in slot
    }
    partners = _coauthors(sharing, excluded_work_ids=rewritten_work_ids)
    return [
        _attributed(record, slots, partners)
        for record, slots in zip(records, bylines, strict=True)
    ]


def _name_key(name: str) -> str:
    """A name as ``Researcher.search_name`` stores it."""
    return normalize_name(name)[:500]


def _namesakes(names: dict[str, set[str]]) -> dict[str, list[_Candidate]]:
    """Researchers (with an OpenAlex id: the upsert links authorships by it)
    by the normalized name they answer to: their own ``search_name`` (the
    trigram index answers ``=``), or an alternative name spelled as on the
    page (the GIN index answers ``@>``). Names with more than
    ``MAX_NAMESAKES`` of them are left out.

    Each look-up stops after ``MAX_NAMESAKES + 1`` rows (a ``LIMIT`` per
    name and per spelling): one that stops there makes its name ambiguous
    whatever the others find, and when none does, all were read, so the
    count is exact up to the cap."""
    keys = sorted(names)
    spellings = sorted((key, spelling) for key in keys for spelling in names[key])
    researcher = quoted_table(Researcher)
    institution = quoted_table(Institution)
    # Both look-ups are LATERAL, so each name's LIMIT applies to it alone.
    sql = f"""
        SELECT found.name, found.id, found.openalex_id, affiliation.display_name
        FROM (
            SELECT wanted.name, hit.*
            FROM unnest(%s::text[]) AS wanted(name)
            CROSS JOIN LATERAL (
                SELECT id, openalex_id, affiliation_id FROM {researcher}
                WHERE search_name = wanted.name AND openalex_id IS NOT NULL
                LIMIT %s
            ) AS hit
            UNION ALL
            SELECT wanted.name, hit.*
            FROM unnest(%s::text[], %s::text[]) AS wanted(name, spelling)
            CROSS JOIN LATERAL (
                SELECT id, openalex_id, affiliation_id FROM {researcher}
                WHERE display_name_alternatives @> ARRAY[wanted.spelling]::varchar[]
                  AND openalex_id IS NOT NULL
                LIMIT %s
            ) AS hit
        ) AS found
        LEFT JOIN {institution} AS affiliation
          ON affiliation.id = found.affiliation_id
    """
    limit = MAX_NAMESAKES + 1
    found: dict[str, dict[int, _Candidate]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                keys,
                limit,
                [key for key, _ in spellings],
                [spelling for _, spelling in spellings],
                limit,
            ],
        )
        for name, researcher_id, openalex_id, affiliation in cursor.fetchall():
            found[name][researcher_id] = _Candidate(
                researcher_id, openalex_id, affiliation or ""
            )
    return {
        name: list(group.values())
        for name, group in found.items()
        if len(group) <= MAX_NAMESAKES
    }


def _coauthors(
    researcher_ids: set[int], *, excluded_work_ids: Iterable[int]
) -> dict[int, set[int]]:
    """For each of ``researcher_ids``, those of them it shares a stored work
    with (other than ``excluded_work_ids``). The ids are at most
    ``MAX_NAMESAKES`` per name of the page, so are the works joined."""
    partners: dict[int, set[int]] = defaultdict(set)
    if len(researcher_ids) < 2:
        return partners
    authorship = quoted_table(Authorship)
    ids = sorted(researcher_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT a.researcher_id, b.researcher_id
            FROM {authorship} a
            JOIN {authorship} b
              ON b.work_id = a.work_id AND b.researcher_id > a.researcher_id
            WHERE a.researcher_id = ANY(%s) AND b.researcher_id = ANY(%s)
              AND NOT a.work_id = ANY(%s)
            """,
            [ids, ids, sorted(excluded_work_ids)],
        )
        for first, second in cursor.fetchall():
            partners[first].add(second)
            partners[second].add(first)
    return partners


def _attributed(
    record: WorkRecord,
    slots: list[list[_Candidate]],
    partners: dict[int, set[int]],
) -> WorkRecord:
    """``record`` with each authorship attached to the one candidate of its
    slot with evidence, if there is exactly one."""
    slots_of: dict[int, set[int]] = defaultdict(set)
    for position, slot in enumerate(slots):
        for candidate in slot:
            slots_of[candidate.researcher_id].add(position)
    chosen: list[_Candidate | None] = []
    for position, (authorship, slot) in enumerate(
        zip(record.authorships, slots, strict=True)
    ):
        evidenced = [
            candidate
            for candidate in slot
            if _affiliation_matches(
                authorship.raw_affiliation_strings, candidate.affiliation
            )
            or any(
                slots_of[partner] - {position}
                for partner in partners.get(candidate.researcher_id, ())
            )
        ]
        chosen.append(evidenced[0] if len(evidenced) == 1 else None)
    # One researcher chosen for two names of one byline is chosen for neither.
    times = Counter(candidate.researcher_id for candidate in chosen if candidate)
    return replace(
        record,
        authorships=tuple(
            replace(
                authorship,
                author_id=(
                    candidate.openalex_id
                    if candidate and times[candidate.researcher_id] == 1
                    else None
                ),
            )
            for authorship, candidate in zip(record.authorships, chosen, strict=True)
        ),
    )


def _affiliation_matches(stated: Iterable[str], institution: str) -> bool:
    """Whether an arXiv affiliation string names ``institution``: the same
    words, or (from ``_AFFILIATION_MIN_WORDS`` words on) a run of the other's
    words, ignoring case, accents and punctuation."""
    institution_words = _WORD.findall(normalize_name(institution))
    if not institution_words:
        return False
    for text in stated:
        words = _WORD.findall(normalize_name(text))
        if not words:
            continue
        shorter, longer = sorted((words, institution_words), key=len)
        if shorter == longer:
            return True
        if len(shorter) >= _AFFILIATION_MIN_WORDS and any(
            longer[start : start + len(shorter)] == shorter
            for start in range(len(longer) - len(shorter) + 1)
        ):
            return True
    return False
