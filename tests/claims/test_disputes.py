"""Disputes from the profile: anyone logged in but the owner may dispute an
approved claim with a reason and a page as evidence; the claim goes back to
moderators and the record shows "Contested". Rate-limited per user."""

import pytest
from django.test import Client

from claims.models import Claim, ClaimEvent
from claims.services import claim_submit
from claims.templatetags.claim_tags import claim_contested_chip
from tests.factories import ResearcherFactory, approved_claim, verified_user
from tests.helpers.pages import page_text, profile_url

pytestmark = pytest.mark.django_db

CONTESTED = '<li class="chip chip--warning" title="'


def dispute_url(researcher) -> str:
    return f"/researchers/{researcher.openalex_id}/dispute/"


def test_a_logged_in_visitor_disputes_the_claim_and_the_record_is_contested(
    client, moderator
):
    claim = approved_claim(user=verified_user(), moderator=moderator)
    researcher = claim.researcher
    disputer = verified_user()
    client.force_login(disputer)
    page = client.get(profile_url(researcher))
    assert "Claimed. Dispute this claim" in page_text(page)
    assert CONTESTED not in page.content.decode()

    response = client.post(
        dispute_url(researcher),
        {
            "reason": "I am this author; <b>see</b> my page.",
            "evidence_url": "https://uni.example/~me",
        },
        follow=True,
    )

    claim.refresh_from_db()
    assert claim.state == "disputed"
    event = claim.events.get(kind="disputed")
    assert (event.actor, event.reason, event.evidence_url) == (
        disputer,
        "I am this author; <b>see</b> my page.",
        "https://uni.example/~me",
    )
    text = page_text(response)
    assert "Your dispute is sent: a moderator will review the claim." in text
    assert "Claimed author Contested" in text
    html = response.content.decode()
    assert CONTESTED in html
    # Styled by the claims stylesheet (no inline style: the CSP forbids it).
    assert '<link rel="stylesheet" href="/static/claims/claims.css">' in html
    stylesheet = client.get("/static/claims/claims.css")
    assert stylesheet.status_code == 200
    assert b".chip--warning" in b"".join(stylesheet.streaming_content)
    # Already disputed: nothing more to dispute.
    assert 'action="/researchers/' + researcher.openalex_id + '/dispute/"' not in html
    # The owner is told on their own page.
    owner = Client()
    owner.force_login(claim.user)
    owner_text = page_text(owner.get(profile_url(researcher)))
    assert "You manage this profile. Your claim is back with the moderators" in (
        owner_text
    )
    assert "Dispute this claim" not in owner_text


def test_disputing_needs_login_a_post_csrf_and_a_reason(client, moderator):
    claim = approved_claim(moderator=moderator)
    researcher = claim.researcher
    assert "Dispute this claim" not in page_text(Client().get(profile_url(researcher)))
    anonymous = Client().post(dispute_url(researcher), {"reason": "x"})
    assert anonymous["Location"].startswith("/accounts/login/")
    user = verified_user()
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(user)
    assert forged.post(dispute_url(researcher), {"reason": "x"}).status_code == 403
    client.force_login(user)
    assert client.get(dispute_url(researcher)).status_code == 405

    no_reason = client.post(dispute_url(researcher), {"reason": " "}, follow=True)
    assert "A reason is required." in page_text(no_reason)
    bad_page = client.post(
        dispute_url(researcher),
        {"reason": "Not them.", "evidence_url": "javascript:alert(1)"},
        follow=True,
    )
    assert "The evidence page must be an http:// or https:// address." in page_text(
        bad_page
    )
    the_owner = Client()
    the_owner.force_login(claim.user)
    mine = the_owner.post(dispute_url(researcher), {"reason": "x"}, follow=True)
    assert "You cannot dispute your own claim." in page_text(mine)

    assert Claim.objects.get(pk=claim.pk).state == "approved"
    assert not ClaimEvent.objects.filter(kind="disputed").exists()


def test_a_record_without_an_approved_claim_has_nothing_to_dispute(client):
    researcher = ResearcherFactory()
    client.force_login(verified_user())

    response = client.post(dispute_url(researcher), {"reason": "x"}, follow=True)

    assert "There is no approved claim to dispute" in page_text(response)


def test_disputes_are_rate_limited_per_user(client, settings, moderator):
    settings.DISPUTE_RATE_PER_USER = "2/d"
    claims = [approved_claim(moderator=moderator) for _ in range(3)]
    client.force_login(verified_user())

    for claim in claims[:2]:
        client.post(dispute_url(claim.researcher), {"reason": "Not them."})
    response = client.post(
        dispute_url(claims[2].researcher), {"reason": "Not them."}, follow=True
    )

    states = [Claim.objects.get(pk=claim.pk).state for claim in claims]
    assert states == ["disputed", "disputed", "approved"]
    assert "You have filed many disputes lately: try again tomorrow." in page_text(
        response
    )
    other = Client()
    other.force_login(verified_user())
    other.post(dispute_url(claims[2].researcher), {"reason": "Not them."})
    assert Claim.objects.get(pk=claims[2].pk).state == "disputed"


def test_competing_claims_make_a_record_contested_in_one_query(
    django_assert_num_queries,
):
    researcher = ResearcherFactory()
    with django_assert_num_queries(1):
        assert claim_contested_chip(researcher) == ""

    claim_submit(user=verified_user(), researcher=researcher)
    with django_assert_num_queries(1):
        assert claim_contested_chip(researcher) == ""

    claim_submit(user=verified_user(), researcher=researcher)
    with django_assert_num_queries(1):
        chip = claim_contested_chip(researcher)
    assert chip.startswith(CONTESTED)
    assert chip.endswith(">Contested</li>")
    assert "moderators are reviewing" in chip
