"""Writes of claims: submit, approve (by a moderator, or at once on a
matching ORCID sign-in), reject, withdraw, dispute; the institutional e-mail
offered as evidence; what a researcher merge does to the claims of the
retired record, and what an import that changes a record's ORCID iD does to
the approval that rested on it.

Every change writes its ``ClaimEvent`` in the same transaction, and every
decision its entry in the record's public change log
(``profiles.services.profile_change_record``: a sentence that names nobody).
Every change of ownership goes through
``profiles.services.researcher_owner_add`` / ``researcher_owner_remove``,
which keep the record's ``is_claimed`` and ``verification_level``. Events
that someone must hear of are mailed by the worker after commit
(``claims.tasks.claim_event_notify``). Locks are taken researcher first,
then claims, the order ``works.merges.researcher_merge`` takes them in (its
handlers lock claims after both researchers), so the two never deadlock.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from bzpeer.data_version import data_version_bump_after_commit
from outbox.services import enqueue
from profiles.models import (
    ProfileChange,
    Researcher,
    ResearcherOwner,
    VerificationLevel,
)
from profiles.services import (
    profile_change_record,
    researcher_owner_add,
    researcher_owner_remove,
    researcher_trust_update,
)
from profiles.tasks import researcher_trust_recompute

from .models import Claim, ClaimEvent
from .notifications import claim_event_is_notified
from .selectors import (
    claim_evidence_found,
    email_is_at_domain,
    institution_email_domain,
)
from .tasks import claim_event_notify

_homepage_url_validator = URLValidator(schemes=["http", "https"])

ORCID_AUTO_REASON = "ORCID sign-in matches the record"
ORCID_CHANGED_REASON = "the record's ORCID changed on import"
EMAIL_MAX_LENGTH = 254


class ClaimRefused(Exception):
    """A claim action that cannot be done; ``str()`` says why, in words fit to
    show the person who asked. Nothing was changed."""


def _event_record(
    *,
    claim: Claim,
    actor,
    kind: str,
    from_state: str,
    reason: str = "",
    evidence_url: str = "",
) -> ClaimEvent:
    """The claim's event, and its mail enqueued after commit when someone
    must hear of it (``claims.notifications``)."""
    event = ClaimEvent.objects.create(
        claim=claim,
        actor=actor,
        kind=kind,
        from_state=from_state,
        to_state=claim.state,
        reason=reason,
        evidence_url=evidence_url,
    )
    if claim_event_is_notified(event):
        # Through the outbox, in the decision's transaction: a broker that is
        # away delays the mail (logged), never fails or loses it.
        enqueue(claim_event_notify.name, args=(event.pk,))
    return event


def _change_log(
    *, researcher: Researcher, summary: str, actor=None, role: str, reason: str = ""
) -> None:
    """The decision's entry in the record's public change log, in the
    caller's transaction."""
    profile_change_record(
        researcher=researcher,
        kind=ProfileChange.Kind.CLAIM,
        summary=summary,
        actor=actor,
        actor_role=role,
        reason=reason,
    )


def _trust_recompute_after_commit(*, researcher_id: int) -> None:
    # Through the outbox, in the decision's transaction: sent after commit,
    # the worker must read the committed claim and owner rows. Every
    # decision passes here: what pages derive (graph slices) is stale too.
    enqueue(researcher_trust_recompute.name, args=([researcher_id],))
    data_version_bump_after_commit()


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


def _http_url_clean(url: str, *, what: str) -> str:
    url = (url or "").strip()
    if url:
        try:
            _homepage_url_validator(url)
        except ValidationError as error:
            raise ClaimRefused(
                f"{what} must be an http:// or https:// address."
            ) from error
    return url


def institution_email_clean(*, user, email: str) -> str:
    """``email`` as an institutional e-mail ``user`` may offer as evidence,
    lower-cased; "" for none. Refuses (``ClaimRefused``) a malformed address
    and one another account has verified. One query."""
    email = (email or "").strip().lower()
    if not email:
        return ""
    try:
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError as error:
        raise ClaimRefused(
            "The institutional e-mail is not an e-mail address."
        ) from error
    if (
        EmailAddress.objects.filter(email__iexact=email, verified=True)
        .exclude(user_id=user.pk)
        .exists()
    ):
        raise ClaimRefused("That e-mail address belongs to another account.")
    return email


