"""OpenAlex merges: when OpenAlex finds two records of one work (or of one
author), it keeps one id and retires the other (listed in the snapshot's
``merged_ids/``). ``work_merge`` applies one merge of works to what we hold
(``profiles.services.researcher_merge`` one of authors); ``merges_apply``
applies a batch of either, as the snapshot loader reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models.functions import Now

from profiles.models import Researcher
from profiles.services import researcher_merge

from .ingest.identifiers import arxiv_id_from_doi
from .merge_records import openalex_merge
from .models import Authorship, Work, WorkRedirect, WorkTopic
from .versions import versions_group_ids


def _merge_identifiers(*, old: Work, survivor: Work) -> list[str]:
    """The DOI and arXiv id of ``old`` that ``survivor`` lacks move to it (the
    old row gives them up first: they are unique); an arXiv id it cannot
    take (its own or inside an arXiv DOI) is kept as its related one, the
    evidence version grouping reads. Returns the survivor's changed fields."""
    changed = []
    released = {}
    if old.doi and survivor.doi is None:
        released["doi"] = survivor.doi = old.doi
        changed.append("doi")
    if old.arxiv_id and survivor.arxiv_id is None:
        released["arxiv_id"] = survivor.arxiv_id = old.arxiv_id
        changed.append("arxiv_id")
    lost_arxiv_id = old.arxiv_id or arxiv_id_from_doi(old.doi) or old.related_arxiv_id
    if (
        lost_arxiv_id
        and lost_arxiv_id != survivor.arxiv_id
        and not survivor.related_arxiv_id
    ):
        survivor.related_arxiv_id = lost_arxiv_id
        changed.append("related_arxiv_id")
    if released:
        Work.objects.filter(pk=old.pk).update(**dict.fromkeys(released))
    return changed


def _merge_children(*, old: Work, survivor: Work) -> list[str]:
    """The byline and topics of ``old`` when ``survivor`` has none (a row we
    hold without them); otherwise the survivor's, which OpenAlex states for
    the merged work, stay, and the old ones go with the old row. Returns the
    survivor's changed fields."""
    changed = []
    has_byline = Authorship.objects.filter(work=survivor).exists()
    if not has_byline and Authorship.objects.filter(work=old).update(work=survivor):
        survivor.author_count = old.author_count
        changed.append("author_count")
    if not WorkTopic.objects.filter(work=survivor).exists():
        WorkTopic.objects.filter(work=old).update(work=survivor)
    return changed


def work_merge(*, old_openalex_id: str, new_openalex_id: str) -> Work | None:
    """Apply OpenAlex's merge of work ``old_openalex_id`` into
    ``new_openalex_id`` and return the survivor: the work the old id leads to
    now, or None when we hold neither.

    When we hold both, what references the old row moves to the survivor:
    its identifiers the survivor lacks (``_merge_identifiers``), its byline
    and topics when the survivor has none, the versions listed under it, and
    the redirects that led to it; then the old id redirects to the survivor
    (``WorkRedirect``), the old row is deleted and the survivor's versions
    are regrouped. When we hold only the old row, it takes the new id and the
    old id redirects to it. The survivor's ``updated_at`` moves.

    Runs in one transaction (a savepoint in the caller's), with both rows
    locked. Idempotent: a merge already applied, or of an id we never held,
    changes nothing."""
    merged: list[int] = []

    def move(old: Work, survivor: Work) -> None:
        changed = _merge_identifiers(old=old, survivor=survivor)
        changed += _merge_children(old=old, survivor=survivor)
        survivor.save(update_fields=[*changed, "updated_at"])
        # Versions listed under the old row follow the survivor; regrouping
        # below flattens the group again and picks its listed version.
        former_versions = list(
            Work.objects.filter(canonical=old)
            .exclude(pk=survivor.pk)
            .values_list("pk", flat=True)
        )
        Work.objects.filter(pk__in=former_versions).update(
            canonical=survivor, updated_at=Now()
        )
        merged.extend([survivor.pk, *former_versions])

    with transaction.atomic():
        survivor = openalex_merge(
            Work,
            WorkRedirect,
            "work",
            old_openalex_id=old_openalex_id,
            new_openalex_id=new_openalex_id,
            move=move,
        )
        if merged:
            versions_group_ids(work_ids=merged)
            survivor.refresh_from_db()
    return survivor


def merges_apply(*, entity: str, pairs: Sequence[tuple[str, str]]) -> int:
    """Apply OpenAlex merges of ``entity`` ("authors" or "works"), given as
    (old id, surviving id) pairs in the order they happened, to the records
    we hold, and return how many were applied. One query finds which old
    ids we hold; each of those is one call of ``researcher_merge`` or
    ``work_merge`` (a survivor that a pair creates counts as held for the
    pairs after it, so chains apply). Ids we never held cost nothing more:
    a full history of merges is millions of pairs. Idempotent."""
    model, merge = (
        (Researcher, researcher_merge) if entity == "authors" else (Work, work_merge)
    )
    held = set(
        model.objects.filter(openalex_id__in={old for old, _ in pairs}).values_list(
            "openalex_id", flat=True
        )
    )
    applied = 0
    for old, new in pairs:
        if old in held:
            merge(old_openalex_id=old, new_openalex_id=new)
            held.add(new)
            applied += 1
    return applied
