"""Keeping researcher records fresh: a periodic job (Celery beat) re-imports
from OpenAlex the researchers whose record was fetched longest ago.

Only a bounded batch moves per tick (``REFRESH_BATCH`` authors): at 10^8
researchers, freshness is a priority, not a promise. Claimed researchers come
first (someone relies on their page), then the most viewed; a record is due
when it was never fetched by a live import (``fetched_at`` NULL, e.g. loaded
from a snapshot) or fetched more than ``REFRESH_AFTER_DAYS`` ago. Only
researchers with an OpenAlex id can be refreshed.

The batch becomes one ``openalex-api`` import run, so it shows in the admin
with its counts, is resumable, and recomputes the trust of the researchers
it touched when it succeeds (``live_import_finish``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from profiles.models import Researcher

from .dispatch import OPENALEX_AUTHORS, OPENALEX_SOURCE, live_import_start
from .models import ImportRun

logger = logging.getLogger(__name__)

# Marks the runs this job made, so the next tick can find them.
REFRESH_MARKER = "refresh"
# A refresh run still pending or running after this long was lost (its
# worker killed, its message dropped) and no longer holds the next one back.
REFRESH_RUN_STALE_AFTER = timedelta(hours=6)
# The advisory lock that keeps two ticks from planning at once ("WF"; the
# import runs' locks use another namespace).
_REFRESH_LOCK = (0x5746, 1)


def researchers_due_for_refresh(
    *, limit: int, now: datetime | None = None
) -> list[str]:
    """OpenAlex ids of at most ``limit`` researchers due for a refresh, in
    refresh order: claimed first, then most viewed, then the longest
    unfetched (never fetched first), then oldest row.

    One ``ORDER BY … LIMIT`` query: with an index in this order over the
    researchers that have an OpenAlex id, PostgreSQL walks it from the top
    and stops after ``limit`` due rows instead of sorting every due one."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REFRESH_AFTER_DAYS)
    due = Researcher.objects.filter(openalex_id__isnull=False).filter(
        Q(fetched_at__isnull=True) | Q(fetched_at__lt=cutoff)
    )
    ordered = due.order_by(
        F("is_claimed").desc(),
        F("view_count").desc(),
        F("fetched_at").asc(nulls_first=True),
        "id",
    )
    return list(ordered.values_list("openalex_id", flat=True)[:limit])


def refresh_run_in_progress(*, now: datetime | None = None) -> ImportRun | None:
    """The refresh run still pending or running, when there is one that is
    not stale (see ``REFRESH_RUN_STALE_AFTER``)."""
    now = now or timezone.now()
    return (
        ImportRun.objects.filter(
            source=OPENALEX_SOURCE,
            status__in=[ImportRun.Status.PENDING, ImportRun.Status.RUNNING],
            created_at__gte=now - REFRESH_RUN_STALE_AFTER,
            **{f"parameters__{REFRESH_MARKER}": True},
        )
        .order_by("-created_at")
        .first()
    )


def researchers_refresh(
    *, batch_size: int | None = None, now: datetime | None = None
) -> ImportRun | None:
    """Start one refresh: an ``openalex-api`` run of the next ``batch_size``
    (default ``REFRESH_BATCH``) researchers due, enqueued on the workers
    after commit. Returns the run, or None when nothing is due, the previous
    refresh run is still going (its researchers are not fetched yet and
    would be picked again), or another tick is planning right now.

    Idempotent in effect: a refresh of fresh records changes nothing but
    ``fetched_at``."""
    limit = settings.REFRESH_BATCH if batch_size is None else batch_size
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _REFRESH_LOCK)
            if not cursor.fetchone()[0]:
                return None
        running = refresh_run_in_progress(now=now)
        if running is not None:
            logger.info("refresh run %s is still %s", running.pk, running.status)
            return None
        authors = researchers_due_for_refresh(limit=limit, now=now)
        if not authors:
            return None
        run = live_import_start(
            source=OPENALEX_SOURCE,
            parameters={OPENALEX_AUTHORS: authors, REFRESH_MARKER: True},
        )
    logger.info("refresh run %s: %d researchers", run.pk, len(authors))
    return run
