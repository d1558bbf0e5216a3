"""The outbox: a task message is a row of the transaction that calls for it
(committed or rolled back with the change), published after commit without
waiting on a broker that is away, and sent later by the sender, oldest
first, once each even with two senders at work."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.services import (
    PUBLISH_TIMEOUT_SECONDS,
    SENT_KEPT_FOR,
    enqueue,
    outbox_send_pending,
)
from profiles.following import researcher_follow
from profiles.models import Follow
from tests.factories import ResearcherFactory, verified_user
from tests.outbox.conftest import PROBE_TASK

TRUST = "profiles.researcher_trust_recompute"

pytestmark = pytest.mark.django_db


def outbox_rows() -> list[tuple[str, list, dict, bool, int]]:
    """(task, args, kwargs, sent?, attempts) of every row, oldest first."""
    return [
        (row.task_name, row.args, row.kwargs, row.sent_at is not None, row.attempts)
        for row in OutboxMessage.objects.order_by("id")
    ]


def other_session_count(other_session, table: str) -> int:
    return other_session.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- the row and the change: one transaction ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_row_commits_with_the_change_and_its_message_goes_after_commit(
    enqueued, other_session, django_assert_num_queries
):
    user, researcher = verified_user(), ResearcherFactory()
    with transaction.atomic():
        researcher_follow(user=user, researcher=researcher)
        # Until the commit, nobody sees the follow or its row, and nothing
        # has gone to the broker.
        assert other_session_count(other_session, "profiles_follow") == 0
        assert other_session_count(other_session, "outbox_outboxmessage") == 0
        assert enqueued() == []
        with django_assert_num_queries(1):  # the row: one INSERT
            enqueue(PROBE_TASK, args=(1,), kwargs={"why": "counted"})

    assert other_session_count(other_session, "profiles_follow") == 1
    assert outbox_rows() == [
        (TRUST, [[researcher.pk]], {}, True, 1),
        (PROBE_TASK, [1], {"why": "counted"}, True, 1),
    ]
    assert enqueued() == [
        (TRUST, ([researcher.pk],), {}),
        (PROBE_TASK, (1,), {"why": "counted"}),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_takes_its_row_with_it(enqueued):
    user, researcher = verified_user(), ResearcherFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        researcher_follow(user=user, researcher=researcher)
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("the request failed after the follow")

    assert not Follow.objects.exists()
    assert outbox_rows() == []
    assert enqueued() == []


@pytest.mark.django_db(transaction=True)
def test_a_savepoint_rolled_back_takes_only_its_own_row(enqueued):
    with transaction.atomic():
        enqueue(PROBE_TASK, args=("kept",))
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue(PROBE_TASK, args=("dropped",))
            raise RuntimeError("a handler failed in its savepoint")

    assert outbox_rows() == [(PROBE_TASK, ["kept"], {}, True, 1)]
    assert enqueued() == [(PROBE_TASK, ("kept",), {})]


# --- the broker away: the commit does not wait, the row waits -------------------------


def test_with_the_broker_away_the_commit_returns_at_once_and_the_row_waits(
    unreachable_broker, django_capture_on_commit_callbacks, caplog
):
    user, researcher = verified_user(), ResearcherFactory()
    caplog.set_level(logging.WARNING, logger="outbox.services")

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        assert researcher_follow(user=user, researcher=researcher) is True
    elapsed = time.monotonic() - started

    # kombu's default would retry for seconds (or, silent, hang for good).
    limit = 1 if unreachable_broker == "refusing" else PUBLISH_TIMEOUT_SECONDS + 2
    assert elapsed < limit
    assert Follow.objects.filter(user=user, researcher=researcher).exists()
    assert outbox_rows() == [(TRUST, [[researcher.pk]], {}, False, 1)]
    assert OutboxMessage.objects.get().last_error != ""
    assert f"task {TRUST} not sent now, pending in the outbox" in caplog.text


def test_the_sender_stops_at_the_first_refusal(
    pending_rows, broker_on, unreachable_broker, django_assert_num_queries, caplog
):
    ids = pending_rows(3)
    caplog.clear()

    # The batch's rows, the failed one's error, the prune; and the savepoint
    # of the batch (inside the test's transaction).
    with django_assert_num_queries(5):
        assert outbox_send_pending() == 0

    # The first tried again; those after it not tried at all.
    assert [row[3:] for row in outbox_rows()] == [(False, 2), (False, 1), (False, 1)]
    assert f"{PROBE_TASK} (message {ids[0]}) and those after it left pending" in (
        caplog.text
    )


# --- the sender -----------------------------------------------------------------------


def test_the_sender_publishes_oldest_first_in_batches_and_prunes(
    pending_rows, enqueued, django_assert_num_queries
):
    ids = pending_rows(7)
    old, recent = pending_rows(2)
    now = timezone.now()
    OutboxMessage.objects.filter(pk=old).update(
        sent_at=now - SENT_KEPT_FOR - timedelta(minutes=1)
    )
    OutboxMessage.objects.filter(pk=recent).update(
        sent_at=now - SENT_KEPT_FOR + timedelta(minutes=1)
    )

    # Three batches of 3, 3 and 1 rows: each a savepoint, its rows, the
    # update of those sent; then the prune. Whatever the number of rows in
    # a batch, the same queries.
    with django_assert_num_queries(3 * 4 + 1):
        assert outbox_send_pending(batch_size=3) == 7

    assert enqueued() == [(PROBE_TASK, (number,), {}) for number in range(7)]
    assert list(
        OutboxMessage.objects.filter(sent_at__isnull=False)
        .order_by("id")
        .values_list("id", "attempts")
    ) == [(pk, 2) for pk in ids] + [(recent, 1)]
    assert not OutboxMessage.objects.filter(pk=old).exists()
    # Nothing left: a second run sends nothing.
    assert outbox_send_pending() == 0
    assert len(enqueued()) == 7


# --- two senders ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_sender_skips_the_rows_another_sender_holds(
    pending_rows, enqueued, other_session
):
    ids = pending_rows(5)
    # Another sender (the other session) took the two oldest rows and is
    # publishing them, its transaction open.
    with other_session.transaction():
        held = [
            row[0]
            for row in other_session.execute(
                "SELECT id FROM outbox_outboxmessage WHERE sent_at IS NULL"
                " ORDER BY id LIMIT 2 FOR UPDATE SKIP LOCKED"
            )
        ]
        assert held == ids[:2]

        # A sender that waited on the rows held instead of skipping them
        # would wait here for good: have it fail after a few seconds instead.
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")
        try:
            assert outbox_send_pending() == 3
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")

        assert enqueued() == [(PROBE_TASK, (number,), {}) for number in (2, 3, 4)]
        other_session.execute(
            "UPDATE outbox_outboxmessage SET sent_at = now(),"
            " attempts = attempts + 1 WHERE id = ANY(%s)",
            [held],
        )
    # The other sender committed: nothing is left, nothing went twice.
    assert outbox_send_pending() == 0
    assert len(enqueued()) == 3
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_publish_each_row_once(pending_rows, enqueued):
    count = 60
    pending_rows(count)
    start = threading.Barrier(2)
    sent: list[int] = []

    def sender() -> None:
        try:
            start.wait(timeout=10)
            sent.append(outbox_send_pending(batch_size=4))
        finally:
            connection.close()  # this thread's own database session

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(sent) == count and len(sent) == 2
    published = sorted(args[0] for _, args, _ in enqueued())
    assert published == list(range(count))
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
