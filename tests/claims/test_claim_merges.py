"""An OpenAlex merge of two claimed records moves claims and owners to the
survivor, settles conflicts by sending them to moderators, and never fails."""

import pytest

from claims.models import Claim
from claims.services import claim_submit
from profiles.models import Researcher, ResearcherOwner, VerificationLevel
from tests.factories import ResearcherFactory, UserFactory, approved_claim
from works.hooks import researcher_merge_handlers
from works.merges import researcher_merge

pytestmark = pytest.mark.django_db

OLD, NEW = "A5000000001", "A5000000002"


def merge():
    return researcher_merge(old_openalex_id=OLD, new_openalex_id=NEW)


def test_claims_and_owners_register_their_merge_handlers():
    names = [handler.__name__ for handler in researcher_merge_handlers]
    # profiles moves its owner rows before claims settles the claims.
    assert names.index("researcher_merge_owners") < names.index(
        "researcher_merge_claims"
    )


def test_records_claimed_by_two_accounts_merge_into_one_dispute(moderator):
    first = approved_claim(
        researcher=ResearcherFactory(openalex_id=NEW), moderator=moderator
    )
    second = approved_claim(
        researcher=ResearcherFactory(openalex_id=OLD), moderator=moderator
    )

    survivor = merge()

    assert survivor.pk == first.researcher_id
    assert not Researcher.objects.filter(openalex_id=OLD).exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.researcher_id, first.state) == (survivor.pk, "approved")
    assert (second.researcher_id, second.state) == (survivor.pk, "disputed")
    moved = second.events.order_by("id").last()
    assert (moved.kind, moved.from_state, moved.to_state, moved.actor) == (
        "moved",
        "approved",
        "disputed",
        None,
    )
    assert "claimed by another account" in moved.reason
    assert list(ResearcherOwner.objects.values_list("researcher_id", "user_id")) == [
        (survivor.pk, first.user_id)
    ]
    survivor.refresh_from_db()
    assert (survivor.is_claimed, survivor.verification_level) == (
        True,
        VerificationLevel.L2,
    )


def test_an_owned_old_record_hands_its_owner_to_an_unclaimed_survivor(moderator):
    claim = approved_claim(
        researcher=ResearcherFactory(openalex_id=OLD), moderator=moderator
    )
    ResearcherFactory(openalex_id=NEW)

    survivor = merge()

    claim.refresh_from_db()
    assert (claim.researcher_id, claim.state) == (survivor.pk, "approved")
    assert ResearcherOwner.objects.get().researcher_id == survivor.pk
    survivor.refresh_from_db()
    assert (survivor.is_claimed, survivor.verification_level) == (
        True,
        VerificationLevel.L2,
    )


def test_one_accounts_claims_on_both_records_collapse_into_one(moderator):
    user = UserFactory()
    kept = claim_submit(user=user, researcher=ResearcherFactory(openalex_id=NEW))
    duplicate = claim_submit(user=user, researcher=ResearcherFactory(openalex_id=OLD))
    other = claim_submit(
        user=UserFactory(), researcher=Researcher.objects.get(openalex_id=OLD)
    )

    survivor = merge()

    states = dict(Claim.objects.filter(researcher=survivor).values_list("pk", "state"))
    assert states == {
        kept.pk: "pending",
        duplicate.pk: "withdrawn",
        other.pk: "pending",
    }
    assert [event.kind for event in duplicate.events.order_by("id")] == [
        "submitted",
        "moved",
    ]


def test_one_accounts_approved_claims_on_both_records_leave_one_approved(
    moderator,
):
    user = UserFactory()
    kept = approved_claim(
        user=user, researcher=ResearcherFactory(openalex_id=NEW), moderator=moderator
    )
    duplicate = approved_claim(
        user=user, researcher=ResearcherFactory(openalex_id=OLD), moderator=moderator
    )

    survivor = merge()

    assert Claim.objects.get(pk=kept.pk).state == "approved"
    assert Claim.objects.get(pk=duplicate.pk).state == "withdrawn"
    assert list(ResearcherOwner.objects.values_list("researcher_id", "user_id")) == [
        (survivor.pk, user.pk)
    ]
