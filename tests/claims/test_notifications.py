"""The mail of claim decisions, sent by the real Celery worker after the
decision commits and read from the file backend the worker writes to: the
claimant hears of every decision, the owner that their record is contested
or that its ORCID iD changed under their claim."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.conf import settings

from claims.models import Claim
from claims.notifications import claim_event_mail_send
from claims.services import (
    claim_approve,
    claim_dispute,
    claim_orcid_verify,
    claim_reject,
    claim_submit,
    claims_orcid_changed_demote,
)
from profiles.models import Researcher
from tests.factories import ResearcherFactory, UserFactory

ORCID = "0000-0002-1825-0097"


def profile_link(researcher) -> str:
    return f"{settings.SITE_URL}/researchers/{researcher.openalex_id}/"


@pytest.mark.django_db(transaction=True)
def test_the_claimant_is_mailed_every_decision_by_the_worker(
    celery_worker_process, sent_mail
):
    moderator = UserFactory(username="moderator", is_staff=True)
    approved_user = UserFactory(email="approved@example.org")
    rejected_user = UserFactory(email="rejected@example.org")
    researcher = ResearcherFactory(display_name="Ada Lovelace")
    other = ResearcherFactory(display_name="Grace Hopper")

    claim_approve(
        claim=claim_submit(user=approved_user, researcher=researcher),
        moderator=moderator,
        reason="Your homepage lists these papers.",
    )
    claim_reject(
        claim=claim_submit(user=rejected_user, researcher=other),
        moderator=moderator,
        reason_code=Claim.ReasonCode.INSUFFICIENT_EVIDENCE,
        reason="Nothing ties this account to the record.",
    )

    approved = sent_mail.wait_for(
        to="approved@example.org", subject="Your claim on Ada Lovelace is approved"
    )
    assert approved.subject.startswith("[BZPEER] ")
    assert "verification L2" in approved.body
    assert "Your homepage lists these papers." in approved.body
    assert profile_link(researcher) in approved.links()
    rejected = sent_mail.wait_for(
        to="rejected@example.org", subject="Your claim on Grace Hopper was not"
    )
    assert "Reason: Insufficient evidence" in rejected.body
    assert "Nothing ties this account to the record." in rejected.body
    assert f"{profile_link(other)}#identity" in rejected.links()
    assert all(link.startswith(settings.SITE_URL) for link in rejected.links())
    # The worker recomputed the trust of both records too.
    assert Researcher.objects.get(pk=researcher.pk).trust_computed_at is not None


@pytest.mark.django_db(transaction=True)
def test_owners_hear_of_a_dispute_an_orcid_change_and_an_automatic_approval(
    celery_worker_process, sent_mail
):
    owner = UserFactory(email="owner@example.org")
    SocialAccount.objects.create(user=owner, provider="orcid", uid=ORCID)
    researcher = ResearcherFactory(display_name="Ada Lovelace", orcid=ORCID)

    claim, approved = claim_orcid_verify(user=owner, researcher=researcher)
    assert approved
    automatic = sent_mail.wait_for(to="owner@example.org", subject="is approved")
    assert "approved automatically: your ORCID sign-in matches" in automatic.body
    assert "verification L3" in automatic.body

    claim_dispute(
        claim=claim, user=UserFactory(email="rival@example.org"), reason="Mine."
    )
    contested = sent_mail.wait_for(
        to="owner@example.org", subject="Your profile Ada Lovelace is contested"
    )
    assert "another account disputed the claim" in contested.body
    assert "rival" not in contested.body  # the disputer stays unnamed
    assert "Mine." not in contested.body

    claim_approve(claim=claim, moderator=UserFactory(), reason="Still theirs.")
    Researcher.objects.filter(pk=researcher.pk).update(orcid="0000-0003-1415-9269")
    assert claims_orcid_changed_demote(None, False) == [claim.pk]
    demoted = sent_mail.wait_for(
        to="owner@example.org", subject="The ORCID iD of Ada Lovelace changed"
    )
    assert f"({ORCID})" in demoted.body
    assert "to 0000-0003-1415-9269" in demoted.body
    assert profile_link(researcher) in demoted.links()
    assert not [m for m in sent_mail.messages() if "rival@example.org" in m.to]


@pytest.mark.django_db
def test_an_event_is_mailed_once_and_only_if_it_concerns_someone(mailoutbox):
    user = UserFactory(email="claimant@example.org")
    claim = claim_submit(user=user, researcher=ResearcherFactory())
    submitted = claim.events.get()
    claim_approve(claim=claim, moderator=UserFactory(), reason="ok")
    approved = claim.events.get(kind="approved")

    assert claim_event_mail_send(event_id=submitted.pk) == 0
    assert claim_event_mail_send(event_id=approved.pk) == 1
    assert claim_event_mail_send(event_id=approved.pk) == 0  # a redelivery
    assert claim_event_mail_send(event_id=10**9) == 0
    assert [mail.to for mail in mailoutbox] == [["claimant@example.org"]]
