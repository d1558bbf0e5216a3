"""The access check on claims and what a viewer's claim section says."""

import pytest
from django.contrib.auth.models import AnonymousUser

from claims.models import Claim
from claims.selectors import claim_get_for_user, claim_state_for_viewer
from claims.services import claim_submit
from tests.factories import ClaimFactory, ResearcherFactory, UserFactory, approved_claim

pytestmark = pytest.mark.django_db


def test_only_the_claimant_gets_their_claim(django_assert_num_queries):
    claim = ClaimFactory()

    with django_assert_num_queries(1):
        found = claim_get_for_user(user=claim.user, claim_id=claim.pk)
        assert found.researcher == claim.researcher
    with pytest.raises(Claim.DoesNotExist):
        claim_get_for_user(user=UserFactory(), claim_id=claim.pk)
    with pytest.raises(Claim.DoesNotExist):
        claim_get_for_user(user=AnonymousUser(), claim_id=claim.pk)
    with pytest.raises(Claim.DoesNotExist):
        claim_get_for_user(user=claim.user, claim_id=claim.pk + 1000)


def test_each_viewer_state(moderator, django_assert_max_num_queries):
    unclaimed = ResearcherFactory()
    user = UserFactory()
    claim = approved_claim(moderator=moderator)
    claimed = claim.researcher
    claimed.refresh_from_db()

    def state(researcher, viewer):
        with django_assert_max_num_queries(2):
            return claim_state_for_viewer(researcher=researcher, user=viewer)

    assert state(unclaimed, AnonymousUser()) == "log_in"
    assert state(claimed, AnonymousUser()) == "claimed"
    assert state(unclaimed, user) == "can_claim"
    assert state(claimed, user) == "claimed"
    assert state(claimed, claim.user) == "owner"
    claim_submit(user=user, researcher=unclaimed)
    assert state(unclaimed, user) == "under_review"
