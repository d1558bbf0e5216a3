"""Every claim decision leaves an entry in the record's public change log,
in the decision's transaction: a sentence that names nobody, the role that
acted, and for a rejection the reason code's label, never the moderator's
own words."""

import pytest

from claims.models import Claim
from claims.services import (
    ClaimRefused,
    claim_approve,
    claim_dispute,
    claim_reject,
    claim_submit,
    claim_withdraw,
)
from profiles.models import ProfileChange
from tests.factories import ResearcherFactory, UserFactory, approved_claim
from works.merges import researcher_merge

pytestmark = pytest.mark.django_db


def log(researcher) -> list[tuple[str, str, str]]:
    """The claim entries of ``researcher``'s change log (profiles logs the
    merge itself too)."""
    entries = ProfileChange.objects.filter(
        researcher_id=researcher.pk, kind="claim"
    ).order_by("id")
    return [(e.actor_role, e.summary, e.reason) for e in entries]


def test_approval_rejection_withdrawal_and_dispute_are_logged():
    moderator = UserFactory(username="kowalski", is_staff=True)
    researcher = ResearcherFactory()
    claimant = UserFactory(username="ana.person", email="ana.person@example.org")
    refused = claim_submit(user=UserFactory(), researcher=researcher)
    claim_reject(
        claim=refused,
        moderator=moderator,
        reason_code=Claim.ReasonCode.NOT_THE_AUTHOR,
        reason="Private words: the papers list Jane Roe of Oslo.",
    )
    claim = claim_approve(
        claim=claim_submit(user=claimant, researcher=researcher),
        moderator=moderator,
        reason="Private words: checked her homepage.",
    )
    disputer = UserFactory()
    claim_dispute(claim=claim, user=disputer, reason="I am the author.")
    claim_approve(claim=claim, moderator=moderator, reason="Private again.")
    claim_withdraw(claim=claim, user=claimant)

    assert log(researcher) == [
        ("moderator", "A claim was rejected.", "Not the author"),
        ("moderator", "A claim was approved (verification L2).", ""),
        (
            "other_account",
            "The claim on this profile was disputed; moderators will review it.",
            "",
        ),
        ("moderator", "A claim was approved (verification L2).", ""),
        (
            "owner",
            "The owner withdrew their claim. The profile is unclaimed again.",
            "",
        ),
    ]
    actors = list(ProfileChange.objects.order_by("id").values_list("actor", flat=True))
    assert actors == [
        moderator.pk,
        moderator.pk,
        disputer.pk,
        moderator.pk,
        claimant.pk,
    ]
    public = " ".join(summary + reason for _, summary, reason in log(researcher))
    for private in ("ana", "Jane", "Private", "kowalski"):
        assert private not in public


def test_rejecting_a_disputed_claim_says_the_profile_is_unclaimed(moderator):
    claim = approved_claim(moderator=moderator)
    claim_dispute(claim=claim, user=UserFactory(), reason="Not them.")

    claim_reject(
        claim=claim,
        moderator=moderator,
        reason_code=Claim.ReasonCode.INSUFFICIENT_EVIDENCE,
        reason="The disputer showed more.",
    )

    assert log(claim.researcher)[-1] == (
        "moderator",
        "A claim was rejected; the profile is unclaimed again.",
        "Insufficient evidence",
    )


def test_withdrawing_a_pending_claim_and_a_refusal_log_nothing(moderator):
    researcher = ResearcherFactory()
    claim = claim_submit(user=UserFactory(), researcher=researcher)
    claim_withdraw(claim=claim, user=claim.user)
    with pytest.raises(ClaimRefused):
        claim_approve(claim=claim, moderator=moderator, reason="too late")

    assert log(researcher) == []


def test_a_merge_logs_the_claims_it_moves_on_the_survivor(moderator):
    survivor = ResearcherFactory(openalex_id="A5000000002")
    old = ResearcherFactory(openalex_id="A5000000001")
    approved_claim(researcher=survivor, moderator=moderator)
    approved_claim(researcher=old, moderator=moderator)
    claim_submit(user=UserFactory(), researcher=ResearcherFactory())  # elsewhere
    before = len(log(survivor))

    researcher_merge(old_openalex_id="A5000000001", new_openalex_id="A5000000002")

    # The old record's own entries may move with it (profiles' merge); the
    # claim that moved adds one of its own.
    moved = [entry for entry in log(survivor)[before:] if "moved" in entry[1]]
    assert moved == [
        (
            "system",
            "A claim moved here when OpenAlex merged A5000000001 into this record; "
            "it is now disputed.",
            "the record was claimed by another account",
        )
    ]
