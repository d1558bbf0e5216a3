"""Celery beat keeps researcher records fresh: the stalest ones, claimed first
then most viewed, are re-imported from OpenAlex a bounded batch at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import responses
from celery.beat import Scheduler
from django.utils import timezone

from bzpeer.celery import app
from profiles.models import Researcher
from tests.factories import ClaimedResearcherFactory, ResearcherFactory
from tests.helpers.openalex import (
    PRIEM,
    PRIEM_WORKS_FILTER,
    OpenAlexReplay,
    priem,
    priem_pages,
)
from works import selectors, services
from works.models import ImportRun
from works.tasks import import_run_task, researchers_refresh_task

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def fetched(days: float):
    return NOW - timedelta(days=days)


@pytest.fixture(autouse=True)
def api_key(settings):
    """Refreshes run only with an OpenAlex API key (see the tests at the end)."""
    settings.OPENALEX_API_KEY = "test-api-key"


def test_due_researchers_are_the_stale_ones_claimed_first_then_most_viewed():
    due_claimed = ClaimedResearcherFactory(fetched_at=fetched(8), view_count=1)
    ClaimedResearcherFactory(fetched_at=fetched(6), view_count=900)  # fresh
    never_fetched = ResearcherFactory(fetched_at=None, view_count=50)
    stale_popular = ResearcherFactory(fetched_at=fetched(30), view_count=70)
    stale_quiet = ResearcherFactory(fetched_at=fetched(400), view_count=0)
    ResearcherFactory(fetched_at=fetched(1), view_count=5000)  # fresh
    ResearcherFactory(openalex_id=None, fetched_at=None, view_count=800)
    # Same views: the longest unfetched first, never fetched before all.
    tie_old = ResearcherFactory(fetched_at=fetched(20), view_count=50)
    tie_older = ResearcherFactory(fetched_at=fetched(90), view_count=50)

    due = selectors.researchers_due_for_refresh(limit=100, now=NOW)

    assert due == [
        due_claimed.openalex_id,
        stale_popular.openalex_id,
        never_fetched.openalex_id,
        tie_older.openalex_id,
        tie_old.openalex_id,
        stale_quiet.openalex_id,
    ]


def test_due_researchers_are_bounded_and_read_in_one_query(
    django_assert_num_queries,
):
    researchers = ResearcherFactory.create_batch(5, fetched_at=None)

    with django_assert_num_queries(1) as captured:
        due = selectors.researchers_due_for_refresh(limit=3, now=NOW)

    assert due == [researcher.openalex_id for researcher in researchers[:3]]
    assert captured.captured_queries[0]["sql"].endswith("LIMIT 3")


def test_the_age_that_makes_a_record_due_is_a_setting(settings):
    settings.REFRESH_AFTER_DAYS = 2
    three_days = ResearcherFactory(fetched_at=fetched(3))
    ResearcherFactory(fetched_at=fetched(1))

    assert selectors.researchers_due_for_refresh(limit=10, now=NOW) == [
        three_days.openalex_id
    ]


def test_a_refresh_is_an_openalex_run_of_the_due_authors_enqueued_after_commit(
    settings, enqueued, django_capture_on_commit_callbacks
):
    settings.REFRESH_BATCH = 2
    first = ClaimedResearcherFactory(fetched_at=None)
    second = ResearcherFactory(fetched_at=fetched(10), view_count=3)
    ResearcherFactory(fetched_at=fetched(10), view_count=2)

    with django_capture_on_commit_callbacks() as callbacks:
        run = services.researchers_refresh(now=NOW)
        assert enqueued() == []  # nothing is sent before the run is committed
    for callback in callbacks:
        callback()

    assert (run.source, run.status, run.parameters) == (
        "openalex-api",
        ImportRun.Status.PENDING,
        {"authors": [first.openalex_id, second.openalex_id], "refresh": True},
    )
    assert enqueued() == [("works.import_run", (run.pk,), {})]


def test_a_refresh_waits_while_the_previous_one_is_going(
    enqueued, django_capture_on_commit_callbacks
):
    ResearcherFactory(fetched_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        previous = services.researchers_refresh(now=NOW)
        ImportRun.objects.filter(pk=previous.pk).update(status=ImportRun.Status.RUNNING)

        assert services.researchers_refresh(now=NOW) is None

    assert list(ImportRun.objects.values_list("id", flat=True)) == [previous.pk]
    assert enqueued() == [("works.import_run", (previous.pk,), {})]


def test_a_lost_refresh_run_no_longer_holds_the_next_back(
    enqueued, django_capture_on_commit_callbacks
):
    ResearcherFactory(fetched_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        lost = services.researchers_refresh(now=NOW)
        ImportRun.objects.filter(pk=lost.pk).update(
            status=ImportRun.Status.RUNNING, created_at=NOW - timedelta(hours=7)
        )
        # Another import of these authors, not made by the refresh, is no
        # reason to wait either.
        ImportRun.objects.create(
            source="openalex-api", parameters={"authors": ["A1"]}, status="running"
        )

        following = services.researchers_refresh(now=NOW)

    assert following is not None
    assert following.parameters == lost.parameters
    assert enqueued() == [
        ("works.import_run", (lost.pk,), {}),
        ("works.import_run", (following.pk,), {}),
    ]


def test_nothing_due_starts_nothing(enqueued, django_capture_on_commit_callbacks):
    ResearcherFactory(fetched_at=fetched(1))
    ResearcherFactory(openalex_id=None)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.researchers_refresh(now=NOW) is None
        assert researchers_refresh_task() is None

    assert ImportRun.objects.count() == 0
    assert enqueued() == []


def test_the_task_returns_the_run_it_started(
    enqueued, django_capture_on_commit_callbacks
):
    researcher = ResearcherFactory(fetched_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        run_id = researchers_refresh_task()

    run = ImportRun.objects.get(pk=run_id)
    assert run.parameters["authors"] == [researcher.openalex_id]
    assert enqueued() == [("works.import_run", (run_id,), {})]


def test_beat_schedules_the_refresh_the_view_flush_the_sweep_and_the_digest():
    app.loader.import_default_modules()  # what beat and a worker do first
    schedule = app.conf.beat_schedule
    scheduler = Scheduler(app=app, lazy=True)
    scheduler.merge_inplace(schedule)

    assert {entry.task for entry in scheduler.schedule.values()} == {
        "works.researchers_refresh",
        "profiles.researcher_views_flush",
        "works.import_runs_sweep",
        "profiles.follow_digests_send",
        "outbox.send_pending",
    }
    for entry in scheduler.schedule.values():
        assert entry.task in app.tasks  # a registered task, not a typo
    refresh = schedule["researchers-refresh"]["schedule"]
    assert (refresh.minute, refresh.hour) == ({17}, set(range(24)))
    flush = schedule["researcher-views-flush"]["schedule"]
    assert flush == timedelta(minutes=5)
    assert schedule["import-runs-sweep"]["schedule"] == timedelta(minutes=10)
    digest = schedule["follow-digests-send"]["schedule"]
    assert (digest.minute, digest.hour, digest.day_of_week) == ({0}, {7}, {1})


# --- a refresh run, imported -------------------------------------------------


@pytest.fixture
def priem_on_openalex(settings) -> Iterator[OpenAlexReplay]:
    """api.openalex.org replayed with Jason Priem's record and works only:
    a refresh of anyone else fails the test."""
    settings.OPENALEX_API_KEY = "test-api-key"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        replay = OpenAlexReplay(mock)
        replay.single(f"authors/{PRIEM}", priem())
        replay.walk("works", priem_pages(), filter=PRIEM_WORKS_FILTER)
        yield replay
    assert replay.unrecorded == []


# Committed for real: "what the run touched" compares the rows' timestamps
# with the run's start, which one test-wide transaction would blur.
@pytest.mark.django_db(transaction=True)
def test_a_refresh_run_refetches_the_researcher_and_then_recomputes_trust(
    priem_on_openalex, enqueued, trust_enqueued
):
    stale = ClaimedResearcherFactory(
        openalex_id=PRIEM, display_name="J. Priem (old)", fetched_at=fetched(30)
    )
    ResearcherFactory(fetched_at=fetched(1))  # fresh: not refreshed

    run = services.researchers_refresh()
    assert enqueued() == [("works.import_run", (run.pk,), {})]
    import_run_task(run.pk)  # what the worker does with the message

    run.refresh_from_db()
    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    refreshed = Researcher.objects.get(pk=stale.pk)
    assert refreshed.display_name == "Jason Priem"
    assert refreshed.fetched_at > NOW
    assert refreshed.is_claimed  # the import refreshes the record, not its claim
    assert stale.pk in {pk for chunk in trust_enqueued() for pk in chunk}
    # Fetched now: the next tick has nobody left to refresh.
    assert services.researchers_refresh() is None


# --- what is never refreshed -------------------------------------------------


def test_the_sample_researchers_are_never_due():
    ResearcherFactory(openalex_id="A5100000001", is_sample=True)
    imported = ResearcherFactory(openalex_id="A5023888391")

    assert selectors.researchers_due_for_refresh(limit=10, now=NOW) == [
        imported.openalex_id
    ]


def test_without_an_api_key_no_refresh_starts_and_the_log_says_why_once(
    settings, enqueued, django_capture_on_commit_callbacks, caplog
):
    settings.OPENALEX_API_KEY = ""
    services._warn_once_without_api_key.cache_clear()
    ResearcherFactory(fetched_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.researchers_refresh() is None
        assert services.researchers_refresh() is None

    assert ImportRun.objects.count() == 0
    assert enqueued() == []
    warnings = [
        r.getMessage() for r in caplog.records if "OPENALEX_API_KEY" in r.getMessage()
    ]
    assert warnings == [
        "researchers are not refreshed from OpenAlex: OPENALEX_API_KEY is not set"
    ]
