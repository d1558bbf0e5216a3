"""The profile's "Identity and collaboration" section, worded as on the
reference page, in each state of the viewer, and the claim form behind it."""

import pytest
from django.test import Client

from claims.models import Claim, ClaimEvent
from claims.services import claim_approve, claim_reject, claim_submit
from profiles.models import Researcher
from tests.factories import (
    InstitutionFactory,
    ResearcherFactory,
    UserFactory,
    verified_user,
)
from tests.helpers.pages import page_text, profile_url

pytestmark = pytest.mark.django_db

LEAD = (
    "Identity and collaboration How to connect with this researcher Claiming "
    "links this public author record to a researcher profile and unlocks "
    "direct collaboration workflows."
)


def claim_url(researcher) -> str:
    return f"/researchers/{researcher.openalex_id}/claim/"


def test_logged_out_the_section_invites_to_log_in_and_come_back(client):
    researcher = ResearcherFactory()

    response = client.get(profile_url(researcher))

    assert f"{LEAD} Log in to claim" in page_text(response)
    assert (
        f'href="/accounts/login/?next={profile_url(researcher)}%23identity"'
        in response.content.decode()
    )


def test_a_logged_in_visitor_claims_and_sees_the_claim_under_review(client):
    researcher = ResearcherFactory()
    user = verified_user()
    client.force_login(user)
    assert "Claim this profile" in page_text(client.get(profile_url(researcher)))

    response = client.post(
        claim_url(researcher),
        {"note": "I wrote <b>these</b>.", "homepage_url": "https://example.org/me"},
        follow=True,
    )

    claim = Claim.objects.get()
    assert (claim.user, claim.researcher, claim.state) == (user, researcher, "pending")
    assert claim.homepage_url == "https://example.org/me"
    text = page_text(response)
    assert "Your claim is under review: a moderator will decide on it." in text
    assert f"{LEAD} Your claim is under review." in text
    assert "Unclaimed author" in text  # not before a moderator approves


def test_a_refused_claim_says_why_and_changes_nothing(client):
    researcher = ResearcherFactory()
    client.force_login(verified_user())

    response = client.post(
        claim_url(researcher), {"homepage_url": "javascript:alert(1)"}, follow=True
    )

    assert Claim.objects.count() == 0
    assert "http" in page_text(response)  # the refusal names the allowed schemes


def test_the_owner_manages_and_others_see_claimed(client):
    researcher = ResearcherFactory()
    owner = verified_user()
    moderator = UserFactory(is_staff=True)
    claim_approve(
        claim=claim_submit(user=owner, researcher=researcher),
        moderator=moderator,
        reason="Evidence checked.",
    )

    client.force_login(owner)
    owner_text = page_text(client.get(profile_url(researcher)))
    assert f"{LEAD} You manage this profile." in owner_text
    assert "Claimed author" in owner_text

    other = Client()
    other.force_login(verified_user())
    assert f"{LEAD} Claimed." in page_text(other.get(profile_url(researcher)))
    assert f"{LEAD} Claimed." in page_text(Client().get(profile_url(researcher)))


def test_claiming_needs_login_a_post_and_the_csrf_token(client):
    researcher = ResearcherFactory()

    anonymous = client.post(claim_url(researcher))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")

    client.force_login(verified_user())
    assert client.get(claim_url(researcher)).status_code == 405
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(verified_user())
    assert forged.post(claim_url(researcher)).status_code == 403
    assert client.post("/researchers/A0000000000/claim/").status_code == 404

    assert Claim.objects.count() == ClaimEvent.objects.count() == 0


def test_a_rejected_claimant_reads_why_and_may_claim_again(client):
    researcher = ResearcherFactory()
    user = verified_user()
    claim_reject(
        claim=claim_submit(user=user, researcher=researcher),
        moderator=UserFactory(is_staff=True),
        reason_code="insufficient_evidence",
        reason="No link between <b>this account</b> and the record.",
    )
    client.force_login(user)

    response = client.get(profile_url(researcher))

    text = page_text(response)
    assert "Your earlier claim was not approved (insufficient evidence)." in text
    assert "No link between <b>this account</b> and the record." in text
    assert "&lt;b&gt;this account&lt;/b&gt;" in response.content.decode()
    assert "Claim this profile" in text
    # Nobody else reads it.
    other = Client()
    other.force_login(verified_user())
    assert "not approved" not in page_text(other.get(profile_url(researcher)))


def test_claims_are_rate_limited_per_user(client, settings):
    settings.CLAIM_RATE_PER_USER = "2/h"
    client.force_login(verified_user())
    researchers = [ResearcherFactory() for _ in range(3)]

    for researcher in researchers[:2]:
        client.post(claim_url(researcher))
    response = client.post(claim_url(researchers[2]), follow=True)

    assert Claim.objects.count() == 2
    assert "You have sent many claims lately: try again in an hour." in page_text(
        response
    )
    # Another user is not held back by the first one's claims.
    other = Client()
    other.force_login(verified_user())
    other.post(claim_url(researchers[2]))
    assert Claim.objects.count() == 3


def test_the_claimant_withdraws_from_the_profile_and_nobody_else_can(client):
    researcher = ResearcherFactory()
    user = verified_user()
    claim = claim_submit(user=user, researcher=researcher)
    withdraw = f"/claims/{claim.pk}/withdraw/"

    stranger = Client()
    stranger.force_login(verified_user())
    assert stranger.post(withdraw).status_code == 404
    assert Client().post(withdraw).status_code == 302  # to the login page
    claim.refresh_from_db()
    assert claim.state == "pending"

    client.force_login(user)
    page = client.get(profile_url(researcher)).content.decode()
    assert f'action="{withdraw}"' in page
    response = client.post(withdraw, follow=True)

    claim.refresh_from_db()
    assert claim.state == "withdrawn"
    text = page_text(response)
    assert "Your claim is withdrawn." in text
    assert "Claim this profile" in text


def test_the_identity_section_costs_at_most_five_queries(
    rf, django_assert_num_queries, django_assert_max_num_queries
):
    from django.contrib.auth.models import AnonymousUser

    from claims.templatetags.claim_tags import claim_section

    researcher = ResearcherFactory(affiliation=InstitutionFactory())
    researcher = Researcher.objects.select_related("affiliation").get(pk=researcher.pk)
    user = verified_user()
    claim_submit(user=user, researcher=researcher)

    def section(viewer) -> dict:
        request = rf.get(profile_url(researcher))
        request.user = viewer
        return claim_section({"request": request}, researcher)

    with django_assert_num_queries(0):
        assert section(AnonymousUser())["state"] == "log_in"
    with django_assert_max_num_queries(5):
        found = section(user)
    assert (found["state"], found["queue_position"]) == ("under_review", 1)
    other = verified_user()
    with django_assert_max_num_queries(3):
        assert section(other)["state"] == "can_claim"
