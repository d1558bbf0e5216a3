"""Claims from submission to a moderator's decision, withdrawal and dispute:
ownership follows, every change is audited, refusals change nothing."""

import pytest
from django.db import IntegrityError

from claims.models import Claim, ClaimEvent
from claims.services import (
    ClaimRefused,
    claim_approve,
    claim_dispute,
    claim_reject,
    claim_submit,
    claim_withdraw,
)
from profiles.models import Researcher, ResearcherOwner, VerificationLevel
from tests.factories import ClaimFactory, ResearcherFactory, UserFactory, approved_claim
from tests.helpers.catalog import catalog_digest

pytestmark = pytest.mark.django_db

CLAIM_TABLES = (
    "claims_claim",
    "claims_claimevent",
    "profiles_researcherowner",
    "profiles_researcher",
)


def digest():
    return catalog_digest(CLAIM_TABLES)


def events(claim):
    return list(
        claim.events.order_by("id").values_list("kind", "from_state", "to_state")
    )


def test_submit_then_approve_makes_the_record_claimed_at_l2(
    moderator, enqueued, django_capture_on_commit_callbacks
):
    user = UserFactory()
    researcher = ResearcherFactory()

    claim = claim_submit(
        user=user,
        researcher=researcher,
        note="My ORCID is on the papers.",
        homepage_url="https://example.org/me",
    )
    assert (claim.state, claim.note, claim.homepage_url) == (
        "pending",
        "My ORCID is on the papers.",
        "https://example.org/me",
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        claim_approve(claim=claim, moderator=moderator, reason="ORCID matches")

    researcher.refresh_from_db()
    claim.refresh_from_db()
    assert (researcher.is_claimed, researcher.verification_level) == (
        True,
        VerificationLevel.L2,
    )
    assert (claim.state, claim.verification_level, claim.decided_by) == (
        "approved",
        VerificationLevel.L2,
        moderator,
    )
    assert claim.decided_at is not None
    assert list(ResearcherOwner.objects.values_list("researcher_id", "user_id")) == [
        (researcher.pk, user.pk)
    ]
    assert events(claim) == [
        ("submitted", "", "pending"),
        ("approved", "pending", "approved"),
    ]
    assert claim.events.get(kind="approved").reason == "ORCID matches"
    approved = claim.events.get(kind="approved")
    # The decision's mail, the trust recompute, the data version's move.
    assert len(callbacks) == 3
    assert enqueued() == [
        ("claims.claim_event_notify", (approved.pk,), {}),
        ("profiles.researcher_trust_recompute", ([researcher.pk],), {}),
    ]


def test_only_http_homepages_are_accepted():
    researcher = ResearcherFactory()
    with pytest.raises(ClaimRefused, match="http"):
        claim_submit(
            user=UserFactory(),
            researcher=researcher,
            homepage_url="javascript:alert(1)",
        )
    assert not Claim.objects.exists()


def test_the_database_allows_one_approved_claim_per_record():
    researcher = ResearcherFactory()
    ClaimFactory(researcher=researcher, state=Claim.State.APPROVED)
    with pytest.raises(IntegrityError):
        ClaimFactory(researcher=researcher, state=Claim.State.APPROVED)


def test_the_database_allows_one_open_claim_per_user_and_record():
    claim = ClaimFactory()
    with pytest.raises(IntegrityError):
        ClaimFactory(
            user=claim.user, researcher=claim.researcher, state=Claim.State.DISPUTED
        )


def test_a_second_approval_on_a_record_is_refused_and_changes_nothing(moderator):
    researcher = ResearcherFactory()
    first = ClaimFactory(researcher=researcher)
    second = ClaimFactory(researcher=researcher)
    claim_approve(claim=first, moderator=moderator, reason="ok")
    before = digest()

    with pytest.raises(ClaimRefused, match="Another account manages"):
        claim_approve(claim=second, moderator=moderator, reason="ok too")

    assert digest() == before
    second.refresh_from_db()
    assert second.state == "pending"


def test_one_open_claim_per_user_and_record():
    claim = claim_submit(user=UserFactory(), researcher=ResearcherFactory())
    before = digest()

    with pytest.raises(ClaimRefused, match="already under review"):
        claim_submit(user=claim.user, researcher=claim.researcher)

    assert digest() == before
    # Another account may claim the same record meanwhile.
    claim_submit(user=UserFactory(), researcher=claim.researcher)
    assert Claim.objects.count() == 2


def test_an_owner_cannot_claim_again_and_others_are_told_to_dispute(moderator):
    claim = approved_claim(moderator=moderator)
    before = digest()

    with pytest.raises(ClaimRefused, match="already manage"):
        claim_submit(user=claim.user, researcher=claim.researcher)
    with pytest.raises(ClaimRefused, match="dispute"):
        claim_submit(user=UserFactory(), researcher=claim.researcher)

    assert digest() == before


def test_approval_and_rejection_need_a_reason(moderator):
    claim = ClaimFactory()
    before = digest()

    with pytest.raises(ClaimRefused, match="reason"):
        claim_approve(claim=claim, moderator=moderator, reason="  ")
    with pytest.raises(ClaimRefused, match="reason"):
        claim_reject(
            claim=claim, moderator=moderator, reason_code="not_the_author", reason=""
        )
    with pytest.raises(ClaimRefused, match="reason code"):
        claim_reject(claim=claim, moderator=moderator, reason_code="", reason="no")

    assert digest() == before


def test_a_rejection_records_its_code_and_reason(moderator):
    claim = ClaimFactory()

    claim_reject(
        claim=claim,
        moderator=moderator,
        reason_code=Claim.ReasonCode.NOT_THE_AUTHOR,
        reason="The papers list another affiliation.",
    )

    claim.refresh_from_db()
    assert (claim.state, claim.reason_code, claim.reason, claim.decided_by) == (
        "rejected",
        "not_the_author",
        "The papers list another affiliation.",
        moderator,
    )
    event = claim.events.get()
    assert (event.kind, event.from_state, event.to_state, event.actor) == (
        "rejected",
        "pending",
        "rejected",
        moderator,
    )
    assert event.reason == "The papers list another affiliation."
    assert not Researcher.objects.get(pk=claim.researcher_id).is_claimed
    with pytest.raises(ClaimRefused, match="open claim"):
        claim_approve(claim=claim, moderator=moderator, reason="changed my mind")


def test_withdrawing_an_approved_claim_releases_the_record(moderator):
    claim = approved_claim(moderator=moderator)

    claim_withdraw(claim=claim, user=claim.user)

    researcher = Researcher.objects.get(pk=claim.researcher_id)
    assert (researcher.is_claimed, researcher.verification_level) == (
        False,
        VerificationLevel.L1,
    )
    assert not ResearcherOwner.objects.exists()
    assert Claim.objects.get(pk=claim.pk).state == "withdrawn"
    assert events(claim)[-1] == ("withdrawn", "approved", "withdrawn")
    # Free to claim again, by anyone.
    claim_submit(user=UserFactory(), researcher=researcher)


def test_only_the_claimant_withdraws(moderator):
    claim = approved_claim(moderator=moderator)
    before = digest()

    with pytest.raises(ClaimRefused, match="Only the claimant"):
        claim_withdraw(claim=claim, user=UserFactory())

    assert digest() == before


def test_a_dispute_sends_the_claim_back_to_moderators_and_ownership_stays(
    moderator,
):
    claim = approved_claim(moderator=moderator)
    disputer = UserFactory()

    claim_dispute(claim=claim, user=disputer, reason="I am this author.")

    claim.refresh_from_db()
    assert claim.state == "disputed"
    event = claim.events.order_by("id").last()
    assert (event.kind, event.actor, event.reason) == (
        "disputed",
        disputer,
        "I am this author.",
    )
    researcher = Researcher.objects.get(pk=claim.researcher_id)
    assert (researcher.is_claimed, researcher.verification_level) == (
        True,
        VerificationLevel.L2,
    )
    # The moderator decides: rejecting the disputed claim releases the record.
    claim_reject(
        claim=claim,
        moderator=moderator,
        reason_code=Claim.ReasonCode.INSUFFICIENT_EVIDENCE,
        reason="The disputer's evidence is stronger.",
    )
    researcher.refresh_from_db()
    assert (researcher.is_claimed, researcher.verification_level) == (
        False,
        VerificationLevel.L1,
    )


def test_a_disputed_claim_approved_again_keeps_the_record(moderator):
    claim = approved_claim(moderator=moderator)
    claim_dispute(claim=claim, user=UserFactory(), reason="Not them.")

    claim_approve(claim=claim, moderator=moderator, reason="Evidence checked again")

    assert Claim.objects.get(pk=claim.pk).state == "approved"
    assert ResearcherOwner.objects.get().user_id == claim.user_id
    assert [kind for kind, _, _ in events(claim)] == [
        "submitted",
        "approved",
        "disputed",
        "approved",
    ]


def test_the_owner_cannot_dispute_and_only_approved_claims_are_disputed(moderator):
    claim = approved_claim(moderator=moderator)
    pending = ClaimFactory()
    before = digest()

    with pytest.raises(ClaimRefused, match="your own"):
        claim_dispute(claim=claim, user=claim.user, reason="?")
    with pytest.raises(ClaimRefused, match="approved claim"):
        claim_dispute(claim=pending, user=UserFactory(), reason="not them")

    assert digest() == before
    assert ClaimEvent.objects.filter(kind="disputed").count() == 0
