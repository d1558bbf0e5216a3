"""An approved claim moves the stored trust by exactly the approved-claim
signal of docs/trust.md: the reference researcher goes from 17 (Unverified)
to 32 (Emerging), Verification L2, "Claimed author"."""

import pytest

from claims.services import claim_approve, claim_submit
from profiles.models import Researcher
from profiles.services import researcher_trust_update
from tests.factories import UserFactory, verified_user
from tests.helpers.pages import page_text, profile_url
from tests.helpers.paths import SAMPLE_SNAPSHOT
from works.services import snapshot_load

pytestmark = pytest.mark.django_db


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
