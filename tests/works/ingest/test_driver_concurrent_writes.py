"""Two import runs writing the same new work at the same time: their pages
are written one after the other (a transaction advisory lock), so neither
fails on the work's natural key and the work is stored once."""

import threading
import time

import pytest
from django.db import connection, connections
from tqdm import tqdm

from works.ingest.driver import ImportContext
from works.ingest.http import SourceCaller
from works.ingest.records import AuthorshipRecord, WorkRecord
from works.ingest.runs import TimeBudget
from works.models import ImportRun, Work

pytestmark = pytest.mark.django_db(transaction=True)

WORK = WorkRecord(
    openalex_id="W4000000001",
    title="A work two imports meet at once",
    publication_year=2025,
    type="article",
    author_count=1,
    authorships=(AuthorshipRecord(position=0, raw_author_name="Ada Example"),),
)


def _context() -> ImportContext:
    run = ImportRun.objects.create(source="openalex-api", status="running")
    return ImportContext(
        run=run,
        caller=SourceCaller("openalex-api", interval=0),
        bar=tqdm(disable=True),
        budget=TimeBudget(None),
    )


def _waiting_for_an_advisory_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
        return cursor.fetchone()[0] > 0


def test_pages_of_concurrent_runs_are_written_one_after_the_other():
    first_inside = threading.Event()
    errors: list[BaseException] = []
    saw_second_wait = []

    def hold_until_the_second_waits():
        first_inside.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _waiting_for_an_advisory_lock():
                saw_second_wait.append(True)
                return
            time.sleep(0.05)

    def first():
        try:
            _context().store(
                [WORK],
                checkpoint={"page": 1},
                locator="page 1",
                before=hold_until_the_second_waits,
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def second():
        try:
            first_inside.wait(10)
            _context().store([WORK], checkpoint={"page": 1}, locator="page 1")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert saw_second_wait == [True], "the second page did not wait for the first"
    assert Work.objects.filter(openalex_id="W4000000001").count() == 1
    counts = sorted(
        (run.created_count, run.unchanged_count) for run in ImportRun.objects.all()
    )
    assert counts == [(0, 1), (1, 0)]
