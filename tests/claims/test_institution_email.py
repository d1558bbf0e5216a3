"""An institutional e-mail as evidence: offered with the claim, verified
through allauth's link, shown to the moderator, and lifting the approval to
L3 only once verified and only at the domain of the record's affiliation."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from claims.models import Claim
from claims.selectors import claim_evidence_found, email_is_at_domain
from claims.services import ClaimRefused, claim_approve, claim_submit
from profiles.models import Researcher, VerificationLevel
from tests.factories import (
    InstitutionFactory,
    ResearcherFactory,
    UserFactory,
    verified_user,
)
from tests.helpers.pages import page_text, profile_url

pytestmark = pytest.mark.django_db

DOMAIN = "uni-example.edu"


@pytest.fixture
def researcher():
    return ResearcherFactory(
        affiliation=InstitutionFactory(
            domain=DOMAIN, homepage_url=f"https://www.{DOMAIN}/"
        )
    )


@pytest.fixture
def moderator_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def claim_url(researcher) -> str:
    return f"/researchers/{researcher.openalex_id}/claim/"


def admin_claim_page(client, claim) -> str:
    return page_text(client.get(f"/admin/claims/claim/{claim.pk}/change/"))


def test_a_verified_institutional_e_mail_is_strong_evidence_and_gives_l3(
    client, researcher, mailoutbox, moderator_client
):
    user = verified_user()
    client.force_login(user)
    page = client.get(profile_url(researcher))
    assert f"at {DOMAIN} it is strong evidence" in page_text(page)

    client.post(
        claim_url(researcher),
        {"note": "My staff address.", "institution_email": f"Ana@CS.{DOMAIN}"},
    )

    claim = Claim.objects.get()
    address = EmailAddress.objects.get(user=user, email=f"ana@cs.{DOMAIN}")
    assert not address.verified
    (mail,) = mailoutbox
    assert mail.to == [f"ana@cs.{DOMAIN}"]
    assert "[BZPEER]" in mail.subject
    assert f"e-mail at {DOMAIN}, not yet verified" in admin_claim_page(
        moderator_client, claim
    )

    # The link allauth mailed, opened by the user.
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", mail.body)
    assert link, mail.body
    client.post(link.group(1))

    address.refresh_from_db()
    assert address.verified
    assert f"strong evidence: verified e-mail at {DOMAIN}" in admin_claim_page(
        moderator_client, claim
    )
    claim_approve(claim=claim, moderator=UserFactory(), reason="Staff address.")
    claim.refresh_from_db()
    assert (claim.verification_level, claim.evidence) == (
        VerificationLevel.L3,
        "institution_email",
    )
    assert Researcher.objects.get(pk=researcher.pk).verification_level == 3


def test_an_unverified_address_leaves_the_approval_at_l2(researcher):
    user = verified_user()
    EmailAddress.objects.create(user=user, email=f"ana@{DOMAIN}", verified=False)
    claim = claim_submit(user=user, researcher=researcher)

    claim_approve(claim=claim, moderator=UserFactory(), reason="Looks right.")

    assert (claim.verification_level, claim.evidence) == (VerificationLevel.L2, "")


def test_an_address_elsewhere_does_not_count_and_the_claimant_is_told(
    client, researcher, mailoutbox
):
    user = verified_user()
    client.force_login(user)

    response = client.post(
        claim_url(researcher),
        {"institution_email": f"ana@not{DOMAIN}"},
        follow=True,
    )

    assert f"ana@not{DOMAIN} is not at the domain of this record's affiliation" in (
        page_text(response)
    )
    assert len(mailoutbox) == 1  # verified all the same: it is their address
    EmailAddress.objects.filter(email=f"ana@not{DOMAIN}").update(verified=True)
    claim = Claim.objects.get()
    claim_approve(claim=claim, moderator=UserFactory(), reason="ok")
    assert claim.verification_level == VerificationLevel.L2


def test_the_domain_matches_whole_labels_only():
    assert email_is_at_domain(f"a@{DOMAIN}", DOMAIN)
    assert email_is_at_domain(f"a@mail.cs.{DOMAIN}", DOMAIN)
    assert email_is_at_domain(f"A@{DOMAIN.upper()}", DOMAIN)
    assert not email_is_at_domain(f"a@evil{DOMAIN}", DOMAIN)
    assert not email_is_at_domain(f"a@{DOMAIN}.evil.org", DOMAIN)
    assert not email_is_at_domain("a@", DOMAIN)
    assert not email_is_at_domain(f"a@{DOMAIN}", "")


def test_the_domain_comes_from_the_homepage_when_none_was_stored():
    institution = InstitutionFactory(domain="", homepage_url=f"https://www.{DOMAIN}")
    researcher = ResearcherFactory(affiliation=institution)
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=f"b@{DOMAIN}", verified=True)

    found = claim_evidence_found(user=user, researcher=researcher)

    assert (found.domain, found.kind) == (DOMAIN, "institution_email")
    # No affiliation, no domain: nothing is institutional.
    assert claim_evidence_found(user=user, researcher=ResearcherFactory()).kind == ""


def test_an_address_another_account_verified_is_refused(client, researcher):
    verified_user(email=f"owner@{DOMAIN}")
    user = verified_user()

    with pytest.raises(ClaimRefused, match="another account"):
        claim_submit(
            user=user, researcher=researcher, institution_email=f"OWNER@{DOMAIN}"
        )
    with pytest.raises(ClaimRefused, match="not an e-mail address"):
        claim_submit(user=user, researcher=researcher, institution_email="nope@")

    client.force_login(user)
    response = client.post(
        claim_url(researcher), {"institution_email": f"owner@{DOMAIN}"}, follow=True
    )
    assert "That e-mail address belongs to another account." in page_text(response)
    assert not Claim.objects.exists()
    assert not EmailAddress.objects.filter(user=user).exclude(email=user.email)
