"""The arXiv importer: papers by id, or the results of an arXiv search, a page
at a time through the run driver (``works.ingest.driver``).

A run's parameters are ``{"ids": [bare arXiv ids]}`` or ``{"query": arXiv
search_query}``, with an optional ``page_size``. Each page is one
``ImportContext.store`` whose checkpoint is the next ``start`` (the index of
the next id, or of the next search result), so a killed run resumes at the
next page. Search results are read oldest submission first: new papers land
at the end of the result set, and the offsets of a resumed run still point at
the same papers (but see docs/import-arxiv.md on papers that leave the set).
A page arXiv answers with no entries before the end of the result set is
asked for again, then fails the run (resumable); a page holding only papers
of the page before it fails the run: arXiv's paging is broken, and reading on
would fetch the same page to the end of the count.

arXiv is the second voice on a work OpenAlex already describes: a work stored
with an OpenAlex id keeps its title, abstract, authorships (and the
researchers they link), venue, type and topics, and arXiv only fills what is
missing (arXiv id, abstract, PDF, dates, a DOI). Because the upsert path
replaces a work's authorships with the record's, the record of such a work is
the stored row itself plus arXiv's additions; it is built inside the page's
transaction, under the catalog write lock, so an OpenAlex page committed while
arXiv was fetching is what arXiv adds to, never reverted. A work only arXiv
knows is arXiv's to describe, and a later OpenAlex load takes it over by DOI
or arXiv id (``works.ingest.upsert.works``).

arXiv authors are bare names, attached to researchers only on evidence
besides the name (``works.ingest.arxiv.authors``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields, replace

from django.conf import settings
from django.db.models import Prefetch, Q

from works.ingest.arxiv.authors import authors_attribute
from works.ingest.arxiv.client import (
    ARXIV_SOURCE,
    ArxivFeed,
    arxiv_datacite_doi,
    arxiv_fetch,
)
from works.ingest.driver import ImportContext, Rejection
from works.ingest.http import SourceMalformed, SourceUnavailable
from works.ingest.records import (
    AuthorshipRecord,
    Record,
    WorkRecord,
    WorkTopicLink,
    rejection_excerpt,
)
from works.models import Authorship, Institution, Source, Work, WorkTopic

PAGE_SIZE = 100
# arXiv serves at most 2000 results per request.
MAX_PAGE_SIZE = 2000


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
    # The papers of the page before, and which results they were.
    previous: tuple[set[str], str] = (set(), "")
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
        papers = feed.arxiv_ids
        if papers and papers <= previous[0]:
            # A server that serves one page for every start would otherwise be
            # read again and again until the count runs out.
            raise SourceMalformed(
                f"arXiv answered the same page twice: {what} holds only papers "
                f"of {previous[1]} ({', '.join(sorted(papers)[:5])}"
                f"{', …' if len(papers) > 5 else ''}); its paging is broken, "
                "nothing more is imported; resume the run later"
            )
        previous = (papers, f"results {start + 1}-{start + feed.entry_count}")
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
    entries, rejections = arxiv_page_entries(feed, locator=locator)
    context.store(
        # Built inside the page's transaction, once the catalog write lock is
        # held: the stored rows the records start from are read when no other
        # import can write them before these records do (built earlier, they
        # would write back a row another import has changed since).
        lambda: arxiv_page_records(entries),
        checkpoint={"start": next_start},
        locator=locator,
        rejections=rejections,
    )


def arxiv_page_entries(
    feed: ArxivFeed, *, locator: str
) -> tuple[list[WorkRecord], list[Rejection]]:
    """The page's records as arXiv describes them, one per paper (a later
    entry supersedes an earlier one, which is rejected), and its rejections.
    No query."""
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
                    excerpt=rejection_excerpt(latest[record.arxiv_id]),
                )
            )
        latest[record.arxiv_id] = record
    return list(latest.values()), rejections


def arxiv_page_records(entries: Sequence[WorkRecord]) -> list[Record]:
    """The records to store for a page's ``entries`` (``arxiv_page_entries``),
    read from what is stored now: call it where they are written, under the
    catalog write lock.

    A paper already stored under an OpenAlex id becomes its stored row plus
    arXiv's additions; any other paper is arXiv's record with its authors
    attached on evidence. The arXiv venue is included while it is not stored,
    so the works' reference to it resolves. A constant number of queries,
    whatever the page holds."""
    records = list(entries)
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
    if (
        arxiv_owned
        and not Source.objects.filter(openalex_id=Source.ARXIV_OPENALEX_ID).exists()
    ):
        page.insert(0, ARXIV_SOURCE)
    return page


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
