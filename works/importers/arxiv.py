"""The arXiv importer: papers by id, or the results of an arXiv search, a page
at a time through the run driver (``works.importers.base``).

A run's parameters are ``{"ids": [bare arXiv ids]}`` or ``{"query": arXiv
search_query}``, with an optional ``page_size``. Each page is one
``ImportContext.store`` whose checkpoint is the next ``start`` (the index of
the next id, or of the next search result), so a killed run resumes at the
next page. Search results are read oldest submission first: new papers land
at the end of the result set, and the offsets of a resumed run still point at
the same papers.

arXiv is the second voice on a work OpenAlex already describes: a work stored
with an OpenAlex id keeps its title, abstract, authorships (and the
researchers they link), venue, type and topics, and arXiv only fills what is
missing (arXiv id, abstract, PDF, dates, a DOI). Because the upsert path
replaces a work's authorships with the record's, the record of such a work is
the stored row itself plus arXiv's additions. A work only arXiv knows is
arXiv's to describe, and a later OpenAlex load takes it over by DOI or arXiv
id (``works.ingest.upsert_works``).

arXiv authors are bare names. One is attached to a researcher only on
evidence besides the name: a shared coauthor (another author of the paper is
a namesake of a researcher who has a stored work with the candidate), or an
``arxiv:affiliation`` that names the candidate's affiliation. Exactly one
candidate with evidence is linked; none, or several, leave the name unlinked
on the authorship. arXiv's Atom has no ORCID iDs, so that evidence never
applies here. The lookups are set-based: a few queries per page, whatever its
number of authors.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, Q

from profiles.models import Researcher
from profiles.text import normalize_name
from works.ingest.arxiv import (
    ARXIV_SOURCE,
    ARXIV_SOURCE_ID,
    ArxivFeed,
    arxiv_datacite_doi,
    arxiv_fetch,
)
from works.ingest.http import SourceUnavailable
from works.ingest.records import AuthorshipRecord, Record, WorkRecord, WorkTopicLink
from works.models import Authorship, Institution, Source, Work, WorkTopic

from .base import ImportContext, Rejection

PAGE_SIZE = 100
# arXiv serves at most 2000 results per request.
MAX_PAGE_SIZE = 2000
# An affiliation string shorter than this many words must equal the
# institution's name; a longer one may be part of it ("Ohio State" in "The
# Ohio State University"). One word ("CfA", "Physics") says too little.
_AFFILIATION_MIN_WORDS = 2
_WORD = re.compile(r"\w+")


def arxiv_import(context: ImportContext) -> None:
    """Import the run's ids or search results from its checkpoint on."""
    parameters = context.parameters
    page_size = int(parameters.get("page_size") or PAGE_SIZE)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1 to {MAX_PAGE_SIZE}, not {page_size}")
    if parameters.get("ids"):
        _import_ids(context, list(parameters["ids"]), page_size=page_size)
    elif parameters.get("query"):
        _import_query(context, str(parameters["query"]), page_size=page_size)
    else:
        raise ValueError("an arXiv run needs ids or a query")


def _import_ids(context: ImportContext, ids: list[str], *, page_size: int) -> None:
    """The papers ``ids``, ``page_size`` per request (an id list, not an
    offset into one: a long list would not fit in a URL)."""
    _set_total(context, pages=math.ceil(len(ids) / page_size))
    start = context.checkpoint.get("start", 0)
    while start < len(ids):
        chunk = ids[start : start + page_size]
        what = f"ids {start + 1}-{start + len(chunk)} of {len(ids)}"
        feed = arxiv_fetch(
            call=context.call,
            what=what,
            id_list=chunk,
            max_results=len(chunk),
        )
        missing = [arxiv_id for arxiv_id in chunk if arxiv_id not in feed.arxiv_ids]
        if missing:
            context.warn(f"arXiv has no paper {', '.join(missing)}")
        start += len(chunk)
        _store_page(context, feed, locator=f"arXiv {what}", next_start=start)


