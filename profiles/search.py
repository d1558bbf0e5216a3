"""The site's search (``/search``): researchers by name, identifier, topic or
institution (``profiles.selectors.researcher_search``), and works by title
and abstract, at bounded cost.

Bounded, because a search box is the one page anybody can make expensive:

- only words of ``MIN_WORD_LENGTH`` letters or more are searched through an
  index (trigrams need three); shorter ones (initials) only narrow the rows
  those found, and a query without a searchable word runs no query at all;
- counts stop at ``COUNT_CAP`` (a ``LIMIT`` inside the ``COUNT``), and no
  page past the cap is ever read;
- facets are counted over the first ``FACET_SAMPLE`` works in rank order;
- the web request runs under a ``statement_timeout`` (``bzpeer.middleware``);
- a page of results is cached briefly under the data version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    QuerySet,
)
from redis.exceptions import RedisError

from bzpeer.data_version import data_version_get
from works.models import (
    WORK_SEARCH_CONFIG,
    WORK_SEARCH_VECTOR,
    AuthorshipInstitution,
    Work,
    WorkTopic,
)

from . import pagination
from .selectors import (
    MIN_WORD_LENGTH,
    SearchTerms,
    listed_authorships_prefetch,
    researcher_search,
    search_terms,
    venue_name_expression,
)

# The researcher search itself lives in ``profiles.selectors`` (the admin
# and the API call it there); the site's search reads it from here too.
__all__ = [
    "COUNT_CAP",
    "MIN_WORD_LENGTH",
    "SearchResults",
    "SearchTerms",
    "WorkFacets",
    "count_capped",
    "researcher_search",
    "search_results",
    "search_terms",
    "work_facet_groups",
    "work_facets",
    "work_search",
]

logger = logging.getLogger(__name__)

# Counts stop here ("more than 1,000"), and so do the pages.
COUNT_CAP = 1000
RESULTS_PER_PAGE = 20
# Facets are counted over this many of the best-ranked works.
FACET_SAMPLE = 200
FACET_VALUES_SHOWN = 8
# Topics and institutions a query's words may name (their researchers join
# the name matches); more would be no answer to a search anyway.
CACHE_SECONDS = 60
SECTIONS = ("researchers", "works")
FACET_KEYS = ("type", "year", "topic", "institution")

_FACET_VALUE = re.compile(r"[A-Za-z0-9\-]{1,50}")


# --- works ------------------------------------------------------------------


@dataclass(frozen=True)
class WorkFacets:
    """The facet values a works search is narrowed by (URL parameters)."""

    type: str = ""
    year: int | None = None
    topic: str = ""
    institution: str = ""

    @classmethod
    def from_params(cls, params) -> WorkFacets:
        """Facet values read strictly from ``params``: anything malformed is
        ignored rather than searched."""

        def value(key: str) -> str:
            raw = (params.get(key) or "").strip()
            return raw if _FACET_VALUE.fullmatch(raw) else ""

        year = value("year")
        return cls(
            type=value("type"),
            year=int(year) if year.isdigit() and len(year) == 4 else None,
            topic=value("topic").upper(),
            institution=value("institution").upper(),
        )

    def as_params(self) -> dict[str, str]:
        params = {
            "type": self.type,
            "year": str(self.year or ""),
            "topic": self.topic,
            "institution": self.institution,
        }
        return {key: value for key, value in params.items() if value}


def work_search_query(text: str) -> SearchQuery:
    """``websearch_to_tsquery`` in the configuration of the works' index:
    quotes for phrases, ``-`` to exclude, ``or``."""
    return SearchQuery(text, search_type="websearch", config=WORK_SEARCH_CONFIG)


def work_search(*, terms: SearchTerms, facets: WorkFacets | None = None):
    """Works whose title or abstract matches ``terms`` by full-text search
    (``WORK_SEARCH_VECTOR``, the very expression of the ``work_search_fts``
    GIN index), best ``ts_rank`` first, narrowed by ``facets``. Every
    version of a work is a work of the catalog; author lines come from
    ``listed_authorships_prefetch`` (hidden profiles unlinked). None match
    a query without a searchable word. The caller paginates."""
    if not terms.searchable_words:
        return Work.objects.none()
    query = work_search_query(terms.text)
    works = Work.objects.annotate(document=WORK_SEARCH_VECTOR).filter(document=query)
    facets = facets or WorkFacets()
    if facets.type:
        works = works.filter(type=facets.type)
    if facets.year:
        works = works.filter(publication_year=facets.year)
    if facets.topic:
        works = works.filter(
            Exists(
                WorkTopic.objects.filter(
                    work_id=OuterRef("pk"), topic__openalex_id=facets.topic
                )
            )
        )
    if facets.institution:
        works = works.filter(
            Exists(
                AuthorshipInstitution.objects.filter(
                    authorship__work_id=OuterRef("pk"),
                    institution__openalex_id=facets.institution,
                )
            )
        )
    return (
        works.select_related("source")
        .annotate(
            rank=SearchRank(WORK_SEARCH_VECTOR, query),
            venue_name=venue_name_expression(),
        )
        .prefetch_related(listed_authorships_prefetch())
        .order_by(F("rank").desc(), F("cited_by_count").desc(), "pk")
    )


@dataclass(frozen=True)
class FacetValue:
    key: str
    label: str
    count: int


def work_facets(*, works: QuerySet[Work]) -> dict[str, list[FacetValue]]:
    """Counts of type, year, topic and institution over the first
    ``FACET_SAMPLE`` works of ``works`` in rank order (not the whole match
    set: that could be millions): four queries on that bounded id set."""
    sample = works.values("pk")[:FACET_SAMPLE]
    sampled = Work.objects.filter(pk__in=sample)
    by_type = sampled.values("type").annotate(n=Count("pk")).order_by("-n", "type")
    by_year = (
        sampled.exclude(publication_year__isnull=True)
        .values("publication_year")
        .annotate(n=Count("pk"))
        .order_by("-publication_year")
    )
    by_topic = (
        WorkTopic.objects.filter(work_id__in=sample)
        .values("topic__openalex_id", "topic__display_name")
        .annotate(n=Count("work_id", distinct=True))
        .order_by("-n", "topic__display_name")
    )
    by_institution = (
        AuthorshipInstitution.objects.filter(authorship__work_id__in=sample)
        .values("institution__openalex_id", "institution__display_name")
        .annotate(n=Count("authorship__work_id", distinct=True))
        .order_by("-n", "institution__display_name")
    )
    return {
        "type": [
            FacetValue(row["type"], row["type"], row["n"])
            for row in by_type[:FACET_VALUES_SHOWN]
            if row["type"]
        ],
        "year": [
            FacetValue(str(y), str(y), row["n"])
            for row in by_year[:FACET_VALUES_SHOWN]
            for y in [row["publication_year"]]
        ],
        "topic": [
            FacetValue(row["topic__openalex_id"], row["topic__display_name"], row["n"])
            for row in by_topic[:FACET_VALUES_SHOWN]
        ],
        "institution": [
            FacetValue(
                row["institution__openalex_id"],
                row["institution__display_name"],
                row["n"],
            )
            for row in by_institution[:FACET_VALUES_SHOWN]
        ],
    }


# --- one page of results ----------------------------------------------------


def count_capped(queryset: QuerySet, *, cap: int = COUNT_CAP) -> int:
    """How many rows ``queryset`` has, counting no further than ``cap + 1``
    (``SELECT COUNT(*) FROM (... LIMIT cap + 1)``): above ``cap`` means
    "more than ``cap``"."""
    return queryset.order_by().values("pk")[: cap + 1].count()


@dataclass
class SearchResults:
    """One page of a search: the section shown, its page, both sections'
    capped counts, and the works' facets."""

    section: str
    page: Page
    researchers_count: int
    works_count: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        if self.section == "works":
            return self.works_count
        return self.researchers_count

    @property
    def is_capped(self) -> bool:
        return self.count > COUNT_CAP


