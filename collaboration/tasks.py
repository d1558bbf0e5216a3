"""Celery tasks of direct collaboration: thin wrappers around
``collaboration.notifications``, enqueued by the services after commit."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from .notifications import (
    acceptance_mail_send,
    invitation_mail_send,
    message_mail_send,
)

# A mail server or database that is briefly away is worth another try.
_RETRIED = {
    "acks_late": True,
    "autoretry_for": (OperationalError, SMTPException, ConnectionError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(name="collaboration.invitation_notify", **_RETRIED)
def invitation_notify(conversation_id: int) -> int:
    """Mail the recipient of the invitation that opened ``conversation_id``;
    return how many messages went. Redelivered, it sends nothing twice."""
    return invitation_mail_send(conversation_id=conversation_id)


@shared_task(name="collaboration.acceptance_notify", **_RETRIED)
def acceptance_notify(conversation_id: int) -> int:
    """Mail the initiator that ``conversation_id`` was accepted; return how
    many messages went. Redelivered, it sends nothing twice."""
    return acceptance_mail_send(conversation_id=conversation_id)


@shared_task(name="collaboration.message_notify", **_RETRIED)
def message_notify(message_id: int) -> int:
    """Mail the message ``message_id`` to the other participant; return how
    many messages went. Redelivered, it sends nothing twice."""
    return message_mail_send(message_id=message_id)