def claim_institution_email_add(
    *, request, user, researcher: Researcher, email: str
) -> tuple[EmailAddress, bool]:
    """``user`` offers ``email`` as evidence for their claim on
    ``researcher``: it joins their allauth e-mail addresses unverified, and
    allauth mails its verification link (allauth's own rate limit on those
    mails applies; ``request`` builds the link). Returns the address and
    whether it is at the domain of the record's affiliation (only then can
    it lift an approval to L3, once verified).

    Idempotent: an address the user has already verified is left as it is;
    one still unverified gets its verification mail again. Refuses as
    ``institution_email_clean`` does, before writing."""
    email = institution_email_clean(user=user, email=email)
    if not email:
        raise ClaimRefused("Give the institutional e-mail address to verify.")
    at_domain = email_is_at_domain(
        email, institution_email_domain(researcher.affiliation)
    )
    address = EmailAddress.objects.filter(user_id=user.pk, email__iexact=email).first()
    if address is None:
        address = EmailAddress.objects.add_email(request, user, email, confirm=True)
    elif not address.verified:
        address.send_confirmation(request)
    return address, at_domain


def claim_submit(
    *,
    user,
    researcher: Researcher,
    note: str = "",
    homepage_url: str = "",
    institution_email: str = "",
) -> Claim:
    """``user`` claims ``researcher``: a pending claim for moderators, with
    its ``submitted`` event, returned. An ``institution_email`` is checked
    here (``institution_email_clean``) so a bad one refuses the claim; the
    face then hands it to ``claim_institution_email_add``, which sends the
    verification mail.

    Refuses (``ClaimRefused``, nothing written) an anonymous user, an http(s)
    homepage that is not one, a malformed or taken institutional e-mail, a
    record the user already manages or that someone else manages (that is a
    dispute), and a second open claim by the user on the record (also a
    database constraint). Not idempotent: a repeat is refused, never
    duplicated. Locks the researcher row."""
    if not getattr(user, "is_authenticated", False):
        raise ClaimRefused("Log in to claim this profile.")
    homepage_url = _http_url_clean(homepage_url, what="The homepage")
    institution_email_clean(user=user, email=institution_email)
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


def _approve_locked(
    *, locked: Claim, researcher: Researcher, actor, reason: str, role: str
) -> None:
    """Approve the locked open claim at the level its evidence gives now:
    L3 on an ORCID sign-in whose iD is the record's or a verified e-mail at
    the affiliation's domain, else L2."""
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
    evidence = claim_evidence_found(user=locked.user, researcher=researcher)
    level = VerificationLevel.L3 if evidence.kind else VerificationLevel.L2
    from_state = locked.state
    locked.state = Claim.State.APPROVED
    locked.verification_level = level
    locked.evidence = evidence.kind
    locked.evidence_orcid = (
        evidence.record_orcid if evidence.kind == Claim.Evidence.ORCID else ""
    )
    locked.decided_at = timezone.now()
    locked.decided_by = actor
    _claim_save(
        claim=locked,
        fields=[
            "state",
            "verification_level",
            "evidence",
            "evidence_orcid",
            "decided_at",
            "decided_by",
        ],
    )
    researcher_owner_add(
        researcher=researcher, user=locked.user, verification_level=level
    )
    _event_record(
        claim=locked,
        actor=actor,
        kind=ClaimEvent.Kind.APPROVED,
        from_state=from_state,
        reason=reason,
    )
    automatic = actor is None
    _change_log(
        researcher=researcher,
        summary=(
            f"A claim was approved{' automatically' if automatic else ''} "
            f"(verification L{level})."
        ),
        actor=actor,
        role=role,
        # The public reason is the evidence, never the moderator's words.
        reason=locked.get_evidence_display() if evidence.kind else "",
    )
    _trust_recompute_after_commit(researcher_id=researcher.pk)


def claim_approve(*, claim: Claim, moderator, reason: str) -> Claim:
    """A moderator approves an open (pending or disputed) claim: the claimant
    owns the record at the level the evidence gives at this moment (L3 when
    their ORCID sign-in's iD is the record's, or when they verified an
    e-mail at the domain of the record's affiliation; L2 otherwise: so a
    disputed L3 claim approved again stays L3 while its evidence holds),
    through ``researcher_owner_add``. The claim records the decision and its
    evidence, an ``approved`` event and a change-log entry are written, and
    after commit the trust recompute and the claimant's mail are enqueued.

    Refuses an empty reason, a claim that is not open, and a record with
    another approved claim or another owner (backed by the one-approved-claim
    constraint). Locks the researcher, then the claim. Not idempotent: a
    second approval is refused as no longer open."""
    reason = _reason_required(reason)
    with transaction.atomic():
        locked, researcher = _claim_lock(claim=claim)
        _approve_locked(
            locked=locked,
            researcher=researcher,
            actor=moderator,
            reason=reason,
            role=ProfileChange.Role.MODERATOR,
        )
    _copy_back(claim=claim, locked=locked)
    return claim


