"""Celery tasks of profiles: thin wrappers around ``profiles.services``, and
the after-import handler that enqueues the trust recompute."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from outbox.services import enqueue
from works.models import ImportRun
from works.selectors import import_run_touched_researcher_ids

from .digest import follow_digests_send
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
    Enqueue it through the outbox (``outbox.services.enqueue``) in the
    transaction that changed the inputs: it is sent after the commit, or the
    worker might read the old rows."""
    return researcher_trust_update(researcher_ids=researcher_ids)


@shared_task(name="profiles.researcher_views_flush", acks_late=True)
def researcher_views_flush_task() -> int:
    """Fold the profile views counted in Redis into ``Researcher.view_count``
    (``profiles.popularity.researcher_views_flush``) and return how many
    researchers changed. Run by beat every few minutes.

    Safe to redeliver: a flush takes the counters away before it writes, so
    a second delivery adds only views counted since."""
    return researcher_views_flush()


def import_run_trust_refresh(
    run: ImportRun, sync: bool = False, *, chunk_size: int = 1000
) -> int:
    """profiles' after-import handler (``works.hooks``): recompute the trust of
    the researchers ``run`` touched and return how many ids were handed on,
    enqueued as ``researcher_trust_recompute`` tasks of ``chunk_size`` ids each
    (through the outbox: sent after the current transaction commits), or
    with ``sync`` computed in this process. Idempotent: recomputing an
    unchanged researcher stores the same score."""
    handed_on = 0
    for chunk in import_run_touched_researcher_ids(run=run, chunk_size=chunk_size):
        if sync:
            researcher_trust_update(researcher_ids=chunk)
        else:
            enqueue(researcher_trust_recompute.name, args=(chunk,))
        handed_on += len(chunk)
    return handed_on


@shared_task(name="profiles.follow_digests_send", acks_late=True)
def follow_digests_send_task() -> int:
    """Send the weekly digests (``profiles.following.follow_digests_send``)
    and return how many mails went. Run by beat on Monday mornings."""
    return follow_digests_send()
