"""Writes of direct collaboration: the invitation that opens a conversation,
the recipient's answer (accept, decline), messages, archiving and reading,
blocks, abuse reports and their resolution, the mail switches, and what a
merge of researchers or works does to conversations.

A refused action raises ``CollaborationRefused`` with a reason fit to show
the person who asked, and changes nothing. Mail goes from the worker, after
the commit that wrote what it tells of (``collaboration.tasks``).

Blocking is silent: an invitation or a message from an account the
addressee blocked returns as if sent (``None`` instead of the row) but
nothing is stored and no mail goes, so the blocked account learns nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.template.defaultfilters import pluralize
from django.utils import timezone

from outbox.services import enqueue
from profiles.models import Researcher, ResearcherOwner
from works.models import Work

from .models import (
    BODY_MAX_LENGTH,
    REASON_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Block,
    Conversation,
    Message,
    NotificationSettings,
    Report,
)
from .selectors import invitation_work_get, user_has_blocked
from .tasks import acceptance_notify, invitation_notify, message_notify

logger = logging.getLogger(__name__)

UNCLAIMED = "Claim this author entity first to unlock direct invitations."
NOT_OPEN = "The owner of this profile is not taking invitations now."
NOT_FOUND = "No researcher with this id."


class CollaborationRefused(Exception):
    """A collaboration action that cannot be done; ``str()`` says why, in
    words fit to show the person who asked. Nothing was changed.
    ``conversation`` is the open conversation an invitation ran into;
    ``not_found`` says the answer is "no such thing" (a hidden profile)."""

    def __init__(
        self,
        message: str,
        *,
        conversation: Conversation | None = None,
        not_found: bool = False,
    ):
        super().__init__(message)
        self.conversation = conversation
        self.not_found = not_found


def _subject_clean(subject: str) -> str:
    # One line: it becomes a mail header.
    subject = " ".join((subject or "").replace("\x00", "").split())
    if not subject:
        raise CollaborationRefused("Give your invitation a subject.")
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise CollaborationRefused(
            f"Keep the subject under {SUBJECT_MAX_LENGTH} characters."
        )
    return subject


def _text_clean(text: str, *, what: str, limit: int, required: bool = True) -> str:
    text = (text or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if required and not text:
        raise CollaborationRefused(f"Write {what}.")
    if len(text) > limit:
        raise CollaborationRefused(f"Keep {what} under {limit} characters.")
    return text


def _after_commit(task, object_id: int) -> None:
    # Through the outbox, in the transaction of what the mail tells of: a
    # broker that is away delays the mail (logged), never fails or loses it.
    enqueue(task.name, args=(object_id,))


def _recipient_of(researcher: Researcher):
    """Who receives invitations to ``researcher``: its owner (the strongest
    claim, then the earliest, when a dispute left two)."""
    owner = (
        ResearcherOwner.objects.select_related("user")
        .filter(researcher=researcher)
        .order_by("-verification_level", "created_at", "id")
        .first()
    )
    return owner.user if owner is not None else None


# --- the invitation -----------------------------------------------------------


def invitation_send(
    *,
    sender,
    researcher: Researcher,
    subject: str,
    body: str,
    work_id: int | None = None,
) -> Conversation | None:
    """``sender`` invites the owner of ``researcher``: a pending
    conversation with its first message, the recipient mailed after commit
    (if their switch is on). Returns the conversation.

    Refused (``CollaborationRefused``) when the profile is hidden (as not
    found), unclaimed, not open to collaborate or the sender's own; when
    the subject or message is empty or too long; when the work is not one
    of either side's; when the sender blocked the owner; when the sender
    already has an open conversation with this profile (``conversation``
    on the refusal); when ``INVITATIONS_OPEN_MAX`` of the sender's
    invitations wait for an answer. The view counts the rate limit before calling this.

    When the owner has blocked the sender, returns None: nothing is stored
    and nothing mailed, and the caller answers as for a sent invitation.
    Not idempotent: each call that succeeds opens a conversation, but the
    one-open-conversation constraint turns a repeat into a refusal."""
    subject = _subject_clean(subject)
    body = _text_clean(body, what="a message", limit=BODY_MAX_LENGTH)
    with transaction.atomic():
        # A sender's invitations are written one at a time, so the cap on
        # those waiting for an answer holds under concurrent posts.
        get_user_model().objects.select_for_update(no_key=True).filter(
            pk=sender.pk
        ).exists()
        researcher = Researcher.objects.get(pk=researcher.pk)
        if researcher.is_hidden:
            raise CollaborationRefused(NOT_FOUND, not_found=True)
        recipient = _recipient_of(researcher) if researcher.is_claimed else None
        if recipient is None:
            raise CollaborationRefused(UNCLAIMED)
        if ResearcherOwner.objects.filter(researcher=researcher, user=sender).exists():
            raise CollaborationRefused(
                "This is your own profile: invitations to it arrive in your inbox."
            )
        if not researcher.is_open_to_collaborate:
            raise CollaborationRefused(NOT_OPEN)
        work = None
        if work_id is not None:
            work = invitation_work_get(
                researcher=researcher, user=sender, work_id=work_id
            )
            if work is None:
                raise CollaborationRefused(
                    "Choose a work of this profile or of your own, or none."
                )
        if user_has_blocked(blocker_id=sender.pk, blocked_id=recipient.pk):
            raise CollaborationRefused(
                "You blocked the owner of this profile: unblock them from your "
                "inbox to write to them."
            )
        existing = (
            Conversation.objects.filter(
                initiator=sender,
                researcher=researcher,
                state__in=Conversation.OPEN_STATES,
            )
            .only("id", "state", "subject")
            .first()
        )
        if existing is not None:
            raise CollaborationRefused(
                "You already have a conversation with this profile.",
                conversation=existing,
            )
        waiting = Conversation.objects.filter(
            initiator=sender, state=Conversation.State.PENDING
        ).count()
        if waiting >= settings.INVITATIONS_OPEN_MAX:
            raise CollaborationRefused(
                f"You have {waiting} invitation{pluralize(waiting)} waiting for "
                "an answer, as many as can wait at once: send another once one "
                "is answered."
            )
        if user_has_blocked(blocker_id=recipient.pk, blocked_id=sender.pk):
            logger.info("invitation from a blocked account dropped")
            return None
        now = timezone.now()
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    researcher=researcher,
                    initiator=sender,
                    recipient=recipient,
                    subject=subject,
                    work=work,
                    created_at=now,
                    last_message_at=now,
                    initiator_read_at=now,
                )
        except IntegrityError as error:
            # Lost a race with the sender's own second post.
            raise CollaborationRefused(
                "You already have a conversation with this profile."
            ) from error
        Message.objects.create(
            conversation=conversation, sender=sender, body=body, created_at=now
        )
        _after_commit(invitation_notify, conversation.pk)
    return conversation


# --- the conversation ---------------------------------------------------------


def _locked(conversation: Conversation, user) -> Conversation:
    """``conversation`` fresh and locked, or a refusal for a non-participant.
    Call inside ``atomic()``."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not locked.is_participant(user):
        raise CollaborationRefused("This conversation is not yours.")
    return locked


