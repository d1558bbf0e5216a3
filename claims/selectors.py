"""Reads of claims: the access check every face uses, and a viewer's claim
state on a profile."""

from __future__ import annotations

from typing import Literal

from profiles.models import Researcher, ResearcherOwner

from .models import Claim

ClaimViewerState = Literal["log_in", "can_claim", "under_review", "owner", "claimed"]


def claim_get_for_user(*, user, claim_id: int) -> Claim:
    """The claim ``claim_id`` if ``user`` made it, with its researcher; raises
    ``Claim.DoesNotExist`` otherwise (someone else's claim, an anonymous
    user, an id that does not exist alike), so a view answers 404 without
    telling them apart. One query."""
    if not getattr(user, "is_authenticated", False):
        raise Claim.DoesNotExist("claims belong to logged-in users")
    return Claim.objects.select_related("researcher").get(pk=claim_id, user=user)


def claim_state_for_viewer(*, researcher: Researcher, user) -> ClaimViewerState:
    """What the profile's claim section shows ``user`` (anonymous or not):
    "owner" (they manage the record), "claimed" (someone else does),
    "log_in" (logged out, unclaimed), "under_review" (their claim waits for
    a moderator, even on a record someone else manages), or "can_claim". At
    most two queries."""
    is_authenticated = getattr(user, "is_authenticated", False)
    if is_authenticated and (
        ResearcherOwner.objects.filter(researcher=researcher, user=user).exists()
    ):
        return "owner"
    if not is_authenticated:
        return "claimed" if researcher.is_claimed else "log_in"
    if Claim.objects.filter(
        researcher=researcher, user=user, state__in=Claim.OPEN_STATES
    ).exists():
        return "under_review"
    return "claimed" if researcher.is_claimed else "can_claim"


def claim_last_rejected_for_viewer(*, researcher: Researcher, user) -> Claim | None:
    """The viewer's most recent rejected claim on ``researcher``, so the
    profile can tell them why (the moderator's reason) beside the form to
    try again; None for an anonymous viewer or none rejected. One query."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Claim.objects.filter(
            researcher=researcher, user=user, state=Claim.State.REJECTED
        )
        .order_by("-decided_at", "-id")
        .first()
    )


def claim_open_for_viewer(*, researcher: Researcher, user) -> Claim | None:
    """The viewer's open (pending or disputed) claim on ``researcher``, the
    one the profile lets them withdraw; None for an anonymous viewer or none
    open. One query."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Claim.objects.filter(
        researcher=researcher, user=user, state__in=Claim.OPEN_STATES
    ).first()


def claim_conflicts(*, claim: Claim) -> dict[str, int]:
    """What a moderator should look at twice before deciding ``claim``: the
    other live (open or approved) claims on its record, and the claimant's
    other open claims. Two queries."""
    live = (*Claim.OPEN_STATES, Claim.State.APPROVED)
    others = Claim.objects.exclude(pk=claim.pk)
    return {
        "on_record": others.filter(
            researcher_id=claim.researcher_id, state__in=live
        ).count(),
        "by_claimant": others.filter(
            user_id=claim.user_id, state__in=Claim.OPEN_STATES
        ).count(),
    }
