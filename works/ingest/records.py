"""Normalized records: what every source adapter (OpenAlex snapshot, OpenAlex
API, arXiv) hands to the one upsert path in ``works.ingest.upsert``.

Plain frozen dataclasses, no Django: identifiers are already in stored form
(short OpenAlex ids, lower-cased DOI, bare ORCID iD and ROR id), strings fit
their columns, and references to other entities are short OpenAlex ids that
the upsert path resolves in SQL.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, TypeVar

ENTITIES = ("institutions", "sources", "topics", "authors", "works")
# Characters of a rejected record kept with its reason (RejectedRecord.excerpt).
EXCERPT_LENGTH = 500


def rejection_excerpt(value: Any) -> str:
    """What an operator sees of a rejected record: the start of the raw line
    (bytes of a snapshot file), of the source's JSON or XML text, or of a
    record's repr; never longer than ``EXCERPT_LENGTH``, never a NUL."""
    if isinstance(value, bytes):
        text = value[: EXCERPT_LENGTH * 4].decode("utf-8", "replace").rstrip("\r\n")
    elif isinstance(value, str):
        text = value
    elif isinstance(value, (dict, list)):
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    else:
        text = repr(value)
    return text.replace("\x00", "")[:EXCERPT_LENGTH]


R = TypeVar("R")


def _pickled_as_call(cls: type[R]) -> type[R]:
    """Pickle a record as its class called with its field values: unpickled
    with one ``__init__``, instead of dataclasses' generic ``__setstate__``
    field by field (a snapshot batch parsed ahead comes back pickled: a
    work is a dozen records and more with its authorships and topics)."""
    names = [field.name for field in fields(cls)]  # type: ignore[arg-type]
    if len(names) < 2:  # attrgetter of one name gives no tuple
        raise TypeError(f"{cls.__name__}: a record of one field")
    values = operator.attrgetter(*names)

    def __reduce__(record: Any) -> tuple[type[R], tuple[Any, ...]]:
        return (cls, values(record))

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls


class RecordRejected(Exception):
    """A source record that cannot be stored; ``reason`` says why, in words an
    operator can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@_pickled_as_call
@dataclass(frozen=True, slots=True)
class InstitutionRecord:
    openalex_id: str
    display_name: str
    ror: str | None = None
    country_code: str = ""
    type: str = ""
    homepage_url: str = ""
    domain: str = ""
    source_updated_date: date | None = None


@_pickled_as_call
@dataclass(frozen=True, slots=True)
class SourceRecord:
    openalex_id: str
    display_name: str
    type: str = ""
    issn_l: str = ""
    homepage_url: str = ""
    source_updated_date: date | None = None


@_pickled_as_call
@dataclass(frozen=True, slots=True)
class TopicRecord:
    openalex_id: str
    display_name: str
    description: str = ""
    subfield_name: str = ""
    field_name: str = ""
    domain_name: str = ""
    source_updated_date: date | None = None


@_pickled_as_call
@dataclass(frozen=True, slots=True)
class ResearcherTopicLink:
    topic_id: str
    count: int = 0


@_pickled_as_call
@dataclass(frozen=True, slots=True)
class AuthorRecord:
    """A researcher as a source states it. ``last_known_institution_ids`` are
    in the source's order; the first one that exists becomes the
    affiliation."""

    openalex_id: str
    display_name: str
    search_name: str = ""
    orcid: str | None = None
    display_name_alternatives: tuple[str, ...] = ()
    last_known_institution_ids: tuple[str, ...] = ()
    works_count: int = 0
    cited_by_count: int = 0
    h_index: int = 0
    topics: tuple[ResearcherTopicLink, ...] = ()
    source_updated_date: date | None = None


@_pickled_as_call
@dataclass(frozen=True, slots=True)
class AuthorshipRecord:
    position: int
    author_position: str = ""
    raw_author_name: str = ""
    raw_affiliation_strings: tuple[str, ...] = ()
    is_corresponding: bool = False
    author_id: str | None = None
    institution_ids: tuple[str, ...] = ()


@_pickled_as_call
@dataclass(frozen=True, slots=True)
class WorkTopicLink:
    topic_id: str
    score: float = 0.0
    is_primary: bool = False


@_pickled_as_call
@dataclass(frozen=True, slots=True)
class YearCitations:
    """Citations a work received in one year, as the source counts them."""

    year: int
    cited_by_count: int


@_pickled_as_call
@dataclass(frozen=True, slots=True)
class WorkRecord:
    """A work. ``openalex_id`` is None for a work known only to another
    source (an arXiv preprint); the upsert path then matches it by DOI or
    arXiv id. ``counts_by_year`` is None when the source does not state
    it (an arXiv record): the stored counts then stay as they are."""

    title: str
    openalex_id: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    abstract: str = ""
    publication_year: int | None = None
    publication_date: date | None = None
    type: str = ""
    language: str = ""
    source_id: str | None = None
    landing_page_url: str = ""
    pdf_url: str = ""
    cited_by_count: int = 0
    counts_by_year: tuple[YearCitations, ...] | None = None
    is_retracted: bool = False
    author_count: int = 0
    authorships: tuple[AuthorshipRecord, ...] = ()
    topics: tuple[WorkTopicLink, ...] = ()
    source_updated_date: date | None = None


Record = InstitutionRecord | SourceRecord | TopicRecord | AuthorRecord | WorkRecord
