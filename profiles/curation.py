"""Owner curation: what the account that manages a researcher record may
change about it, each change one entry of the public change log
(``ProfileChange``), and the undo of those entries.

- **fields**: headline, bio, affiliation note, "open to collaborate";
- **hidden works**: a work wrongly attributed to the owner leaves the profile
  and its counts (``profiles.visibility``), and comes back on restore;
- **the profile's visibility**: hidden from the public and shown again;
- **merging** two records the owner manages (one person split in the
  source) with the catalog's own merge (``works.merges.researcher_merge``).

Every service takes the acting ``user``, checks that they own the record
(``CurationRefused`` otherwise: a view answers 403), locks the researcher
row, writes the change and its log entry in one transaction, and enqueues
the trust recompute after commit when the change moves a count.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction

from bzpeer.data_version import data_version_bump_after_commit
from outbox.services import enqueue
from works.merges import researcher_merge
from works.models import Authorship, Work

from .models import HiddenWork, ProfileChange, Researcher, ResearcherOwner
from .services import profile_change_record
from .tasks import researcher_trust_recompute


class CurationRefused(Exception):
    """A curation that cannot be done; ``str()`` says why, fit to show the
    person who asked. ``forbidden`` is True when they may not curate this
    record at all (a view answers 403). Nothing was changed."""

    def __init__(self, message: str, *, forbidden: bool = False):
        super().__init__(message)
        self.forbidden = forbidden


@dataclass(frozen=True)
class CuratedField:
    label: str
    max_length: int | None  # None: a yes/no field


CURATED_FIELDS: dict[str, CuratedField] = {
    "headline": CuratedField("headline", 200),
    "bio": CuratedField("bio", 5000),
    "affiliation_note": CuratedField("affiliation note", 300),
    "is_open_to_collaborate": CuratedField('"open to collaborate"', None),
}
REASON_MAX_LENGTH = 500


def researcher_is_owner(*, researcher: Researcher, user) -> bool:
    """Whether ``user`` manages ``researcher``. One query (none when
    anonymous)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and ResearcherOwner.objects.filter(researcher=researcher, user=user).exists()
    )


def _owned_and_locked(*, researcher: Researcher, user) -> Researcher:
    """Lock ``researcher`` and return it fresh, or refuse a non-owner. Call
    inside ``atomic()``."""
    if not researcher_is_owner(researcher=researcher, user=user):
        raise CurationRefused("Only the owner can change this profile.", forbidden=True)
    # Whatever the owner changes, what pages derive (graph slices) is stale.
    data_version_bump_after_commit()
    return Researcher.objects.select_for_update().get(pk=researcher.pk)


def _trust_recompute_after_commit(*researcher_ids: int) -> None:
    # Through the outbox: call it in the transaction of the change.
    enqueue(researcher_trust_recompute.name, args=(list(researcher_ids),))


def _clean(name: str, value):
    spec = CURATED_FIELDS[name]
    if spec.max_length is None:
        return bool(value)
    value = " ".join(str(value or "").split()) if name != "bio" else str(value or "")
    value = value.strip().replace("\x00", "")
    if len(value) > spec.max_length:
        raise CurationRefused(
            f"The {spec.label} is {len(value):,} characters long; "
            f"at most {spec.max_length:,} fit."
        )
    return value


def _describe(name: str, value) -> str:
    spec = CURATED_FIELDS[name]
    if spec.max_length is None:
        return f"The owner set {spec.label} to {'yes' if value else 'no'}."
    if not value:
        return f"The owner cleared the {spec.label}."
    return f"The owner edited the {spec.label}."


def profile_edit(
    *, researcher: Researcher, user, changes: dict[str, object]
) -> list[ProfileChange]:
    """Set the curated fields named in ``changes`` (keys of
    ``CURATED_FIELDS``) and return one log entry per field that changed
    (none when nothing did). Text is trimmed (bio keeps its line breaks);
    text longer than its field allows, or an unknown field, is refused
    before anything is written."""
    unknown = set(changes) - set(CURATED_FIELDS)
    if unknown:
        raise CurationRefused(f"These fields cannot be edited: {sorted(unknown)}.")
    cleaned = {name: _clean(name, value) for name, value in changes.items()}
    with transaction.atomic():
        locked = _owned_and_locked(researcher=researcher, user=user)
        entries = []
        for name, value in cleaned.items():
            old = getattr(locked, name)
            if old == value:
                continue
            setattr(locked, name, value)
            entries.append(
                profile_change_record(
                    researcher=locked,
                    actor=user,
                    kind=ProfileChange.Kind.FIELD_EDITED,
                    summary=_describe(name, value),
                    field=name,
                    old_value=old,
                    new_value=value,
                )
            )
        if entries:
            locked.save(update_fields=[*(e.field for e in entries), "updated_at"])
    for name in cleaned:
        setattr(researcher, name, getattr(locked, name))
    return entries


