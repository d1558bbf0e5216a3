"""The OpenAlex API, through pyalex: the queries the live importer makes, each
one HTTP request, answering plain dicts that ``works.ingest.openalex.normalize``
normalizes exactly as it does snapshot lines.

pyalex builds the URLs (filters, ``select``, search, paging parameters) and
parses the answers; the importer calls each method through
``ImportContext.call``, which rate-limits, retries 429 / 5xx and counts the
call. So pyalex's own retries stay off (``max_retries=0``), and the errors
pyalex or requests raise become the ``SourceError`` an operator can act on:
a refused query (pyalex ``QueryError``: an invalid filter or select, a bad
API key) is ``SourceRefused``, a page that is not JSON or not shaped like an
OpenAlex answer is ``SourceMalformed``. HTTP error statuses stay
``requests.HTTPError`` for the caller to retry or refuse.

Cursor paging is done here one page per call, not with pyalex's
``Paginator``, so that the importer can checkpoint the cursor of the next page
after storing each one. The functions at the end read what an answer embeds
beyond a record (the institutions, venues and topics inside a work).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyalex
import requests
from django.conf import settings
from pyalex.api import BaseOpenAlex, QueryError

from works.ingest.http import BoundedSession, SourceMalformed, SourceRefused
from works.ingest.identifiers import normalize_orcid, short_openalex_id

NO_API_KEY_WARNING = (
    "OPENALEX_API_KEY is not set: without a key OpenAlex allows only a few calls "
    "a day, so this import may be refused part-way. Get a free key at "
    "https://openalex.org/settings/api and set OPENALEX_API_KEY."
)

# Where the API is. pyalex 0.21 writes every URL with this host whatever its
# config says; ``OPENALEX_API_URL`` (a mirror, a proxy, a local stand-in)
# replaces it in each request.
OPENALEX_URL = "https://api.openalex.org"

# The most results OpenAlex serves on one page, and the most values it takes
# in one OR filter (``openalex_id:A1|A2|…``).
PER_PAGE = 200
MAX_IDS_PER_CALL = 100

# ``select`` of each list call: every top-level field the normalizers in
# works.ingest.openalex.normalize read, and nothing else (an answer is mostly fields we
# do not store: referenced works, counts by year, concepts).
WORK_FIELDS = (
    "id",
    "ids",
    "doi",
    "title",
    "display_name",
    "abstract_inverted_index",
    "publication_year",
    "publication_date",
    "type",
    "language",
    "primary_location",
    "locations",
    "cited_by_count",
    "counts_by_year",
    "is_retracted",
    "authorships",
    # Set (true) when a list answer cut ``authorships`` at 100; the work's
    # single look-up has them all (works.ingest.openalex.walks).
    "is_authors_truncated",
    "primary_topic",
    "topics",
    "updated_date",
)
AUTHOR_FIELDS = (
    "id",
    "ids",
    "orcid",
    "display_name",
    "display_name_alternatives",
    "last_known_institutions",
    "works_count",
    "cited_by_count",
    "summary_stats",
    "topics",
    "updated_date",
)
INSTITUTION_FIELDS = (
    "id",
    "ids",
    "ror",
    "display_name",
    "country_code",
    "type",
    "homepage_url",
    "updated_date",
)
SOURCE_FIELDS = (
    "id",
    "display_name",
    "type",
    "issn_l",
    "homepage_url",
    "updated_date",
)
TOPIC_FIELDS = (
    "id",
    "display_name",
    "description",
    "subfield",
    "field",
    "domain",
    "updated_date",
)
FIELDS = {
    "works": WORK_FIELDS,
    "authors": AUTHOR_FIELDS,
    "institutions": INSTITUTION_FIELDS,
    "sources": SOURCE_FIELDS,
    "topics": TOPIC_FIELDS,
}
_ENDPOINTS: dict[str, type[BaseOpenAlex]] = {
    "works": pyalex.Works,
    "authors": pyalex.Authors,
    "institutions": pyalex.Institutions,
    "sources": pyalex.Sources,
    "topics": pyalex.Topics,
}
_PREFIXES = {
    "works": "W",
    "authors": "A",
    "institutions": "I",
    "sources": "S",
    "topics": "T",
}
# One filter of a filter string: ``key:value``. Which keys and values are
# valid is OpenAlex's to say (it refuses an unknown key with the valid ones).
_FILTER = re.compile(r"^([^\s:,]+):(\S.*)$")


class FilterSyntaxError(ValueError):
    """A works filter string that is not ``key:value[,key:value…]``."""


def parse_filter(text: str) -> list[tuple[str, str]]:
    """``"authorships.author.id:A1,publication_year:2024"`` as its
    ``(key, value)`` pairs, in order. OpenAlex checks the keys and values
    themselves (an unknown one is refused with the list of valid ones)."""
    pairs = []
    for part in text.split(","):
        match = _FILTER.match(part.strip())
        if not match:
            raise FilterSyntaxError(
                f"{part.strip()!r} is not a filter of the form key:value"
            )
        pairs.append((match.group(1), match.group(2).strip()))
    return pairs


def author_key(value: str) -> str | None:
    """What to look an author up by: ``A123`` for an OpenAlex id or URL, the
    ORCID URL for an ORCID iD (OpenAlex resolves both), None otherwise."""
    short = short_openalex_id(value, prefix="A")
    if short:
        return short
    orcid = normalize_orcid(value)
    return f"https://orcid.org/{orcid}" if orcid else None


@dataclass(frozen=True)
class Page:
    """One page of a cursor-paged list: its results, the cursor of the next
    page (None after the last), and how many results the whole list has."""

    results: list[dict[str, Any]]
    next_cursor: str | None
    count: int | None


class _TimeoutSession(BoundedSession):
    """pyalex sends its requests without a timeout, and a stalled connection
    would hold the run (and its lock) forever; this session adds one, sends
    them to ``base_url``, and keeps the last response for telling an error
    page from a malformed one."""

    def __init__(self, timeout: float, base_url: str = OPENALEX_URL):
        super().__init__()
        self.timeout = timeout
        self.base_url = base_url.rstrip("/")
        self.last_response: requests.Response | None = None

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        if self.base_url != OPENALEX_URL and url.startswith(f"{OPENALEX_URL}/"):
            url = self.base_url + url.removeprefix(OPENALEX_URL)
        self.last_response = None
        response = super().request(method, url, **kwargs)
        self.last_response = response
        return response


class OpenAlexClient:
    """The OpenAlex queries of a live import; each method makes one request
    (a redirect of a merged id followed) and raises as the module docstring
    says."""

    def __init__(
        self,
        *,
        api_key: str = "",
        email: str = "",
        timeout: float = 30.0,
        base_url: str = OPENALEX_URL,
    ):
        # pyalex's configuration is module-global; every client sets all of
        # it, so the last one made wins, with the same settings anyway.
        pyalex.config.api_key = api_key or None
        pyalex.config.email = email or None
        pyalex.config.max_retries = 0
        self.has_api_key = bool(api_key)
        self.session = _TimeoutSession(timeout, base_url)

    @classmethod
    def from_settings(cls) -> OpenAlexClient:
        return cls(
            api_key=settings.OPENALEX_API_KEY,
            email=settings.OPENALEX_EMAIL,
            timeout=settings.IMPORT_HTTP_TIMEOUT,
            base_url=settings.OPENALEX_API_URL,
        )

    def author(self, key: str) -> dict[str, Any]:
        """One author by ``author_key`` (a single look-up, free). A merged id
        answers the surviving record, whose ``id`` differs from ``key``."""
        answer = self._get(pyalex.Authors(key), what=f"author {key}")
        if not isinstance(answer, dict):
            raise SourceMalformed(f"OpenAlex answered author {key} with a list")
        return answer

    def work(self, work_id: str) -> dict[str, Any]:
        """One work by its OpenAlex id (a single look-up, free), with all its
        authorships: unlike a list answer, it never cuts them at 100."""
        answer = self._get(pyalex.Works(work_id), what=f"work {work_id}")
        if not isinstance(answer, dict):
            raise SourceMalformed(f"OpenAlex answered work {work_id} with a list")
        return answer

    def by_ids(
        self, entity: str, ids: Sequence[str], *, what: str = ""
    ) -> list[dict[str, Any]]:
        """Full records of up to ``MAX_IDS_PER_CALL`` ``entity`` ids in one
        list call; an id OpenAlex does not know is simply not in the answer."""
        if not 0 < len(ids) <= MAX_IDS_PER_CALL:
            raise ValueError(f"1 to {MAX_IDS_PER_CALL} ids per call, not {len(ids)}")
        query = self._query(entity, per_page=len(ids)).filter_or(openalex_id=list(ids))
        what = what or f"{len(ids)} {entity} by id"
        return self._results(self._get(query, what=what))

    def works_page(
        self, filters: Iterable[tuple[str, str]], *, cursor: str, what: str = ""
    ) -> Page:
        """The page at ``cursor`` of the works matching ``filters``."""
        return self._page("works", filters, cursor=cursor, what=what)

    def authors_page(
        self, filters: Iterable[tuple[str, str]], *, cursor: str, what: str = ""
    ) -> Page:
        """The page at ``cursor`` of the authors matching ``filters``."""
        return self._page("authors", filters, cursor=cursor, what=what)

    def search_authors(self, name: str, *, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` authors OpenAlex finds for ``name``, best match
        first (a search call, billed above a plain list call)."""
        query = self._query("authors", per_page=limit).search(name)
        return self._results(self._get(query, what=f"the author search {name!r}"))

    def _query(self, entity: str, **paging: Any) -> BaseOpenAlex:
        params = {key.replace("_", "-"): value for key, value in paging.items()}
        return _ENDPOINTS[entity](params).select(list(FIELDS[entity]))

    def _page(
        self,
        entity: str,
        filters: Iterable[tuple[str, str]],
        *,
        cursor: str,
        what: str,
    ) -> Page:
        query = self._query(entity, per_page=PER_PAGE, cursor=cursor)
        for key, value in filters:
            # A key given twice is ANDed, as OpenAlex's "+" does.
            query = query.filter(**{key: value})
        what = what or f"{entity} page at cursor {cursor[:24]}"
        answer = self._get(query, what=what)
        meta = getattr(answer, "meta", None)
        if not isinstance(meta, dict):
            raise SourceMalformed(f"OpenAlex answered {what} without paging meta")
        next_cursor, count = meta.get("next_cursor"), meta.get("count")
        if next_cursor is not None and not isinstance(next_cursor, str):
            raise SourceMalformed(f"OpenAlex answered {what} with a bad next_cursor")
        if not isinstance(count, int) or isinstance(count, bool):
            count = None
        return Page(self._results(answer), next_cursor or None, count)

    @staticmethod
    def _results(answer: Any) -> list[dict[str, Any]]:
        if isinstance(answer, dict):  # an entity where a list was asked for
            raise SourceMalformed("OpenAlex answered a list call with one entity")
        return list(answer)

    def _get(self, query: BaseOpenAlex, *, what: str) -> Any:
        # pyalex 0.21 (pinned) takes the session to use as an argument of
        # _get_from_url: the only way to give its requests a timeout.
        try:
            return query._get_from_url(query.url, self.session)
        except QueryError as exc:
            raise SourceRefused(f"OpenAlex refused {what}: {exc}") from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            # A body cut off mid-way is a lost connection: worth a retry.
            raise requests.ConnectionError(str(exc)) from exc
        except (ValueError, KeyError, TypeError) as exc:
            response = self.session.last_response
            if response is not None and response.status_code >= 400:
                # An error page that is not JSON: its status decides.
                response.raise_for_status()
            if isinstance(exc, requests.JSONDecodeError):
                raise SourceMalformed(_not_json(what, exc)) from exc
            raise SourceMalformed(
                f"OpenAlex answered {what} with JSON that is not an OpenAlex "
                f"answer ({type(exc).__name__}: {exc})"
            ) from exc


