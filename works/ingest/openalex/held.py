"""The step after an author's works walk (``works.ingest.openalex.walks``): the
works we hold linked to the author that the walk did not list.

The walk (``filter=authorships.author.id``) answers what OpenAlex attributes
to the author now, and only matches the first 100 authors of a work, so a
held work it did not list is one of:

- a work OpenAlex merged into another: its id answers (301) the survivor,
  which is stored and the held row merged into (``works.merges.work_merge``),
  so the profile does not count the work twice;
- a work OpenAlex no longer attributes to the author: its record, stored
  through the one upsert path, rewrites the byline and the link goes;
- a work listing the author past the 100th place: stored again, it stays;
- a work OpenAlex no longer answers (404): kept as it is, with a warning.

Absence alone never unlinks: each is looked up on its own (free, single
calls) and its own record decides.

Which works the walk listed is kept in the run's checkpoint (``listed``,
packed), each page adding its works in the transaction that stores it: a
resumed walk, or a run killed between the walk and this step, knows exactly
the works listed before. A timestamp cannot tell: the upsert leaves a listed
work that did not change as it was, ``updated_at`` included. Once the walk
is done (checkpoint ``step`` "held"), the held works linked to the author
that are not listed are the ones to look up; ``held`` holds those left, a
page of ``LOOKUPS_PER_PAGE`` stored at a time. At most
``OPENALEX_HELD_LOOKUPS_PER_AUTHOR`` an author and run, with a warning when
more are due.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from works.ingest.http import SourceRefused
from works.ingest.openalex.client import own_id
from works.ingest.openalex.pages import (
    PageAssembly,
    merge_orcid_holders,
    pages_for,
    status_of,
)
from works.merges import work_merge
from works.models import Authorship

LOOKUPS_PER_PAGE = 25
# OpenAlex's author filter matches a work's first 100 authors only.
AUTHORS_MATCHED = 100


def listed_with(packed: str | None, raws: Iterable[Any]) -> str:
    """The ``listed`` of a checkpoint with the works of ``raws`` added."""
    numbers = _unpack(packed)
    numbers.update(
        number for raw in raws if (number := _number(own_id("works", raw))) is not None
    )
    return _pack(numbers)


def held_unlisted(*, author_id: str, listed: str | None, run_id: int) -> list[str]:
    """OpenAlex ids of the works we hold with an authorship linked to
    ``author_id`` that are not in ``listed``, in the order to look them up:
    those listing the author among the first 100 first (the walk should have
    named them), then those past it (the filter's limit explains them). One
    query: the researcher's authorships."""
    numbers = _unpack(listed)
    first_place: dict[str, int] = {}
    rows = Authorship.objects.filter(
        researcher__openalex_id=author_id, work__openalex_id__isnull=False
    ).values_list("work__openalex_id", "position")
    for work_id, position in rows:
        if _number(work_id) not in numbers:
            first_place[work_id] = min(position, first_place.get(work_id, position))

    def order(work_id: str) -> tuple[bool, bytes]:
        # A different order in each run, the same within one (a resumed run
        # computes the same list): past the per-author bound, each import
        # looks up others, not the same ones again.
        key = f"{run_id}:{work_id}".encode()
        shuffled = hashlib.blake2b(key, digest_size=8).digest()
        return first_place[work_id] >= AUTHORS_MATCHED, shuffled

    return sorted(first_place, key=order)


def held_works_page(
    page: PageAssembly,
    *,
    author_id: str,
    checkpoint: dict[str, Any],
    finished: dict[str, Any],
) -> None:
    """Look up the next ``LOOKUPS_PER_PAGE`` held works the walk of
    ``author_id`` did not list and store their records with what they
    reference, merging a held row into the survivor OpenAlex answers for it
    (before the upsert: the row takes the survivor's id when we do not hold
    the survivor, so nothing that points at it is lost). The checkpoint
    moves to the works left, or to ``finished`` after the last. Its first
    page lists them (a warning when more than the bound are due)."""
    context = page.context
    due = checkpoint.get("held")
    is_first = due is None
    if is_first:
        due = held_unlisted(
            author_id=author_id,
            listed=checkpoint.get("listed"),
            run_id=context.run.pk,
        )
        limit = settings.OPENALEX_HELD_LOOKUPS_PER_AUTHOR
        if len(due) > limit:
            context.warn(
                f"author {author_id}: {len(due)} works we hold linked to them "
                f"are not in their OpenAlex works list; looked up {limit} "
                "(OPENALEX_HELD_LOOKUPS_PER_AUTHOR), the others wait for a "
                "later import"
            )
            due = due[:limit]
    if not due:
        context.store(
            [], checkpoint=finished, locator=f"author {author_id}", progress=0
        )
        return
    batch, rest = due[:LOOKUPS_PER_PAGE], due[LOOKUPS_PER_PAGE:]
    what = f"unlisted works of author {author_id} from {batch[0]}"
    raws, merges = [], []
    for work_id in batch:
        raw = _look_up(page, work_id, author_id=author_id)
        if raw is None:
            continue
        answered = own_id("works", raw)
        if answered is not None and answered != work_id:
            merges.append((work_id, answered))
        raws.append(raw)
    assembled = page.works_page(raws, what)

    def before() -> None:
        for old_openalex_id, new_openalex_id in merges:
            work_merge(old_openalex_id=old_openalex_id, new_openalex_id=new_openalex_id)
        merge_orcid_holders(assembled.coauthors)

    def after() -> None:
        page.mark_fetched([author.openalex_id for author in assembled.coauthors])
        if is_first:
            page.expect(pages_for(len(due), LOOKUPS_PER_PAGE))

    context.store(
        assembled.records,
        checkpoint={"held": rest} if rest else finished,
        locator=what,
        rejections=assembled.rejections,
        before=before,
        after=after,
    )


def _look_up(page: PageAssembly, work_id: str, *, author_id: str) -> Any | None:
    """The record OpenAlex answers for ``work_id`` (a merged id answers the
    survivor's), None with a warning when it answers 404."""
    try:
        return page.context.call(
            lambda: page.client.work(work_id), what=f"work {work_id}", kind="single"
        )
    except SourceRefused as exc:
        if status_of(exc) != 404:
            raise
    page.context.warn(
        f"OpenAlex did not answer work {work_id} (HTTP 404), which we hold "
        f"linked to author {author_id} but their works list does not name; "
        "kept as it is"
    )
    return None


def _number(work_id: str | None) -> int | None:
    if not work_id or not work_id[1:].isdigit():
        return None
    return int(work_id[1:])


def _pack(numbers: set[int]) -> str:
    """Work numbers as text for the checkpoint: sorted, each as its distance
    from the one before in 7-bit groups (LEB128), base64. About 4 characters
    a work, not the 14 of a JSON list of ids: an author may have thousands,
    and the checkpoint is written with every page."""
    out = bytearray()
    previous = 0
    for number in sorted(numbers):
        delta, previous = number - previous, number
        while delta >= 0x80:
            out.append(delta & 0x7F | 0x80)
            delta >>= 7
        out.append(delta)
    return base64.b64encode(bytes(out)).decode("ascii")


def _unpack(packed: str | None) -> set[int]:
    numbers: set[int] = set()
    number = delta = shift = 0
    for byte in base64.b64decode(packed or ""):
        delta |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            number += delta
            numbers.add(number)
            delta = shift = 0
    return numbers
