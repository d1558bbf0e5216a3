"""Moderation in the admin: approve and reject with a required reason, in
bulk, through the services; the audit trail shown; only moderators decide."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from claims.models import Claim, ClaimEvent
from claims.services import claim_submit
from profiles.models import VerificationLevel
from tests.factories import (
    InstitutionFactory,
    ResearcherFactory,
    UserFactory,
    staff_user,
    verified_user,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/claims/claim/"
ORCID = "0000-0002-1825-0097"
OTHER_ORCID = "0000-0003-1415-9269"


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


def test_the_queue_filters_by_the_evidence_claimants_hold(client, moderator):
    institution = InstitutionFactory(domain="uni.example")
    with_orcid = claim_submit(
        user=verified_user(), researcher=ResearcherFactory(orcid=ORCID)
    )
    SocialAccount.objects.create(user=with_orcid.user, provider="orcid", uid=ORCID)
    with_email = claim_submit(
        user=verified_user(), researcher=ResearcherFactory(affiliation=institution)
    )
    EmailAddress.objects.create(
        user=with_email.user, email="me@lab.uni.example", verified=True
    )
    unverified = claim_submit(
        user=verified_user(), researcher=ResearcherFactory(affiliation=institution)
    )
    EmailAddress.objects.create(
        user=unverified.user, email="me2@uni.example", verified=False
    )
    # A verified address elsewhere, on a record without a domain, is nothing.
    plain = claim_submit(user=verified_user(), researcher=ResearcherFactory())

    def listed(evidence: str) -> set[int]:
        page = client.get(CHANGELIST, {"evidence": evidence}).content.decode()
        return {
            claim.pk
            for claim in (with_orcid, with_email, unverified, plain)
            if f"/admin/claims/claim/{claim.pk}/change/" in page
        }

    assert listed("orcid") == {with_orcid.pk}
    assert listed("institution_email") == {with_email.pk}
    assert listed("none") == {unverified.pk, plain.pk}
    page = client.get(f"{CHANGELIST}{with_orcid.pk}/change/").content.decode()
    assert f"strong evidence: ORCID sign-in {ORCID} matches the record" in page


def test_an_orcid_that_belongs_to_another_record_is_a_conflict(client, moderator):
    ResearcherFactory(openalex_id="A5000000077", orcid=ORCID)
    claim = claim_submit(
        user=verified_user(), researcher=ResearcherFactory(orcid=OTHER_ORCID)
    )
    SocialAccount.objects.create(user=claim.user, provider="orcid", uid=ORCID)

    page = client.get(f"{CHANGELIST}{claim.pk}/change/").content.decode()

    assert "the claimant&#x27;s ORCID iD belongs to another record: A5000000077" in (
        page
    )
    assert f"ORCID sign-in {ORCID}, not the record&#x27;s iD" in page


def test_the_researchers_admin_page_lists_its_claims_read_only(client, moderator):
    researcher = ResearcherFactory()
    claim = claim_submit(
        user=verified_user(email="claimant@example.org"), researcher=researcher
    )
    other = claim_submit(user=verified_user(), researcher=ResearcherFactory())

    page = client.get(
        f"/admin/profiles/researcher/{researcher.pk}/change/"
    ).content.decode()

    assert f'href="/admin/claims/claim/{claim.pk}/change/"' in page
    assert "claimant@example.org" in page
    assert f'href="/admin/claims/claim/{other.pk}/change/"' not in page
    assert 'name="claims-0-state"' not in page  # shown, not editable


def test_a_moderator_sees_the_claims_on_a_researchers_page(client):
    from claims.moderators import moderators_group_ensure

    researcher = ResearcherFactory()
    claim = claim_submit(user=verified_user(), researcher=researcher)
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group_ensure())
    client.force_login(moderator)

    page = client.get(
        f"/admin/profiles/researcher/{researcher.pk}/change/"
    ).content.decode()

    assert f'href="/admin/claims/claim/{claim.pk}/change/"' in page
