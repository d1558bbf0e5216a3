"""ORCID sign-in as evidence: a user whose ORCID iD is the record's gets the
claim approved at once at L3, with no moderator. Driven through the test
client as a browser would go: the profile's "Claim with ORCID" form, the
redirect to orcid.org's authorize page, allauth's callback; ORCID's token
and record endpoints are replayed at the HTTP boundary from
tests/fixtures/orcid (see its README)."""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from claims.models import Claim, ClaimEvent
from claims.services import claim_submit
from profiles.models import ProfileChange, Researcher, VerificationLevel
from tests.factories import ResearcherFactory, verified_user
from tests.helpers.pages import page_text, profile_url

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "orcid"
RECORD_ORCID = "0000-0002-1825-0097"  # Josiah Carberry, ORCID's example
OTHER_ORCID = "0000-0003-1415-9269"
CLIENT_ID = "APP-TESTCLAIMS00001"
CLIENT_SECRET = "test-secret-not-real"
TOKEN_URL = "https://pub.orcid.org/oauth/token"
CALLBACK = "/accounts/orcid/login/callback/"
COMPLETE = "/claims/orcid/complete/"


@pytest.fixture(autouse=True)
def orcid_app(settings):
    """An ORCID app as base.py makes one from ORCID_CLIENT_ID / _SECRET."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "orcid": {
            "BASE_DOMAIN": "orcid.org",
            "MEMBER_API": False,
            "APPS": [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET, "key": ""}],
        }
    }


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def orcid_answers(orcid: str) -> None:
    """ORCID's token and record endpoints, answering for ``orcid``."""
    responses.post(TOKEN_URL, json=fixture(f"token_{orcid}.json"))
    responses.get(
        f"https://pub.orcid.org/v3.0/{orcid}/record",
        json=fixture(f"record_{orcid}.json"),
    )


def start_url(researcher) -> str:
    return f"/researchers/{researcher.openalex_id}/claim/orcid/"


