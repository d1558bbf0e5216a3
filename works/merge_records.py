"""What a merge of two OpenAlex records does whatever the entity (authors in
``profiles.services.researcher_merge``, works in ``works.merges.work_merge``):
lock both rows, settle the cases where we hold one of them or none, and leave
the retired id redirecting to the survivor. The entity's own ``move`` says
what moves from the old row to the survivor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import models, transaction

M = TypeVar("M", bound=models.Model)


def record_redirect(
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


def openalex_merge(
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
            record_redirect(
                redirects, field, old_openalex_id=old_openalex_id, record=old
            )
            return old
        move(old, survivor)
        record_redirect(
            redirects, field, old_openalex_id=old_openalex_id, record=survivor
        )
        old.delete()
        return survivor
