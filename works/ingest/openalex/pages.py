"""Assembling a page of the OpenAlex live import (``works.ingest.openalex.walks``):
what a step hands to ``ImportContext.store`` besides the records it fetched.
A page of works brings the coauthors due for a fetch, and the institutions,
venues and topics we do not hold yet (the policies are in the importer's
module docstring); an author whose ORCID iD a researcher we hold under another
OpenAlex id has is merged into before the page is stored."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models.functions import Now
from django.utils import timezone

from profiles.models import Researcher
from works.ingest.driver import ImportContext, Rejection
from works.ingest.http import SourceRefused
from works.ingest.openalex.client import (
    MAX_IDS_PER_CALL,
    PER_PAGE,
    OpenAlexClient,
    embedded_copies,
    is_complete,
    own_id,
)
from works.ingest.openalex.normalize import NORMALIZERS
from works.ingest.records import (
    AuthorRecord,
    Record,
    RecordRejected,
    WorkRecord,
    rejection_excerpt,
)
from works.merges import researcher_merge
from works.models import Institution, Source, Topic

_REFERENCED = {"institutions": Institution, "sources": Source, "topics": Topic}


@dataclass(frozen=True)
class WorksPage:
    """A page of works ready to store: every record in it (references,
    coauthors, works), the coauthors (merged into and marked fetched on
    store), and what was rejected on the way."""

    records: list[Record]
    coauthors: list[AuthorRecord]
    rejections: list[Rejection]


class PageAssembly:
    """The fetching and normalizing every step of an OpenAlex run shares."""

    def __init__(self, context: ImportContext, client: OpenAlexClient):
        self.context = context
        self.client = client
        self.fresh_since = timezone.now() - timedelta(days=settings.REFRESH_AFTER_DAYS)
        # Ids fetched in this execution, answered or not: never asked twice
        # (one OpenAlex no longer answers would be asked on every page).
        self.asked: set[str] = set()

    def works_page(self, raws: Sequence[Any], where: str) -> WorksPage:
        """Raw works as a page to store, with what they reference."""
        works, rejections = self.normalize("works", raws, where)
        coauthors, coauthor_raws, more = self.coauthors(works, where)
        referenced, even_more = self.referenced_records(
            works, coauthors, [*raws, *coauthor_raws]
        )
        return WorksPage(
            records=[*referenced, *coauthors, *works],
            coauthors=coauthors,
            rejections=[*rejections, *more, *even_more],
        )

    def with_all_authors(self, raws: list[Any]) -> list[Any]:
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
                if status_of(exc) != 404:
                    raise
                self.context.warn(
                    f"OpenAlex did not answer work {work_id} (HTTP 404); stored "
                    f"with the first {len(raw.get('authorships') or [])} of its "
                    "authors, as its list answer gives them"
                )
            complete.append(raw)
        return complete

    def normalize(
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
                rejections.append(
                    Rejection(entity, locator, exc.reason, rejection_excerpt(raw))
                )
        return records, rejections

    def coauthors(
        self, works: Sequence[WorkRecord], where: str
    ) -> tuple[list[AuthorRecord], list[Any], list[Rejection]]:
        """The authors of ``works`` due for a fetch, fetched by id: their
        records, the raw objects, and the rejected ones."""
        ids = unique(
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
        raws = self.fetch("authors", due, what=what)
        records, rejections = self.normalize("authors", raws, what)
        return records, raws, rejections

    def referenced_records(
        self,
        works: Sequence[WorkRecord],
        authors: Sequence[AuthorRecord],
        raws: Sequence[Any],
    ) -> tuple[list[Record], list[Rejection]]:
        """Records of the institutions, venues and topics that ``works`` and
        ``authors`` reference and we do not hold yet (see the importer's
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
            fetched = self.fetch(entity, due, what=what)
            answered = {own_id(entity, raw) for raw in fetched}
            fallback = [copies[i] for i in missing if i not in answered and i in copies]
            normalized, rejected = self.normalize(entity, [*fetched, *fallback], what)
            records += normalized
            rejections += rejected
        return records, rejections

    def fetch(self, entity: str, ids: Sequence[str], *, what: str) -> list[Any]:
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

    def expect(self, pages: int) -> None:
        """Add ``pages`` to the progress total once a list's size is known
        (inside the store of its first page, so a retried page adds once)."""
        self.context.set_total((self.context.run.progress_total or 0) + pages)

    def mark_fetched(self, openalex_ids: Sequence[str]) -> None:
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


def pages_for(count: int | None, per_page: int = PER_PAGE) -> int:
    """Pages a list of ``count`` results takes."""
    return math.ceil((count or 0) / per_page)


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
        "institutions": unique(institutions),
        "sources": unique(sources),
        "topics": unique(topics),
    }


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def status_of(error: SourceRefused) -> int | None:
    """The HTTP status behind a refusal, None when there was none."""
    response = getattr(error.__cause__, "response", None)
    return getattr(response, "status_code", None)
