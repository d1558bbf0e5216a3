"""A conversation after the invitation: the recipient accepts or declines,
both write once accepted, each side archives and reads for itself, and
nobody but the two participants reaches it, on the site or by id."""

import pytest
from django.test import Client

from collaboration.models import Conversation, Message
from collaboration.selectors import inbox_unread_count
from collaboration.services import (
    CollaborationRefused,
    conversation_accept,
    conversation_archive,
    conversation_decline,
    conversation_mark_read,
    message_send,
)
from tests.factories import UserFactory
from tests.helpers.pages import page_text

from .helpers import collaboration_digest, invite

pytestmark = pytest.mark.django_db


def url(conversation, action: str = "") -> str:
    return f"/inbox/{conversation.pk}/" + (f"{action}/" if action else "")


def refused(**call) -> str:
    action = call.pop("action")
    before = collaboration_digest()
    with pytest.raises(CollaborationRefused) as refusal:
        action(**call)
    assert collaboration_digest() == before
    return str(refusal.value)


def test_accepted_both_write_and_each_reply_is_unread_for_the_other(profile, visitor):
    conversation = invite(visitor, profile)
    assert inbox_unread_count(user=profile.owner) == 1
    assert inbox_unread_count(user=visitor) == 0

    conversation_accept(conversation=conversation, user=profile.owner)
    assert inbox_unread_count(user=visitor) == 1  # the acceptance is news
    assert inbox_unread_count(user=profile.owner) == 0
    message_send(conversation=conversation, sender=profile.owner, body="Yes!")
    message_send(conversation=conversation, sender=visitor, body="Great.")

    assert list(
        Message.objects.filter(conversation=conversation)
        .order_by("id")
        .values_list("sender", "body")
    ) == [
        (visitor.pk, "Hello, shall we write a paper?"),
        (profile.owner.pk, "Yes!"),
        (visitor.pk, "Great."),
    ]
    assert inbox_unread_count(user=profile.owner) == 1
    assert inbox_unread_count(user=visitor) == 0
    conversation.refresh_from_db()
    assert conversation.state == "accepted"
    assert conversation.decided_at is not None


def test_accepting_twice_changes_nothing(profile, visitor):
    conversation = invite(visitor, profile)
    conversation_accept(conversation=conversation, user=profile.owner)
    before = collaboration_digest()

    conversation_accept(conversation=conversation, user=profile.owner)

    assert collaboration_digest() == before


def test_while_pending_only_the_recipient_answers_and_nobody_writes(profile, visitor):
    conversation = invite(visitor, profile)

    assert refused(
        action=message_send, conversation=conversation, sender=visitor, body="And?"
    ).startswith("Your invitation is waiting for an answer")
    assert refused(
        action=message_send,
        conversation=conversation,
        sender=profile.owner,
        body="Hi",
    ) == ("Accept the invitation to reply.")
    assert refused(
        action=conversation_accept, conversation=conversation, user=visitor
    ) == ("Only the person invited can answer.")
    assert refused(
        action=conversation_decline, conversation=conversation, user=visitor
    ) == ("Only the person invited can answer.")


def test_after_a_decline_nobody_writes(profile, visitor):
    conversation = invite(visitor, profile)
    conversation_decline(
        conversation=conversation, user=profile.owner, message="Not now, sorry."
    )

    for sender in (visitor, profile.owner):
        assert refused(
            action=message_send, conversation=conversation, sender=sender, body="x"
        ) == ("This invitation was declined: the conversation is closed.")
    assert refused(
        action=conversation_accept, conversation=conversation, user=profile.owner
    ) == ("You declined this invitation already.")
    assert list(
        conversation.messages.order_by("id").values_list("body", flat=True)
    ) == [
        "Hello, shall we write a paper?",
        "Not now, sorry.",
    ]
    assert inbox_unread_count(user=visitor) == 1


def test_a_stranger_can_do_nothing_through_the_services(profile, visitor):
    conversation = invite(visitor, profile)
    conversation_accept(conversation=conversation, user=profile.owner)
    stranger = UserFactory()

    assert refused(
        action=message_send, conversation=conversation, sender=stranger, body="Hi"
    ) == ("This conversation is not yours.")
    assert refused(
        action=conversation_archive, conversation=conversation, user=stranger
    ) == ("This conversation is not yours.")
    assert conversation_mark_read(conversation=conversation, user=stranger) is False


def test_each_side_archives_for_itself_and_a_reply_brings_it_back(profile, visitor):
    conversation = invite(visitor, profile)
    conversation_accept(conversation=conversation, user=profile.owner)
    conversation_archive(conversation=conversation, user=profile.owner)

    conversation.refresh_from_db()
    assert (conversation.recipient_archived, conversation.initiator_archived) == (
        True,
        False,
    )
    message_send(conversation=conversation, sender=visitor, body="Still there?")
    conversation.refresh_from_db()
    assert conversation.recipient_archived is False
    assert inbox_unread_count(user=profile.owner) == 1
    # Archived, an unread conversation leaves the header's count.
    conversation_archive(conversation=conversation, user=profile.owner)
    assert inbox_unread_count(user=profile.owner) == 0
    conversation_archive(conversation=conversation, user=profile.owner, archived=False)
    assert inbox_unread_count(user=profile.owner) == 1


