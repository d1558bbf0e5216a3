"""The outbox's Celery task: a thin wrapper around ``outbox.services``."""

from __future__ import annotations

from celery import shared_task

from .services import outbox_send_pending


@shared_task(name="outbox.send_pending", acks_late=True, ignore_result=True)
def outbox_send_pending_task() -> int:
    """Publish the outbox's pending messages (those whose broker was away
    when their transaction committed), oldest first, and prune the old sent
    rows; return how many went. Run by beat every minute.

    Idempotent, and safe beside another run: rows are taken with ``SKIP
    LOCKED`` and marked sent before they are let go."""
    return outbox_send_pending()