def _import_query(context: ImportContext, query: str, *, page_size: int) -> None:
    """The results of ``query``, oldest submission first."""
    start = context.checkpoint.get("start", 0)
    empty_answers = 0
    while True:
        what = f"results {start + 1}-{start + page_size} of {query!r}"
        feed = arxiv_fetch(
            call=context.call,
            what=what,
            search_query=query,
            start=start,
            max_results=page_size,
        )
        # The result set can shrink under a long run; the pages done stay.
        pages = math.ceil(feed.total / page_size)
        _set_total(context, pages=max(pages, context.run.progress_done))
        if start >= feed.total:
            return
        if not feed.entry_count:
            # arXiv now and then answers a page inside the result set with no
            # entries; asking again usually gets them.
            empty_answers += 1
            if empty_answers >= settings.IMPORT_MAX_ATTEMPTS:
                raise SourceUnavailable(
                    f"arXiv answered {what} with no entries {empty_answers} times "
                    f"while counting {feed.total} results; resume the run later"
                )
            continue
        empty_answers = 0
        start += feed.entry_count
        _store_page(context, feed, locator=f"arXiv {what}", next_start=start)
        if start >= feed.total:
            return


def _set_total(context: ImportContext, *, pages: int) -> None:
    if context.run.progress_total != pages:
        context.set_total(pages)


def _store_page(
    context: ImportContext, feed: ArxivFeed, *, locator: str, next_start: int
) -> None:
    records, rejections = arxiv_page_records(feed, locator=locator)
    context.store(
        records,
        checkpoint={"start": next_start},
        locator=locator,
        rejections=rejections,
    )


def arxiv_page_records(
    feed: ArxivFeed, *, locator: str
) -> tuple[list[Record], list[Rejection]]:
    """The records to store for one page, and the page's rejected entries.

    A paper already stored under an OpenAlex id becomes its stored row plus
    arXiv's additions; any other paper is arXiv's record with its authors
    attached on evidence. The arXiv venue is included while it is not stored,
    so the works' reference to it resolves. A constant number of queries,
    whatever the page holds."""
    records, rejections = _latest_entries(feed, locator=locator)
    by_arxiv_id, by_doi = _stored_works(records)
    matched = _stored_matches(records, by_arxiv_id=by_arxiv_id, by_doi=by_doi)
    # Authors are attributed where arXiv writes the byline: works arXiv owns,
    # and OpenAlex works stored without authorships.
    bylines = [
        index
        for index, work in enumerate(matched)
        if work is None or not work.openalex_id or not work.authorships.all()
    ]
    attributed = authors_attribute(
        [records[index] for index in bylines],
        rewritten_work_ids={work.pk for i in bylines if (work := matched[i])},
    )
    for index, record in zip(bylines, attributed, strict=True):
        records[index] = record
    works = [
        _stored_with_additions(work, record)
        if work is not None and work.openalex_id
        else replace(record, doi=_free_doi(record, by_doi, work))
        for record, work in zip(records, matched, strict=True)
    ]
    page: list[Record] = list(works)
    arxiv_owned = any(not record.openalex_id for record in works)
    if arxiv_owned and not Source.objects.filter(openalex_id=ARXIV_SOURCE_ID).exists():
        page.insert(0, ARXIV_SOURCE)
    return page, rejections


def _latest_entries(
    feed: ArxivFeed, *, locator: str
) -> tuple[list[WorkRecord], list[Rejection]]:
    """The page's records, one per paper (a later entry supersedes an earlier
    one, which is rejected), and its rejections."""
    rejections = [
        Rejection(
            entity="works",
            locator=f"{locator} entry #{entry.position + 1}",
            reason=entry.reason,
            excerpt=entry.excerpt,
        )
        for entry in feed.rejected
    ]
    latest: dict[str | None, WorkRecord] = {}
    for record in feed.records:
        if record.arxiv_id in latest:
            rejections.append(
                Rejection(
                    entity="works",
                    locator=locator,
                    reason=f"superseded by a later entry of arXiv {record.arxiv_id} "
                    "on the same page",
                    excerpt=repr(latest[record.arxiv_id])[:500],
                )
            )
        latest[record.arxiv_id] = record
    return list(latest.values()), rejections


