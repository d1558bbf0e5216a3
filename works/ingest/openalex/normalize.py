"""OpenAlex entities (as the snapshot files and the API both serve them) to
normalized records.

Parsing is defensive: any field may be null or missing (a null is read as "the
source does not say"), OpenAlex's schema changed over the years (2023 authors
have a singular ``last_known_institution``; a location may have
``source: null``; dates may be timestamps), and a value of the wrong type
rejects the whole record with a reason instead of storing half of it. Strings
are stored verbatim, markup included: escaping is the template's job.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Any

from works.ingest.fields import (
    INT_MAX,
    SMALLINT_MAX,
    clean_text,
    read_boolean,
    read_code,
    read_date,
    read_integer,
    read_list,
    read_name_of,
    read_number,
    read_object,
    read_optional_object,
    read_own_id,
    read_record,
    read_reference,
    read_string,
    read_strings,
    read_text,
)
from works.ingest.identifiers import (
    arxiv_id_from_doi,
    arxiv_id_from_url,
    domain_from_url,
    normalize_arxiv_id,
    normalize_doi,
    normalize_orcid,
    normalize_ror,
)
from works.ingest.records import (
    AuthorRecord,
    AuthorshipRecord,
    InstitutionRecord,
    RecordRejected,
    ResearcherTopicLink,
    SourceRecord,
    TopicRecord,
    WorkRecord,
    WorkTopicLink,
    YearCitations,
)
from works.text import normalize_name

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")

# --- entities ----------------------------------------------------------------


def normalize_institution(raw: Any) -> InstitutionRecord:
    record = read_record(raw)
    homepage_url = read_code(record, "homepage_url", "homepage_url", max_length=500)
    ids = read_optional_object(record, "ids", "ids") or {}
    ror = read_string(record, "ror", "ror") or read_string(ids, "ror", "ids.ror")
    country_code = read_code(record, "country_code", "country_code", max_length=2)
    country_code = country_code.upper()
    if not _COUNTRY_CODE.fullmatch(country_code):
        # Not an ISO 3166 code, dropped as any code that does not fit is
        # ("ß".upper() is "SS": it would not fit either).
        country_code = ""
    return InstitutionRecord(
        openalex_id=read_own_id(record, "I"),
        display_name=read_text(record, "display_name", "display_name", max_length=500),
        ror=normalize_ror(ror),
        country_code=country_code,
        type=read_code(record, "type", "type", max_length=50),
        homepage_url=homepage_url,
        domain=domain_from_url(homepage_url),
        source_updated_date=read_date(record, "updated_date", "updated_date"),
    )


def normalize_source(raw: Any) -> SourceRecord:
    record = read_record(raw)
    return SourceRecord(
        openalex_id=read_own_id(record, "S"),
        display_name=read_text(record, "display_name", "display_name", max_length=500),
        type=read_code(record, "type", "type", max_length=50),
        issn_l=read_code(record, "issn_l", "issn_l", max_length=9),
        homepage_url=read_code(record, "homepage_url", "homepage_url", max_length=500),
        source_updated_date=read_date(record, "updated_date", "updated_date"),
    )


def normalize_topic(raw: Any) -> TopicRecord:
    record = read_record(raw)
    return TopicRecord(
        openalex_id=read_own_id(record, "T"),
        display_name=read_text(record, "display_name", "display_name", max_length=500),
        description=read_text(record, "description", "description"),
        subfield_name=read_name_of(record, "subfield", "subfield"),
        field_name=read_name_of(record, "field", "field"),
        domain_name=read_name_of(record, "domain", "domain"),
        source_updated_date=read_date(record, "updated_date", "updated_date"),
    )


def _last_known_institution_ids(record: dict) -> tuple[str, ...]:
    # Current schema: a list; the 2023 schema: one object under a singular key.
    if record.get("last_known_institutions") is not None:
        key = "last_known_institutions"
        items = read_list(record, key, key)
    else:
        key = "last_known_institution"
        single = read_optional_object(record, key, key)
        items = [single] if single else []
    ids: dict[str, None] = {}
    for index, item in enumerate(items):
        label = f"{key}[{index}]" if key.endswith("s") else key
        short = read_reference(read_object(item, label).get("id"), "I", f"{label}.id")
        if short:
            ids[short] = None
    return tuple(ids)


def _author_topics(record: dict) -> tuple[ResearcherTopicLink, ...]:
    links: dict[str, ResearcherTopicLink] = {}
    for index, item in enumerate(read_list(record, "topics", "topics")):
        label = f"topics[{index}]"
        topic = read_object(item, label)
        topic_id = read_reference(topic.get("id"), "T", f"{label}.id")
        if topic_id and topic_id not in links:
            count = read_integer(topic, "count", f"{label}.count") or 0
            links[topic_id] = ResearcherTopicLink(topic_id=topic_id, count=count)
    return tuple(links.values())


def normalize_author(raw: Any) -> AuthorRecord:
    record = read_record(raw)
    openalex_id = read_own_id(record, "A")
    display_name = read_text(record, "display_name", "display_name", max_length=500)
    ids = read_optional_object(record, "ids", "ids") or {}
    orcid = read_string(record, "orcid", "orcid") or read_string(
        ids, "orcid", "ids.orcid"
    )
    stats = read_optional_object(record, "summary_stats", "summary_stats") or {}
    return AuthorRecord(
        openalex_id=openalex_id,
        display_name=display_name,
        search_name=normalize_name(display_name)[:500],
        orcid=normalize_orcid(orcid),
        display_name_alternatives=read_strings(
            record,
            "display_name_alternatives",
            "display_name_alternatives",
            max_length=500,
        ),
        last_known_institution_ids=_last_known_institution_ids(record),
        works_count=read_integer(record, "works_count", "works_count") or 0,
        cited_by_count=read_integer(record, "cited_by_count", "cited_by_count") or 0,
        h_index=read_integer(stats, "h_index", "summary_stats.h_index") or 0,
        topics=_author_topics(record),
        source_updated_date=read_date(record, "updated_date", "updated_date"),
    )


def _abstract(record: dict) -> str:
    """The abstract, rebuilt from OpenAlex's inverted index (word → positions)
    as its words in position order joined by single spaces."""
    index = read_optional_object(
        record, "abstract_inverted_index", "abstract_inverted_index"
    )
    if not index:
        return ""
    words = _words_in_order(index)
    if words is None:
        words = _words_sorted(index)
    return clean_text(" ".join(words))


def _words_in_order(index: dict) -> list[str] | None:
    """The words of an index that places each once, at positions 0 to n-1
    (as OpenAlex writes them), in one pass over a list of n slots; None for
    any other index, which ``_words_sorted`` reads."""
    lists = list(index.values())
    if set(map(type, lists)) != {list}:
        return None
    positions = list(chain.from_iterable(lists))
    total = len(positions)
    # A set of the types, min and max: checked at C speed, not word by word.
    if not total or set(map(type, positions)) != {int}:
        return None
    if min(positions) < 0 or max(positions) >= total:
        return None
    slots: list[str | None] = [None] * total
    for word, places in zip(index, lists, strict=True):
        for position in places:
            slots[position] = word
    # n positions below n with none left empty: each was placed once.
    return None if None in slots else slots  # type: ignore[return-value]


def _words_sorted(index: dict) -> list[str]:
    """The words of any index in position order, a word placed twice
    appearing twice and the words of one position in their sort order; a
    gap is skipped. Rejects an index whose positions are not lists of
    integers from 0."""
    placed: list[tuple[int, str]] = []
    for word, positions in index.items():
        if not isinstance(positions, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in positions
        ):
            raise RecordRejected(
                "abstract_inverted_index positions are not lists of integers"
            )
        placed.extend((position, word) for position in positions)
    placed.sort()
    return [word for _, word in placed]


def _authorship(item: Any, position: int) -> AuthorshipRecord:
    label = f"authorships[{position}]"
    authorship = read_object(item, label)
    author = read_optional_object(authorship, "author", f"{label}.author") or {}
    name = read_text(authorship, "raw_author_name", f"{label}.raw_author_name")
    if not name:
        name = read_text(author, "display_name", f"{label}.author.display_name")
    affiliations = read_strings(
        authorship, "raw_affiliation_strings", f"{label}.raw_affiliation_strings"
    )
    if not affiliations:  # the 2023 schema had one string
        legacy = read_text(
            authorship, "raw_affiliation_string", f"{label}.raw_affiliation_string"
        )
        affiliations = (legacy,) if legacy else ()
    institution_ids: dict[str, None] = {}
    institutions = read_list(authorship, "institutions", f"{label}.institutions")
    for index, institution in enumerate(institutions):
        institution_label = f"{label}.institutions[{index}]"
        short = read_reference(
            read_object(institution, institution_label).get("id"),
            "I",
            f"{institution_label}.id",
        )
        if short:
            institution_ids[short] = None
    return AuthorshipRecord(
        position=position,
        author_position=read_code(
            authorship, "author_position", f"{label}.author_position", max_length=10
        ),
        raw_author_name=name[:500],
        raw_affiliation_strings=affiliations,
        is_corresponding=read_boolean(
            authorship, "is_corresponding", f"{label}.is_corresponding"
        ),
        author_id=read_reference(author.get("id"), "A", f"{label}.author.id"),
        institution_ids=tuple(institution_ids),
    )


def _work_topics(record: dict) -> tuple[WorkTopicLink, ...]:
    primary = read_optional_object(record, "primary_topic", "primary_topic")
    primary_id = None
    if primary:
        primary_id = read_reference(primary.get("id"), "T", "primary_topic.id")
    links: dict[str, WorkTopicLink] = {}
    for index, item in enumerate(read_list(record, "topics", "topics")):
        label = f"topics[{index}]"
        topic = read_object(item, label)
        topic_id = read_reference(topic.get("id"), "T", f"{label}.id")
        if topic_id and topic_id not in links:
            links[topic_id] = WorkTopicLink(
                topic_id=topic_id,
                score=read_number(topic, "score", f"{label}.score"),
                is_primary=topic_id == primary_id,
            )
    if primary_id and primary_id not in links:
        links[primary_id] = WorkTopicLink(
            topic_id=primary_id,
            score=read_number(primary, "score", "primary_topic.score"),
            is_primary=True,
        )
    return tuple(links.values())


def _work_arxiv_id(record: dict, ids: dict, doi: str | None) -> str | None:
    """From ``ids.arxiv``, else the arXiv DOI (how OpenAlex names an
    arXiv-only work), else an ``arxiv.org/abs/`` location (a published
    article that carries its preprint)."""
    arxiv_id = normalize_arxiv_id(read_string(ids, "arxiv", "ids.arxiv"))
    arxiv_id = arxiv_id or arxiv_id_from_doi(doi)
    if arxiv_id:
        return arxiv_id
    primary = read_optional_object(record, "primary_location", "primary_location")
    locations = [primary] if primary else []
    locations += read_list(record, "locations", "locations")
    for index, location in enumerate(locations):
        if location is None:
            continue
        location = read_object(location, f"locations[{index}]")
        url = read_string(location, "landing_page_url", "landing_page_url")
        arxiv_id = arxiv_id_from_url(url)
        if arxiv_id:
            return arxiv_id
    return None


def _is_count(value: Any, maximum: int) -> bool:
    return (
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= maximum
    )


def _counts_by_year(record: dict) -> tuple[YearCitations, ...] | None:
    """Citations per year, newest year first, one entry a year (the first
    the source lists). A malformed entry is dropped, never the record: the
    counts only feed a chart. None when the source states no list."""
    items = record.get("counts_by_year")
    if not isinstance(items, list):
        return None
    counts: dict[int, YearCitations] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        year, cited = item.get("year"), item.get("cited_by_count")
        if _is_count(year, SMALLINT_MAX) and year > 0 and _is_count(cited, INT_MAX):
            counts.setdefault(year, YearCitations(year=year, cited_by_count=cited))
    return tuple(sorted(counts.values(), key=lambda entry: -entry.year))


def normalize_work(raw: Any) -> WorkRecord:
    record = read_record(raw)
    openalex_id = read_own_id(record, "W")
    ids = read_optional_object(record, "ids", "ids") or {}
    doi = normalize_doi(
        read_string(record, "doi", "doi") or read_string(ids, "doi", "ids.doi")
    )
    title = read_string(record, "title", "title")
    if title is None:
        title = read_string(record, "display_name", "display_name") or ""
    primary = read_optional_object(record, "primary_location", "primary_location") or {}
    source = read_optional_object(primary, "source", "primary_location.source") or {}
    authorships = read_list(record, "authorships", "authorships")
    return WorkRecord(
        openalex_id=openalex_id,
        doi=doi,
        arxiv_id=_work_arxiv_id(record, ids, doi),
        title=title.strip(),
        abstract=_abstract(record),
        publication_year=read_integer(
            record, "publication_year", "publication_year", maximum=SMALLINT_MAX
        ),
        publication_date=read_date(record, "publication_date", "publication_date"),
        type=read_code(record, "type", "type", max_length=50),
        language=read_code(record, "language", "language", max_length=12),
        source_id=read_reference(source.get("id"), "S", "primary_location.source.id"),
        landing_page_url=read_code(
            primary,
            "landing_page_url",
            "primary_location.landing_page_url",
            max_length=1000,
        ),
        pdf_url=read_code(
            primary, "pdf_url", "primary_location.pdf_url", max_length=1000
        ),
        cited_by_count=read_integer(record, "cited_by_count", "cited_by_count") or 0,
        counts_by_year=_counts_by_year(record),
        is_retracted=read_boolean(record, "is_retracted", "is_retracted"),
        author_count=len(authorships),
        authorships=tuple(
            _authorship(item, position) for position, item in enumerate(authorships)
        ),
        topics=_work_topics(record),
        source_updated_date=read_date(record, "updated_date", "updated_date"),
    )


NORMALIZERS = {
    "institutions": normalize_institution,
    "sources": normalize_source,
    "topics": normalize_topic,
    "authors": normalize_author,
    "works": normalize_work,
}
