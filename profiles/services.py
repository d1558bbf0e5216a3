"""Writes of researcher profiles: trust, owners, and what a researcher merge
moves of profiles' own rows (follows, owners)."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from bzpeer.data_version import data_version_bump_after_commit
from bzpeer.db import quoted_table
from works.models import Authorship, Work

from .hooks import NO_CLAIM_EVIDENCE, claim_evidence_for
from .models import (
    Follow,
    ProfileChange,
    Researcher,
    ResearcherOwner,
    VerificationLevel,
)
from .ties import close_collaborator_summaries
from .trust import TrustInputs, trust_compute
from .visibility import hidden_authorship_sql

TRUST_FIELDS = (
    "trust_score",
    "trust_label",
    "trust_breakdown",
    "trust_computed_at",
    "close_collaborators_count",
    "listed_works_count",
)
# Only what the model reads; the rest of a row (abstract-sized bio, names,
# alternatives) stays in the database.
_RESEARCHER_FIELDS = (
    "id",
    "openalex_id",
    "orcid",
    "affiliation_id",
    "verification_level",
    "is_claimed",
)


def _researcher_batches(
    *, researcher_ids: list[int] | None, batch_size: int
) -> Iterator[list[Researcher]]:
    """Researchers in id order, ``batch_size`` at a time: the given ids in
    chunks, or every researcher by keyset pagination (``id > last``), so no
    batch costs more than the first and nothing is held beyond one batch."""
    rows = Researcher.objects.only(*_RESEARCHER_FIELDS).order_by("id")
    if researcher_ids is not None:
        ids = sorted(set(researcher_ids))
        for start in range(0, len(ids), batch_size):
            batch = list(rows.filter(id__in=ids[start : start + batch_size]))
            if batch:
                yield batch
        return
    last_id = 0
    while True:
        batch = list(rows.filter(id__gt=last_id)[:batch_size])
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _work_totals(*, researcher_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(works, citations, retracted works) per researcher, counting each work
    once even where a researcher holds two authorships on it, or holds two
    versions of it (a preprint and its article, see ``works.versions``).
    Citations add up over the versions: OpenAlex counts each version's
    citations on its own record. One query."""
    authorship = quoted_table(Authorship)
    work = quoted_table(Work)
    hidden = hidden_authorship_sql(
        researcher_id="a.researcher_id",
        work_id="w.id",
        listed_id="COALESCE(w.canonical_id, w.id)",
    )
    sql = f"""
        SELECT researcher_id,
               COUNT(DISTINCT listed_id),
               COALESCE(SUM(cited_by_count), 0),
               COUNT(DISTINCT listed_id) FILTER (WHERE is_retracted)
        FROM (
            SELECT DISTINCT a.researcher_id, w.id,
                   COALESCE(w.canonical_id, w.id) AS listed_id,
                   w.cited_by_count, w.is_retracted
            FROM {authorship} a
            JOIN {work} w ON w.id = a.work_id
            WHERE a.researcher_id = ANY(%(ids)s)
              AND NOT {hidden}
        ) held
        GROUP BY researcher_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": researcher_ids})
        return {
            researcher_id: (int(works), int(citations), int(retracted))
            for researcher_id, works, citations, retracted in cursor
        }


def _follower_counts(*, researcher_ids: list[int]) -> dict[int, int]:
    return dict(
        Follow.objects.filter(researcher_id__in=researcher_ids)
        .order_by()
        .values("researcher_id")
        .annotate(n=Count("id"))
        .values_list("researcher_id", "n")
    )


def researcher_trust_update(
    *, researcher_ids: list[int] | None = None, batch_size: int = 1000
) -> int:
    """Recompute and store the trust of ``researcher_ids`` (``None``: every
    researcher), and return how many rows were updated.

    Side effects: writes ``trust_score``, ``trust_label``, ``trust_breakdown``
    (``TrustResult.as_json()``), ``trust_computed_at`` and
    ``close_collaborators_count``, and nothing else, with one ``bulk_update``
    per batch. Ids that no longer exist are skipped.

    Cost: six queries per batch of ``batch_size`` researchers, whatever
    their size: the batch's rows, work totals, followers, close
    collaborators with their mean trust, the claims' evidence (one per
    provider registered on ``profiles.hooks``), and the update. Each batch commits
    on its own, so a long run holds no lock for long and an interrupted run
    has kept what it finished.

    Idempotent: running it again on unchanged data stores the same scores
    (only ``trust_computed_at`` moves). The close collaborators' trust is read
    as currently stored, in one pass: a researcher's score may lean on a
    neighbour's previous score, and the two converge on the next recompute.
    That is at most the collaborator-trust bonus (5 points), which
    neighbours that are all unclaimed never earn.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    threshold = settings.CLOSE_COLLABORATOR_THRESHOLD
    updated = 0
    for batch in _researcher_batches(
        researcher_ids=researcher_ids, batch_size=batch_size
    ):
        ids = [researcher.id for researcher in batch]
        work_totals = _work_totals(researcher_ids=ids)
        followers = _follower_counts(researcher_ids=ids)
        collaborators = close_collaborator_summaries(
            researcher_ids=ids, threshold=threshold
        )
        evidence = claim_evidence_for(ids)
        computed_at = timezone.now()
        for researcher in batch:
            claims = evidence.get(researcher.id, NO_CLAIM_EVIDENCE)
            works, citations, retracted = work_totals.get(researcher.id, (0, 0, 0))
            close = collaborators[researcher.id]
            inputs = TrustInputs(
                verification_level=researcher.verification_level,
                is_claimed=researcher.is_claimed,
                # Works only arrive through the import path, so a record that
                # holds one is backed by a public source even without an
                # OpenAlex id (an arXiv-only author).
                has_public_source=bool(researcher.openalex_id) or works > 0,
                record_has_orcid=bool(researcher.orcid),
                has_affiliation=researcher.affiliation_id is not None,
                works_count=works,
                cited_by_count=citations,
                close_collaborators=close.count,
                close_collaborator_mean_trust=close.mean_trust,
                followers=followers.get(researcher.id, 0),
                retracted_works=retracted,
                # From the apps that hold claims (profiles.hooks).
                has_orcid_sign_in=claims.has_orcid_sign_in,
                has_verified_institution_email=claims.has_verified_institution_email,
                is_staff_verified=claims.is_staff_verified,
                rejected_claims=claims.rejected_claims,
                disputed_claims=claims.disputed_claims,
            )
            result = trust_compute(inputs=inputs)
            researcher.trust_score = result.score
            researcher.trust_label = result.label
            researcher.trust_breakdown = result.as_json()
            researcher.trust_computed_at = computed_at
            researcher.close_collaborators_count = close.count
            researcher.listed_works_count = works
        # Rows deleted since the batch was read match nothing and are not
        # counted.
        updated += Researcher.objects.bulk_update(batch, fields=list(TRUST_FIELDS))
    if updated:
        # Profiles and pages cached for anonymous visitors show the score.
        data_version_bump_after_commit()
    return updated