def _recipient_only(conversation: Conversation, user) -> None:
    if user.pk != conversation.recipient_id:
        raise CollaborationRefused("Only the person invited can answer.")


def _decide(
    conversation: Conversation, user, *, state: str, refused_after: str
) -> tuple[Conversation, bool]:
    """The recipient's answer to an invitation, inside ``atomic()``: the
    conversation locked and moved to ``state`` with the decision's time as
    its activity (read for the recipient, out of the initiator's archive).
    Returns it and whether it changed (False: already in ``state``); refuses
    anyone but the recipient, and the other answer (``refused_after``)."""
    conversation = _locked(conversation, user)
    _recipient_only(conversation, user)
    if conversation.state == state:
        return conversation, False
    if conversation.state != Conversation.State.PENDING:
        raise CollaborationRefused(refused_after)
    now = timezone.now()
    conversation.state = state
    conversation.decided_at = now
    conversation.last_message_at = now
    conversation.recipient_read_at = now
    conversation.initiator_archived = False
    conversation.save(
        update_fields=[
            "state",
            "decided_at",
            "last_message_at",
            "recipient_read_at",
            "initiator_archived",
        ]
    )
    return conversation, True


def conversation_accept(*, conversation: Conversation, user) -> Conversation:
    """The recipient accepts the invitation: both may write, links in the
    messages become clickable, and the initiator sees new activity (and is
    mailed, if their replies switch is on). Idempotent: accepting an
    accepted conversation changes nothing. Refused for the initiator or
    anyone else, and on a declined conversation."""
    with transaction.atomic():
        conversation, changed = _decide(
            conversation,
            user,
            state=Conversation.State.ACCEPTED,
            refused_after="You declined this invitation already.",
        )
        if changed:
            _after_commit(acceptance_notify, conversation.pk)
    return conversation


