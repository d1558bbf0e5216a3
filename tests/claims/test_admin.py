"""Moderation in the admin: approve and reject with a required reason, in
bulk, through the services; the audit trail shown; only moderators decide."""

import pytest

from claims.models import Claim, ClaimEvent
from claims.services import claim_submit
from profiles.models import VerificationLevel
from tests.factories import ResearcherFactory, UserFactory, staff_user, verified_user

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/claims/claim/"


@pytest.fixture
def moderator(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def pending_claims(count: int) -> list[Claim]:
    return [
        claim_submit(user=verified_user(), researcher=ResearcherFactory())
        for _ in range(count)
    ]


def act(client, action: str, claims, **data):
    return client.post(
        CHANGELIST,
        {
            "action": action,
            "_selected_action": [claim.pk for claim in claims],
            **data,
        },
    )


def test_approving_asks_for_a_reason_then_decides_every_selected_claim(
    client, moderator
):
    claims = pending_claims(2)

    asked = act(client, "approve_claims", claims)
    assert asked.status_code == 200
    assert "Why the evidence holds" in asked.content.decode()
    assert Claim.objects.filter(state="pending").count() == 2

    without_reason = act(client, "approve_claims", claims, apply="1", reason="")
    assert "This field is required" in without_reason.content.decode()
    assert Claim.objects.filter(state="pending").count() == 2

    act(client, "approve_claims", claims, apply="1", reason="ORCID record checked.")

    for claim in claims:
        claim.refresh_from_db()
        claim.researcher.refresh_from_db()
        assert (claim.state, claim.decided_by) == ("approved", moderator)
        assert claim.researcher.is_claimed
        assert claim.researcher.verification_level == VerificationLevel.L2
        event = claim.events.get(kind="approved")
        assert (event.actor, event.reason) == (moderator, "ORCID record checked.")


def test_rejecting_needs_a_reason_code_and_words(client, moderator):
    (claim,) = pending_claims(1)

    act(
        client,
        "reject_claims",
        [claim],
        apply="1",
        reason_code="insufficient_evidence",
        reason="No link between this account and the record.",
    )

    claim.refresh_from_db()
    assert (claim.state, claim.reason_code) == ("rejected", "insufficient_evidence")
    assert claim.reason == "No link between this account and the record."
    assert not claim.researcher.is_claimed


def test_the_claim_page_shows_the_trail_and_conflicts_and_allows_no_edit(
    client, moderator
):
    researcher = ResearcherFactory(display_name="Contested Person")
    first = claim_submit(user=verified_user(), researcher=researcher)
    claim_submit(user=verified_user(), researcher=researcher)

    page = client.get(f"{CHANGELIST}{first.pk}/change/").content.decode()

    assert "submitted" in page
    assert "1 other claim(s) on this record" in page
    assert 'name="_save"' not in page
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert (
        client.post(f"{CHANGELIST}{first.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_staff_without_the_permission_cannot_decide(client):
    (claim,) = pending_claims(1)
    client.force_login(staff_user("claims.view_claim"))

    act(client, "approve_claims", [claim], apply="1", reason="I say so.")

    claim.refresh_from_db()
    assert claim.state == "pending"
    assert ClaimEvent.objects.filter(kind="approved").count() == 0


def test_the_queue_is_searched_like_the_site_and_by_e_mail(client, moderator):
    alvarez = claim_submit(
        user=verified_user(email="ana@example.org"),
        researcher=ResearcherFactory(
            display_name="José Álvarez", orcid="0000-0002-1825-0097"
        ),
    )
    other = claim_submit(user=verified_user(), researcher=ResearcherFactory())

    for term in ("alvarez jose", "0000-0002-1825-0097", "ANA@example.org"):
        page = client.get(CHANGELIST, {"q": term}).content.decode()
        assert f"/admin/claims/claim/{alvarez.pk}/change/" in page, term
        assert f"/admin/claims/claim/{other.pk}/change/" not in page, term
