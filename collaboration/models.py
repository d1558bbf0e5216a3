"""Direct collaboration: a conversation opened by an invitation to a claimed
profile's owner, its messages, the blocks and abuse reports that keep it
safe, and each user's switches for the mail it sends.

Rows are written by ``collaboration.services`` only; who may read a
conversation is decided by ``collaboration.selectors``."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 2000


class Conversation(models.Model):
    """Two people and the profile that brought them together: ``initiator``
    invited the owner of ``researcher``, who is ``recipient`` (the record's
    owner when the invitation was sent; a later change of owner does not
    move the conversation). Each side keeps its own archive flag and the
    time it last read the conversation, so each has its own unread mark."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    # A conversation is open while it waits for an answer or goes on.
    OPEN_STATES = (State.PENDING, State.ACCEPTED)

    # Emptied when the record is gone (a merge that could not move it): the
    # two people keep their conversation.
    researcher = models.ForeignKey(
        "profiles.Researcher",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    # Both indexed first in the inbox indexes below. Emptied when that
    # person deletes their account: the other keeps the thread, whose
    # messages then name "a former member" (accounts.services).
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="conversations_started",
        db_index=False,
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="conversations_received",
        db_index=False,
    )
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    # A work of either side the invitation is about (its listed version).
    work = models.ForeignKey(
        "works.Work",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING
    )
    initiator_archived = models.BooleanField(default=False)
    recipient_archived = models.BooleanField(default=False)
    # When each side last opened the conversation (NULL: never); it is
    # unread for them while ``last_message_at`` is later.
    initiator_read_at = models.DateTimeField(null=True, blank=True)
    recipient_read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The last activity: a message, or the recipient's accept or decline.
    last_message_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open conversation per person and profile: a second
            # invitation goes to the thread already open.
            models.UniqueConstraint(
                fields=["initiator", "researcher"],
                condition=Q(state__in=["pending", "accepted"]),
                name="collaboration_one_open_conversation",
            ),
            models.CheckConstraint(
                condition=~Q(initiator=F("recipient")),
                name="collaboration_conversation_two_people",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "accepted", "declined"]),
                name="collaboration_conversation_state",
            ),
        ]
        indexes = [
            # Each side's inbox: its active or archived conversations,
            # newest activity first.
            models.Index(
                "recipient",
                "recipient_archived",
                F("last_message_at").desc(),
                F("id").desc(),
                name="collaboration_inbox_recipient",
            ),
            models.Index(
                "initiator",
                "initiator_archived",
                F("last_message_at").desc(),
                F("id").desc(),
                name="collaboration_inbox_initiator",
            ),
            # The header's unread count reads only the unread rows.
            models.Index(
                fields=["recipient"],
                condition=Q(recipient_archived=False)
                & (
                    Q(recipient_read_at__isnull=True)
                    | Q(last_message_at__gt=F("recipient_read_at"))
                ),
                name="collaboration_unread_recipient",
            ),
            models.Index(
                fields=["initiator"],
                condition=Q(initiator_archived=False)
                & (
                    Q(initiator_read_at__isnull=True)
                    | Q(last_message_at__gt=F("initiator_read_at"))
                ),
                name="collaboration_unread_initiator",
            ),
        ]

    def __str__(self):
        return self.subject

    def is_participant(self, user) -> bool:
        return getattr(user, "pk", None) in (self.initiator_id, self.recipient_id)

    def other_participant_id(self, user) -> int | None:
        return self.recipient_id if user.pk == self.initiator_id else self.initiator_id


class Message(models.Model):
    """One message of a conversation, plain text, shown escaped."""

    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,  # first in collaboration_thread
    )
    # Emptied when the sender deletes their account (what they wrote to the
    # other stays, naming nobody).
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["conversation", "created_at", "id"],
                name="collaboration_thread",
            )
        ]

    def __str__(self):
        return f"message {self.pk} in {self.conversation_id}"


class Block(models.Model):
    """``blocker`` no longer hears from ``blocked``: the blocked account's
    invitations and messages look sent to them, and are stored nowhere."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="blocks",
        db_index=False,  # first in collaboration_unique_block
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["blocker", "blocked"], name="collaboration_unique_block"
            ),
            models.CheckConstraint(
                condition=~Q(blocker=F("blocked")),
                name="collaboration_block_someone_else",
            ),
        ]

    def __str__(self):
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Report(models.Model):
    """A participant's report of abuse in a conversation: the moderators
    read the reported conversation in the admin and resolve the report."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="reports"
    )
    # Kept when the reporter deletes their account.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(max_length=REASON_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            # One open report per reporter and conversation.
            models.UniqueConstraint(
                fields=["conversation", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="collaboration_one_open_report",
            ),
        ]
        indexes = [
            # The moderators' list of open reports, oldest first.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(resolved_at__isnull=True),
                name="collaboration_open_reports",
            ),
        ]

    def __str__(self):
        return f"report {self.pk} of conversation {self.conversation_id}"


class NotificationSettings(models.Model):
    """A user's switches for collaboration mail; no row means both on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="collaboration_notifications",
    )
    notify_invitations = models.BooleanField(default=True)
    notify_replies = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self):
        return f"notification settings of {self.user_id}"
