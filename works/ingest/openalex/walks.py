"""The OpenAlex live import (``ImportRun.Source.OPENALEX_API``): researchers
and their works from the OpenAlex API, through ``works.ingest.openalex.client``.

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
fetched author before the page is stored (``merge_orcid_holders``). How a
page is assembled is in ``openalex_pages``.

After an author's works walk, the works we hold linked to them that it did
not list are looked up one by one (``openalex_held``): a work OpenAlex merged
is merged into its survivor, one no longer theirs loses the link, and one
listing them past the 100th place (the walk's limit) keeps it.

Every step is one request for its page and one ``ImportContext.store`` that
writes the page and moves the checkpoint (see each mode for its keys) in one
transaction, so a killed run resumes exactly at the page it lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from works.ingest.driver import ImportContext, Rejection, caller_for
from works.ingest.http import SourceRefused
from works.ingest.identifiers import short_openalex_id
from works.ingest.openalex.client import (
    NO_API_KEY_WARNING,
    OpenAlexClient,
    Page,
    author_key,
    display_names,
    parse_filter,
)
from works.ingest.openalex.held import held_works_page, listed_with
from works.ingest.openalex.normalize import normalize_author
from works.ingest.openalex.pages import (
    PageAssembly,
    merge_orcid_holders,
    pages_for,
    status_of,
)
from works.ingest.records import RecordRejected, rejection_excerpt
from works.merges import researcher_merge
from works.models import ImportRun

SEARCH_CANDIDATES = 10
# The run parameters naming the authors to import (by OpenAlex id, by ORCID).
PARAMETER_AUTHORS = "authors"
PARAMETER_ORCIDS = "orcids"


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
    for value in [
        *parameters.get(PARAMETER_AUTHORS, []),
        *parameters.get(PARAMETER_ORCIDS, []),
    ]:
        key = author_key(value)
        if key is None:
            raise ValueError(f"{value!r} is neither an OpenAlex author id nor an ORCID")
        keys.append(key)
    return keys


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
    raws = caller_for(ImportRun.Source.OPENALEX_API).call(
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


class _OpenAlexImport(PageAssembly):
    """One execution of an OpenAlex run: the steps of each mode (the
    assembly of a page they share is ``PageAssembly``'s)."""

    # --- modes ---------------------------------------------------------------

    def import_authors(self, keys: Sequence[str]) -> None:
        """Checkpoint: ``position`` (which of ``keys``), ``author`` (its
        OpenAlex id once looked up, None before), and where its works are
        (``_author_works``)."""
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
            self._author_works(author_id, position=position, checkpoint=checkpoint)

    def import_institution(self, institution: str) -> None:
        """Checkpoint: ``authors_cursor`` of the next page of the
        institution's authors (None once all are listed), ``queue`` (the
        authors of the page listed last), ``position`` in it, and where that
        author's works are (``_author_works``)."""
        institution_id = short_openalex_id(institution, prefix="I")
        if institution_id is None:
            raise ValueError(f"{institution!r} is not an OpenAlex institution id")
        while True:
            checkpoint = self.context.checkpoint
            queue = checkpoint.get("queue") or []
            position = checkpoint.get("position", 0)
            if position < len(queue):
                self._author_works(
                    queue[position], position=position, checkpoint=checkpoint
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

    def _author_works(
        self, author_id: str, *, position: int, checkpoint: dict[str, Any]
    ) -> None:
        """The next page of an author's works. Checkpoint: ``step`` "works"
        (or none) while walking them, at ``cursor`` and ``page``, ``listed``
        the works listed so far; then "held", the works we hold linked to
        them that the walk did not list (``openalex_held``, ``held`` the ones
        left), and on to the next author."""
        if checkpoint.get("step") == "held":
            held_works_page(
                self,
                author_id=author_id,
                checkpoint=checkpoint,
                finished=_next_author(position),
            )
            return
        self._works_page(
            filters=[("authorships.author.id", author_id)],
            cursor=checkpoint.get("cursor") or "*",
            page=checkpoint.get("page") or 1,
            label=f"author {author_id}",
            finished={"step": "held", "held": None, "cursor": None},
            listed=checkpoint.get("listed") or "",
        )

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
            if status_of(exc) != 404:
                raise
            self._skip_author(key, position, f"OpenAlex has no author {key}", "")
            return
        records, rejections = self.normalize("authors", [raw], f"author {key}")
        if not records:
            self._skip_author(
                key, position, rejections[0].reason, rejection_excerpt(raw)
            )
            return
        author = records[0]
        self.asked.add(author.openalex_id)
        referenced, more = self.referenced_records([], records, [raw])

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
            after=lambda: self.mark_fetched([author.openalex_id]),
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
            after=lambda: self.mark_fetched(held),
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
        authors, rejections = self.normalize("authors", result.results, what)
        self.asked.update(author.openalex_id for author in authors)
        referenced, more = self.referenced_records([], authors, result.results)

        def after() -> None:
            self.mark_fetched([author.openalex_id for author in authors])
            if page == 1:
                self.expect(pages_for(result.count))

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
        listed: str | None = None,
    ) -> None:
        """Fetch the page of works at ``cursor`` and store it with its
        coauthors, venues, topics and institutions; the checkpoint moves to
        the next page, or to ``finished`` after the last (the empty page a
        cursor walk ends with). With ``listed`` (an author's walk), the
        page's works are added to it in the checkpoint."""
        what = f"works page {page} of {label}"
        result: Page = self.context.call(
            lambda: self.client.works_page(filters, cursor=cursor, what=what),
            what=what,
            kind="list",
        )
        assembled = self.works_page(self.with_all_authors(result.results), what)
        if result.results and result.next_cursor:
            checkpoint = {"cursor": result.next_cursor, "page": page + 1}
        else:
            checkpoint = dict(finished)
        if listed is not None:
            checkpoint["listed"] = listed_with(listed, result.results)

        def after() -> None:
            self.mark_fetched([author.openalex_id for author in assembled.coauthors])
            if page == 1:
                self.expect(pages_for(result.count))

        self.context.store(
            assembled.records,
            checkpoint=checkpoint,
            locator=what,
            rejections=assembled.rejections,
            progress=1 if result.results else 0,
            before=lambda: merge_orcid_holders(assembled.coauthors),
            after=after,
        )


def _next_author(position: int) -> dict[str, Any]:
    """The checkpoint of the author after ``position``, not started yet."""
    return {
        "position": position + 1,
        "author": None,
        "cursor": None,
        "page": 1,
        "step": "works",
        "listed": "",
        "held": None,
    }
