"""The OpenAlex live import (``ImportRun.source`` "openalex-api"): researchers
and their works from the OpenAlex API, through ``works.ingest.openalex_api``.

A run imports what its ``parameters`` name:

- ``{"authors": ["A…", …]}`` and / or ``{"orcids": ["0000-…", …]}``: each
  author (a single look-up, free), then all their works;
- ``{"institution": "I…"}``: the authors whose last known institution it is
  (cursor-paged list calls), then all the works of each;
- ``{"works_filter": "key:value,…"}``: the works an OpenAlex filter matches.

Each page of works is stored with everything it references: its coauthors
(researcher records), venues, topics and institutions. A coauthor is fetched
when we do not hold them, or hold a record no live import fetched in the last
``REFRESH_AFTER_DAYS`` days (a snapshot-loaded record counts as never
fetched), ``MAX_IDS_PER_CALL`` ids a list call. A venue, topic or institution
is fetched only when we do not hold it yet, and a held one is left as it is:
the copies embedded in a work lack fields we store (homepage, description,
dates) and would blank them. An embedded copy is stored when it has every
field we read, or when OpenAlex does not answer its id (so that the work
still shows it).

A list answer cuts a work's authorships at 100 (``is_authors_truncated``):
such a work is looked up on its own (free) before its page is stored. A
fetched author whose ORCID iD a researcher we hold under another OpenAlex id
has means OpenAlex merged or re-identified that record: it is merged into the
fetched author before the page is stored (``merge_orcid_holders``).

Every step is one request for its page and one ``ImportContext.store`` that
writes the page and moves the checkpoint (see each mode for its keys) in one
transaction, so a killed run resumes exactly at the page it lost.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models.functions import Now
from django.utils import timezone

from profiles.models import Researcher
from profiles.services import researcher_merge
from works.ingest.http import SourceRefused
from works.ingest.identifiers import short_openalex_id
from works.ingest.openalex import NORMALIZERS, normalize_author
from works.ingest.openalex_api import (
    MAX_IDS_PER_CALL,
    NO_API_KEY_WARNING,
    PER_PAGE,
    OpenAlexClient,
    Page,
    author_key,
    display_names,
    embedded_copies,
    is_complete,
    own_id,
    parse_filter,
)
from works.ingest.records import AuthorRecord, Record, RecordRejected, WorkRecord
from works.models import Institution, Source, Topic

from .base import ImportContext, Rejection, caller_for

SOURCE = "openalex-api"
SEARCH_CANDIDATES = 10
EXCERPT_LENGTH = 500
_REFERENCED = {"institutions": Institution, "sources": Source, "topics": Topic}


def openalex_import(context: ImportContext) -> None:
    """Run (or resume) ``context.run`` as its parameters say (see the module
    docstring). Warns when no API key is set."""
    client = OpenAlexClient.from_settings()
    if not client.has_api_key:
        context.warn(NO_API_KEY_WARNING)
    importer = _OpenAlexImport(context, client)
    parameters = context.parameters
    if parameters.get("works_filter"):
        importer.import_works_filter(parameters["works_filter"])
    elif parameters.get("institution"):
        importer.import_institution(parameters["institution"])
    else:
        importer.import_authors(author_keys(parameters))


def author_keys(parameters: dict[str, Any]) -> list[str]:
    """The authors a run names, as ``author_key``s: OpenAlex ids, then ORCID
    iDs. A malformed one fails the run before any call."""
    keys = []
    for value in [*parameters.get("authors", []), *parameters.get("orcids", [])]:
        key = author_key(value)
        if key is None:
            raise ValueError(f"{value!r} is neither an OpenAlex author id nor an ORCID")
        keys.append(key)
    return keys


def pages_for(count: int | None) -> int:
    """Pages a list of ``count`` results takes."""
    return math.ceil((count or 0) / PER_PAGE)


@dataclass(frozen=True)
class AuthorCandidate:
    """An author a name search found, as the operator picks from."""

    openalex_id: str
    display_name: str
    works_count: int
    affiliation: str
    topics: tuple[str, ...]


def openalex_author_candidates(
    *, name: str, limit: int = SEARCH_CANDIDATES
) -> list[AuthorCandidate]:
    """The authors OpenAlex finds for ``name``, best match first: one search
    call, rate-limited and retried like a run's. Raises ``SourceError``. An
    answer that is not a valid author is left out."""
    client = OpenAlexClient.from_settings()
    raws = caller_for(SOURCE).call(
        lambda: client.search_authors(name, limit=limit),
        what=f"the author search {name!r}",
    )
    candidates = []
    for raw in raws:
        try:
            record = normalize_author(raw)
        except RecordRejected:
            continue
        candidates.append(
            AuthorCandidate(
                openalex_id=record.openalex_id,
                display_name=record.display_name,
                works_count=record.works_count,
                affiliation=next(
                    iter(display_names(raw, "last_known_institutions")), ""
                ),
                topics=display_names(raw, "topics")[:3],
            )
        )
    return candidates


class _OpenAlexImport:
    """One execution of an OpenAlex run: the steps of each mode, and the
    assembly of a page they share."""

    def __init__(self, context: ImportContext, client: OpenAlexClient):
        self.context = context
        self.client = client
        self.fresh_since = timezone.now() - timedelta(days=settings.REFRESH_AFTER_DAYS)
        # Ids fetched in this execution, answered or not: never asked twice
        # (one OpenAlex no longer answers would be asked on every page).
        self.asked: set[str] = set()

    # --- modes ---------------------------------------------------------------

    def import_authors(self, keys: Sequence[str]) -> None:
        """Checkpoint: ``position`` (which of ``keys``), ``author`` (its
        OpenAlex id once looked up, None before), ``cursor`` and ``page`` of
        its next page of works."""
        if self.context.run.progress_total is None:
            # One unit a look-up; each works list adds its pages once its
            # size is known.
            self.context.set_total(len(keys))
        while True:
            checkpoint = self.context.checkpoint
            position = checkpoint.get("position", 0)
            if position >= len(keys):
                return
            author_id = checkpoint.get("author")
            if author_id is None:
                self._look_up(keys[position], position=position)
                continue
            self._works_page(
                filters=[("authorships.author.id", author_id)],
                cursor=checkpoint.get("cursor") or "*",
                page=checkpoint.get("page") or 1,
                label=f"author {author_id}",
                finished=_next_author(position),
            )

    def import_institution(self, institution: str) -> None:
        """Checkpoint: ``authors_cursor`` of the next page of the
        institution's authors (None once all are listed), ``queue`` (the
        authors of the page listed last), ``position`` in it, and ``cursor``
        and ``page`` of that author's next page of works."""
        institution_id = short_openalex_id(institution, prefix="I")
        if institution_id is None:
            raise ValueError(f"{institution!r} is not an OpenAlex institution id")
        while True:
            checkpoint = self.context.checkpoint
            queue = checkpoint.get("queue") or []
            position = checkpoint.get("position", 0)
            if position < len(queue):
                self._works_page(
                    filters=[("authorships.author.id", queue[position])],
                    cursor=checkpoint.get("cursor") or "*",
                    page=checkpoint.get("page") or 1,
                    label=f"author {queue[position]}",
                    finished=_next_author(position),
                )
                continue
            authors_cursor = checkpoint.get("authors_cursor", "*")
            if authors_cursor is None:
                return
            self._authors_page(
                institution_id,
                cursor=authors_cursor,
                page=checkpoint.get("authors_page") or 1,
            )

    def import_works_filter(self, works_filter: str) -> None:
        """Checkpoint: ``cursor`` and ``page`` of the next page (``cursor``
        None once done)."""
        filters = parse_filter(works_filter)
        while True:
            checkpoint = self.context.checkpoint
            cursor = checkpoint.get("cursor", "*")
            if cursor is None:
                return
            self._works_page(
                filters=filters,
                cursor=cursor,
                page=checkpoint.get("page") or 1,
                label="the works filter",
                finished={"cursor": None},
            )

    # --- steps ---------------------------------------------------------------

    def _look_up(self, key: str, *, position: int) -> None:
        """Fetch one author and store them with their institutions and
        topics; their works come next. A merged id answers the survivor: the
        old record (if we hold it) is merged into the survivor's, in the
        transaction that stores it (``researcher_merge``: follows, claims and
        curation move, the old page redirects). An author OpenAlex does not
        know, or answers malformed, is rejected with the reason and the run
        goes on."""
        try:
            raw = self.context.call(
                lambda: self.client.author(key), what=f"author {key}", kind="single"
            )
        except SourceRefused as exc:
            if _status_of(exc) != 404:
                raise
            self._skip_author(key, position, f"OpenAlex has no author {key}", "")
            return
        records, rejections = self._normalize("authors", [raw], f"author {key}")
        if not records:
            self._skip_author(key, position, rejections[0].reason, _excerpt(raw))
            return
        author = records[0]
        self.asked.add(author.openalex_id)
        referenced, more = self._referenced_records([], records, [raw])

        def merge() -> None:
            # Before the upsert: the old row may hold the survivor's ORCID
            # iD, which would refuse the survivor's record.
            if key.startswith("A") and key != author.openalex_id:
                researcher_merge(
                    old_openalex_id=key, new_openalex_id=author.openalex_id
                )
            merge_orcid_holders(records)

        self.context.store(
            [*referenced, author],
            checkpoint={"author": author.openalex_id, "cursor": "*", "page": 1},
            locator=f"author {key}",
            rejections=more,
            before=merge,
            after=lambda: self._mark_fetched([author.openalex_id]),
        )

    def _skip_author(self, key: str, position: int, reason: str, excerpt: str) -> None:
        """Reject an author the source does not give. A record we hold under
        that id counts as fetched all the same: the refresh job would
        otherwise ask for it again on every tick."""
        held = [key] if key.startswith("A") else []
        self.context.store(
            [],
            checkpoint=_next_author(position),
            locator=f"author {key}",
            rejections=[Rejection("authors", f"author {key}", reason, excerpt)],
            after=lambda: self._mark_fetched(held),
        )

    def _authors_page(self, institution_id: str, *, cursor: str, page: int) -> None:
        """Fetch one page of an institution's authors and store them with
        their institutions and topics; their works come next."""
        what = f"authors page {page} of {institution_id}"
        result: Page = self.context.call(
            lambda: self.client.authors_page(
                [("last_known_institutions.id", institution_id)],
                cursor=cursor,
                what=what,
            ),
            what=what,
            kind="list",
        )
        authors, rejections = self._normalize("authors", result.results, what)
        self.asked.update(author.openalex_id for author in authors)
        referenced, more = self._referenced_records([], authors, result.results)

        def after() -> None:
            self._mark_fetched([author.openalex_id for author in authors])
            if page == 1:
                self._expect(pages_for(result.count))

        self.context.store(
            [*referenced, *authors],
            checkpoint={
                "authors_cursor": result.next_cursor if result.results else None,
                "authors_page": page + 1,
                "queue": [author.openalex_id for author in authors],
                **_next_author(-1),
            },
            locator=what,
            rejections=[*rejections, *more],
            progress=1 if result.results else 0,
            before=lambda: merge_orcid_holders(authors),
            after=after,
        )

    def _works_page(
        self,
        *,
        filters: list[tuple[str, str]],
        cursor: str,
        page: int,
        label: str,
        finished: dict[str, Any],
    ) -> None:
        """Fetch the page of works at ``cursor`` and store it with its
        coauthors, venues, topics and institutions; the checkpoint moves to
        the next page, or to ``finished`` after the last (the empty page a
        cursor walk ends with)."""
        what = f"works page {page} of {label}"
        result: Page = self.context.call(
            lambda: self.client.works_page(filters, cursor=cursor, what=what),
            what=what,
            kind="list",
        )
        raws = self._with_all_authors(result.results)
        works, rejections = self._normalize("works", raws, what)
        coauthors, coauthor_raws, more = self._coauthors(works, what)
        referenced, even_more = self._referenced_records(
            works, coauthors, [*raws, *coauthor_raws]
        )
        if result.results and result.next_cursor:
            checkpoint = {"cursor": result.next_cursor, "page": page + 1}
        else:
            checkpoint = finished

        def after() -> None:
            self._mark_fetched([author.openalex_id for author in coauthors])
            if page == 1:
                self._expect(pages_for(result.count))

        self.context.store(
            [*referenced, *coauthors, *works],
            checkpoint=checkpoint,
            locator=what,
            rejections=[*rejections, *more, *even_more],
            progress=1 if result.results else 0,
            before=lambda: merge_orcid_holders(coauthors),
            after=after,
        )

    # --- assembling a page ---------------------------------------------------

    def _with_all_authors(self, raws: list[Any]) -> list[Any]:
        """``raws`` with every work a list answer cut at 100 authorships
        (``is_authors_truncated``) replaced by its single look-up, which
        lists them all (free, one call each). A work OpenAlex no longer
        answers (404) stays as listed, with a warning."""
        complete = []
        for raw in raws:
            work_id = own_id("works", raw)
            if work_id is None or raw.get("is_authors_truncated") is not True:
                complete.append(raw)
                continue
            try:
                raw = self.context.call(
                    lambda work_id=work_id: self.client.work(work_id),
                    what=f"work {work_id}",
                    kind="single",
                )
            except SourceRefused as exc:
                if _status_of(exc) != 404:
                    raise
                self.context.warn(
                    f"OpenAlex did not answer work {work_id} (HTTP 404); stored "
                    f"with the first {len(raw.get('authorships') or [])} of its "
                    "authors, as its list answer gives them"
                )
            complete.append(raw)
        return complete

    def _normalize(
        self, entity: str, raws: Iterable[Any], where: str
    ) -> tuple[list[Any], list[Rejection]]:
        """Normalized records of ``raws``; a malformed one becomes a rejection
        with its reason, and the others go on."""
        normalize = NORMALIZERS[entity]
        records, rejections = [], []
        for index, raw in enumerate(raws):
            try:
                records.append(normalize(raw))
            except RecordRejected as exc:
                locator = f"{where} #{index + 1}"
                rejections.append(Rejection(entity, locator, exc.reason, _excerpt(raw)))
        return records, rejections

    def _coauthors(
        self, works: Sequence[WorkRecord], where: str
    ) -> tuple[list[AuthorRecord], list[Any], list[Rejection]]:
        """The authors of ``works`` due for a fetch, fetched by id: their
        records, the raw objects, and the rejected ones."""
        ids = _unique(
            authorship.author_id
            for work in works
            for authorship in work.authorships
            if authorship.author_id
        )
        fresh = set(
            Researcher.objects.filter(
                openalex_id__in=ids, fetched_at__gte=self.fresh_since
            ).values_list("openalex_id", flat=True)
        )
        due = [i for i in ids if i not in fresh and i not in self.asked]
        what = f"coauthors on {where}"
        raws = self._fetch("authors", due, what=what)
        records, rejections = self._normalize("authors", raws, what)
        return records, raws, rejections

    def _referenced_records(
        self,
        works: Sequence[WorkRecord],
        authors: Sequence[AuthorRecord],
        raws: Sequence[Any],
    ) -> tuple[list[Record], list[Rejection]]:
        """Records of the institutions, venues and topics that ``works`` and
        ``authors`` reference and we do not hold yet (see the module
        docstring); ``raws`` are the objects they embed copies in."""
        wanted = _references(works, authors)
        embedded = embedded_copies(raws)
        records: list[Record] = []
        rejections: list[Rejection] = []
        for entity, ids in wanted.items():
            held = set(
                _REFERENCED[entity]
                .objects.filter(openalex_id__in=ids)
                .values_list("openalex_id", flat=True)
            )
            missing = [i for i in ids if i not in held]
            copies = embedded[entity]
            due = [
                i
                for i in missing
                if i not in self.asked and not is_complete(entity, copies.get(i))
            ]
            what = f"{entity} referenced"
            fetched = self._fetch(entity, due, what=what)
            answered = {own_id(entity, raw) for raw in fetched}
            fallback = [copies[i] for i in missing if i not in answered and i in copies]
            normalized, rejected = self._normalize(entity, [*fetched, *fallback], what)
            records += normalized
            rejections += rejected
        return records, rejections

    def _fetch(self, entity: str, ids: Sequence[str], *, what: str) -> list[Any]:
        """Full records of ``ids``, ``MAX_IDS_PER_CALL`` a list call."""
        raws: list[Any] = []
        for start in range(0, len(ids), MAX_IDS_PER_CALL):
            batch = ids[start : start + MAX_IDS_PER_CALL]
            described = f"{what} ({len(batch)} by id)"
            raws += self.context.call(
                lambda batch=batch, described=described: self.client.by_ids(
                    entity, batch, what=described
                ),
                what=described,
                kind="list",
            )
            self.asked.update(batch)
        return raws

    def _expect(self, pages: int) -> None:
        """Add ``pages`` to the progress total once a list's size is known
        (inside the store of its first page, so a retried page adds once)."""
        self.context.set_total((self.context.run.progress_total or 0) + pages)

    def _mark_fetched(self, openalex_ids: Sequence[str]) -> None:
        """Note that these researchers were fetched live just now (the
        coauthor policy and the refresh job read it). ``updated_at`` stays:
        the record did not change."""
        if openalex_ids:
            Researcher.objects.filter(openalex_id__in=openalex_ids).update(
                fetched_at=Now()
            )