def conversation_decline(
    *, conversation: Conversation, user, message: str = ""
) -> Conversation:
    """The recipient declines the invitation, with an optional message to
    the initiator (mailed as a reply if their switch is on, and stored only
    if the initiator has not blocked the recipient). Nobody writes in it
    afterwards. Idempotent: declining a declined conversation changes
    nothing. Refused for anyone but the recipient, and once accepted."""
    message = _text_clean(
        message, what="your message", limit=BODY_MAX_LENGTH, required=False
    )
    with transaction.atomic():
        conversation, changed = _decide(
            conversation,
            user,
            state=Conversation.State.DECLINED,
            refused_after="You accepted this invitation already.",
        )
        if (
            changed
            and message
            and not user_has_blocked(
                blocker_id=conversation.initiator_id, blocked_id=user.pk
            )
        ):
            sent = Message.objects.create(
                conversation=conversation,
                sender=user,
                body=message,
                created_at=conversation.decided_at,
            )
            _after_commit(message_notify, sent.pk)
    return conversation


def message_send(*, conversation: Conversation, sender, body: str) -> Message | None:
    """``sender`` writes in ``conversation``: the message is stored, the
    conversation's activity moves to now (read for the sender, unread and
    back out of the archive for the other), and the other is mailed after
    commit if their replies switch is on. Returns the message.

    Refused until the recipient accepts (the initiator has said their piece
    in the invitation), after a decline, for a non-participant, when the
    sender blocked the other, and for an empty or too long message. The
    view counts the rate limit before calling this.

    When the other participant blocked the sender, returns None: nothing is
    stored, nothing changes for the other, nothing is mailed. Not
    idempotent: each call adds a message."""
    body = _text_clean(body, what="a message", limit=BODY_MAX_LENGTH)
    with transaction.atomic():
        conversation = _locked(conversation, sender)
        if conversation.state == Conversation.State.DECLINED:
            raise CollaborationRefused(
                "This invitation was declined: the conversation is closed."
            )
        if conversation.state == Conversation.State.PENDING:
            if sender.pk == conversation.recipient_id:
                raise CollaborationRefused("Accept the invitation to reply.")
            raise CollaborationRefused(
                "Your invitation is waiting for an answer: you can write again "
                "once it is accepted."
            )
        other_id = conversation.other_participant_id(sender)
        if other_id is None:
            raise CollaborationRefused(
                "The other member has left BZPEER: the conversation is closed."
            )
        if user_has_blocked(blocker_id=sender.pk, blocked_id=other_id):
            raise CollaborationRefused(
                "You blocked this account: unblock it to write to them."
            )
        if user_has_blocked(blocker_id=other_id, blocked_id=sender.pk):
            logger.info("message from a blocked account dropped")
            return None
        now = timezone.now()
        message = Message.objects.create(
            conversation=conversation, sender=sender, body=body, created_at=now
        )
        side, other = (
            ("initiator", "recipient")
            if sender.pk == conversation.initiator_id
            else ("recipient", "initiator")
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=now, **{f"{side}_read_at": now, f"{other}_archived": False}
        )
        _after_commit(message_notify, message.pk)
    return message


def conversation_archive(
    *, conversation: Conversation, user, archived: bool = True
) -> None:
    """Move ``conversation`` to ``user``'s archive (or back, ``archived``
    False), for them alone; a new message brings it back. Idempotent.
    Refused for a non-participant."""
    if not conversation.is_participant(user):
        raise CollaborationRefused("This conversation is not yours.")
    side = "initiator" if user.pk == conversation.initiator_id else "recipient"
    Conversation.objects.filter(pk=conversation.pk).update(
        **{f"{side}_archived": archived}
    )


