"""Follow, claim, invite and the inbox through the API: the services' own
rules, their refusals as 400 with the reason."""

import pytest

from claims.models import Claim
from collaboration.models import Conversation
from profiles.models import Follow
from tests.factories import (
    ClaimedResearcherFactory,
    ResearcherFactory,
    UserFactory,
    approved_claim,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(api):
    user = UserFactory()
    api.force_authenticate(user)
    return user


def test_follow_and_unfollow_are_idempotent(api, user):
    researcher = ResearcherFactory(openalex_id="A1")

    assert api.post("/api/researchers/A1/follow/").json()["changed"] is True
    assert api.post("/api/researchers/A1/follow/").json()["changed"] is False
    assert Follow.objects.filter(user=user, researcher=researcher).count() == 1
    gone = api.delete("/api/researchers/A1/follow/").json()
    assert gone == {"researcher": "A1", "is_following": False, "changed": True}
    assert not Follow.objects.exists()


def test_a_hidden_researcher_cannot_be_followed(api, user):
    ResearcherFactory(openalex_id="A1", is_hidden=True)

    assert api.post("/api/researchers/A1/follow/").status_code == 404
    assert not Follow.objects.exists()


def test_claim_submit_then_withdraw(api, user):
    researcher = ResearcherFactory(openalex_id="A1")

    made = api.post("/api/researchers/A1/claim/", {"note": "Mine."}, format="json")
    assert made.status_code == 201
    claim = Claim.objects.get(user=user, researcher=researcher)
    assert made.json() == {
        "id": claim.pk,
        "researcher": "A1",
        "state": "pending",
        "created_at": made.json()["created_at"],
    }
    again = api.post("/api/researchers/A1/claim/", {}, format="json")
    assert again.status_code == 400
    assert again.json() == {
        "error": {
            "code": "refused",
            "message": "Your claim on this profile is already under review.",
        }
    }
    assert Claim.objects.filter(user=user).count() == 1

    withdrawn = api.delete("/api/researchers/A1/claim/")
    assert withdrawn.json()["state"] == "withdrawn"
    nothing = api.delete("/api/researchers/A1/claim/")
    assert nothing.status_code == 400
    assert nothing.json()["error"]["message"] == (
        "You have no open claim on this profile."
    )


def test_invitation_refusals_and_the_inbox(api, user, moderator):
    ResearcherFactory(openalex_id="A1")
    owner = UserFactory()
    researcher = ClaimedResearcherFactory(openalex_id="A2", is_claimed=False)
    approved_claim(user=owner, researcher=researcher, moderator=moderator)

    unclaimed = api.post(
        "/api/researchers/A1/invitation/",
        {"subject": "Hello", "body": "Shall we?"},
        format="json",
    )
    assert unclaimed.status_code == 400
    assert unclaimed.json()["error"]["message"] == (
        "Claim this author entity first to unlock direct invitations."
    )
    invalid = api.post("/api/researchers/A2/invitation/", {}, format="json")
    assert invalid.status_code == 400
    assert set(invalid.json()["error"]["fields"]) == {"subject", "body"}
    assert not Conversation.objects.exists()

    sent = api.post(
        "/api/researchers/A2/invitation/",
        {"subject": "Hello", "body": "Shall we?"},
        format="json",
    )
    assert sent.status_code == 201
    conversation = Conversation.objects.get(initiator=user)

    inbox = api.get("/api/me/conversations/").json()["results"]
    assert inbox == [
        {
            "id": conversation.pk,
            "subject": "Hello",
            "state": "pending",
            "role": "initiator",
            "researcher": {
                "openalex_id": "A2",
                "display_name": researcher.display_name,
            },
            "is_unread": False,
            "last_message_at": inbox[0]["last_message_at"],
        }
    ]
    api.force_authenticate(None)
    assert api.get("/api/me/conversations/").status_code == 401