def test_opening_the_conversation_marks_it_read_for_the_viewer_only(
    client, profile, visitor
):
    conversation = invite(visitor, profile)
    client.force_login(profile.owner)

    response = client.get(url(conversation))

    assert response.status_code == 200
    assert inbox_unread_count(user=profile.owner) == 0
    conversation.refresh_from_db()
    assert conversation.recipient_read_at >= conversation.last_message_at
    assert conversation.initiator_read_at == conversation.created_at


def test_a_third_user_gets_404_on_the_conversation_and_its_actions(
    client, profile, visitor, moderator
):
    conversation = invite(visitor, profile)
    conversation_accept(conversation=conversation, user=profile.owner)
    before = collaboration_digest()

    for outsider in (UserFactory(), moderator, UserFactory(is_superuser=True)):
        client.force_login(outsider)
        assert client.get(url(conversation)).status_code == 404
        for action in ("accept", "decline", "reply", "archive", "block", "report"):
            response = client.post(
                url(conversation, action), {"body": "Hi", "reason": "spam"}
            )
            assert response.status_code == 404, action
    assert client.get("/inbox/999999/").status_code == 404

    assert collaboration_digest() == before


def test_pages_need_a_login_and_writes_a_post(client, profile, visitor):
    conversation = invite(visitor, profile)

    for page in ("/inbox/", "/inbox/settings/", url(conversation)):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    response = client.post(url(conversation, "reply"), {"body": "Hi"})
    assert response["Location"].startswith("/accounts/login/")

    client.force_login(visitor)
    for action in ("accept", "decline", "reply", "archive", "block", "report"):
        assert client.get(url(conversation, action)).status_code == 405


def test_writes_are_refused_without_the_csrf_token(profile, visitor):
    conversation = invite(visitor, profile)
    owner = Client(enforce_csrf_checks=True)
    owner.force_login(profile.owner)
    sender = Client(enforce_csrf_checks=True)
    sender.force_login(visitor)
    before = collaboration_digest()

    for client, action in (
        (owner, "accept"),
        (owner, "decline"),
        (owner, "archive"),
        (owner, "block"),
        (owner, "report"),
        (sender, "reply"),
    ):
        response = client.post(url(conversation, action), {"reason": "x"})
        assert response.status_code == 403, action
    assert (
        sender.post(
            f"/researchers/{profile.researcher.openalex_id}/invite/",
            {"subject": "Again", "body": "Hi"},
        ).status_code
        == 403
    )
    assert owner.post("/inbox/settings/", {}).status_code == 403
    assert owner.post(f"/inbox/blocked/{visitor.pk}/unblock/").status_code == 403

    assert collaboration_digest() == before


def test_the_recipient_answers_from_the_page(client, profile, visitor):
    conversation = invite(visitor, profile)
    client.force_login(profile.owner)
    text = page_text(client.get(url(conversation)))
    assert "Accept the invitation" in text
    assert "Decline the invitation" in text
    assert "Reply" not in text.split("Your answer")[0]

    response = client.post(url(conversation, "accept"), follow=True)

    text = page_text(response)
    assert "You accepted the invitation: you can now write to each other." in text
    assert Conversation.objects.get().state == "accepted"
    response = client.post(
        url(conversation, "reply"), {"body": "Let us talk."}, follow=True
    )
    assert "Your message is sent." in page_text(response)
    assert "Let us talk." in page_text(response)


def test_the_initiator_cannot_write_while_pending_on_the_page(client, profile, visitor):
    conversation = invite(visitor, profile)
    client.force_login(visitor)

    text = page_text(client.get(url(conversation)))
    assert "Your invitation is waiting for an answer" in text
    assert 'name="body"' not in client.get(url(conversation)).content.decode()
    response = client.post(url(conversation, "reply"), {"body": "Hello?"}, follow=True)

    assert "you can write again once it is accepted" in page_text(response)
    assert Message.objects.count() == 1


def test_decline_with_a_message_from_the_page(client, profile, visitor):
    conversation = invite(visitor, profile)
    client.force_login(profile.owner)

    response = client.post(
        url(conversation, "decline"), {"message": "Busy this year."}, follow=True
    )

    assert "You declined the invitation." in page_text(response)
    conversation.refresh_from_db()
    assert conversation.state == "declined"
    assert conversation.messages.last().body == "Busy this year."


def test_archive_and_unarchive_from_the_page(client, profile, visitor):
    conversation = invite(visitor, profile)
    client.force_login(visitor)

    response = client.post(url(conversation, "archive"), {"archived": "1"})
    assert response["Location"] == "/inbox/"
    conversation.refresh_from_db()
    assert conversation.initiator_archived is True
    assert conversation.recipient_archived is False
    client.post(url(conversation, "archive"), {"archived": "0"})
    conversation.refresh_from_db()
    assert conversation.initiator_archived is False
