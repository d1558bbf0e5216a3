"""Blocking: what a blocked account sends looks sent to it, is stored
nowhere and never reaches the blocker (no row, no unread mark, no mail);
the blocker unblocks from the inbox."""

import pytest

from collaboration.models import Block, Conversation, Message
from collaboration.notifications import message_mail_send
from collaboration.selectors import inbox_unread_count
from collaboration.services import (
    CollaborationRefused,
    block_create,
    block_delete,
    conversation_accept,
    message_send,
)
from tests.factories import UserFactory
from tests.helpers.pages import page_text, profile_url

from .helpers import collaboration_digest, invite

pytestmark = pytest.mark.django_db


def accepted(profile, visitor) -> Conversation:
    conversation = invite(visitor, profile)
    conversation_accept(conversation=conversation, user=profile.owner)
    conversation_mark_read_by_both(conversation)
    return conversation


def conversation_mark_read_by_both(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(
        initiator_read_at="2100-01-01T00:00Z", recipient_read_at="2100-01-01T00:00Z"
    )


def test_a_blocked_users_message_reaches_nothing(
    client, profile, visitor, enqueued, django_capture_on_commit_callbacks
):
    conversation = accepted(profile, visitor)
    client.force_login(profile.owner)
    client.post(f"/inbox/{conversation.pk}/block/")
    owner_unread = inbox_unread_count(user=profile.owner)
    before = collaboration_digest()
    enqueued.clear()
    client.force_login(visitor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/inbox/{conversation.pk}/reply/", {"body": "Why no answer?"}, follow=True
        )

    # It looks sent to the sender...
    assert "Your message is sent." in page_text(response)
    # ...and nothing of it exists: no row, no unread mark, no mail enqueued.
    assert collaboration_digest() == before
    assert not Message.objects.filter(body="Why no answer?").exists()
    assert inbox_unread_count(user=profile.owner) == owner_unread == 0
    assert enqueued() == []


def test_a_blocked_users_invitation_looks_sent(
    client, make_profile, visitor, enqueued, django_capture_on_commit_callbacks
):
    profile = make_profile()
    block_create(blocker=profile.owner, blocked_id=visitor.pk)
    client.force_login(visitor)
    before = collaboration_digest()
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/researchers/{profile.researcher.openalex_id}/invite/",
            {"subject": "Hello", "body": "Let us work."},
        )

    assert response["Location"] == profile_url(profile.researcher) + "#collaboration"
    assert "Your invitation is sent." in page_text(client.get(response["Location"]))
    assert collaboration_digest() == before
    assert inbox_unread_count(user=profile.owner) == 0
    assert enqueued() == []


def test_a_sent_invitation_answers_the_same_way(client, profile, visitor):
    client.force_login(visitor)

    response = client.post(
        f"/researchers/{profile.researcher.openalex_id}/invite/",
        {"subject": "Hello", "body": "Let us work."},
    )

    assert response["Location"] == profile_url(profile.researcher) + "#collaboration"
    assert "Your invitation is sent." in page_text(client.get(response["Location"]))
    assert Conversation.objects.get().recipient == profile.owner


def test_the_blocker_is_told_to_unblock_before_writing(profile, visitor):
    conversation = accepted(profile, visitor)
    block_create(blocker=profile.owner, blocked_id=visitor.pk)

    with pytest.raises(CollaborationRefused) as refusal:
        message_send(conversation=conversation, sender=profile.owner, body="Hi")

    assert str(refusal.value) == (
        "You blocked this account: unblock it to write to them."
    )


def test_blocking_is_idempotent_and_never_oneself(profile, visitor):
    first = block_create(blocker=profile.owner, blocked_id=visitor.pk)
    assert block_create(blocker=profile.owner, blocked_id=visitor.pk) == first
    assert Block.objects.count() == 1
    with pytest.raises(CollaborationRefused):
        block_create(blocker=visitor, blocked_id=visitor.pk)
    assert block_delete(blocker=profile.owner, blocked_id=visitor.pk) is True
    assert block_delete(blocker=profile.owner, blocked_id=visitor.pk) is False


def test_unblocked_from_the_inbox_the_messages_go_through_again(
    client, profile, visitor
):
    conversation = accepted(profile, visitor)
    block_create(blocker=profile.owner, blocked_id=visitor.pk)
    assert message_send(conversation=conversation, sender=visitor, body="1") is None
    client.force_login(profile.owner)
    inbox = page_text(client.get("/inbox/"))
    assert "Blocked accounts" in inbox
    assert "A BZPEER member without a public profile" in inbox

    response = client.post(f"/inbox/blocked/{visitor.pk}/unblock/", follow=True)

    assert "The account is unblocked." in page_text(response)
    assert "You have blocked nobody." in page_text(response)
    assert message_send(conversation=conversation, sender=visitor, body="2")
    assert list(conversation.messages.values_list("body", flat=True)).count("1") == 0


def test_one_cannot_unblock_for_someone_else(client, profile, visitor):
    block_create(blocker=profile.owner, blocked_id=visitor.pk)
    client.force_login(UserFactory())

    client.post(f"/inbox/blocked/{visitor.pk}/unblock/")

    assert Block.objects.filter(blocker=profile.owner, blocked=visitor).exists()


def test_a_block_after_the_message_still_keeps_its_mail_away(
    profile, visitor, mailoutbox
):
    conversation = accepted(profile, visitor)
    message = message_send(conversation=conversation, sender=visitor, body="Hi")
    block_create(blocker=profile.owner, blocked_id=visitor.pk)

    assert message_mail_send(message_id=message.pk) == 0
    assert mailoutbox == []


def test_the_block_button_on_the_conversation_page(client, profile, visitor):
    conversation = accepted(profile, visitor)
    client.force_login(profile.owner)
    page = page_text(client.get(f"/inbox/{conversation.pk}/"))
    assert "Block this account" in page

    response = client.post(f"/inbox/{conversation.pk}/block/", follow=True)

    assert Block.objects.filter(blocker=profile.owner, blocked=visitor).exists()
    text = page_text(response)
    assert "You blocked this account" in text
    assert "Unblock this account" in text
    # The blocked side sees nothing different.
    client.force_login(visitor)
    visitor_page = page_text(client.get(f"/inbox/{conversation.pk}/"))
    assert "blocked" not in visitor_page.lower()