def claim_orcid_verify(*, user, researcher: Researcher) -> tuple[Claim, bool]:
    """``user`` claims ``researcher`` with their ORCID sign-in (allauth's
    ORCID social account, connected just before). When one of their ORCID
    iDs is the record's (validated whole, ``normalize_orcid``), the claim is
    approved at once at L3 with no moderator: a ``submitted`` event (by the
    user) and an ``approved`` one with no actor and the reason "ORCID
    sign-in matches the record", a change-log entry, the trust recompute and
    the claimant's mail after commit. Otherwise the claim waits for a
    moderator like any other. Their pending claim on the record, if any, is
    the one approved; else a new one is submitted. A disputed claim is left
    to the moderators (refused).

    Returns the claim and whether it was approved. Refuses as
    ``claim_submit`` does (an owner, a record someone else manages) and as
    ``claim_approve`` does. Locks the researcher, then the claim; one
    transaction, so a refusal leaves nothing."""
    if not getattr(user, "is_authenticated", False):
        raise ClaimRefused("Log in to claim this profile.")
    with transaction.atomic():
        locked_researcher = Researcher.objects.select_for_update().get(pk=researcher.pk)
        claim = Claim.objects.filter(
            user=user, researcher=locked_researcher, state__in=Claim.OPEN_STATES
        ).first() or claim_submit(user=user, researcher=locked_researcher)
        if claim.state == Claim.State.DISPUTED:
            # A dispute is a moderator's to settle, whatever the evidence.
            raise ClaimRefused("Your claim is disputed: a moderator will decide on it.")
        evidence = claim_evidence_found(user=user, researcher=locked_researcher)
        if not evidence.orcid_matches:
            return claim, False
        locked, locked_researcher = _claim_lock(claim=claim)
        _approve_locked(
            locked=locked,
            researcher=locked_researcher,
            actor=None,
            reason=ORCID_AUTO_REASON,
            role=ProfileChange.Role.SYSTEM,
        )
    _copy_back(claim=claim, locked=locked)
    return claim, True


def claim_reject(*, claim: Claim, moderator, reason_code: str, reason: str) -> Claim:
    """A moderator rejects an open claim with a ``Claim.ReasonCode`` and a
    reason, both stored on the claim and its ``rejected`` event. Rejecting a
    disputed claim releases the claimant's ownership (the record goes back to
    unclaimed L1 when they were its only owner); the trust recompute is
    enqueued after commit (a rejection is a trust input).

    A change-log entry gives the code's label as the public reason (the
    moderator's words go to the claimant alone, by mail and on the profile);
    the claimant's mail is enqueued after commit.

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
        _change_log(
            researcher=researcher,
            summary=(
                "A claim was rejected; the profile is unclaimed again."
                if from_state == Claim.State.DISPUTED and not researcher.is_claimed
                else "A claim was rejected."
            ),
            actor=moderator,
            role=ProfileChange.Role.MODERATOR,
            # The code's label: the moderator's words are for the claimant.
            reason=locked.get_reason_code_display(),
        )
        _trust_recompute_after_commit(researcher_id=researcher.pk)
    _copy_back(claim=claim, locked=locked)
    return claim


def claim_withdraw(*, claim: Claim, user) -> Claim:
    """The claimant withdraws their pending, approved or disputed claim; one
    that gave them ownership releases it (a record left without owners is an
    unclaimed L1 record again) and is told in the change log. Writes a
    ``withdrawn`` event and enqueues the trust recompute after commit.

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
            _change_log(
                researcher=researcher,
                summary="The owner withdrew their claim."
                + ("" if researcher.is_claimed else " The profile is unclaimed again."),
                actor=user,
                role=ProfileChange.Role.OWNER,
            )
        _event_record(
            claim=locked,
            actor=user,
            kind=ClaimEvent.Kind.WITHDRAWN,
            from_state=from_state,
        )
    _copy_back(claim=claim, locked=locked)
    return claim


def claim_dispute(*, claim: Claim, user, reason: str, evidence_url: str = "") -> Claim:
    """A logged-in user other than the claimant disputes an approved claim,
    with their reason and, optionally, a page (http or https) as evidence:
    it is disputed, back in the moderators' queue, with a ``disputed`` event
    carrying the disputer, reason and page, and a change-log entry that
    names nobody. The claimant keeps the record until a moderator approves
    the claim again or rejects it. After commit: the trust recompute (a
    disputed claim is a penalty) and the mail telling the owners their
    record is contested.

    Refuses an anonymous user, the claimant, an empty reason, a page that is
    not http(s), and a claim that is not approved (a dispute already open is
    refused, not repeated). Locks the researcher, then the claim."""
    if not getattr(user, "is_authenticated", False):
        raise ClaimRefused("Log in to dispute a claim.")
    reason = _reason_required(reason)
    evidence_url = _http_url_clean(evidence_url, what="The evidence page")
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
            evidence_url=evidence_url,
        )
        _change_log(
            researcher=researcher,
            summary="The claim on this profile was disputed; moderators will "
            "review it.",
            actor=user,
            role=ProfileChange.Role.OTHER_ACCOUNT,
        )
        _trust_recompute_after_commit(researcher_id=researcher.pk)
    _copy_back(claim=claim, locked=locked)
    return claim