def _not_json(what: str, exc: requests.JSONDecodeError) -> str:
    """Why a page is refused: JSON that breaks off (a body cut short with a
    matching length, which no HTTP check sees), or a page that is not JSON
    at all, with its first characters (an HTML error page says what it is)."""
    doc = exc.doc if isinstance(exc.doc, str) else ""
    body = doc.strip()
    if body[:1] in ("{", "[") and (
        exc.pos >= len(doc.rstrip()) or exc.msg.startswith("Unterminated string")
    ):
        return (
            f"OpenAlex answered {what} with JSON that breaks off after "
            f"{len(doc)} characters ({exc}): a truncated answer, not imported"
        )
    start = " ".join(body[:80].split())
    return f"OpenAlex answered {what} with a page that is not JSON ({exc})" + (
        f": {start!r}" if start else ""
    )


def own_id(entity: str, raw: Any) -> str | None:
    """The short id of a raw ``entity`` object, None when it has none."""
    value = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(value, str):
        return None
    return short_openalex_id(value, prefix=_PREFIXES[entity])


def embedded_copies(raws: Sequence[Any]) -> dict[str, dict[str, dict]]:
    """The institutions, venues and topics embedded in raw works and authors,
    by short id (the first copy of each)."""
    found: dict[str, dict[str, dict]] = {
        entity: {} for entity in ("institutions", "sources", "topics")
    }

    def keep(entity: str, value: Any) -> None:
        short = own_id(entity, value)
        if short:
            found[entity].setdefault(short, value)

    def items(parent: Any, key: str) -> list[Any]:
        value = parent.get(key) if isinstance(parent, dict) else None
        return value if isinstance(value, list) else []

    for raw in raws:
        if not isinstance(raw, dict):
            continue
        primary = raw.get("primary_location")
        if isinstance(primary, dict):
            keep("sources", primary.get("source"))
        keep("topics", raw.get("primary_topic"))
        for topic in items(raw, "topics"):
            keep("topics", topic)
        for authorship in items(raw, "authorships"):
            for institution in items(authorship, "institutions"):
                keep("institutions", institution)
        for institution in items(raw, "last_known_institutions"):
            keep("institutions", institution)
    return found


def is_complete(entity: str, copy: dict | None) -> bool:
    """Whether an embedded copy has every field a full record would give."""
    return copy is not None and all(field in copy for field in FIELDS[entity])


def display_names(raw: Any, key: str) -> tuple[str, ...]:
    """``display_name``s of the objects listed under ``key`` of ``raw``."""
    items = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        return ()
    names = (item.get("display_name") for item in items if isinstance(item, dict))
    return tuple(name for name in names if isinstance(name, str) and name)