def _listed_work(*, researcher: Researcher, work: Work) -> Work:
    """The version under which ``researcher``'s profile lists ``work`` (its
    canonical version, or itself), refusing a work they hold no authorship
    on (any of its versions)."""
    listed = work.canonical if work.canonical_id else work
    versions = Work.objects.filter(pk=listed.pk) | Work.objects.filter(
        canonical_id=listed.pk
    )
    if not Authorship.objects.filter(
        researcher=researcher, work__in=versions.values("pk")
    ).exists():
        raise CurationRefused("This work is not on this profile.")
    return listed


def work_hide(
    *, researcher: Researcher, user, work: Work, reason: str = ""
) -> ProfileChange:
    """The owner says ``work`` is not theirs: it (all its versions) leaves
    the profile, its counts and its ties, and stays in the catalog. A
    re-import never brings it back (``HiddenWork`` is not touched by
    imports). Refuses a work not on the profile or already hidden."""
    reason = " ".join(str(reason or "").split())[:REASON_MAX_LENGTH]
    with transaction.atomic():
        locked = _owned_and_locked(researcher=researcher, user=user)
        listed = _listed_work(researcher=locked, work=work)
        _, created = HiddenWork.objects.get_or_create(
            researcher=locked, work=listed, defaults={"reason": reason}
        )
        if not created:
            raise CurationRefused("This work is already hidden from the profile.")
        entry = profile_change_record(
            researcher=locked,
            actor=user,
            kind=ProfileChange.Kind.WORK_HIDDEN,
            summary="The owner hid a work wrongly attributed to this profile.",
            work=listed,
            reason=reason,
        )
        _trust_recompute_after_commit(locked.pk)
    return entry


def work_restore(
    *, researcher: Researcher, user, work: Work, undoes: ProfileChange | None = None
) -> ProfileChange:
    """Show a hidden ``work`` on the profile again (its counts and ties
    too). Refuses a work that is not hidden."""
    with transaction.atomic():
        locked = _owned_and_locked(researcher=researcher, user=user)
        deleted, _ = HiddenWork.objects.filter(researcher=locked, work=work).delete()
        if not deleted:
            raise CurationRefused("This work is not hidden from the profile.")
        entry = profile_change_record(
            researcher=locked,
            actor=user,
            kind=ProfileChange.Kind.WORK_RESTORED,
            summary="The owner restored a work to this profile.",
            work=work,
            undoes=undoes,
        )
        _trust_recompute_after_commit(locked.pk)
    return entry


def profile_visibility_set(
    *, researcher: Researcher, user, hidden: bool, undoes: ProfileChange | None = None
) -> ProfileChange:
    """Hide the profile from the public (only its owners and staff see it,
    ``profiles.visibility``) or show it again. Refuses a change to the state
    it already has."""
    with transaction.atomic():
        locked = _owned_and_locked(researcher=researcher, user=user)
        if locked.is_hidden == hidden:
            raise CurationRefused(
                "The profile is already hidden."
                if hidden
                else "The profile is already public."
            )
        locked.is_hidden = hidden
        locked.save(update_fields=["is_hidden", "updated_at"])
        entry = profile_change_record(
            researcher=locked,
            actor=user,
            kind=(
                ProfileChange.Kind.PROFILE_HIDDEN
                if hidden
                else ProfileChange.Kind.PROFILE_SHOWN
            ),
            summary=(
                "The owner hid this profile from the public."
                if hidden
                else "The owner made this profile public again."
            ),
            undoes=undoes,
        )
    researcher.is_hidden = hidden
    return entry


