"""Reads of the catalog's import runs: their counts, which runs are busy or
stale, which researchers a run touched or are due for a refresh, and whether
the site shows the bundled sample data."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from redis.exceptions import RedisError

from profiles.models import Researcher

from .ingest.records import ENTITIES
from .ingest.runs import OUTCOMES, ImportRunBusy, import_run_lock
from .models import Authorship, ImportRun

logger = logging.getLogger(__name__)

SAMPLE_DATA_CACHE_KEY = "site:shows-sample-data"
# Marks the runs the refresh job made, so the next tick can find them.
REFRESH_MARKER = "refresh"
# A refresh run still pending or running after this long was lost (its
# worker killed, its message dropped) and no longer holds the next one back.
REFRESH_RUN_STALE_AFTER = timedelta(hours=6)
# A run started this recently may simply not have been picked up yet.
SWEEP_GRACE = timedelta(minutes=10)


def import_run_counts(*, run: ImportRun) -> dict[str, dict[str, int]]:
    """Per-entity outcome counts of a run, in load order, zeros included."""
    return {
        entity: {name: run.counts.get(entity, {}).get(name, 0) for name in OUTCOMES}
        for entity in ENTITIES
        if entity in run.counts
    }


def import_run_is_busy(*, run: ImportRun) -> bool:
    """True while a process holds ``run``'s advisory lock, i.e. is loading
    it now. A ``running`` run nobody holds was interrupted (worker killed,
    machine lost) or waits in the queue for its next time slice."""
    try:
        with import_run_lock(run):
            return False
    except ImportRunBusy:
        return True


def import_runs_stale(*, now: datetime | None = None) -> QuerySet[ImportRun]:
    """Runs left ``running`` since before ``SWEEP_GRACE`` ago, and runs still
    ``pending`` that long after they were created, oldest first: candidates
    for the sweep (it skips those a process still holds)."""
    now = now or timezone.now()
    return ImportRun.objects.filter(
        Q(status=ImportRun.Status.RUNNING, started_at__lt=now - SWEEP_GRACE)
        | Q(status=ImportRun.Status.PENDING, created_at__lt=now - SWEEP_GRACE)
    ).order_by("pk")


def import_run_touched_researcher_ids(
    *, run: ImportRun, chunk_size: int = 1000
) -> Iterator[list[int]]:
    """Ids of the researchers whose trust inputs ``run`` may have changed,
    ``chunk_size`` at a time: researchers whose row changed since the run
    started, and the authors of works whose row or authorships or topics
    changed since then (the upsert stamps ``updated_at`` only on a change).

    Scales to a full snapshot: the ids are never held in memory or on the
    run row but streamed from a server-side cursor, in two scans keyed on
    ``updated_at``. It over-reports (a row changed by someone else meanwhile
    is included, harmlessly) and misses one case: a researcher dropped from a
    work's byline is recomputed at the next full recompute, not now.
    """
    if run.started_at is None:
        return
    changed = Researcher.objects.filter(updated_at__gte=run.started_at)
    authors = Authorship.objects.filter(
        work__updated_at__gte=run.started_at, researcher__isnull=False
    )
    # UNION removes duplicates by sorting or hashing anyway; ordering the
    # result costs little more and gives each chunk a contiguous id range.
    ids = (
        changed.order_by()
        .values_list("id", flat=True)
        .union(authors.order_by().values_list("researcher_id", flat=True))
        .order_by("id")
    )
    chunk: list[int] = []
    for researcher_id in ids.iterator(chunk_size=chunk_size):
        chunk.append(researcher_id)
        if len(chunk) == chunk_size:
            yield sorted(chunk)
            chunk = []
    if chunk:
        yield sorted(chunk)


def researchers_due_for_refresh(
    *, limit: int, now: datetime | None = None
) -> list[str]:
    """OpenAlex ids of at most ``limit`` researchers due for a refresh, in
    refresh order: claimed first, then most viewed, then the longest
    unfetched (never fetched first), then oldest row. A record is due when
    it was never fetched by a live import (``fetched_at`` NULL, e.g. loaded
    from a snapshot) or fetched more than ``REFRESH_AFTER_DAYS`` ago; the
    bundled sample's fictional people (``is_sample``) never are.

    One ``ORDER BY … LIMIT`` query: with an index in this order over the
    researchers that have an OpenAlex id, PostgreSQL walks it from the top
    and stops after ``limit`` due rows instead of sorting every due one."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REFRESH_AFTER_DAYS)
    due = Researcher.objects.filter(openalex_id__isnull=False, is_sample=False).filter(
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
            source=ImportRun.Source.OPENALEX_API,
            status__in=[ImportRun.Status.PENDING, ImportRun.Status.RUNNING],
            created_at__gte=now - REFRESH_RUN_STALE_AFTER,
            **{f"parameters__{REFRESH_MARKER}": True},
        )
        .order_by("-created_at")
        .first()
    )


def site_shows_sample_data() -> bool:
    """True while rows of the bundled sample dataset are held (researchers
    marked ``is_sample``, found through a partial index: one probe whatever
    the table's size). Cached for five minutes; every finished import run and
    ``sample_data_remove`` forget it (``site_sample_data_forget``). Without
    the cache (Redis down) every page asks the database: no page needs Redis
    to render."""
    try:
        cached = cache.get(SAMPLE_DATA_CACHE_KEY)
    except RedisError:
        logger.warning("cache unavailable: the sample-data banner asks the database")
        cached = None
    if cached is None:
        cached = Researcher.objects.filter(is_sample=True).exists()
        # Down: logged above, or by the next page.
        with contextlib.suppress(RedisError):
            cache.set(SAMPLE_DATA_CACHE_KEY, cached, 300)
    return cached


def sample_data_was_removed() -> bool:
    """True when researchers are held and none is a sample row: real data is
    in and the bundled sample is out (``remove_sample_data``), so ``make
    run`` does not load it again. Two indexed probes."""
    return (
        Researcher.objects.exists()
        and not Researcher.objects.filter(is_sample=True).exists()
    )


def site_sample_data_forget() -> None:
    """Drop the cached answer of ``site_shows_sample_data``: the next page
    asks the database again. With Redis down it is only logged: an answer
    cached before goes stale for at most the five minutes a key lives."""
    try:
        cache.delete(SAMPLE_DATA_CACHE_KEY)
    except RedisError:
        logger.warning("cache unavailable: the sample-data flag was not forgotten")
