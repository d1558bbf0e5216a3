"""api.openalex.org replayed at the ``requests`` level (``responses``), from
the recorded answers in ``tests/fixtures/openalex_api`` (see its SOURCES.md).

An ``OpenAlexReplay`` (the ``openalex`` fixture of the OpenAlex importer
tests) answers each request pyalex makes, at its real URL:

- a single look-up (``/authors/A…``) with what the test recorded for that
  path, in order (the last answer repeats), e.g. a 429 then the record;
- a cursor-paged list (``/works?filter=…&cursor=…``) with the page the test
  recorded for that filter (or search) and cursor;
- a list of ids (``/authors?filter=openalex_id:A1|A2…``) from pools of
  recorded objects: the full records we have (Jason Priem, University of
  Michigan, topic T11636) and else the copies OpenAlex embeds in the
  recorded (and constructed) works and authors, in the list-response format
  (``meta`` + ``results``). An id in no pool is left out, as OpenAlex leaves
  out an id it does not know.

Every list answer is cut to the request's ``select``, as OpenAlex cuts it, so
a field the importer forgets to select is missing from what it stores. Any
request nothing was recorded for answers 404 and fails the test at teardown.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import responses

from tests.helpers.catalog import catalog_digest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openalex_api"
PRIEM = "A5023888391"
PRIEM_ORCID = "0000-0001-6187-6610"
PRIEM_WORKS_FILTER = f"authorships.author.id:{PRIEM}"
SNOWBALL_FILTER = "cited_by:W3046863325|W3045921891"
MANY_AUTHORS = "W2525778437"


def recorded(name: str) -> Any:
    """A fresh copy of a recorded (or constructed) fixture."""
    path = FIXTURES / name
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return json.loads(data)


def priem() -> dict:
    return recorded("A5023888391.json")


def priem_pages() -> list[dict]:
    """Jason Priem's works, as the cursor walk OpenAlex answers: two pages
    of two works, then the empty page that ends every walk."""
    return [
        recorded("works_A5023888391_page1.constructed.json"),
        recorded("works_A5023888391_page2.constructed.json"),
        recorded("list_works_cursor_page2_final_empty.json"),
    ]


def snowball_pages() -> list[dict]:
    """The 38 works citing W3046863325 or W3045921891, then the end."""
    return [
        recorded("list_works_cited_by_W3046863325_W3045921891_page1.json.gz"),
        recorded("list_works_cursor_page2_final_empty.json"),
    ]


def priem_pages_without(*work_ids: str) -> list[dict]:
    """His works walk as OpenAlex answers it once it no longer lists
    ``work_ids`` (constructed: the recorded pages without them, ``count``
    lowered to match)."""
    pages = priem_pages()
    for page in pages:
        page["results"] = [w for w in page["results"] if short(w["id"]) not in work_ids]
    pages[0]["meta"]["count"] = sum(len(page["results"]) for page in pages)
    return pages


def many_authors_work() -> dict:
    """W2525778437 with 133 authors, as its single look-up answers it."""
    return recorded(f"work_{MANY_AUTHORS}_all_authors.constructed.json.gz")


def many_authors_pages() -> list[dict]:
    """A works walk whose first page lists W2525778437 with its authorships
    cut at 100 (``is_authors_truncated``) and W2741809807, then the end."""
    return [
        recorded("works_many_authors_page1.constructed.json.gz"),
        recorded("list_works_cursor_page2_final_empty.json"),
    ]


def catalog_state() -> dict[str, tuple[int, str]]:
    """The catalog's digest but for ``fetched_at``, which a live import moves
    by design."""
    return catalog_digest(ignoring=["fetched_at"])


def short(openalex_url: str) -> str:
    return openalex_url.rsplit("/", 1)[-1]


def _embedded(work: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = defaultdict(list)
    source = (work.get("primary_location") or {}).get("source")
    if source:
        found["sources"].append(source)
    found["topics"] += work.get("topics") or []
    if work.get("primary_topic"):
        found["topics"].append(work["primary_topic"])
    for authorship in work.get("authorships") or []:
        found["authors"].append(authorship["author"])
        found["institutions"] += authorship.get("institutions") or []
    return found


def recorded_pools() -> dict[str, dict[str, dict]]:
    """Every recorded object by entity and short id: full records first,
    then the copies embedded in the recorded works and authors."""
    author = priem()
    pools: dict[str, dict[str, dict]] = defaultdict(dict)
    full = {
        "authors": [author],
        "institutions": [recorded("I27837315.json")],
        "topics": [recorded("T11636.json")],
    }
    for entity, objects in full.items():
        for item in objects:
            pools[entity][short(item["id"])] = item
    works = [
        *priem_pages()[0]["results"],
        *priem_pages()[1]["results"],
        *snowball_pages()[0]["results"],
        many_authors_work(),
        # As recorded, before its last authorship was re-pointed to him.
        recorded("W2162348455_2026-03-02.json"),
    ]
    embedded: dict[str, list[dict]] = defaultdict(list)
    embedded["institutions"] += author["last_known_institutions"]
    embedded["topics"] += author["topics"]
    for work in works:
        for entity, objects in _embedded(work).items():
            embedded[entity] += objects
    for entity, objects in embedded.items():
        for item in objects:
            pools[entity].setdefault(short(item["id"]), item)
    return pools


@dataclass
class Request:
    """One request the replay answered."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]

    @property
    def ids(self) -> list[str]:
        """The ids of an ``openalex_id:`` filter."""
        value = self.params.get("filter", "")
        return value.removeprefix("openalex_id:").split("|") if self.by_ids else []

    @property
    def by_ids(self) -> bool:
        return self.params.get("filter", "").startswith("openalex_id:")

    @property
    def is_list(self) -> bool:
        return "/" not in self.path.strip("/")


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class OpenAlexReplay:
    """See the module docstring."""

    ENTITIES = ("works", "authors", "institutions", "sources", "topics")

    def __init__(self, mock: responses.RequestsMock):
        self.pools = recorded_pools()
        self.singles: dict[str, list[Answer]] = {}
        self.lists: dict[tuple[str, str, str], list[Answer]] = {}
        self.requests: list[Request] = []
        self.unrecorded: list[str] = []
        self.mock = mock
        mock.add_callback(
            responses.GET,
            re.compile(r"https://api\.openalex\.org/.*"),
            callback=self._answer,
        )

    # --- recording ----------------------------------------------------------

    def single(self, path: str, *answers: Answer | dict) -> None:
        """Answers of ``GET /<path>`` (e.g. ``authors/A123``), in order."""
        self.singles[path] = [self._as_answer(answer) for answer in answers]

    def walk(
        self, entity: str, pages: list[dict], *, filter: str = "", search: str = ""
    ) -> None:
        """A cursor walk of ``entity`` for ``filter`` (or ``search``): each
        page answers the cursor the one before it names."""
        cursor = "*"
        for page in pages:
            self.lists[(entity, filter or search, cursor)] = [Answer(body=page)]
            cursor = page["meta"].get("next_cursor")
            if cursor is None:
                break

    def page(
        self,
        entity: str,
        *answers: Answer | dict,
        filter: str = "",
        search: str = "",
        cursor: str = "*",
    ) -> None:
        """Answers of one page, in order (e.g. errors before the page)."""
        key = (entity, filter or search, cursor)
        self.lists[key] = [self._as_answer(answer) for answer in answers]

    @staticmethod
    def _as_answer(answer: Answer | dict) -> Answer:
        return answer if isinstance(answer, Answer) else Answer(body=answer)

    # --- what was asked ------------------------------------------------------

    def made(self, *, by_ids: str | None = None) -> list[Request]:
        """The requests made; with ``by_ids`` only the id lists of that
        entity."""
        if by_ids is None:
            return list(self.requests)
        return [r for r in self.requests if r.by_ids and r.path == f"/{by_ids}"]

    # --- answering -----------------------------------------------------------

    def _answer(self, request) -> tuple[int, dict[str, str], str]:
        url = urlsplit(request.url)
        params = {key: values[-1] for key, values in parse_qs(url.query).items()}
        made = Request(unquote(url.path), params, dict(request.headers))
        self.requests.append(made)
        answer = self._find(made)
        if answer is None:
            self.unrecorded.append(request.url)
            return 404, {}, json.dumps({"error": "not recorded in this test"})
        body = answer.body
        if answer.status == 200 and isinstance(body, dict) and "select" in params:
            body = self._selected(body, params["select"].split(","))
        text = body if isinstance(body, str) else json.dumps(body)
        headers = {"Content-Type": "application/json", **answer.headers}
        return answer.status, headers, text

    def _find(self, request: Request) -> Answer | None:
        if not request.is_list:
            return self._next(self.singles.get(request.path.lstrip("/")))
        entity = request.path.strip("/")
        if request.by_ids:
            return self._from_pool(entity, request)
        wanted = request.params.get("filter") or request.params.get("search", "")
        cursor = request.params.get("cursor", "")
        return self._next(self.lists.get((entity, wanted, cursor)))

    @staticmethod
    def _next(answers: list[Answer] | None) -> Answer | None:
        if not answers:
            return None
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def _from_pool(self, entity: str, request: Request) -> Answer:
        pool = self.pools.get(entity, {})
        results = [copy.deepcopy(pool[i]) for i in request.ids if i in pool]
        meta = {
            "count": len(results),
            "db_response_time_ms": 5,
            "page": 1,
            "per_page": int(request.params.get("per-page", 25)),
            "groups_count": None,
        }
        return Answer(body={"meta": meta, "results": results, "group_by": []})

    @staticmethod
    def _selected(body: dict, fields: list[str]) -> dict:
        if "results" not in body:
            return body
        results = [
            {k: v for k, v in item.items() if k in fields} for item in body["results"]
        ]
        return {**body, "results": results}
