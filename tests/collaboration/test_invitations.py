"""The invitation that opens a conversation (collaboration.services.
invitation_send): who may send one to whom, about which work, how many may
wait for an answer, and the silence of a block. Every refusal says why and
changes nothing."""

import pytest
from django.db import IntegrityError

from collaboration.models import Block, Conversation, Message
from collaboration.services import (
    CollaborationRefused,
    block_create,
    conversation_accept,
    conversation_decline,
)
from profiles.models import Researcher
from tests.factories import (
    AuthorshipFactory,
    ResearcherFactory,
    UserFactory,
    WorkFactory,
)

from .helpers import collaboration_digest, invite

pytestmark = pytest.mark.django_db


def refused(sender, researcher, **fields) -> CollaborationRefused:
    before = collaboration_digest()
    with pytest.raises(CollaborationRefused) as refusal:
        invite(sender, researcher, **fields)
    assert collaboration_digest() == before
    return refusal.value


def test_an_invitation_opens_a_pending_conversation_with_the_owner(profile, visitor):
    conversation = invite(
        visitor,
        profile,
        subject="  Joint   work\non graphs ",
        body="Hello Bea,\r\nshall we?\n",
    )

    conversation.refresh_from_db()
    assert conversation.initiator == visitor
    assert conversation.recipient == profile.owner
    assert conversation.researcher == profile.researcher
    assert conversation.state == Conversation.State.PENDING
    assert conversation.subject == "Joint work on graphs"  # one line: a header
    assert conversation.work is None
    assert list(conversation.messages.values_list("sender", "body")) == [
        (visitor.pk, "Hello Bea,\nshall we?")
    ]
    # Read for the one who wrote it, unread for the one invited.
    assert conversation.initiator_read_at == conversation.last_message_at
    assert conversation.recipient_read_at is None


def test_the_unclaimed_profile_says_claim_it_first(visitor):
    refusal = refused(visitor, ResearcherFactory())

    assert str(refusal) == (
        "Claim this author entity first to unlock direct invitations."
    )


def test_a_profile_not_open_to_collaborate_takes_no_invitation(make_profile, visitor):
    closed = make_profile(is_open_to_collaborate=False)

    refusal = refused(visitor, closed)

    assert str(refusal) == "The owner of this profile is not taking invitations now."


def test_nobody_invites_their_own_profile(profile):
    refusal = refused(profile.owner, profile)

    assert str(refusal).startswith("This is your own profile")


def test_a_hidden_profile_is_refused_as_not_found(profile, visitor):
    Researcher.objects.filter(pk=profile.researcher.pk).update(is_hidden=True)

    refusal = refused(visitor, profile)

    assert refusal.not_found
    assert str(refusal) == "No researcher with this id."


def test_an_empty_or_overlong_subject_or_message_is_refused(profile, visitor):
    assert str(refused(visitor, profile, subject=" \n ")) == (
        "Give your invitation a subject."
    )
    assert str(refused(visitor, profile, body="  ")) == "Write a message."
    assert "under 200 characters" in str(refused(visitor, profile, subject="x" * 201))
    assert "under 5000 characters" in str(refused(visitor, profile, body="x" * 5001))


def test_one_open_conversation_per_person_and_profile(profile, visitor):
    first = invite(visitor, profile)

    refusal = refused(visitor, profile)

    assert str(refusal) == "You already have a conversation with this profile."
    assert refusal.conversation == first
    # Accepted, it is still open; declined, a new invitation may follow.
    conversation_accept(conversation=first, user=profile.owner)
    assert refused(visitor, profile).conversation == first
    Conversation.objects.filter(pk=first.pk).update(state="declined")
    second = invite(visitor, profile)
    assert second.pk != first.pk


def test_the_database_holds_one_open_conversation_per_person_and_profile(
    profile, visitor
):
    first = invite(visitor, profile)

    with pytest.raises(IntegrityError):
        Conversation.objects.create(
            researcher=profile.researcher,
            initiator=visitor,
            recipient=first.recipient,
            subject="Again",
        )


def test_the_cap_on_invitations_waiting_for_an_answer(make_profile, visitor, settings):
    settings.INVITATIONS_OPEN_MAX = 2
    profiles = [make_profile() for _ in range(4)]
    invite(visitor, profiles[0])
    answered = invite(visitor, profiles[1])

    refusal = refused(visitor, profiles[2])

    assert str(refusal) == (
        "You have 2 invitations waiting for an answer, as many as can wait at "
        "once: send another once one is answered."
    )
    # An answer, either way, frees a place.
    conversation_decline(conversation=answered, user=profiles[1].owner)
    assert invite(visitor, profiles[2]) is not None
    assert Conversation.objects.filter(initiator=visitor).count() == 3


def test_the_work_is_one_of_either_side(make_profile, profile, visitor):
    theirs = AuthorshipFactory(researcher=profile.researcher).work
    mine = make_profile(owner=visitor)
    my_work = AuthorshipFactory(researcher=mine.researcher).work
    elsewhere = WorkFactory()

    refusal = refused(visitor, profile, work_id=elsewhere.pk)
    assert str(refusal) == "Choose a work of this profile or of your own, or none."

    about_theirs = invite(visitor, profile, work_id=theirs.pk)
    assert about_theirs.work == theirs
    conversation_decline(conversation=about_theirs, user=profile.owner)
    about_mine = invite(visitor, profile, work_id=my_work.pk)
    assert about_mine.work == my_work


def test_a_blocked_sender_looks_invited_but_nothing_is_stored(profile, visitor):
    block_create(blocker=profile.owner, blocked_id=visitor.pk)
    before = collaboration_digest()

    assert invite(visitor, profile) is None

    assert collaboration_digest() == before
    assert not Message.objects.exists()


def test_who_blocked_the_owner_is_told_to_unblock_first(profile, visitor):
    block_create(blocker=visitor, blocked_id=profile.owner.pk)

    refusal = refused(visitor, profile)

    assert "unblock them from your inbox" in str(refusal)
    assert Block.objects.count() == 1


def test_the_recipient_is_the_owner_at_invitation_time(profile, visitor):
    conversation = invite(visitor, profile)
    # Another account comes to own the record later.
    new_owner = UserFactory()
    profile.researcher.owners.update(user=new_owner)

    conversation.refresh_from_db()
    assert conversation.recipient == profile.owner