def profile_change_undo(*, change: ProfileChange, user) -> ProfileChange:
    """Undo ``change``, one of ``user``'s own entries on a record they still
    own, with a new entry pointing at it (``undoes``). A field edit is undone
    only while it is the field's latest edit (undo the later ones first); a
    hidden work comes back, a restored one is hidden again, a hidden profile
    is shown and a shown one hidden. Refuses anything else, and an entry
    already undone."""
    if change.kind not in ProfileChange.UNDOABLE:
        raise CurationRefused("This change cannot be undone.")
    if not getattr(user, "is_authenticated", False) or change.actor_id != user.pk:
        raise CurationRefused(
            "Only the owner who made a change can undo it.", forbidden=True
        )
    researcher = change.researcher
    with transaction.atomic():
        locked = _owned_and_locked(researcher=researcher, user=user)
        change = ProfileChange.objects.select_for_update().get(pk=change.pk)
        if ProfileChange.objects.filter(undoes=change).exists():
            raise CurationRefused("This change has already been undone.")
        if change.kind == ProfileChange.Kind.FIELD_EDITED:
            later = ProfileChange.objects.filter(
                researcher=locked,
                kind=ProfileChange.Kind.FIELD_EDITED,
                field=change.field,
                pk__gt=change.pk,
            ).exists()
            if later or getattr(locked, change.field) != change.new_value:
                raise CurationRefused(
                    f"The {CURATED_FIELDS[change.field].label} changed since; "
                    "undo the later change first."
                )
            setattr(locked, change.field, change.old_value)
            locked.save(update_fields=[change.field, "updated_at"])
            return profile_change_record(
                researcher=locked,
                actor=user,
                kind=ProfileChange.Kind.FIELD_EDITED,
                summary=f"The owner undid an edit of the "
                f"{CURATED_FIELDS[change.field].label}.",
                field=change.field,
                old_value=change.new_value,
                new_value=change.old_value,
                undoes=change,
            )
        if change.work_id is None and change.kind in (
            ProfileChange.Kind.WORK_HIDDEN,
            ProfileChange.Kind.WORK_RESTORED,
        ):
            raise CurationRefused("The work is no longer in the catalog.")
        if change.kind == ProfileChange.Kind.WORK_HIDDEN:
            return work_restore(
                researcher=locked, user=user, work=change.work, undoes=change
            )
        if change.kind == ProfileChange.Kind.WORK_RESTORED:
            entry = work_hide(researcher=locked, user=user, work=change.work)
            entry.undoes = change
            entry.save(update_fields=["undoes"])
            return entry
        return profile_visibility_set(
            researcher=locked,
            user=user,
            hidden=change.kind == ProfileChange.Kind.PROFILE_SHOWN,
            undoes=change,
        )


# The account that asked for a researcher merge, for the log entry the merge
# handler writes (None: OpenAlex merged the records, met by an import).
_merge_actor: ContextVar[object | None] = ContextVar("merge_actor", default=None)


@contextmanager
def _merging_as(user):
    token = _merge_actor.set(user)
    try:
        yield
    finally:
        _merge_actor.reset(token)


def researcher_owner_merge(
    *, user, old: Researcher, survivor: Researcher
) -> Researcher:
    """The owner of two records of one person merges ``old`` into
    ``survivor`` with the catalog's merge (``works.merges.researcher_merge``):
    works, topics, follows, claims, hidden works and the change log move,
    ``old``'s URL redirects to ``survivor`` and later imports of ``old``'s
    id are refused as merged. Refuses records the user does not both own,
    one record twice, and records without an OpenAlex id. Returns the
    survivor."""
    if old.pk == survivor.pk:
        raise CurationRefused("Choose another record to merge into this one.")
    for record in (old, survivor):
        if not researcher_is_owner(researcher=record, user=user):
            raise CurationRefused(
                "You can only merge records you manage.", forbidden=True
            )
        if not record.openalex_id:
            raise CurationRefused("Only records from OpenAlex can be merged.")
    with transaction.atomic(), _merging_as(user):
        merged = researcher_merge(
            old_openalex_id=old.openalex_id, new_openalex_id=survivor.openalex_id
        )
        _trust_recompute_after_commit(merged.pk)
    return merged


def researcher_merge_curation(old: Researcher, survivor: Researcher) -> None:
    """profiles' researcher-merge handler for curation (``works.hooks``):
    hidden works and change-log entries of ``old`` move to ``survivor`` (a
    work hidden on both stays hidden once), and the log says the records
    were merged, by their owner or by the source."""
    HiddenWork.objects.filter(researcher=old).exclude(
        work_id__in=HiddenWork.objects.filter(researcher=survivor).values("work_id")
    ).update(researcher=survivor)
    ProfileChange.objects.filter(researcher=old).update(researcher=survivor)
    actor = _merge_actor.get()
    profile_change_record(
        researcher=survivor,
        actor=actor,
        actor_role=(
            ProfileChange.Role.OWNER if actor is not None else ProfileChange.Role.SOURCE
        ),
        kind=ProfileChange.Kind.MERGED,
        summary=(
            f"The owner merged the record {old.openalex_id} into this one."
            if actor is not None
            else f"OpenAlex merged the record {old.openalex_id} into this one."
        ),
    )


def work_merge_hidden(old: Work, survivor: Work) -> None:
    """profiles' work-merge handler (``works.hooks``): a work hidden from a
    profile stays hidden under the id it survives as."""
    HiddenWork.objects.filter(work=old).exclude(
        researcher_id__in=HiddenWork.objects.filter(work=survivor).values(
            "researcher_id"
        )
    ).update(work=survivor)
