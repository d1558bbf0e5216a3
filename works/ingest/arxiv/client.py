"""The arXiv API (``export.arxiv.org/api/query``, Atom): requests and the
feed turned into normalized records.

Every request goes through the caller an importer hands in
(``ImportContext.call``: the rate limit shared by every worker, 3 s apart as
arXiv asks, and retries on 429 / 5xx). The feed is parsed with defusedxml:
Atom never needs a DTD, so a document that declares one, or an entity, is
refused before anything is expanded (billion laughs, external entities). What
arXiv answers that we cannot use raises a ``SourceError`` an operator can act
on: its own error feed (``SourceRefused`` with arXiv's words), or a feed that
is ill-formed, truncated or not Atom, an HTML page, an empty page or one that
is no XML at all (``SourceMalformed``, each named as what it is). A single
entry we cannot use is rejected with its reason and the rest of the page
stands.

An entry becomes a ``WorkRecord`` of type "preprint" at the arXiv venue, named
by its arXiv id without version (the paper, described by the version arXiv
returns). Its DOI is the one arXiv states (``arxiv:doi``, the published
version's) or else the DataCite DOI arXiv registers for every paper
(``10.48550/arxiv.<id>``, the DOI OpenAlex stores for arXiv-only works). Its
authors are bare names, with ``arxiv:affiliation`` strings when given;
attaching them to researchers is the importer's business.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as DefusedElementTree
from defusedxml import DTDForbidden
from django.conf import settings

from works.ingest.fields import parse_date
from works.ingest.http import (
    RETRY_STATUSES,
    SourceMalformed,
    SourceRefused,
    http_get,
)
from works.ingest.identifiers import arxiv_id_from_url, normalize_doi
from works.ingest.records import (
    AuthorshipRecord,
    RecordRejected,
    SourceRecord,
    WorkRecord,
    rejection_excerpt,
)
from works.models import Source

T = TypeVar("T")

ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ARXIV = "{http://arxiv.org/schemas/atom}"

# arXiv as OpenAlex names the venue; the sample data and a snapshot use the
# same id and name, so the row is the same whichever source creates it.
ARXIV_SOURCE = SourceRecord(
    openalex_id=Source.ARXIV_OPENALEX_ID,
    display_name="arXiv (Cornell University)",
    type="repository",
    homepage_url="https://arxiv.org",
)
USER_AGENT = "BZPEER/0.1 (arXiv importer)"
# arXiv's error feed has one entry whose id is under this address.
_ERROR_ID = re.compile(r"^https?://arxiv\.org/api/errors")
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$")
# An HTML page (a proxy's or a load balancer's error page, a maintenance
# notice), with or without its doctype: told apart before it is parsed as
# XML, where its doctype would read as a DTD and its markup as damage.
_HTML = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"<[^>]*>")


class Call(Protocol):
    """``ImportContext.call``: runs one request rate-limited and retried."""

    def __call__(
        self, request: Callable[[], T], *, what: str, kind: str = "single"
    ) -> T: ...


@dataclass(frozen=True, slots=True)
class RejectedEntry:
    """An entry of a feed that cannot be stored; ``position`` counts from 0."""

    position: int
    reason: str
    excerpt: str
    arxiv_id: str | None = None


@dataclass(frozen=True, slots=True)
class ArxivFeed:
    """One page of arXiv's answer. ``total`` is ``opensearch:totalResults``
    (the whole result set); ``entry_count`` counts the page's entries, usable
    or not."""

    total: int
    start: int
    records: tuple[WorkRecord, ...]
    rejected: tuple[RejectedEntry, ...] = ()

    @property
    def entry_count(self) -> int:
        return len(self.records) + len(self.rejected)

    @property
    def arxiv_ids(self) -> set[str]:
        """The papers the page names, rejected entries included."""
        named = {record.arxiv_id for record in self.records if record.arxiv_id}
        return named | {entry.arxiv_id for entry in self.rejected if entry.arxiv_id}


def arxiv_datacite_doi(arxiv_id: str) -> str:
    """The DOI arXiv registers at DataCite for every paper, in stored form."""
    return f"10.48550/arxiv.{arxiv_id}".lower()


def arxiv_search_query(
    *,
    query: str = "",
    category: str = "",
    submitted_from: date | None = None,
    submitted_until: date | None = None,
) -> str:
    """An arXiv ``search_query`` ANDing a query in arXiv's syntax (``au:``,
    ``ti:``, ``cat:``…), a category, and a submission date range (whole days,
    in arXiv's ``YYYYMMDDHHMM`` form). Raises ``ValueError`` for a category
    that is not one, or a range that ends before it starts."""
    parts = []
    query = " ".join(query.split())
    if query:
        # Parenthesized when ANDed: the query may hold an OR of its own.
        alone = not (category or submitted_from or submitted_until)
        parts.append(query if alone else f"({query})")
    if category:
        if not _CATEGORY.match(category):
            raise ValueError(f"{category!r} is not an arXiv category (e.g. cs.CL)")
        parts.append(f"cat:{category}")
    if submitted_from or submitted_until:
        start = submitted_from or date(1991, 1, 1)  # before arXiv's first paper
        end = submitted_until or date.today()
        if end < start:
            raise ValueError(f"the range ends ({end}) before it starts ({start})")
        parts.append(f"submittedDate:[{start:%Y%m%d}0000 TO {end:%Y%m%d}2359]")
    return " AND ".join(parts)


def arxiv_fetch(
    *,
    call: Call,
    what: str,
    search_query: str = "",
    id_list: Sequence[str] = (),
    start: int = 0,
    max_results: int = 100,
    sort_by: str = "submittedDate",
    sort_order: str = "ascending",
) -> ArxivFeed:
    """One page of arXiv's answer to ``search_query`` and/or ``id_list``,
    fetched through ``call``; ``what`` names the page in errors. Raises
    ``SourceRefused`` (arXiv's error feed, or a 4xx), ``SourceMalformed``
    and ``SourceUnavailable`` as the module says."""
    params: dict[str, str | int] = {
        "start": start,
        "max_results": max_results,
        "sortBy": sort_by,
        "sortOrder": sort_order,
    }
    if search_query:
        params["search_query"] = search_query
    if id_list:
        params["id_list"] = ",".join(id_list)
    url = settings.ARXIV_API_URL
    timeout = settings.IMPORT_HTTP_TIMEOUT

    def request() -> bytes:
        # Bounded: a body cap and a total deadline (works.ingest.http).
        response = http_get(
            url, params=params, timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
        if response.status_code >= 400 and response.status_code not in RETRY_STATUSES:
            # arXiv explains a refusal (400) in an Atom error feed; its words
            # say more than the status.
            refusal = _error_summary(response.content)
            if refusal:
                raise SourceRefused(f"arXiv refused {what}: {refusal}")
        response.raise_for_status()
        return response.content

    return parse_feed(call(request, what=what, kind="list"), what=what)


def _not_a_document(content: bytes, *, what: str) -> SourceMalformed | None:
    """The error of an answer that is no XML document, known before parsing:
    an empty page, or an HTML page (whose doctype would read as a DTD, and
    its markup as damage); None otherwise."""
    prefix = f"arXiv answered {what} with"
    head = content[:65536]
    if not head.strip():
        return SourceMalformed(f"{prefix} an empty page, not an Atom feed")
    if _HTML.match(head):
        title = _HTML_TITLE.search(head)
        text = title.group(1) if title else _TAG.sub(b" ", head)
        words = _collapse(text.decode("utf-8", "replace"))[:120]
        return SourceMalformed(
            f"{prefix} an HTML page, not an Atom feed"
            + (f" ({words})" if words else "")
        )
    return None


def _parse_xml(content: bytes, *, what: str) -> Element:
    """The document's root. A DTD is refused outright: Atom needs none, and
    it is where entity expansions and external entities are declared, so
    nothing is ever expanded or fetched."""
    prefix = f"arXiv answered {what} with"
    not_a_document = _not_a_document(content, what=what)
    if not_a_document is not None:
        raise not_a_document
    try:
        return DefusedElementTree.fromstring(content, forbid_dtd=True)
    except DTDForbidden as exc:
        raise SourceMalformed(
            f"{prefix} a document type declaration (<!DOCTYPE {exc.name}>), "
            "refused: Atom needs none, and a DTD declares entity expansions "
            "(billion laughs) and external entities (XXE)"
        ) from None
    except (ElementTree.ParseError, LookupError, ValueError) as exc:
        # LookupError: an encoding Python does not know; ValueError: one
        # expat cannot use (a multi-byte one).
        start = content[:80].lstrip(b"\xef\xbb\xbf \t\r\n")
        if start[:1] not in (b"<", b"\xff", b"\xfe", b"\x00"):
            # JSON, plain text: not XML at all, rather than a damaged feed.
            text = _collapse(start.decode("utf-8", "replace"))
            raise SourceMalformed(
                f"{prefix} a page that is not XML ({text!r})"
            ) from None
        raise SourceMalformed(
            f"{prefix} ill-formed XML ({exc}): a truncated or damaged feed, "
            "not imported"
        ) from None


def _error_summary(content: bytes) -> str | None:
    """The message of arXiv's error feed, or None when ``content`` is not one."""
    try:
        return _error_summary_of(_parse_xml(content, what=""))
    except SourceMalformed:
        return None


def _error_summary_of(root: Element) -> str | None:
    for entry in root.findall(f"{ATOM}entry"):
        if _ERROR_ID.match(_text(entry, f"{ATOM}id")):
            summary = _collapse(_text(entry, f"{ATOM}summary"))
            return summary or _collapse(_text(entry, f"{ATOM}title")) or "error"
    return None


def parse_feed(content: bytes, *, what: str) -> ArxivFeed:
    """A page of arXiv's Atom (the current format and the legacy one, whose
    namespace declarations sit on each element); raises ``SourceRefused`` for
    arXiv's error feed and ``SourceMalformed`` for anything that is not a
    well-formed result feed."""
    root = _parse_xml(content, what=what)
    if root.tag != f"{ATOM}feed":
        raise SourceMalformed(
            f"arXiv answered {what} with <{root.tag}>, not an Atom feed"
        )
    refusal = _error_summary_of(root)
    if refusal:
        raise SourceRefused(f"arXiv refused {what}: {refusal}")
    total = _count(root, "totalResults", what=what, required=True)
    start = _count(root, "startIndex", what=what, required=False)
    records: list[WorkRecord] = []
    rejected: list[RejectedEntry] = []
    for position, entry in enumerate(root.findall(f"{ATOM}entry")):
        try:
            records.append(normalize_entry(entry))
        except RecordRejected as exc:
            rejected.append(
                RejectedEntry(
                    position=position,
                    reason=exc.reason,
                    excerpt=rejection_excerpt(
                        ElementTree.tostring(entry, encoding="unicode")
                    ),
                    arxiv_id=arxiv_id_from_url(_text(entry, f"{ATOM}id")),
                )
            )
    return ArxivFeed(
        total=total, start=start, records=tuple(records), rejected=tuple(rejected)
    )


def _count(root: Element, name: str, *, what: str, required: bool) -> int:
    value = _text(root, f"{OPENSEARCH}{name}")
    if not value and not required:
        return 0
    # ASCII digits, and fewer than 19 ("²" is a digit to isdigit, not to
    # int, and int refuses 4,300 digits and more).
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise SourceMalformed(
            f"arXiv answered {what} with a feed whose opensearch:{name} is "
            f"{value[:40]!r}, not a count"
        )
    return int(value)


def normalize_entry(entry: Element) -> WorkRecord:
    """One Atom entry as a preprint; raises ``RecordRejected`` when it names
    no arXiv paper, has no title, or has an unreadable date."""
    entry_id = _text(entry, f"{ATOM}id")
    arxiv_id = arxiv_id_from_url(entry_id)
    if not arxiv_id:
        raise RecordRejected(f"entry id {entry_id[:100]!r} is not an arXiv paper")
    title = _collapse(_text(entry, f"{ATOM}title"))
    if not title:
        raise RecordRejected(f"arXiv {arxiv_id} has no title")
    published = _date(entry, "published", arxiv_id)
    # One paper can carry several DOIs in one element; the first is its own.
    stated_doi = normalize_doi(next(iter(_text(entry, f"{ARXIV}doi").split()), ""))
    has_pdf = any(_is_pdf_link(link) for link in entry.findall(f"{ATOM}link"))
    authorships = _authorships(entry)
    return WorkRecord(
        title=title,
        arxiv_id=arxiv_id,
        doi=stated_doi or arxiv_datacite_doi(arxiv_id),
        abstract=_collapse(_text(entry, f"{ATOM}summary")),
        publication_year=published.year if published else None,
        publication_date=published,
        type="preprint",
        source_id=Source.ARXIV_OPENALEX_ID,
        landing_page_url=f"https://arxiv.org/abs/{arxiv_id}",
        # Unversioned: it always serves the latest version, so a new version
        # does not change the stored URL.
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}" if has_pdf else "",
        author_count=len(authorships),
        authorships=authorships,
        source_updated_date=_date(entry, "updated", arxiv_id),
    )


def _authorships(entry: Element) -> tuple[AuthorshipRecord, ...]:
    names: list[tuple[str, tuple[str, ...]]] = []
    for author in entry.findall(f"{ATOM}author"):
        name = _collapse(_text(author, f"{ATOM}name"))
        if not name:
            continue
        affiliations = tuple(
            text
            for element in author.findall(f"{ARXIV}affiliation")
            if (text := _collapse(element.text or ""))
        )
        names.append((name[:500], affiliations))
    last = len(names) - 1
    return tuple(
        AuthorshipRecord(
            position=position,
            # OpenAlex's vocabulary, so both sources read alike.
            author_position=(
                "first" if position == 0 else "last" if position == last else "middle"
            ),
            raw_author_name=name,
            raw_affiliation_strings=affiliations,
        )
        for position, (name, affiliations) in enumerate(names)
    )


def _is_pdf_link(link: Element) -> bool:
    # The November 2025 format dropped rel/type/title from entry links for a
    # while; the URL path still tells.
    href = link.get("href", "")
    return (
        link.get("title") == "pdf"
        or link.get("type") == "application/pdf"
        or "arxiv.org/pdf/" in href
    )


def _date(entry: Element, name: str, arxiv_id: str) -> date | None:
    value = _text(entry, f"{ATOM}{name}")
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise RecordRejected(
            f"arXiv {arxiv_id}: {name} is not a date: {value[:40]!r}"
        ) from None


def _text(parent: Element, path: str) -> str:
    element = parent.find(path)
    return (element.text or "").strip() if element is not None else ""


def _collapse(value: str) -> str:
    """Whitespace folded to single spaces: arXiv's legacy format hard-wraps
    titles and abstracts."""
    return " ".join(value.split())