# --- stored works --------------------------------------------------------------


def _stored_works(
    records: Sequence[WorkRecord],
) -> tuple[dict[str, Work], dict[str, Work]]:
    """The stored works that hold the page's arXiv ids or DOIs (the stated
    ones and arXiv's DataCite ones), by arXiv id and by DOI, with what
    rebuilding their record needs: one query for the works, three for their
    authorships, authorship institutions and topics."""
    arxiv_ids = [record.arxiv_id for record in records if record.arxiv_id]
    if not arxiv_ids:
        return {}, {}
    dois = {record.doi for record in records if record.doi}
    dois |= {arxiv_datacite_doi(arxiv_id) for arxiv_id in arxiv_ids}
    authorships = Authorship.objects.select_related("researcher").prefetch_related(
        Prefetch("institutions", queryset=Institution.objects.only("openalex_id"))
    )
    works = (
        Work.objects.filter(Q(arxiv_id__in=arxiv_ids) | Q(doi__in=sorted(dois)))
        .select_related("source")
        .prefetch_related(
            Prefetch("authorships", queryset=authorships.order_by("position")),
            Prefetch(
                "worktopic_set", queryset=WorkTopic.objects.select_related("topic")
            ),
        )
    )
    by_arxiv_id: dict[str, Work] = {}
    by_doi: dict[str, Work] = {}
    for work in works:
        if work.arxiv_id:
            by_arxiv_id[work.arxiv_id] = work
        if work.doi:
            by_doi[work.doi] = work
    return by_arxiv_id, by_doi


def _stored_matches(
    records: Sequence[WorkRecord],
    *,
    by_arxiv_id: dict[str, Work],
    by_doi: dict[str, Work],
) -> list[Work | None]:
    """The stored work of each record, or None; a row two records find (by
    DOI) goes to the first."""
    matched: list[Work | None] = []
    taken: set[int] = set()
    for record in records:
        work = _stored_match(record, by_arxiv_id=by_arxiv_id, by_doi=by_doi)
        if work is not None and work.pk in taken:
            work = None
        if work is not None:
            taken.add(work.pk)
        matched.append(work)
    return matched


def _stored_match(
    record: WorkRecord, *, by_arxiv_id: dict[str, Work], by_doi: dict[str, Work]
) -> Work | None:
    """The stored work this paper is: the one with its arXiv id, else one with
    its DOI that holds no other arXiv id (a DOI row with another arXiv id is
    another paper, even if arXiv links them)."""
    work = by_arxiv_id.get(record.arxiv_id or "")
    if work is not None:
        return work
    for doi in (record.doi, arxiv_datacite_doi(record.arxiv_id or "")):
        work = by_doi.get(doi or "")
        if work is not None and work.arxiv_id in (None, record.arxiv_id):
            return work
    return None


def _free_doi(
    record: WorkRecord, by_doi: dict[str, Work], work: Work | None
) -> str | None:
    """The DOI of a work arXiv describes: the stated one, else the DataCite
    one, whichever no other stored work holds. The upsert would match a held
    DOI to its holder and overwrite a work that is not this paper."""
    options = [record.doi, arxiv_datacite_doi(record.arxiv_id or "")]
    for doi in options:
        holder = by_doi.get(doi or "")
        if doi and (holder is None or holder == work):
            return doi
    return None