def merge_orcid_holders(authors: Sequence[AuthorRecord]) -> None:
    """Merge every stored researcher that holds the ORCID iD of one of the
    fetched ``authors`` under another OpenAlex id into that author
    (``researcher_merge``: follows, claims, curation and authorships move, the
    old id redirects). Called inside the page's transaction, before the
    upsert, which would otherwise refuse the author ("ORCID … already
    belongs to …") and leave their works unlinked.

    An ORCID iD names one person and the live API is the current truth, so
    such a row is a record OpenAlex merged or re-identified. A holder whose
    own id is among ``authors`` is a live record in its own right and is
    left to the upsert; one with no OpenAlex id is taken over by the upsert.
    One query finds the holders; nothing more when there are none."""
    fetched = {author.openalex_id for author in authors}
    by_orcid: dict[str, str] = {}
    for author in authors:
        if author.orcid:
            # The first author with an ORCID iD keeps it, as in the upsert.
            by_orcid.setdefault(author.orcid, author.openalex_id)
    if not by_orcid:
        return
    holders = (
        Researcher.objects.filter(orcid__in=by_orcid, openalex_id__isnull=False)
        .exclude(openalex_id__in=fetched)
        .order_by("id")
        .values_list("openalex_id", "orcid")
    )
    for old_openalex_id, orcid in holders:
        researcher_merge(
            old_openalex_id=old_openalex_id, new_openalex_id=by_orcid[orcid]
        )


def _next_author(position: int) -> dict[str, Any]:
    """The checkpoint of the author after ``position``, not started yet."""
    return {"position": position + 1, "author": None, "cursor": None, "page": 1}


def _references(
    works: Sequence[WorkRecord], authors: Sequence[AuthorRecord]
) -> dict[str, list[str]]:
    """Ids of the institutions, venues and topics ``works`` and ``authors``
    reference, each once, in order of first mention."""
    institutions: list[str] = []
    sources: list[str] = []
    topics: list[str] = []
    for work in works:
        if work.source_id:
            sources.append(work.source_id)
        topics += (link.topic_id for link in work.topics)
        for authorship in work.authorships:
            institutions += authorship.institution_ids
    for author in authors:
        institutions += author.last_known_institution_ids
        topics += (link.topic_id for link in author.topics)
    return {
        "institutions": _unique(institutions),
        "sources": _unique(sources),
        "topics": _unique(topics),
    }


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _status_of(error: SourceRefused) -> int | None:
    response = getattr(error.__cause__, "response", None)
    return getattr(response, "status_code", None)


def _excerpt(raw: Any) -> str:
    try:
        text = json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(raw)
    return text[:EXCERPT_LENGTH]
