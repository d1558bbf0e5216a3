"""OpenAlex merges: when OpenAlex finds two records of one work (or of one
author), it keeps one id and retires the other (listed in the snapshot's
``merged_ids/``, or met by the live importer as a record answering under
another id). ``researcher_merge`` and ``work_merge`` apply one merge to what
we hold; ``merges_apply`` applies a batch of either, as the snapshot loader
reads them.

Both merges share one skeleton (``_openalex_merge``): lock both rows, settle
the cases where we hold one of them or none, and leave the retired id
redirecting to the survivor; each entity's own ``move`` says what moves from
the old row to the survivor. A researcher merge also calls the apps built on
the catalog through ``works.hooks`` to move their own rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import models, transaction
from django.db.models.functions import Now

from bzpeer.data_version import data_version_bump_after_commit
from profiles.models import Researcher, ResearcherRedirect, ResearcherTopic

from .hooks import researcher_merge_handlers_run, work_merge_handlers_run
from .ingest.identifiers import arxiv_id_from_doi
from .models import Authorship, Work, WorkRedirect, WorkTopic
from .versions import versions_group_ids

M = TypeVar("M", bound=models.Model)


def _record_redirect(
    redirects: type[models.Model], field: str, *, old_openalex_id: str, record
) -> None:
    """``old_openalex_id`` leads to ``record`` from now on (``redirects`` is
    the entity's redirect model, ``field`` its foreign key to the entity), and
    so does every id that led to the row being merged away; an id that names
    a live record again redirects nowhere."""
    redirects.objects.filter(**{f"{field}__openalex_id": old_openalex_id}).update(
        **{field: record}
    )
    redirects.objects.update_or_create(
        old_openalex_id=old_openalex_id, defaults={field: record}
    )
    redirects.objects.filter(old_openalex_id=record.openalex_id).delete()


def _openalex_merge(
    model: type[M],
    redirects: type[models.Model],
    field: str,
    *,
    old_openalex_id: str,
    new_openalex_id: str,
    move: Callable[[M, M], None],
) -> M | None:
    """Apply OpenAlex's merge of record ``old_openalex_id`` into
    ``new_openalex_id`` and return the survivor: the record the old id leads
    to now, or None when we hold neither.

    When we hold both, ``move(old, survivor)`` moves what the old row holds,
    then the old id redirects to the survivor and the old row is deleted.
    When we hold only the old row, it takes the new id and the old id
    redirects to it. One transaction (a savepoint in the caller's), both rows
    locked in id order. Idempotent: a merge already applied, or of an id we
    never held, changes nothing."""
    if old_openalex_id == new_openalex_id:
        return model.objects.filter(openalex_id=new_openalex_id).first()
    with transaction.atomic():
        rows = {
            row.openalex_id: row
            for row in model.objects.select_for_update()
            .filter(openalex_id__in=[old_openalex_id, new_openalex_id])
            .order_by("id")
        }
        old, survivor = rows.get(old_openalex_id), rows.get(new_openalex_id)
        if old is None:
            if survivor is not None:
                return survivor
            redirect = (
                redirects.objects.select_related(field)
                .filter(old_openalex_id=old_openalex_id)
                .first()
            )
            return getattr(redirect, field) if redirect else None
        if survivor is None:
            old.openalex_id = new_openalex_id
            old.save(update_fields=["openalex_id", "updated_at"])
            _record_redirect(
                redirects, field, old_openalex_id=old_openalex_id, record=old
            )
            return old
        move(old, survivor)
        _record_redirect(
            redirects, field, old_openalex_id=old_openalex_id, record=survivor
        )
        old.delete()
        return survivor


def _merge_authorships(*, old: Researcher, survivor: Researcher) -> None:
    """Authorships of ``old`` go to ``survivor``, except on works where
    ``survivor`` already has one (those of ``old`` become bare names when it
    is deleted). The works moved are stamped changed, so the import that
    merged them regroups their versions and recomputes their authors' trust
    (the first author may now match across a preprint and its article)."""
    moving = Authorship.objects.filter(researcher=old).exclude(
        work_id__in=Authorship.objects.filter(researcher=survivor).values("work_id")
    )
    work_ids = set(moving.values_list("work_id", flat=True))
    moving.update(researcher=survivor)
    Work.objects.filter(pk__in=work_ids).update(updated_at=Now())


def _merge_topics(*, old: Researcher, survivor: Researcher) -> None:
    """Topics of ``old`` that ``survivor`` lacks; the survivor's own counts
    stay (the source recounts them on its next record)."""
    ResearcherTopic.objects.filter(researcher=old).exclude(
        topic_id__in=ResearcherTopic.objects.filter(researcher=survivor).values(
            "topic_id"
        )
    ).update(researcher=survivor)


def _merge_record(*, old: Researcher, survivor: Researcher) -> None:
    """The owner's curation survives: headline, bio, affiliation note and
    "open to collaborate" from the claimed record of the two (else the
    survivor's, empty text filled from the other), the stronger claim and
    verification level, and privacy (either hidden: the survivor is hidden);
    the survivor's public identifiers and affiliation, completed from
    ``old``."""
    owner = old if old.is_claimed and not survivor.is_claimed else survivor
    other = survivor if owner is old else old
    survivor.headline = owner.headline or other.headline
    survivor.bio = owner.bio or other.bio
    survivor.affiliation_note = owner.affiliation_note or other.affiliation_note
    survivor.is_hidden = survivor.is_hidden or old.is_hidden
    survivor.is_open_to_collaborate = owner.is_open_to_collaborate
    survivor.is_claimed = survivor.is_claimed or old.is_claimed
    survivor.verification_level = max(
        survivor.verification_level, old.verification_level
    )
    if survivor.affiliation_id is None:
        survivor.affiliation_id = old.affiliation_id
    # Views of either address were views of this person (refresh order).
    survivor.view_count += old.view_count
    if survivor.orcid is None and old.orcid:
        # Unique: the old row gives it up first.
        Researcher.objects.filter(pk=old.pk).update(orcid=None)
        survivor.orcid = old.orcid
    names = [survivor.display_name, *survivor.display_name_alternatives]
    survivor.display_name_alternatives += [
        name
        for name in dict.fromkeys([old.display_name, *old.display_name_alternatives])
        if name not in names
    ]
    survivor.save(
        update_fields=[
            "headline",
            "bio",
            "affiliation_note",
            "is_hidden",
            "is_open_to_collaborate",
            "is_claimed",
            "verification_level",
            "affiliation",
            "orcid",
            "display_name_alternatives",
            "view_count",
            "updated_at",
        ]
    )


def researcher_merge(
    *, old_openalex_id: str, new_openalex_id: str
) -> Researcher | None:
    """Apply OpenAlex's merge of author ``old_openalex_id`` into
    ``new_openalex_id`` and return the survivor: the record the old id leads
    to now, or None when we hold neither.

    When we hold both, everything held under the old record moves to the
    survivor: owner curation (``_merge_record``), authorships (except on
    works the survivor is already on), topics, the redirects that led to it,
    and, through the researcher-merge hook (``works.hooks``), what the apps
    built on the catalog hold (follows, claims…); then the old id redirects to the
    survivor (``ResearcherRedirect``: its profile URL answers 301) and the old
    row is deleted. When we hold only the old record, it takes the new id and
    the old id redirects to it. The survivor's ``updated_at`` moves, so the
    import that merged it recomputes its trust.

    Runs in one transaction (a savepoint in the caller's, e.g. an importer's
    page), with both rows locked. Idempotent: a merge already applied, or of
    an id we never held, changes nothing."""

    def move(old: Researcher, survivor: Researcher) -> None:
        _merge_authorships(old=old, survivor=survivor)
        _merge_topics(old=old, survivor=survivor)
        _merge_record(old=old, survivor=survivor)
        researcher_merge_handlers_run(old=old, survivor=survivor)
        data_version_bump_after_commit()

    return _openalex_merge(
        Researcher,
        ResearcherRedirect,
        "researcher",
        old_openalex_id=old_openalex_id,
        new_openalex_id=new_openalex_id,
        move=move,
    )


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
        work_merge_handlers_run(old=old, survivor=survivor)
        data_version_bump_after_commit()
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
        survivor = _openalex_merge(
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