def stored_work_record(work: Work) -> WorkRecord:
    """The record that, upserted, leaves ``work`` as it is stored (its
    authorships, their researchers and institutions, and its topics
    included). Record fields are named like the model's columns, so a field
    added to both is carried without a change here."""
    related = {"source_id", "authorships", "topics"}
    values = {
        field.name: getattr(work, field.name)
        for field in fields(WorkRecord)
        if field.name not in related
    }
    return WorkRecord(
        **values,
        source_id=work.source.openalex_id if work.source else None,
        authorships=tuple(
            AuthorshipRecord(
                position=authorship.position,
                author_position=authorship.author_position,
                raw_author_name=authorship.raw_author_name,
                raw_affiliation_strings=tuple(authorship.raw_affiliation_strings),
                is_corresponding=authorship.is_corresponding,
                author_id=(
                    authorship.researcher.openalex_id if authorship.researcher else None
                ),
                institution_ids=tuple(
                    sorted(i.openalex_id for i in authorship.institutions.all())
                ),
            )
            for authorship in work.authorships.all()
        ),
        topics=tuple(
            WorkTopicLink(
                topic_id=link.topic.openalex_id,
                score=link.score,
                is_primary=link.is_primary,
            )
            for link in work.worktopic_set.all()
        ),
    )


def _stored_with_additions(work: Work, record: WorkRecord) -> WorkRecord:
    """An OpenAlex work as stored, with what arXiv adds where it has nothing:
    the arXiv id, a DOI arXiv states (not the DataCite one, which names the
    preprint, not necessarily this work), abstract, PDF and landing page,
    dates, and the byline when it has none."""
    stored = stored_work_record(work)
    additions: dict[str, object] = {}
    if not stored.arxiv_id:
        additions["arxiv_id"] = record.arxiv_id
    if not stored.doi and record.doi != arxiv_datacite_doi(record.arxiv_id or ""):
        additions["doi"] = record.doi
    for name in (
        "abstract",
        "pdf_url",
        "landing_page_url",
        "publication_date",
        "publication_year",
    ):
        if not getattr(stored, name) and getattr(record, name):
            additions[name] = getattr(record, name)
    if not stored.authorships and record.authorships:
        additions["authorships"] = record.authorships
        additions["author_count"] = record.author_count
    return replace(stored, **additions)


# --- authors -------------------------------------------------------------------


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

    Three queries for the whole batch: namesakes by normalized name, by
    alternative name, and the coauthorships among the namesakes."""
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
    trigram index answers ``= ANY``), or one of their alternative names."""
    found: dict[str, dict[int, _Candidate]] = defaultdict(dict)
    by_name = Researcher.objects.filter(
        search_name__in=sorted(names), openalex_id__isnull=False
    ).values_list("id", "openalex_id", "search_name", "affiliation__display_name")
    for researcher_id, openalex_id, search_name, affiliation in by_name:
        found[search_name][researcher_id] = _Candidate(
            researcher_id, openalex_id, affiliation or ""
        )
    spellings = sorted({spelling for group in names.values() for spelling in group})
    by_alternative = Researcher.objects.filter(
        display_name_alternatives__overlap=spellings, openalex_id__isnull=False
    ).values_list(
        "id", "openalex_id", "display_name_alternatives", "affiliation__display_name"
    )
    for researcher_id, openalex_id, alternatives, affiliation in by_alternative:
        for alternative in alternatives:
            key = _name_key(alternative)
            if key in names:
                found[key][researcher_id] = _Candidate(
                    researcher_id, openalex_id, affiliation or ""
                )
    return {name: list(group.values()) for name, group in found.items()}


def _coauthors(
    researcher_ids: set[int], *, excluded_work_ids: Iterable[int]
) -> dict[int, set[int]]:
    """For each of ``researcher_ids``, those of them it shares a stored work
    with (other than ``excluded_work_ids``)."""
    partners: dict[int, set[int]] = defaultdict(set)
    if len(researcher_ids) < 2:
        return partners
    authorship = connection.ops.quote_name(Authorship._meta.db_table)
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
