"""The upsert path among concurrent writers: it locks rows in key order, so
two batches naming the same rows in opposite orders wait for each other
rather than deadlock; and a batch chosen as a deadlock's victim all the same
(a writer locking in another order) is rolled back to its savepoint and
written again."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import connection, connections, transaction

from works.ingest.records import InstitutionRecord
from works.ingest.upsert import UpsertResult, upsert_records
from works.models import Institution

pytestmark = pytest.mark.django_db(transaction=True)

FIRST, SECOND = "I9000000001", "I9000000002"
SLOW_TRIGGER = "bzpeer_test_slow_institution_update"
WAIT_SECONDS = 30


def institutions(names: dict[str, str]) -> list[InstitutionRecord]:
    return [
        InstitutionRecord(openalex_id=openalex_id, display_name=name)
        for openalex_id, name in names.items()
    ]


def names() -> dict[str, str]:
    return dict(Institution.objects.values_list("openalex_id", "display_name"))


def in_a_thread(work: Callable[[], UpsertResult]) -> tuple[threading.Thread, list]:
    """Run ``work`` in a transaction of its own on a thread of its own; the
    list gets its result or its exception."""
    outcome: list = []

    def target() -> None:
        try:
            with transaction.atomic():
                outcome.append(work())
        except BaseException as exc:  # reported by the test
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def sessions_waiting_on_a_row() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_for(condition: Callable[[], bool], *, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def slow_updates() -> Iterator[None]:
    """Each institution row updated takes half a second, its lock held: two
    batches locking rows in opposite orders would meet mid-way."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE FUNCTION {SLOW_TRIGGER}() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER {SLOW_TRIGGER} BEFORE UPDATE ON works_institution"
            f" FOR EACH ROW EXECUTE FUNCTION {SLOW_TRIGGER}()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {SLOW_TRIGGER} ON works_institution")
        cursor.execute(f"DROP FUNCTION IF EXISTS {SLOW_TRIGGER}()")


def test_batches_naming_rows_in_opposite_orders_do_not_deadlock(slow_updates, caplog):
    upsert_records(institutions({FIRST: "First", SECOND: "Second"}))
    start = threading.Barrier(2)

    def batch(order: list[str], name: str) -> Callable[[], UpsertResult]:
        def work() -> UpsertResult:
            start.wait(WAIT_SECONDS)
            return upsert_records(institutions({key: name for key in order}))

        return work

    with caplog.at_level(logging.WARNING, logger="works.ingest.upsert"):
        one, one_outcome = in_a_thread(batch([SECOND, FIRST], "one"))
        two, two_outcome = in_a_thread(batch([FIRST, SECOND], "two"))
        one.join(WAIT_SECONDS)
        two.join(WAIT_SECONDS)

    assert one_outcome == two_outcome == [UpsertResult(updated=2)]
    assert "deadlocked" not in caplog.text
    # Whole batches, one after the other: never one row of each.
    assert set(names().values()) in ({"one"}, {"two"})


def test_a_batch_chosen_as_a_deadlock_victim_is_written_again(other_session, caplog):
    upsert_records(institutions({FIRST: "First", SECOND: "Second"}))
    with other_session.transaction():
        # Another writer, locking in the other order: the second row first.
        other_session.execute(
            "UPDATE works_institution SET display_name = 'Other' "
            "WHERE openalex_id = %s",
            [SECOND],
        )
        with caplog.at_level(logging.WARNING, logger="works.ingest.upsert"):
            batch, outcome = in_a_thread(
                lambda: upsert_records(institutions({FIRST: "New", SECOND: "New"}))
            )
            # The batch holds the first row and waits for the second…
            wait_for(lambda: sessions_waiting_on_a_row() == 1, what="the batch")
            # …which waits for the first: PostgreSQL cancels the batch's
            # statement, which began waiting first (deadlock_timeout later).
            other_session.execute(
                "UPDATE works_institution SET display_name = 'Other' "
                "WHERE openalex_id = %s",
                [FIRST],
            )
    # The other writer committed; the batch, written again, comes last.
    batch.join(WAIT_SECONDS)

    assert outcome == [UpsertResult(updated=2)]
    assert "a batch of 2 InstitutionRecord deadlocked (try 1 of 4)" in caplog.text
    assert names() == {FIRST: "New", SECOND: "New"}
