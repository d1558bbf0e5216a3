"""The claimant's place in the moderators' queue and the typical wait, on
their profile's identity section."""

from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import Claim
from claims.selectors import claim_queue_position, claim_typical_wait
from claims.services import claim_approve, claim_submit
from claims.templatetags.claim_tags import wait_in_words
from tests.factories import ResearcherFactory, UserFactory, verified_user
from tests.helpers.pages import page_text, profile_url

pytestmark = pytest.mark.django_db


def decided(hours: float, *, days_ago: float = 1, by_moderator: bool = True):
    """A claim decided ``hours`` after it was submitted, ``days_ago``."""
    claim = claim_submit(user=UserFactory(), researcher=ResearcherFactory())
    claim_approve(claim=claim, moderator=UserFactory(), reason="ok")
    decided_at = timezone.now() - timedelta(days=days_ago)
    Claim.objects.filter(pk=claim.pk).update(
        created_at=decided_at - timedelta(hours=hours),
        decided_at=decided_at,
        decided_by=claim.decided_by if by_moderator else None,
    )


def test_the_claimant_sees_their_place_in_the_queue(client, django_assert_num_queries):
    now = timezone.now()
    claims = [
        claim_submit(user=UserFactory(), researcher=ResearcherFactory())
        for _ in range(2)
    ]
    user = verified_user()
    researcher = ResearcherFactory()
    mine = claim_submit(user=user, researcher=researcher)
    later = claim_submit(user=UserFactory(), researcher=ResearcherFactory())
    # The oldest open claim first; a tie on the time goes by id.
    Claim.objects.filter(pk=claims[0].pk).update(created_at=now - timedelta(days=2))
    Claim.objects.filter(pk__in=[claims[1].pk, mine.pk, later.pk]).update(
        created_at=now - timedelta(days=1)
    )
    mine.refresh_from_db()

    with django_assert_num_queries(1):
        assert claim_queue_position(claim=mine) == 3
    claim_approve(claim=claims[0], moderator=UserFactory(), reason="ok")
    assert claim_queue_position(claim=mine) == 2
    later.refresh_from_db()
    assert claim_queue_position(claim=later) == 3

    client.force_login(user)
    text = page_text(client.get(profile_url(researcher)))
    assert "Your claim is under review. It is 2nd in the queue." in text
    assert (
        "There are not enough decisions yet to say how long a claim typically "
        "waits." in text
    )


def test_the_typical_wait_is_the_median_of_recent_moderator_decisions(
    client, django_assert_num_queries
):
    for hours in (1, 2, 3, 4):
        decided(hours)
    decided(0.01, by_moderator=False)  # approved at once on ORCID: no wait
    decided(500, days_ago=120)  # too long ago to count
    assert claim_typical_wait() is None  # four decisions are not enough

    decided(50)

    with django_assert_num_queries(1):
        assert claim_typical_wait() == timedelta(hours=3)
    user = verified_user()
    researcher = ResearcherFactory()
    claim_submit(user=user, researcher=researcher)
    client.force_login(user)
    text = page_text(client.get(profile_url(researcher)))
    assert "It is 1st in the queue. Claims are typically decided within 3 hours." in (
        text
    )


def test_a_wait_reads_as_a_person_says_it():
    assert wait_in_words(timedelta(minutes=5)) == "an hour"
    assert wait_in_words(timedelta(hours=2, minutes=1)) == "3 hours"
    assert wait_in_words(timedelta(hours=47)) == "47 hours"
    assert wait_in_words(timedelta(hours=49)) == "3 days"
    assert wait_in_words(timedelta(days=6)) == "6 days"
