"""The inbox: the user's conversations as recipient or initiator, newest
activity first, unread marked, active or archived, paginated, at a fixed
number of queries; the blocked accounts; the mail settings page."""

import re

import pytest

from collaboration.models import Conversation, NotificationSettings
from collaboration.services import (
    block_create,
    conversation_accept,
    conversation_archive,
    message_send,
)
from tests.factories import UserFactory
from tests.helpers.pages import page_text

from .helpers import invite

pytestmark = pytest.mark.django_db


def subjects(response) -> list[str]:
    return re.findall(
        r'class="conversation-row__link" href="/inbox/\d+/">([^<]*)</a>',
        response.content.decode(),
    )


def unread_subjects(response) -> list[str]:
    rows = re.findall(
        r'<li class="card conversation-row( conversation-row--unread)?">.*?'
        r'class="conversation-row__link"[^>]*>([^<]*)</a>',
        response.content.decode(),
        re.S,
    )
    return [subject for unread, subject in rows if unread]


def test_both_sides_newest_activity_first_with_unread_marks(
    client, make_profile, profile, visitor
):
    mine = make_profile(owner=visitor, display_name="Ada Lovelace")
    received = invite(UserFactory(), mine, subject="To my profile")
    sent = invite(visitor, profile, subject="From me")
    conversation_accept(conversation=sent, user=profile.owner)
    client.force_login(visitor)

    response = client.get("/inbox/")

    assert subjects(response) == ["From me", "To my profile"]
    assert unread_subjects(response) == ["From me", "To my profile"]
    text = page_text(response)
    assert "To Bea Owner" in text
    assert (
        "From A BZPEER member without a public profile · to your profile Ada Lovelace"
        in text
    )
    assert "Invitation to answer" in text
    client.get(f"/inbox/{received.pk}/")
    assert unread_subjects(client.get("/inbox/")) == ["From me"]


def test_the_initiator_is_named_by_their_public_profile(
    client, make_profile, profile, visitor
):
    make_profile(owner=visitor, display_name="Ada Lovelace")
    invite(visitor, profile)
    client.force_login(profile.owner)

    text = page_text(client.get("/inbox/"))

    assert "From Ada Lovelace · to your profile Bea Owner" in text
    assert "ada@example.org" not in text  # never the e-mail address


def test_archived_conversations_have_their_own_list(client, profile, visitor):
    kept = invite(visitor, profile, subject="Kept")
    put_away = invite(UserFactory(), profile, subject="Put away")
    conversation_archive(conversation=put_away, user=profile.owner)
    client.force_login(profile.owner)

    active = client.get("/inbox/")
    archived = client.get("/inbox/?show=archived")

    assert subjects(active) == ["Kept"]
    assert subjects(archived) == ["Put away"]
    assert "1 conversation" in page_text(archived)
    # The other side still has it in their active list.
    client.force_login(put_away.initiator)
    assert subjects(client.get("/inbox/")) == ["Put away"]
    assert kept.pk != put_away.pk


def test_the_inbox_paginates_twenty_a_page(client, profile):
    for number in range(25):
        invite(UserFactory(), profile, subject=f"Invitation {number:02d}")
    client.force_login(profile.owner)

    first = client.get("/inbox/")
    second = client.get("/inbox/?page=2")

    assert subjects(first) == [f"Invitation {n:02d}" for n in range(24, 4, -1)]
    assert subjects(second) == [f"Invitation {n:02d}" for n in range(4, -1, -1)]
    assert client.get("/inbox/?page=3").status_code == 404


def test_the_inbox_costs_the_same_with_3_or_40_conversations(
    client, make_profile, django_assert_max_num_queries, django_assert_num_queries
):
    quiet, busy = make_profile(), make_profile()
    for profile, count in ((quiet, 3), (busy, 40)):
        for _ in range(count):
            initiator = UserFactory()
            make_profile(owner=initiator)  # named by a public record
            conversation = invite(initiator, profile)
            conversation_accept(conversation=conversation, user=profile.owner)
            message_send(conversation=conversation, sender=initiator, body="Hi")
        for _ in range(count):
            block_create(blocker=profile.owner, blocked_id=UserFactory().pk)

    client.get("/")  # the sample-data flag is cached from here on
    client.force_login(quiet.owner)
    with django_assert_max_num_queries(10) as captured:
        assert client.get("/inbox/").status_code == 200
    client.force_login(busy.owner)
    with django_assert_num_queries(len(captured)):
        response = client.get("/inbox/")
    assert len(subjects(response)) == 20


def test_the_conversation_page_costs_the_same_for_2_or_60_messages(
    client, profile, visitor, django_assert_max_num_queries, django_assert_num_queries
):
    short = invite(visitor, profile, subject="Short")
    long = invite(UserFactory(), profile, subject="Long")
    for conversation in (short, long):
        conversation_accept(conversation=conversation, user=profile.owner)
    for number in range(60):
        message_send(conversation=long, sender=long.initiator, body=f"m{number}")
    client.force_login(profile.owner)
    client.get("/")  # the sample-data flag is cached from here on
    client.get(f"/inbox/{short.pk}/")
    client.get(f"/inbox/{long.pk}/")  # both read: no write on the next views

    with django_assert_max_num_queries(10) as captured:
        client.get(f"/inbox/{short.pk}/")
    with django_assert_num_queries(len(captured)):
        response = client.get(f"/inbox/{long.pk}/")
    assert "m59" in page_text(response)


def test_the_settings_page_sets_the_two_switches(client, visitor):
    client.force_login(visitor)
    html = client.get("/inbox/settings/").content.decode()
    assert 'name="notify_invitations" checked' in html
    assert 'name="notify_replies" checked' in html

    response = client.post("/inbox/settings/", {"notify_replies": "on"}, follow=True)

    assert "Your mail settings are saved." in page_text(response)
    switches = NotificationSettings.objects.get(user=visitor)
    assert (switches.notify_invitations, switches.notify_replies) == (False, True)
    html = response.content.decode()
    assert 'name="notify_invitations">' in html
    assert 'name="notify_replies" checked' in html
    assert not Conversation.objects.exists()
