"""Deleting an account: open claims withdrawn, owned records unclaimed
again, the change log kept naming nobody, and the person's e-mail address
nowhere in the database."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model

from accounts.services import account_delete
from claims.models import Claim, ClaimEvent
from profiles.models import (
    Follow,
    ProfileChange,
    ResearcherOwner,
    VerificationLevel,
)
from profiles.services import profile_change_record, researcher_owner_add
from tests.accounts.conftest import database_text_containing
from tests.factories import (
    ResearcherFactory,
    UserFactory,
    approved_claim,
    verified_user,
)

pytestmark = pytest.mark.django_db

EMAIL = "erasable.person@uni.example.edu"


def test_an_account_deletion_leaves_no_personal_data_behind_and_the_record_unclaimed(
    member, moderator, enqueued, django_capture_on_commit_callbacks
):
    user, user_id = member.user, member.user.pk
    # The admin's history of the account names its address.
    LogEntry.objects.log_actions(
        user_id=moderator.pk,
        queryset=EmailAddress.objects.filter(user=user),
        action_flag=CHANGE,
        change_message="Marked verified.",
    )
    # The scan sees the address wherever the account put it.
    assert set(database_text_containing(EMAIL)) == {
        "auth_user.email",
        "account_emailaddress.email",
        "socialaccount_socialaccount.extra_data",
        "claims_claim.note",
        "django_admin_log.object_repr",
    }
    owner_entry = ProfileChange.objects.get(actor=user, field="headline")

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=user)

    assert database_text_containing(EMAIL) == {}
    assert database_text_containing("era.sable@home.example.org") == {}
    assert not get_user_model().objects.filter(pk=user_id).exists()
    assert not EmailAddress.objects.filter(user_id=user_id).exists()
    assert not SocialAccount.objects.filter(user_id=user_id).exists()
    assert not SocialToken.objects.exists()
    assert not Follow.objects.filter(user_id=user_id).exists()
    assert not Claim.objects.filter(user_id=user_id).exists()
    assert not ProfileChange.objects.filter(actor_id=user_id).exists()
    assert not ProfileChange.objects.filter(
        researcher=member.owned, actor_role="owner"
    ).exists()
    owner_entry.refresh_from_db()
    assert (owner_entry.actor_id, owner_entry.actor_role, owner_entry.summary) == (
        None,
        "former_owner",
        "The owner edited the headline.",
    )
    owned = member.owned
    owned.refresh_from_db()
    assert (owned.is_claimed, owned.verification_level) == (
        False,
        VerificationLevel.L1,
    )
    assert not ResearcherOwner.objects.filter(researcher=owned).exists()
    assert not ResearcherOwner.objects.filter(user_id=user_id).exists()
    # Released: anyone may claim the record now.
    assert not Claim.objects.filter(researcher=owned).exists()
    # The dispute they filed stays with the moderators, naming nobody.
    dispute = ClaimEvent.objects.get(claim=member.disputed_claim, kind="disputed")
    assert (dispute.actor_id, dispute.reason) == (
        None,
        "This is my colleague, not them.",
    )
    member.disputed_claim.refresh_from_db()
    assert member.disputed_claim.state == "disputed"
    # Withdrawing the approved claim released the record and asked for its
    # trust; then every record whose trust inputs the account fed (claims,
    # follows) is recomputed once more.
    assert enqueued.trust_recomputes() == [
        [owned.pk],
        sorted([owned.pk, member.pending.pk, member.rejected.pk, member.followed.pk]),
    ]


def test_a_records_other_owner_keeps_it_claimed(moderator, enqueued):
    researcher = ResearcherFactory()
    leaving, staying = UserFactory(), UserFactory()
    approved_claim(user=leaving, researcher=researcher, moderator=moderator)
    researcher_owner_add(
        researcher=researcher, user=staying, verification_level=VerificationLevel.L3
    )

    account_delete(user=leaving)

    researcher.refresh_from_db()
    assert (researcher.is_claimed, researcher.verification_level) == (
        True,
        VerificationLevel.L3,
    )
    assert list(ResearcherOwner.objects.values_list("user_id", flat=True)) == [
        staying.pk
    ]


def test_an_ownership_without_a_claim_behind_it_is_released_too(enqueued):
    researcher = ResearcherFactory()
    user = UserFactory()
    researcher_owner_add(
        researcher=researcher, user=user, verification_level=VerificationLevel.L2
    )

    account_delete(user=user)

    researcher.refresh_from_db()
    assert (researcher.is_claimed, researcher.verification_level) == (
        False,
        VerificationLevel.L1,
    )
    assert not ResearcherOwner.objects.exists()


def test_a_moderators_decisions_stay_naming_nobody(moderator, enqueued):
    claimant = UserFactory()
    claim = approved_claim(
        user=claimant, researcher=ResearcherFactory(), moderator=moderator
    )
    profile_change_record(
        researcher=claim.researcher,
        kind=ProfileChange.Kind.CLAIM,
        summary="A moderator noted the evidence.",
        actor=moderator,
        actor_role=ProfileChange.Role.MODERATOR,
    )
    log = list(
        claim.researcher.changes.order_by("id").values_list("summary", "actor_role")
    )

    account_delete(user=moderator)

    claim.refresh_from_db()
    assert (claim.state, claim.decided_by_id) == ("approved", None)
    approval = claim.events.get(kind="approved")
    assert (approval.actor_id, approval.reason) == (None, "ORCID matches")
    assert (
        list(
            claim.researcher.changes.order_by("id").values_list("summary", "actor_role")
        )
        == log
    )
    assert (
        not claim.researcher.changes.filter(actor__isnull=False)
        .exclude(actor=claimant)
        .exists()
    )
    assert ResearcherOwner.objects.get().user == claimant


def test_what_a_deleted_account_wrote_to_others_stays_naming_nobody():
    from django.test import Client
    from django.urls import reverse

    from collaboration.models import Conversation, Message
    from collaboration.services import (
        conversation_accept,
        invitation_send,
        message_send,
    )

    writer = verified_user(email="leaving.writer@example.org")
    owner = verified_user()
    profile = ResearcherFactory()
    approved_claim(user=owner, researcher=profile, moderator=UserFactory())
    conversation = invitation_send(
        sender=writer, researcher=profile, subject="Graphs", body="Hello from me"
    )
    conversation_accept(conversation=conversation, user=owner)
    message_send(conversation=conversation, sender=owner, body="Hi back")

    account_delete(user=writer)

    conversation.refresh_from_db()
    assert conversation.initiator_id is None
    assert Message.objects.get(body="Hello from me").sender_id is None
    client = Client()
    client.force_login(owner)
    page = client.get(
        reverse("collaboration:conversation", args=[conversation.pk])
    ).content.decode()
    assert "Hello from me" in page
    assert "A former BZPEER member" in page
    assert "leaving.writer" not in page
    # Nobody is left to read to: a reply is refused with its reason.
    response = client.post(
        reverse("collaboration:reply", args=[conversation.pk]),
        {"body": "Still there?"},
        follow=True,
    )
    assert "has left BZPEER" in response.content.decode()
    # Once the owner goes too, nobody is left in it: it goes.
    account_delete(user=owner)
    assert not Conversation.objects.exists()