def _cache_key(version: int, **parts) -> str:
    digest = hashlib.sha256(
        json.dumps(parts, sort_keys=True, default=str).encode()
    ).hexdigest()
    return f"search:{version}:{digest}"


def _cache_get(key: str):
    try:
        return cache.get(key)
    except (RedisError, OSError):
        return None


def _cache_set(key: str, value) -> None:
    try:
        cache.set(key, value, CACHE_SECONDS)
    except (RedisError, OSError):
        logger.warning("cache unavailable: search results not cached")


def search_results(
    *,
    terms: SearchTerms,
    section: str,
    facets: WorkFacets,
    page_number: str | None,
) -> SearchResults:
    """The page ``page_number`` (the raw ``page`` parameter) of ``section``
    ("researchers" or "works") for ``terms``, which must be searchable.
    Raises ``pagination.PageNotFound`` for a page that is not there, pages
    past ``COUNT_CAP`` results included, without reading them. Cached for
    ``CACHE_SECONDS`` under the data version (no Redis: not cached).

    Queries: two capped counts, the page (with its works' authors), and for
    works the four facet counts."""
    if section not in SECTIONS:
        section = SECTIONS[0]
    version = data_version_get()
    key = None
    if version is not None:
        key = _cache_key(
            version,
            query=terms.text,
            section=section,
            facets=facets.as_params(),
            page=page_number or "1",
        )
        cached = _cache_get(key)
        if cached is not None:
            return cached
    researchers = researcher_search(query=terms.text)
    works = work_search(terms=terms, facets=facets)
    researchers_count = count_capped(researchers)
    works_count = count_capped(works)
    listed = works if section == "works" else researchers
    paginator = Paginator(listed, RESULTS_PER_PAGE)
    # Never an exact count past the cap: the pager ends at its last page.
    paginator.count = min(
        works_count if section == "works" else researchers_count, COUNT_CAP
    )
    page = pagination.page_get(paginator=paginator, number=page_number)
    page.object_list = list(page.object_list)
    # The page is cached: it must not carry (and pickle) the whole queryset.
    paginator.object_list = ()
    results = SearchResults(
        section=section,
        page=page,
        researchers_count=researchers_count,
        works_count=works_count,
        facets=work_facets(works=works) if section == "works" else {},
    )
    if key is not None:
        _cache_set(key, results)
    return results