def researcher_merge_follows(old: Researcher, survivor: Researcher) -> None:
    """profiles' researcher-merge handler (``works.hooks``): followers of
    ``old`` follow ``survivor``; one who followed both keeps the follow they
    had of ``survivor`` (the other goes with ``old``). One query; cannot
    conflict, so it never raises on data."""
    Follow.objects.filter(researcher=old).exclude(
        user_id__in=Follow.objects.filter(researcher=survivor).values("user_id")
    ).update(researcher=survivor)


def _researcher_ownership_sync(*, researcher: Researcher) -> None:
    """Derive ``is_claimed`` and ``verification_level`` of the locked
    ``researcher`` from its owners: claimed at the strongest owner's level, or
    an unclaimed imported record (L1) once the last owner is gone."""
    strongest = ResearcherOwner.objects.filter(researcher=researcher).aggregate(
        level=Max("verification_level")
    )["level"]
    researcher.is_claimed = strongest is not None
    researcher.verification_level = (
        strongest if strongest is not None else VerificationLevel.L1
    )
    researcher.save(update_fields=["is_claimed", "verification_level", "updated_at"])


def researcher_owner_add(
    *, researcher: Researcher, user, verification_level: int
) -> ResearcherOwner:
    """Make ``user`` an owner of ``researcher`` at ``verification_level`` (L2
    approved claim, L3 strong evidence) and return the row.

    Side effects: locks the researcher row, upserts the owner row (an
    existing owner's level is replaced), sets the record's ``is_claimed`` and
    ``verification_level`` from its owners. Called by claims services only,
    inside their transaction; they enqueue the trust recompute.

    Idempotent: adding an owner again at the same level changes nothing but
    ``updated_at``."""
    with transaction.atomic():
        locked = Researcher.objects.select_for_update().get(pk=researcher.pk)
        owner, _ = ResearcherOwner.objects.update_or_create(
            researcher=locked,
            user=user,
            defaults={"verification_level": verification_level},
        )
        _researcher_ownership_sync(researcher=locked)
    researcher.is_claimed = locked.is_claimed
    researcher.verification_level = locked.verification_level
    return owner