def sign_in_at_orcid(client, researcher) -> str:
    """Post the profile's "Claim with ORCID" form and check the redirect to
    ORCID's authorize page; return the state allauth gave it."""
    start = client.post(start_url(researcher))
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    assert (authorize.scheme, authorize.netloc, authorize.path) == (
        "https",
        "orcid.org",
        "/oauth/authorize",
    )
    query = parse_qs(authorize.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["/authenticate"]
    assert query["redirect_uri"] == [f"http://testserver{CALLBACK}"]
    (state,) = query["state"]
    assert state
    return state


@responses.activate
def test_an_orcid_sign_in_matching_the_record_approves_the_claim_at_l3(client):
    researcher = ResearcherFactory(orcid=RECORD_ORCID)
    user = verified_user()
    client.force_login(user)
    assert "Claim with ORCID" in page_text(client.get(profile_url(researcher)))
    state = sign_in_at_orcid(client, researcher)
    orcid_answers(RECORD_ORCID)

    callback = client.get(CALLBACK, {"code": "Q7xP2k", "state": state})

    assert callback.status_code == 302
    assert callback["Location"] == COMPLETE
    token_call, record_call = responses.calls
    sent = parse_qs(token_call.request.body)
    assert sent["code"] == ["Q7xP2k"]
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["client_id"] == [CLIENT_ID]
    assert sent["redirect_uri"] == [f"http://testserver{CALLBACK}"]
    assert record_call.request.headers["accept"] == "application/orcid+json"
    account = SocialAccount.objects.get(provider="orcid")
    assert (account.user, account.uid) == (user, RECORD_ORCID)

    done = client.get(COMPLETE, follow=True)

    assert done.redirect_chain[-1][0] == profile_url(researcher) + "#identity"
    claim = Claim.objects.get()
    assert (claim.user, claim.state, claim.verification_level) == (
        user,
        "approved",
        VerificationLevel.L3,
    )
    assert (claim.evidence, claim.evidence_orcid) == ("orcid", RECORD_ORCID)
    assert claim.decided_by is None  # no moderator
    assert list(claim.events.order_by("id").values_list("kind", "actor", "reason")) == [
        ("submitted", user.pk, ""),
        ("approved", None, "ORCID sign-in matches the record"),
    ]
    researcher = Researcher.objects.get(pk=researcher.pk)
    assert (researcher.is_claimed, researcher.verification_level) == (
        True,
        VerificationLevel.L3,
    )
    change = ProfileChange.objects.get(researcher=researcher)
    assert (change.kind, change.actor_role, change.actor) == ("claim", "system", None)
    assert change.summary == "A claim was approved automatically (verification L3)."
    text = page_text(done)
    assert "Your ORCID iD matches the record's: your claim is approved" in text
    assert "You manage this profile." in text
    assert "Verification L3" in text


@responses.activate
def test_an_orcid_id_that_is_not_the_records_leaves_a_claim_for_moderators(
    client,
):
    researcher = ResearcherFactory(orcid=RECORD_ORCID)
    user = verified_user()
    client.force_login(user)
    state = sign_in_at_orcid(client, researcher)
    orcid_answers(OTHER_ORCID)

    client.get(CALLBACK, {"code": "abc", "state": state})
    done = client.get(COMPLETE, follow=True)

    assert SocialAccount.objects.get(provider="orcid").uid == OTHER_ORCID
    claim = Claim.objects.get()
    assert (claim.state, claim.evidence, claim.decided_at) == ("pending", "", None)
    assert list(claim.events.values_list("kind", flat=True)) == ["submitted"]
    assert not Researcher.objects.get(pk=researcher.pk).is_claimed
    text = page_text(done)
    assert "Your ORCID iD did not match the record's ORCID iD" in text
    assert "Your claim is under review." in text


def test_a_user_already_signed_in_with_the_records_orcid_is_approved_at_once(
    client,
):
    researcher = ResearcherFactory(orcid=RECORD_ORCID)
    user = verified_user()
    SocialAccount.objects.create(user=user, provider="orcid", uid=RECORD_ORCID)
    client.force_login(user)

    response = client.post(start_url(researcher))

    # Straight back to the profile: no trip to orcid.org.
    assert response["Location"] == profile_url(researcher) + "#identity"
    claim = Claim.objects.get()
    assert (claim.state, claim.verification_level, claim.evidence) == (
        "approved",
        VerificationLevel.L3,
        "orcid",
    )


def test_an_orcid_id_inside_a_longer_string_is_no_evidence(client):
    """The iD is validated whole: a uid that merely contains the record's iD
    matches nothing."""
    researcher = ResearcherFactory(orcid=RECORD_ORCID)
    user = verified_user()
    SocialAccount.objects.create(
        user=user, provider="orcid", uid=f"https://evil.example/{RECORD_ORCID}"
    )
    client.force_login(user)
    client.post(start_url(researcher))  # off to ORCID: no match at home
    client.get(COMPLETE)

    claim = Claim.objects.get()
    assert (claim.state, claim.evidence) == ("pending", "")


def test_the_completion_does_nothing_without_the_claim_the_user_started(client):
    """Only the CSRF-protected POST sets the intent: a link to the
    completion page (from another site, say) claims nothing, even for a
    user whose ORCID iD is the record's."""
    ResearcherFactory(orcid=RECORD_ORCID)
    user = verified_user()
    SocialAccount.objects.create(user=user, provider="orcid", uid=RECORD_ORCID)
    client.force_login(user)

    response = client.get(COMPLETE, follow=True)

    assert not Claim.objects.exists()
    assert "No ORCID claim was in progress" in page_text(response)
    assert Client().get(COMPLETE).status_code == 302  # to the login page
    assert not ClaimEvent.objects.exists()


def test_claiming_with_orcid_needs_a_post_with_the_csrf_token(client):
    researcher = ResearcherFactory(orcid=RECORD_ORCID)
    user = verified_user()
    client.force_login(user)
    assert client.get(start_url(researcher)).status_code == 405
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(user)
    assert forged.post(start_url(researcher)).status_code == 403
    anonymous = Client().post(start_url(researcher))
    assert anonymous["Location"].startswith("/accounts/login/")
    assert "claims.orcid_intent" not in forged.session
    assert not Claim.objects.exists()


def test_claim_with_orcid_is_offered_only_for_a_record_with_an_orcid(client, settings):
    with_orcid = ResearcherFactory(orcid=RECORD_ORCID)
    without = ResearcherFactory()
    client.force_login(verified_user())

    assert "Claim with ORCID" in page_text(client.get(profile_url(with_orcid)))
    assert "Claim with ORCID" not in page_text(client.get(profile_url(without)))
    refused = client.post(start_url(without), follow=True)
    assert "This record carries no ORCID iD to match" in page_text(refused)
    settings.SOCIALACCOUNT_PROVIDERS = {"orcid": {"APPS": []}}
    assert "Claim with ORCID" not in page_text(client.get(profile_url(with_orcid)))
    assert not Claim.objects.exists()


def test_a_disputed_claim_is_left_to_the_moderators_whatever_the_orcid(client):
    researcher = ResearcherFactory(orcid=RECORD_ORCID)
    user = verified_user()
    claim = claim_submit(user=user, researcher=researcher)
    Claim.objects.filter(pk=claim.pk).update(state="disputed")
    SocialAccount.objects.create(user=user, provider="orcid", uid=RECORD_ORCID)
    client.force_login(user)

    response = client.post(start_url(researcher), follow=True)

    assert Claim.objects.get(pk=claim.pk).state == "disputed"
    assert "Your claim is disputed: a moderator will decide on it." in page_text(
        response
    )


def test_a_pending_claim_is_the_one_an_orcid_sign_in_approves(client):
    researcher = ResearcherFactory(orcid=RECORD_ORCID)
    user = verified_user()
    pending = claim_submit(user=user, researcher=researcher, note="Mine.")
    SocialAccount.objects.create(user=user, provider="orcid", uid=RECORD_ORCID)
    client.force_login(user)

    client.post(start_url(researcher))

    claim = Claim.objects.get()
    assert (claim.pk, claim.state, claim.note) == (pending.pk, "approved", "Mine.")
    assert "claims.orcid_intent" not in client.session
