"""Claims move the stored trust by exactly the signals of docs/trust.md
(``profiles.trust.WEIGHTS``): an approved claim takes the reference
researcher from 17 (Unverified) to 32 (Emerging), Verification L2, "Claimed
author"; an ORCID sign-in or a verified institutional e-mail behind the
approval adds its own weight; rejected and disputed claims take theirs."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from claims.selectors import claim_evidence_for_researchers
from claims.services import claim_approve, claim_dispute, claim_reject, claim_submit
from profiles.hooks import ClaimEvidence
from profiles.models import Researcher
from profiles.services import researcher_trust_update
from profiles.trust import WEIGHTS
from tests.factories import (
    InstitutionFactory,
    ResearcherFactory,
    UserFactory,
    verified_user,
)
from tests.helpers.pages import page_text, profile_url
from tests.helpers.paths import SAMPLE_SNAPSHOT
from works.services import snapshot_load

pytestmark = pytest.mark.django_db

ORCID = "0000-0002-1825-0097"


def test_approving_the_reference_researchers_claim_gives_32_emerging(client):
    snapshot_load(path=SAMPLE_SNAPSHOT, sample=True, progress=False, sync_trust=True)
    researcher_trust_update()
    reference = Researcher.objects.get(display_name="Bingxuan Wang")
    assert (reference.trust_score, reference.trust_label) == (17, "Unverified")

    claim = claim_submit(user=verified_user(), researcher=reference)
    claim_approve(claim=claim, moderator=UserFactory(), reason="Checked.")
    researcher_trust_update(researcher_ids=[reference.pk])

    reference.refresh_from_db()
    assert (reference.trust_score, reference.trust_label) == (32, "Emerging")
    text = page_text(client.get(profile_url(reference)))
    assert "Trust 32 - Emerging Verification L2 Claimed author" in text


def score(researcher) -> int:
    researcher_trust_update(researcher_ids=[researcher.pk])
    researcher.refresh_from_db()
    return researcher.trust_score


def test_claims_move_trust_by_exactly_the_weights_of_their_signals(
    django_assert_num_queries,
):
    researcher = ResearcherFactory(orcid=ORCID)
    moderator = UserFactory(is_staff=True)
    start = score(researcher)
    # Public source and ORCID iD on the record: the rejection's penalty
    # below does not reach the floor of 0.
    assert start == WEIGHTS["public_source"].points + WEIGHTS["record_orcid"].points

    rejected = claim_submit(user=verified_user(), researcher=researcher)
    claim_reject(
        claim=rejected,
        moderator=moderator,
        reason_code="not_the_author",
        reason="Another person.",
    )
    assert score(researcher) == start + WEIGHTS["rejected_claims"].points

    owner = verified_user()
    claim = claim_approve(
        claim=claim_submit(user=owner, researcher=researcher),
        moderator=moderator,
        reason="Checked.",
    )
    assert claim.verification_level == 2
    after_l2 = start + WEIGHTS["rejected_claims"].points + WEIGHTS["claim"].points
    assert score(researcher) == after_l2

    claim_dispute(claim=claim, user=verified_user(), reason="Not them.")
    assert score(researcher) == after_l2 + WEIGHTS["disputed_claims"].points

    # The owner signs in with the record's ORCID; approved again, at L3.
    SocialAccount.objects.create(user=owner, provider="orcid", uid=ORCID)
    claim_approve(claim=claim, moderator=moderator, reason="ORCID matches.")
    assert claim.verification_level == 3
    assert score(researcher) == after_l2 + WEIGHTS["orcid_sign_in"].points

    with django_assert_num_queries(1):
        evidence = claim_evidence_for_researchers([researcher.pk, 10**9])
    assert evidence == {
        researcher.pk: ClaimEvidence(has_orcid_sign_in=True, rejected_claims=1)
    }


def test_a_verified_institutional_e_mail_adds_its_weight_over_the_claim():
    institution = InstitutionFactory(domain="uni.example")
    plain = ResearcherFactory(affiliation=institution)
    strong = ResearcherFactory(affiliation=institution)
    unclaimed = score(strong)
    assert score(plain) == unclaimed

    claim_approve(
        claim=claim_submit(user=verified_user(), researcher=plain),
        moderator=UserFactory(),
        reason="ok",
    )
    user = verified_user()
    EmailAddress.objects.create(user=user, email="me@dept.uni.example", verified=True)
    claim = claim_approve(
        claim=claim_submit(user=user, researcher=strong),
        moderator=UserFactory(),
        reason="ok",
    )

    assert claim.evidence == "institution_email"
    assert score(plain) == unclaimed + WEIGHTS["claim"].points
    assert score(strong) == (
        unclaimed + WEIGHTS["claim"].points + WEIGHTS["institution_email"].points
    )
