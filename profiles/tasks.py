"""Celery tasks of profiles: thin wrappers around ``profiles.services``."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from .popularity import researcher_views_flush
from .services import researcher_trust_update


@shared_task(
    name="profiles.researcher_trust_recompute",
    acks_late=True,
    # A dropped connection or a failover is worth another try; a bug is not.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def researcher_trust_recompute(researcher_ids: list[int] | None = None) -> int:
    """Recompute and store the trust of ``researcher_ids`` (``None``: every
    researcher) and return how many were updated.

    Idempotent, so a redelivery after a lost worker (``acks_late``) only
    repeats the same writes. Ids that no longer exist are skipped: a task for
    researchers deleted or merged since it was enqueued returns 0 quietly.
    Enqueue it after the commit that changed the inputs
    (``transaction.on_commit``), or the worker may read the old rows."""
    return researcher_trust_update(researcher_ids=researcher_ids)


@shared_task(name="profiles.researcher_views_flush", acks_late=True)
def researcher_views_flush_task() -> int:
    """Fold the profile views counted in Redis into ``Researcher.view_count``
    (``profiles.popularity.researcher_views_flush``) and return how many
    researchers changed. Run by beat every few minutes.

    Safe to redeliver: a flush takes the counters away before it writes, so
    a second delivery adds only views counted since."""
    return researcher_views_flush()
