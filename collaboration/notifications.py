"""The mail direct collaboration sends: the recipient of an invitation hears
of it, the initiator that it was accepted, and each participant of the
other's messages (a decline's message too), each only while their switch
for it is on (``NotificationSettings``) and never from an account they
blocked. Sent by the worker (``collaboration.tasks``) after the commit that
wrote the event; plain text from ``templates/collaboration/email/``, with
absolute links (``settings.SITE_URL``).

An invitation's mail carries neither its subject nor its message: until
the recipient accepts, nothing the sender wrote may reach them as a link,
and mail programs turn addresses in plain text into links."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Conversation, Message
from .selectors import (
    conversation_label,
    notification_settings_get,
    public_records_prefetch,
    user_has_blocked,
)

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[BZPEER] "
# A redelivered task does not mail twice (the mark is set once sent).
_SENT_MARK = "collaboration:mailed:{}:{}"
_SENT_MARK_SECONDS = 7 * 24 * 3600


def site_url(path: str = "") -> str:
    """An absolute link to ``path`` on this site, for mail."""
    return settings.SITE_URL.rstrip("/") + path


def _conversation(conversation_id: int) -> Conversation | None:
    return (
        Conversation.objects.select_related("researcher", "initiator", "recipient")
        .prefetch_related(public_records_prefetch("initiator"))
        .filter(pk=conversation_id)
        .first()
    )


def _send(*, kind: str, object_id: int, to, subject: str, template: str, context):
    """Mail ``to`` once per event; 0 when already sent or ``to`` has no
    address."""
    mark = _SENT_MARK.format(kind, object_id)
    if not to.email or cache.get(mark):
        return 0
    conversation = context["conversation"]
    body = render_to_string(
        f"collaboration/email/{template}",
        {
            **context,
            "conversation_url": site_url(
                reverse("collaboration:conversation", args=[conversation.pk])
            ),
            "settings_url": site_url(reverse("collaboration:settings")),
            "site_url": site_url("/"),
        },
    )
    sent = send_mail(
        SUBJECT_PREFIX + subject, body, settings.DEFAULT_FROM_EMAIL, [to.email]
    )
    cache.set(mark, True, _SENT_MARK_SECONDS)
    logger.info("collaboration %s %s: %s message(s) sent", kind, object_id, sent)
    return sent


def invitation_mail_send(*, conversation_id: int) -> int:
    """Tell the recipient of the invitation ``conversation_id`` that it
    waits in their inbox; return how many mails went (0 or 1). Nothing when
    the conversation is gone, their invitations switch is off, or they
    blocked the sender meanwhile. Idempotent in effect (a mark in the
    cache)."""
    conversation = _conversation(conversation_id)
    if conversation is None:
        return 0
    recipient = conversation.recipient
    if recipient is None:  # their account is deleted
        return 0
    if not notification_settings_get(user=recipient).notify_invitations:
        return 0
    if user_has_blocked(blocker_id=recipient.pk, blocked_id=conversation.initiator_id):
        return 0
    sender = conversation_label(conversation, user_id=conversation.initiator_id)
    profile = conversation.researcher.display_name if conversation.researcher else ""
    return _send(
        kind="invitation",
        object_id=conversation.pk,
        to=recipient,
        subject=f"An invitation to collaborate from {sender.name}",
        template="invitation.txt",
        context={"conversation": conversation, "sender": sender, "profile": profile},
    )


def acceptance_mail_send(*, conversation_id: int) -> int:
    """Tell the initiator that the recipient accepted their invitation;
    return how many mails went. Nothing when their replies switch is off or
    they blocked the recipient. Idempotent in effect."""
    conversation = _conversation(conversation_id)
    if conversation is None or conversation.state != Conversation.State.ACCEPTED:
        return 0
    initiator = conversation.initiator
    if initiator is None:  # their account is deleted
        return 0
    if not notification_settings_get(user=initiator).notify_replies:
        return 0
    if user_has_blocked(blocker_id=initiator.pk, blocked_id=conversation.recipient_id):
        return 0
    recipient = conversation_label(conversation, user_id=conversation.recipient_id)
    return _send(
        kind="accepted",
        object_id=conversation.pk,
        to=initiator,
        subject=f"{recipient.name} accepted your invitation",
        template="accepted.txt",
        context={"conversation": conversation, "recipient": recipient},
    )


def message_mail_send(*, message_id: int) -> int:
    """Mail the message ``message_id`` to the other participant (a reply,
    or the message of a decline); return how many mails went. Nothing when
    their replies switch is off or they blocked the sender. Idempotent in
    effect."""
    message = (
        Message.objects.filter(pk=message_id)
        .only("id", "body", "sender_id", "conversation_id")
        .first()
    )
    if message is None:
        return 0
    conversation = _conversation(message.conversation_id)
    if conversation is None:
        return 0
    to = (
        conversation.recipient
        if message.sender_id == conversation.initiator_id
        else conversation.initiator
    )
    if to is None or message.sender_id is None:  # an account is deleted
        return 0
    if not notification_settings_get(user=to).notify_replies:
        return 0
    if user_has_blocked(blocker_id=to.pk, blocked_id=message.sender_id):
        return 0
    sender = conversation_label(conversation, user_id=message.sender_id)
    declined = conversation.state == Conversation.State.DECLINED
    subject = (
        f"{sender.name} declined your invitation"
        if declined
        else f"{sender.name} wrote: {conversation.subject}"
    )
    return _send(
        kind="message",
        object_id=message.pk,
        to=to,
        subject=subject,
        template="message.txt",
        context={
            "conversation": conversation,
            "message": message,
            "sender": sender,
            "declined": declined,
        },
    )
