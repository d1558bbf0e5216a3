"""Celery tasks of claims: thin wrappers around ``claims.notifications``."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from .notifications import claim_event_mail_send


@shared_task(
    name="claims.claim_event_notify",
    acks_late=True,
    # A mail server or database that is briefly away is worth another try.
    autoretry_for=(OperationalError, SMTPException, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def claim_event_notify(event_id: int) -> int:
    """Mail whoever must hear of the claim event ``event_id`` (the claimant
    of a decision, the owners of a contested record) and return how many
    messages went. Enqueue it after the commit that wrote the event
    (``claims.services`` does). Redelivered, it sends nothing twice."""
    return claim_event_mail_send(event_id=event_id)
