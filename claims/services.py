"""Writes of claims: submit, approve, reject, withdraw, dispute, and what a
researcher merge does to the claims of the retired record.

Every change writes its ``ClaimEvent`` in the same transaction, and every
change of ownership goes through ``profiles.services.researcher_owner_add`` /
``researcher_owner_remove``, which keep the record's ``is_claimed`` and
``verification_level``. Locks are taken researcher first, then claims, the
order ``works.merges.researcher_merge`` takes them in (its handlers lock
claims after both researchers), so the two never deadlock.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from profiles.models import Researcher, ResearcherOwner, VerificationLevel
from profiles.services import researcher_owner_add, researcher_owner_remove
from profiles.tasks import researcher_trust_recompute

from .models import Claim, ClaimEvent

_homepage_url_validator = URLValidator(schemes=["http", "https"])


class ClaimRefused(Exception):
    """A claim action that cannot be done; ``str()`` says why, in words fit to
    show the person who asked. Nothing was changed."""


def _event_record(
    *, claim: Claim, actor, kind: str, from_state: str, reason: str = ""
) -> ClaimEvent:
    return ClaimEvent.objects.create(
        claim=claim,
        actor=actor,
        kind=kind,
        from_state=from_state,
        to_state=claim.state,
        reason=reason,
    )


def _trust_recompute_after_commit(*, researcher_id: int) -> None:
    # The worker must read the committed claim and owner rows.
    transaction.on_commit(lambda: researcher_trust_recompute.delay([researcher_id]))


def _claim_lock(*, claim: Claim) -> tuple[Claim, Researcher]:
    """Lock the claim's researcher, then the claim, and return both fresh.
    Call inside ``atomic()``. A merge may move the claim between reading its
    researcher and locking it: then lock the one it points at now."""
    for _ in range(3):
        researcher_id = Claim.objects.values_list("researcher_id", flat=True).get(
            pk=claim.pk
        )
        researcher = Researcher.objects.select_for_update().get(pk=researcher_id)
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.researcher_id == researcher.pk:
            return locked, researcher
    raise ClaimRefused("The profile is being merged; try again in a moment.")


def _claim_save(*, claim: Claim, fields: list[str]) -> None:
    """Save under a savepoint: the constraints are the last word on a race
    the checks before lost, and it reaches the caller as a refusal."""
    try:
        with transaction.atomic():
            claim.save(update_fields=fields)
    except IntegrityError as error:
        raise ClaimRefused(
            "This profile changed while you were deciding; reload it."
        ) from error


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ClaimRefused("A reason is required.")
    return reason


def _copy_back(*, claim: Claim, locked: Claim) -> None:
    # The caller's instance shows the new state too.
    for field in Claim._meta.concrete_fields:
        setattr(claim, field.attname, getattr(locked, field.attname))


def claim_submit(
    *, user, researcher: Researcher, note: str = "", homepage_url: str = ""
) -> Claim:
    """``user`` claims ``researcher``: a pending claim for moderators, with
    its ``submitted`` event, returned.

    Refuses (``ClaimRefused``, nothing written) an anonymous user, an http(s)
    homepage that is not one, a record the user already manages or that
    someone else manages (that is a dispute), and a second open claim by the
    user on the record (also a database constraint). Not idempotent: a
    repeat is refused, never duplicated. Locks the researcher row."""
    if not getattr(user, "is_authenticated", False):
        raise ClaimRefused("Log in to claim this profile.")
    homepage_url = (homepage_url or "").strip()
    if homepage_url:
        try:
            _homepage_url_validator(homepage_url)
        except ValidationError as error:
            raise ClaimRefused(
                "The homepage must be an http:// or https:// address."
            ) from error
    with transaction.atomic():
        locked = Researcher.objects.select_for_update().get(pk=researcher.pk)
        owners = set(
            ResearcherOwner.objects.filter(researcher=locked).values_list(
                "user_id", flat=True
            )
        )
        if user.pk in owners:
            raise ClaimRefused("You already manage this profile.")
        if owners or locked.is_claimed:
            raise ClaimRefused(
                "This profile is already claimed; dispute the claim instead."
            )
        if Claim.objects.filter(
            user=user, researcher=locked, state__in=Claim.OPEN_STATES
        ).exists():
            raise ClaimRefused("Your claim on this profile is already under review.")
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    user=user,
                    researcher=locked,
                    note=note or "",
                    homepage_url=homepage_url,
                )
        except IntegrityError as error:
            raise ClaimRefused(
                "Your claim on this profile is already under review."
            ) from error
        _event_record(
            claim=claim, actor=user, kind=ClaimEvent.Kind.SUBMITTED, from_state=""
        )
    return claim


def claim_approve(*, claim: Claim, moderator, reason: str) -> Claim:
    """A moderator approves an open (pending or disputed) claim: the claimant
    owns the record at L2 (``researcher_owner_add``), the claim records the
    decision, an ``approved`` event is written, and the researcher's trust
    recompute is enqueued after commit.

    Refuses an empty reason, a claim that is not open, and a record with
    another approved claim or another owner (backed by the one-approved-claim
    constraint). Locks the researcher, then the claim. Not idempotent: a
    second approval is refused as no longer open."""
    reason = _reason_required(reason)
    with transaction.atomic():
        locked, researcher = _claim_lock(claim=claim)
        if not locked.is_open:
            raise ClaimRefused(f"Only an open claim can be approved ({locked.state}).")
        if (
            Claim.objects.filter(researcher=researcher, state=Claim.State.APPROVED)
            .exclude(pk=locked.pk)
            .exists()
            or ResearcherOwner.objects.filter(researcher=researcher)
            .exclude(user_id=locked.user_id)
            .exists()
        ):
            raise ClaimRefused(
                "Another account manages this profile; decide that claim first."
            )
        from_state = locked.state
        locked.state = Claim.State.APPROVED
        locked.verification_level = VerificationLevel.L2
        locked.decided_at = timezone.now()
        locked.decided_by = moderator
        _claim_save(
            claim=locked,
            fields=["state", "verification_level", "decided_at", "decided_by"],
        )
        researcher_owner_add(
            researcher=researcher,
            user=locked.user,
            verification_level=VerificationLevel.L2,
        )
        _event_record(
            claim=locked,
            actor=moderator,
            kind=ClaimEvent.Kind.APPROVED,
            from_state=from_state,
            reason=reason,
        )
        _trust_recompute_after_commit(researcher_id=researcher.pk)
    _copy_back(claim=claim, locked=locked)
    return claim


def claim_reject(*, claim: Claim, moderator, reason_code: str, reason: str) -> Claim:
    """A moderator rejects an open claim with a ``Claim.ReasonCode`` and a
    reason, both stored on the claim and its ``rejected`` event. Rejecting a
    disputed claim releases the claimant's ownership (the record goes back to
    unclaimed L1 when they were its only owner); the trust recompute is
    enqueued after commit (a rejection is a trust input).

    Refuses an empty reason, an unknown code, and a claim that is not open.
    Locks the researcher, then the claim."""
    reason = _reason_required(reason)
    if reason_code not in Claim.ReasonCode.values:
        raise ClaimRefused("Choose a reason code for the rejection.")
    with transaction.atomic():
        locked, researcher = _claim_lock(claim=claim)
        if not locked.is_open:
            raise ClaimRefused(f"Only an open claim can be rejected ({locked.state}).")
        from_state = locked.state
        locked.state = Claim.State.REJECTED
        locked.reason_code = reason_code
        locked.reason = reason
        locked.verification_level = None
        locked.decided_at = timezone.now()
        locked.decided_by = moderator
        _claim_save(
            claim=locked,
            fields=[
                "state",
                "reason_code",
                "reason",
                "verification_level",
                "decided_at",
                "decided_by",
            ],
        )
        researcher_owner_remove(researcher=researcher, user=locked.user)
        _event_record(
            claim=locked,
            actor=moderator,
            kind=ClaimEvent.Kind.REJECTED,
            from_state=from_state,
            reason=reason,
        )
        _trust_recompute_after_commit(researcher_id=researcher.pk)
    _copy_back(claim=claim, locked=locked)
    return claim


def claim_withdraw(*, claim: Claim, user) -> Claim:
    """The claimant withdraws their pending, approved or disputed claim; one
    that gave them ownership releases it (a record left without owners is an
    unclaimed L1 record again). Writes a ``withdrawn`` event and enqueues the
    trust recompute after commit.

    Refuses anyone but the claimant and a claim already rejected or
    withdrawn. Locks the researcher, then the claim."""
    if not getattr(user, "is_authenticated", False) or claim.user_id != user.pk:
        raise ClaimRefused("Only the claimant can withdraw a claim.")
    with transaction.atomic():
        locked, researcher = _claim_lock(claim=claim)
        if locked.state in (Claim.State.REJECTED, Claim.State.WITHDRAWN):
            raise ClaimRefused(f"This claim is already {locked.state}.")
        from_state = locked.state
        locked.state = Claim.State.WITHDRAWN
        locked.verification_level = None
        _claim_save(claim=locked, fields=["state", "verification_level"])
        if from_state != Claim.State.PENDING:
            researcher_owner_remove(researcher=researcher, user=user)
            _trust_recompute_after_commit(researcher_id=researcher.pk)
        _event_record(
            claim=locked,
            actor=user,
            kind=ClaimEvent.Kind.WITHDRAWN,
            from_state=from_state,
        )
    _copy_back(claim=claim, locked=locked)
    return claim


def claim_dispute(*, claim: Claim, user, reason: str) -> Claim:
    """A logged-in user other than the claimant disputes an approved claim:
    it is disputed, back in the moderators' queue, with a ``disputed`` event
    carrying the disputer and their reason. The claimant keeps the record
    until a moderator approves the claim again or rejects it.

    Refuses an anonymous user, the claimant, an empty reason, and a claim that
    is not approved (a dispute already open is refused, not repeated). Locks
    the researcher, then the claim."""
    if not getattr(user, "is_authenticated", False):
        raise ClaimRefused("Log in to dispute a claim.")
    reason = _reason_required(reason)
    if claim.user_id == user.pk:
        raise ClaimRefused("You cannot dispute your own claim.")
    with transaction.atomic():
        locked, researcher = _claim_lock(claim=claim)
        if locked.state != Claim.State.APPROVED:
            raise ClaimRefused("Only an approved claim can be disputed.")
        locked.state = Claim.State.DISPUTED
        _claim_save(claim=locked, fields=["state"])
        _event_record(
            claim=locked,
            actor=user,
            kind=ClaimEvent.Kind.DISPUTED,
            from_state=Claim.State.APPROVED,
            reason=reason,
        )
        _trust_recompute_after_commit(researcher_id=researcher.pk)
    _copy_back(claim=claim, locked=locked)
    return claim


def _claim_move(
    *, claim: Claim, survivor: Researcher, to_state: str, reason: str
) -> None:
    from_state = claim.state
    claim.researcher = survivor
    claim.state = to_state
    if to_state not in (Claim.State.APPROVED, Claim.State.DISPUTED):
        claim.verification_level = None
    claim.save(update_fields=["researcher", "state", "verification_level"])
    _event_record(
        claim=claim,
        actor=None,
        kind=ClaimEvent.Kind.MOVED,
        from_state=from_state,
        reason=reason,
    )


def researcher_merge_claims(old: Researcher, survivor: Researcher) -> None:
    """claims' researcher-merge handler (``works.hooks``, registered in
    ``ClaimsConfig.ready``): every claim on ``old`` moves to ``survivor`` with
    a ``moved`` event saying what became of it. profiles' owner handler has
    already moved the owner rows; this one settles conflicts, never raising
    on data:

    - an approved (or disputed) claim meeting the survivor's approved or
      disputed claim of another account becomes disputed, back to
      moderators, and its claimant no longer owns the survivor: the survivor
      stays with the account that held it;
    - the same account's claims collapse: a moved claim duplicating their
      approved claim or open claim on the survivor is withdrawn (their open
      claim on the survivor is withdrawn instead when the moved one gave
      them ownership);
    - rejected and withdrawn claims just move.

    Idempotent in effect: once moved, ``old`` holds no claims."""
    claims = list(
        Claim.objects.select_for_update()
        .filter(researcher__in=[old.pk, survivor.pk])
        .order_by("id")
    )
    held = {Claim.State.APPROVED, Claim.State.DISPUTED}
    survivor_claims = [c for c in claims if c.researcher_id == survivor.pk]
    holders = {c.user_id for c in survivor_claims if c.state in held}
    approved_by = {
        c.user_id for c in survivor_claims if c.state == Claim.State.APPROVED
    }
    open_by = {c.user_id: c for c in survivor_claims if c.is_open}
    origin = (
        f"merged from {old.openalex_id or old.pk} "
        f"into {survivor.openalex_id or survivor.pk}"
    )
    for claim in (c for c in claims if c.researcher_id == old.pk):
        to_state = claim.state
        if claim.state in held:
            if claim.user_id in approved_by:
                to_state = Claim.State.WITHDRAWN
                note = f"{origin}: duplicate of the account's approved claim"
            else:
                if holders - {claim.user_id}:
                    to_state = Claim.State.DISPUTED
                    note = f"{origin}: the record was claimed by another account"
                    researcher_owner_remove(researcher=survivor, user=claim.user)
                else:
                    note = origin
                duplicate = open_by.pop(claim.user_id, None)
                if duplicate is not None and duplicate.state == Claim.State.PENDING:
                    _claim_move(
                        claim=duplicate,
                        survivor=survivor,
                        to_state=Claim.State.WITHDRAWN,
                        reason=f"{origin}: superseded by claim {claim.pk}",
                    )
                elif duplicate is not None:
                    # Both disputed: keep the survivor's, the moved one goes.
                    open_by[claim.user_id] = duplicate
                    to_state = Claim.State.WITHDRAWN
                    note = f"{origin}: duplicate of claim {duplicate.pk}"
        elif claim.is_open:
            if claim.user_id in approved_by or claim.user_id in open_by:
                to_state = Claim.State.WITHDRAWN
                note = f"{origin}: duplicate of the account's claim on this record"
            else:
                note = origin
        else:
            note = origin
        _claim_move(claim=claim, survivor=survivor, to_state=to_state, reason=note)
        if to_state == Claim.State.APPROVED:
            approved_by.add(claim.user_id)
        if to_state in held:
            holders.add(claim.user_id)
        if to_state in Claim.OPEN_STATES:
            open_by[claim.user_id] = claim