FACET_LABELS = {
    "type": "Type",
    "year": "Year",
    "topic": "Topic",
    "institution": "Institution",
}


@dataclass(frozen=True)
class FacetLink:
    value: FacetValue
    query: str
    is_chosen: bool


@dataclass(frozen=True)
class FacetGroup:
    key: str
    label: str
    chosen: str
    clear_query: str
    links: list[FacetLink]


def work_facet_groups(
    *, params, facets: dict[str, list[FacetValue]], chosen: WorkFacets
) -> list[FacetGroup]:
    """The facets as links: each value's query string (``params``, the
    request's GET, with that value chosen and the page dropped), and one to
    clear a chosen facet. No query."""

    def query_with(key: str, value: str | None) -> str:
        changed = params.copy()
        changed.pop("page", None)
        changed["in"] = "works"
        if value is None:
            changed.pop(key, None)
        else:
            changed[key] = value
        return changed.urlencode()

    chosen_values = chosen.as_params()
    groups = []
    for key, label in FACET_LABELS.items():
        current = chosen_values.get(key, "")
        links = [
            FacetLink(value, query_with(key, value.key), value.key == current)
            for value in facets.get(key, [])
        ]
        if links or current:
            groups.append(FacetGroup(key, label, current, query_with(key, None), links))
    return groups
