"""The limits on invitations and messages, per user, counted in Redis by
django-ratelimit, and the cap on invitations waiting for an answer."""

import pytest
from django.test import Client

from collaboration.models import Conversation, Message
from collaboration.services import conversation_accept
from tests.helpers.pages import page_text

from .helpers import invite

pytestmark = pytest.mark.django_db


def invite_url(profile) -> str:
    return f"/researchers/{profile.researcher.openalex_id}/invite/"


def post_invitation(client, profile):
    return client.post(
        invite_url(profile), {"subject": "Hello", "body": "Let us work."}, follow=True
    )


def test_invitations_are_rate_limited_per_user(client, make_profile, visitor, settings):
    settings.INVITATION_RATE_PER_USER = "2/d"
    profiles = [make_profile() for _ in range(3)]
    client.force_login(visitor)

    for profile in profiles[:2]:
        assert "Your invitation is sent." in page_text(post_invitation(client, profile))
    response = post_invitation(client, profiles[2])

    assert "You have sent many invitations lately: try again later." in page_text(
        response
    )
    assert Conversation.objects.filter(initiator=visitor).count() == 2
    # Someone else still has their own allowance.
    other = Client()
    other.force_login(profiles[0].owner)
    assert "Your invitation is sent." in page_text(post_invitation(other, profiles[2]))


def test_the_open_invitations_cap_holds_on_the_page(
    client, make_profile, visitor, settings
):
    settings.INVITATIONS_OPEN_MAX = 1
    first, second = make_profile(), make_profile()
    client.force_login(visitor)
    post_invitation(client, first)

    response = post_invitation(client, second)

    assert (
        "You have 1 invitation waiting for an answer, as many as can wait at once"
        in page_text(response)
    )
    assert Conversation.objects.filter(initiator=visitor).count() == 1


def test_messages_are_rate_limited_per_user(client, profile, visitor, settings):
    settings.MESSAGE_RATE_PER_USER = "3/h"
    conversation = invite(visitor, profile)
    conversation_accept(conversation=conversation, user=profile.owner)
    client.force_login(visitor)

    for number in range(3):
        client.post(f"/inbox/{conversation.pk}/reply/", {"body": f"m{number}"})
    response = client.post(
        f"/inbox/{conversation.pk}/reply/", {"body": "one too many"}, follow=True
    )

    assert "You have written many messages lately: wait a bit." in page_text(response)
    assert list(
        Message.objects.filter(sender=visitor)
        .order_by("id")
        .values_list("body", flat=True)
    ) == ["Hello, shall we write a paper?", "m0", "m1", "m2"]