def researcher_owner_remove(*, researcher: Researcher, user) -> bool:
    """``user`` no longer owns ``researcher``; return whether they did.

    Side effects: locks the researcher row, deletes the owner row, and sets
    ``is_claimed`` / ``verification_level`` from the owners left (none: back
    to an unclaimed L1 record). Called by claims services only.

    Idempotent: removing a non-owner changes nothing and returns False."""
    with transaction.atomic():
        locked = Researcher.objects.select_for_update().get(pk=researcher.pk)
        removed, _ = ResearcherOwner.objects.filter(
            researcher=locked, user=user
        ).delete()
        if removed:
            _researcher_ownership_sync(researcher=locked)
    researcher.is_claimed = locked.is_claimed
    researcher.verification_level = locked.verification_level
    return bool(removed)


def researcher_merge_owners(old: Researcher, survivor: Researcher) -> None:
    """profiles' researcher-merge handler for owners (``works.hooks``): owners
    of ``old`` own ``survivor``; one who owned both keeps the survivor's row
    at the stronger level of the two. When rows moved, the survivor's
    ``is_claimed`` / ``verification_level`` follow its owners. A conflict
    between different owners is the claims app's to settle (its handler runs
    after this one and takes the moved claim back to moderators)."""
    moved = False
    for owner in ResearcherOwner.objects.filter(researcher=old).order_by("id"):
        kept = ResearcherOwner.objects.filter(
            researcher=survivor, user_id=owner.user_id
        ).first()
        if kept is None:
            owner.researcher = survivor
            owner.save(update_fields=["researcher"])
        elif owner.verification_level > kept.verification_level:
            kept.verification_level = owner.verification_level
            kept.save(update_fields=["verification_level"])
        moved = True
    if moved:
        _researcher_ownership_sync(researcher=survivor)


def profile_change_record(
    *,
    researcher: Researcher,
    kind: str,
    summary: str,
    actor=None,
    actor_role: str = ProfileChange.Role.OWNER,
    field: str = "",
    old_value=None,
    new_value=None,
    work=None,
    reason: str = "",
    undoes: ProfileChange | None = None,
) -> ProfileChange:
    """Append one entry to ``researcher``'s public change log and return it.
    Call it inside the transaction of the change it records (claims calls it
    for its decisions, with ``actor_role`` moderator, system or owner), so
    the log never shows a change that did not happen, nor misses one.
    ``summary`` is a plain sentence for the public (rendered escaped; never
    the actor's name or e-mail). Not idempotent: each call is one entry."""
    return ProfileChange.objects.create(
        researcher=researcher,
        kind=kind,
        summary=summary[:500],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_role=actor_role,
        field=field,
        old_value=old_value,
        new_value=new_value,
        work=work,
        reason=(reason or "")[:500],
        undoes=undoes,
    )


def profile_changes_anonymise(*, user) -> int:
    """``user``'s account is going: their change-log entries stay (the log
    is the record's, not theirs) but name nobody; entries they made as owner
    read "a former owner". Returns how many entries were touched. One
    update; idempotent."""
    touched = ProfileChange.objects.filter(actor=user)
    owned = touched.filter(actor_role=ProfileChange.Role.OWNER).update(
        actor=None, actor_role=ProfileChange.Role.FORMER_OWNER
    )
    return owned + touched.update(actor=None)