def _claim_move(
    *,
    claim: Claim,
    survivor: Researcher,
    to_state: str,
    reason: str,
    old_label: str,
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
    held = (Claim.State.APPROVED, Claim.State.DISPUTED)
    if from_state in held or to_state in held:
        _change_log(
            researcher=survivor,
            summary=(
                f"A claim moved here when OpenAlex merged {old_label} into this "
                f"record; it is now {claim.get_state_display().lower()}."
            ),
            role=ProfileChange.Role.SYSTEM,
            reason=(
                "the record was claimed by another account"
                if to_state == Claim.State.DISPUTED and from_state != to_state
                else ""
            ),
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

    Each claim that held or now holds the record (approved or disputed)
    leaves an entry in the survivor's change log; one that became disputed
    is mailed to its claimant and the survivor's owners after commit.

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
    old_label = old.openalex_id or f"#{old.pk}"
    origin = f"merged from {old_label} into {survivor.openalex_id or survivor.pk}"
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
                        old_label=old_label,
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
        _claim_move(
            claim=claim,
            survivor=survivor,
            to_state=to_state,
            reason=note,
            old_label=old_label,
        )
        if to_state == Claim.State.APPROVED:
            approved_by.add(claim.user_id)
        if to_state in held:
            holders.add(claim.user_id)
        if to_state in Claim.OPEN_STATES:
            open_by[claim.user_id] = claim


def claim_orcid_demote(*, claim: Claim) -> bool:
    """An import changed the ORCID iD of the record behind ``claim``'s L3
    approval away from the iD that matched: the claim goes back to the
    moderators' queue (disputed), its claimant keeps the record at L2
    (``researcher_owner_add``), with a ``demoted`` event (no actor, reason
    "the record's ORCID changed on import") and a change-log entry; the
    claimant's mail after commit. The caller recomputes trust.

    Returns whether it did anything: a claim that is no longer approved on
    ORCID evidence, or whose record carries the matched iD again, is left
    alone (idempotent). Locks the researcher, then the claim."""
    with transaction.atomic():
        locked, researcher = _claim_lock(claim=claim)
        if (
            locked.state != Claim.State.APPROVED
            or locked.evidence != Claim.Evidence.ORCID
            or (researcher.orcid or "") == locked.evidence_orcid
        ):
            return False
        locked.state = Claim.State.DISPUTED
        locked.verification_level = VerificationLevel.L2
        # The evidence no longer holds; ``evidence_orcid`` keeps the iD that
        # matched, for the moderator.
        locked.evidence = Claim.Evidence.NONE
        _claim_save(claim=locked, fields=["state", "verification_level", "evidence"])
        researcher_owner_add(
            researcher=researcher,
            user=locked.user,
            verification_level=VerificationLevel.L2,
        )
        _event_record(
            claim=locked,
            actor=None,
            kind=ClaimEvent.Kind.DEMOTED,
            from_state=Claim.State.APPROVED,
            reason=ORCID_CHANGED_REASON,
        )
        _change_log(
            researcher=researcher,
            summary="The record's ORCID iD changed on import, so its claim went "
            "back to moderators (verification L2).",
            role=ProfileChange.Role.SYSTEM,
            reason=ORCID_CHANGED_REASON,
        )
    _copy_back(claim=claim, locked=locked)
    return True


def claims_orcid_changed_demote(run=None, sync: bool = False) -> list[int]:
    """claims' after-import handler (``works.hooks``, registered in
    ``ClaimsConfig.ready``): every approved claim resting on an ORCID iD its
    record no longer carries (changed or gone) is demoted
    (``claim_orcid_demote``), and the trust of those records recomputed:
    here with ``sync``, else enqueued after commit. profiles' own trust
    handler ran before this one, on the claims as they were.

    One query finds them, over the approved ORCID claims alone (a partial
    index), whatever the size of the run; then a few per claim demoted.
    Returns the ids of the claims demoted. Idempotent."""
    stale = list(
        Claim.objects.filter(state=Claim.State.APPROVED, evidence=Claim.Evidence.ORCID)
        .filter(
            Q(researcher__orcid__isnull=True)
            | ~Q(researcher__orcid=F("evidence_orcid"))
        )
        .order_by("id")
    )
    demoted, researcher_ids = [], set()
    for claim in stale:
        if claim_orcid_demote(claim=claim):
            demoted.append(claim.pk)
            researcher_ids.add(claim.researcher_id)
    if researcher_ids:
        ids = sorted(researcher_ids)
        if sync:
            researcher_trust_update(researcher_ids=ids)
        else:
            enqueue(researcher_trust_recompute.name, args=(ids,))
    return demoted
