"""The mail of direct collaboration, sent by the real Celery worker after
the commit and read from the file backend it writes to: the recipient
hears of an invitation, the initiator of its acceptance, each side of the
other's messages; each switch keeps its own mail away."""

import pytest
from django.conf import settings

from collaboration.notifications import (
    acceptance_mail_send,
    invitation_mail_send,
    message_mail_send,
)
from collaboration.services import (
    conversation_accept,
    conversation_decline,
    message_send,
    notification_settings_update,
)
from tests.factories import UserFactory

from .helpers import invite

COLLABORATION_SUBJECTS = ("invitation", "accepted", "wrote", "declined")


def collaboration_mail(sent_mail, to: str) -> list[str]:
    return [
        message.subject
        for message in sent_mail.messages()
        if to in message.to
        and any(word in message.subject for word in COLLABORATION_SUBJECTS)
    ]


@pytest.mark.django_db(transaction=True)
def test_the_worker_mails_each_step_of_a_conversation(
    celery_worker_process, sent_mail, make_profile, visitor
):
    make_profile(owner=visitor, display_name="Ada Lovelace")
    profile = make_profile(
        owner=UserFactory(username="bea", email="bea@example.org"),
        display_name="Bea Owner",
    )
    conversation = invite(visitor, profile, subject="Graphs", body="Hello Bea")
    link = f"{settings.SITE_URL}/inbox/{conversation.pk}/"

    invitation = sent_mail.wait_for(
        to="bea@example.org",
        subject="[BZPEER] An invitation to collaborate from Ada Lovelace",
    )
    assert "Ada Lovelace invites you to a conversation about your profile Bea" in (
        invitation.body
    )
    assert link in invitation.links()
    assert f"{settings.SITE_URL}/inbox/settings/" in invitation.links()
    assert "Hello Bea" not in invitation.body
    assert "Graphs" not in invitation.body

    conversation_accept(conversation=conversation, user=profile.owner)
    accepted = sent_mail.wait_for(
        to="ada@example.org", subject="Bea Owner accepted your invitation"
    )
    assert 'accepted your invitation "Graphs"' in accepted.body
    assert link in accepted.links()

    message_send(conversation=conversation, sender=profile.owner, body="Hi Ada!")
    reply = sent_mail.wait_for(to="ada@example.org", subject="Bea Owner wrote: Graphs")
    assert "Hi Ada!" in reply.body
    assert link in reply.links()
    message_send(conversation=conversation, sender=visitor, body="Hi Bea!")
    answer = sent_mail.wait_for(
        to="bea@example.org", subject="Ada Lovelace wrote: Graphs"
    )
    assert "Hi Bea!" in answer.body
    assert all(url.startswith(settings.SITE_URL) for url in answer.links())


@pytest.mark.django_db(transaction=True)
def test_each_switch_keeps_its_own_mail_away(
    celery_worker_process, sent_mail, make_profile, visitor
):
    quiet = make_profile(owner=UserFactory(username="q", email="quiet@example.org"))
    notification_settings_update(
        user=quiet.owner, notify_invitations=False, notify_replies=True
    )
    notification_settings_update(
        user=visitor, notify_invitations=True, notify_replies=False
    )
    conversation = invite(visitor, quiet)
    conversation_accept(conversation=conversation, user=quiet.owner)
    message_send(conversation=conversation, sender=quiet.owner, body="To Ada")
    # Replies still reach the owner, whose replies switch is on: mailed after
    # the others, this one tells they were all taken and sent nothing.
    message_send(conversation=conversation, sender=visitor, body="To Q")
    sent_mail.wait_for(to="quiet@example.org", subject="wrote:")

    assert collaboration_mail(sent_mail, "quiet@example.org") == [
        "[BZPEER] A BZPEER member without a public profile wrote: "
        "Working together on tests"
    ]
    assert collaboration_mail(sent_mail, "ada@example.org") == []


@pytest.mark.django_db(transaction=True)
def test_a_decline_with_a_message_is_mailed_as_a_reply(
    celery_worker_process, sent_mail, profile, visitor
):
    conversation = invite(visitor, profile)
    conversation_decline(
        conversation=conversation, user=profile.owner, message="Not this year."
    )

    declined = sent_mail.wait_for(
        to="ada@example.org", subject="Bea Owner declined your invitation"
    )

    assert "Not this year." in declined.body
    assert "The conversation is closed" in declined.body


@pytest.mark.django_db
def test_each_event_is_mailed_once(profile, visitor, mailoutbox):
    conversation = invite(visitor, profile)
    conversation_accept(conversation=conversation, user=profile.owner)
    message = message_send(conversation=conversation, sender=visitor, body="Hi")

    assert invitation_mail_send(conversation_id=conversation.pk) == 1
    assert invitation_mail_send(conversation_id=conversation.pk) == 0
    assert acceptance_mail_send(conversation_id=conversation.pk) == 1
    assert acceptance_mail_send(conversation_id=conversation.pk) == 0
    assert message_mail_send(message_id=message.pk) == 1
    assert message_mail_send(message_id=message.pk) == 0
    assert invitation_mail_send(conversation_id=10**9) == 0
    assert message_mail_send(message_id=10**9) == 0
    assert [mail.to for mail in mailoutbox] == [
        ["bea@example.org"],
        ["ada@example.org"],
        ["bea@example.org"],
    ]