def conversation_mark_read(*, conversation: Conversation, user) -> bool:
    """Mark ``conversation`` read for ``user`` up to its last activity;
    True when it was unread. Idempotent; one query, none when it is read
    already (``is_unread`` from ``conversation_get_for_user``). Does nothing
    for a non-participant."""
    if not conversation.is_participant(user):
        return False
    if getattr(conversation, "is_unread", True) is False:
        return False
    side = "initiator" if user.pk == conversation.initiator_id else "recipient"
    read_at = f"{side}_read_at"
    unread = Q(**{f"{read_at}__isnull": True}) | Q(last_message_at__gt=F(read_at))
    # Never earlier than the activity it covers, whatever the clocks say.
    changed = (
        Conversation.objects.filter(unread, pk=conversation.pk).update(
            **{read_at: Greatest(F("last_message_at"), timezone.now())}
        )
        > 0
    )
    conversation.is_unread = False
    return changed


# --- blocks -------------------------------------------------------------------


def block_create(*, blocker, blocked_id: int) -> Block:
    """``blocker`` blocks the account ``blocked_id``: from now on its
    invitations and messages to ``blocker`` look sent to it and are stored
    nowhere. Idempotent: blocking twice keeps the first block. Refused for
    oneself."""
    if blocker.pk == blocked_id:
        raise CollaborationRefused("You cannot block yourself.")
    block, _ = Block.objects.get_or_create(blocker=blocker, blocked_id=blocked_id)
    return block


def block_delete(*, blocker, blocked_id: int) -> bool:
    """``blocker`` unblocks ``blocked_id``; True when a block was lifted.
    What the blocked account sent meanwhile stays lost. Idempotent."""
    deleted, _ = Block.objects.filter(blocker=blocker, blocked_id=blocked_id).delete()
    return deleted > 0


# --- reports ------------------------------------------------------------------


def report_create(*, conversation: Conversation, reporter, reason: str) -> Report:
    """A participant reports ``conversation`` to the moderators, who may
    then read it in the admin. Refused for a non-participant, without a
    reason, or while the reporter's earlier report of it is open (the
    database constraint settles a race)."""
    reason = _text_clean(reason, what="what is wrong", limit=REASON_MAX_LENGTH)
    if not conversation.is_participant(reporter):
        raise CollaborationRefused("This conversation is not yours.")
    try:
        with transaction.atomic():
            return Report.objects.create(
                conversation=conversation, reporter=reporter, reason=reason
            )
    except IntegrityError as error:
        raise CollaborationRefused(
            "You reported this conversation already: the moderators will look at it."
        ) from error


def report_resolve(*, report: Report, moderator) -> Report:
    """``moderator`` marks ``report`` resolved. Idempotent: a resolved
    report keeps its first resolution."""
    Report.objects.filter(pk=report.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=moderator
    )
    report.refresh_from_db(fields=["resolved_at", "resolved_by"])
    return report


# --- settings -----------------------------------------------------------------


def notification_settings_update(
    *, user, notify_invitations: bool, notify_replies: bool
) -> NotificationSettings:
    """Set ``user``'s mail switches (an upsert). Idempotent."""
    switches, _ = NotificationSettings.objects.update_or_create(
        user=user,
        defaults={
            "notify_invitations": notify_invitations,
            "notify_replies": notify_replies,
        },
    )
    return switches


# --- merges -------------------------------------------------------------------


def researcher_merge_conversations(old: Researcher, survivor: Researcher) -> None:
    """collaboration's researcher-merge handler (``works.hooks``):
    conversations about ``old`` are about ``survivor``. An initiator with an
    open conversation about each keeps both: the one about ``old`` loses
    its profile (``researcher`` emptied) rather than break the
    one-open-conversation rule. Two queries; never raises on data."""
    open_with_survivor = Conversation.objects.filter(
        researcher=survivor, state__in=Conversation.OPEN_STATES
    ).values("initiator_id")
    clash = Q(state__in=Conversation.OPEN_STATES) & Q(
        initiator_id__in=open_with_survivor
    )
    Conversation.objects.filter(clash, researcher=old).update(researcher=None)
    Conversation.objects.filter(researcher=old).update(researcher=survivor)


def work_merge_conversations(old: Work, survivor: Work) -> None:
    """collaboration's work-merge handler (``works.hooks``): a conversation
    about ``old`` is about ``survivor``. One query."""
    Conversation.objects.filter(work=old).update(work=survivor)
