"""An approval's level is read from the evidence at decision time: an ORCID
sign-in whose iD is the record's, or a verified e-mail at the affiliation's
domain, gives L3; nothing gives L2. Re-approving a disputed claim reads it
again."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from claims.services import claim_approve, claim_dispute, claim_submit
from profiles.models import Researcher, ResearcherOwner, VerificationLevel
from tests.factories import InstitutionFactory, ResearcherFactory, UserFactory

pytestmark = pytest.mark.django_db

ORCID = "0000-0002-1825-0097"


def level_of(researcher) -> int:
    return Researcher.objects.get(pk=researcher.pk).verification_level


def test_a_moderator_approving_a_claimant_with_the_records_orcid_gives_l3(
    moderator,
):
    researcher = ResearcherFactory(orcid=ORCID)
    user = UserFactory()
    SocialAccount.objects.create(user=user, provider="orcid", uid=ORCID)
    claim = claim_submit(user=user, researcher=researcher)

    claim_approve(claim=claim, moderator=moderator, reason="Checked.")

    assert (claim.verification_level, claim.evidence, claim.evidence_orcid) == (
        VerificationLevel.L3,
        "orcid",
        ORCID,
    )
    assert claim.decided_by == moderator
    assert level_of(researcher) == VerificationLevel.L3
    assert ResearcherOwner.objects.get().verification_level == VerificationLevel.L3


def test_an_orcid_sign_in_with_another_id_is_no_evidence(moderator):
    researcher = ResearcherFactory(orcid=ORCID)
    user = UserFactory()
    SocialAccount.objects.create(user=user, provider="orcid", uid="0000-0003-1415-9269")
    claim = claim_submit(user=user, researcher=researcher)

    claim_approve(claim=claim, moderator=moderator, reason="Checked.")

    assert (claim.verification_level, claim.evidence, claim.evidence_orcid) == (
        VerificationLevel.L2,
        "",
        "",
    )


def test_a_disputed_l3_claim_approved_again_keeps_l3_while_the_evidence_holds(
    moderator,
):
    researcher = ResearcherFactory(orcid=ORCID)
    user = UserFactory()
    account = SocialAccount.objects.create(user=user, provider="orcid", uid=ORCID)
    claim = claim_approve(
        claim=claim_submit(user=user, researcher=researcher),
        moderator=moderator,
        reason="ok",
    )
    claim_dispute(claim=claim, user=UserFactory(), reason="Not them.")
    assert level_of(researcher) == VerificationLevel.L3  # kept while disputed

    claim_approve(claim=claim, moderator=moderator, reason="Still their ORCID.")

    assert (claim.state, claim.verification_level, claim.evidence) == (
        "approved",
        VerificationLevel.L3,
        "orcid",
    )
    assert level_of(researcher) == VerificationLevel.L3

    # Once the ORCID sign-in is gone, the next approval finds only L2.
    account.delete()
    claim_dispute(claim=claim, user=UserFactory(), reason="Not them either.")
    claim_approve(claim=claim, moderator=moderator, reason="Checked by hand.")
    assert (claim.verification_level, claim.evidence, claim.evidence_orcid) == (
        VerificationLevel.L2,
        "",
        "",
    )
    assert level_of(researcher) == VerificationLevel.L2


def test_orcid_evidence_comes_before_an_institutional_e_mail(moderator):
    researcher = ResearcherFactory(
        orcid=ORCID, affiliation=InstitutionFactory(domain="uni.example")
    )
    user = UserFactory()
    SocialAccount.objects.create(user=user, provider="orcid", uid=ORCID)
    EmailAddress.objects.create(user=user, email="a@uni.example", verified=True)

    claim = claim_approve(
        claim=claim_submit(user=user, researcher=researcher),
        moderator=moderator,
        reason="ok",
    )

    assert claim.evidence == "orcid"
