"""A snapshot run fanned out over real Celery workers (``works.fan_out``):
one task per part file on two worker processes gives the catalog, the counts
and the located rejections of the in-process load; its stages run in order;
a part delivered again changes nothing; the run's own step runs once; a
failed part fails the run, and a Resume loads just it; a part whose worker
was killed mid-part is sent again by beat's sweep and finished from its
checkpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from outbox.models import OutboxMessage
from tests.helpers.catalog import catalog_digest
from tests.helpers.fan_out import (
    catalog_by_natural_keys,
    catalog_clear,
    fan_out_worker_pool,
    write_fan_out_snapshot,
)
from tests.helpers.workers import Workers, run_row, wait_for
from works.fan_out import (
    import_run_parts_progress,
    snapshot_fan_out,
    snapshot_part_execute,
)
from works.ingest.openalex.snapshot_parts import STAGE_OF
from works.models import ImportRun, ImportRunPart
from works.services import import_run_resume, import_runs_sweep, snapshot_load
from works.tasks import import_run_part_task, import_run_task

pytestmark = pytest.mark.django_db(transaction=True)

Status = ImportRunPart.Status
FINISHED = (ImportRun.Status.SUCCEEDED, ImportRun.Status.FAILED)
TRUST_TASK = "profiles.researcher_trust_recompute"


@pytest.fixture(scope="module")
def workers(django_db_setup) -> Iterator[Workers]:
    """Two worker processes for the module, on a queue of their own that the
    fanned-out runs' tasks are routed to."""
    with fan_out_worker_pool(name="fan-out") as pool:
        pool.start_together(2)
        yield pool


def outcome(run: ImportRun) -> dict:
    """What a run reports: counts per entity (and merges applied) and in
    all, progress, and its rejected lines with their reasons."""
    return {
        "entities": run.counts,
        "totals": [
            run.created_count,
            run.updated_count,
            run.unchanged_count,
            run.rejected_count,
        ],
        "progress": (run.progress_done, run.progress_total),
        "rejected": sorted(
            run.rejected.values_list("entity", "locator", "reason", "excerpt")
        ),
    }


def finished(run: ImportRun) -> ImportRun:
    wait_for(lambda: run_row(run).status in FINISHED, what=f"run {run.pk} to end")
    return run_row(run)


def test_two_workers_store_what_one_process_stores_and_report_rejections(
    tmp_path, workers
):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")
    here = snapshot_load(path=snapshot.root, progress=False, sync_trust=True)
    expected = catalog_by_natural_keys()
    catalog_clear()

    run = finished(snapshot_fan_out(path=snapshot.root))

    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    assert catalog_by_natural_keys() == expected
    assert outcome(run) == outcome(here)
    assert run.created_count == 6 + 3 + 5 + 24 + 48
    assert run.counts["merged_ids"] == {"authors": 1, "works": 1}
    # Every line once: each part counted its own file.
    parts = list(run.parts.order_by("position"))
    assert [part.path for part in parts] == [
        path for paths in snapshot.parts.values() for path in paths
    ]
    assert {part.status for part in parts} == {Status.SUCCEEDED}
    assert all(part.records_done == part.records_total for part in parts)
    assert sum(part.created_count for part in parts) == run.created_count
    # A stage started once the one before it was done.
    for later in (1, 2):
        before = [part for part in parts if STAGE_OF[part.entity] < later]
        after = [part for part in parts if STAGE_OF[part.entity] == later]
        assert min(p.started_at for p in after) >= max(p.finished_at for p in before)
    progress = import_run_parts_progress(run=run)
    assert progress.describe() == f"{snapshot.part_count} of 11 part files done"
    # Rejected lines are located in their part files, and counted by them.
    assert sorted(run.rejected.values_list("locator", "reason")) == sorted(
        snapshot.rejected
    )
    rejecting = run.parts.filter(rejected_count__gt=0).order_by("position")
    assert list(rejecting.values_list("path", "rejected_count")) == [
        (snapshot.parts["authors"][1], 2),
        (snapshot.parts["works"][1], 2),
    ]


def test_a_part_delivered_again_changes_nothing_and_counts_once(tmp_path, workers):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")
    run = finished(snapshot_fan_out(path=snapshot.root))
    assert run.status == ImportRun.Status.SUCCEEDED
    workers.wait_until_idle()  # the trust recompute the run enqueued, too
    rows, reported = catalog_digest(), outcome(run)
    parts = list(run.parts.order_by("position"))

    # Every message again, as Redis would redeliver it: the parts' and the
    # run's own step.
    for part in parts:
        import_run_part_task.apply_async(args=[part.pk])
    import_run_task.apply_async(args=[run.pk])
    workers.wait_until_idle()
    # A part run again from its checkpoint, as a delivery racing with its own
    # success would: the file's end is where it goes on from.
    last = parts[-1]
    ImportRunPart.objects.filter(pk=last.pk).update(status=Status.QUEUED)
    assert snapshot_part_execute(part_id=last.pk).status == Status.SUCCEEDED

    assert catalog_digest() == rows  # not a byte, not a timestamp moved
    assert outcome(run_row(run)) == reported
    assert list(run.parts.order_by("position").values_list("created_count")) == [
        (part.created_count,) for part in parts
    ]
    # The run's after-run step ran once: one trust recompute enqueued.
    assert OutboxMessage.objects.filter(task_name=TRUST_TASK).count() == 1


def test_parts_unchanged_since_their_last_load_are_skipped_by_the_workers(
    tmp_path, workers
):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot", manifests=True)
    first = finished(snapshot_fan_out(path=snapshot.root))
    assert first.status == ImportRun.Status.SUCCEEDED, first.error
    workers.wait_until_idle()
    rows = catalog_digest()

    again = finished(snapshot_fan_out(path=snapshot.root))

    assert again.status == ImportRun.Status.SUCCEEDED, again.error
    assert (
        list(again.parts.values_list("skipped", flat=True))
        == [True] * snapshot.part_count
    )
    assert again.checkpoint["files_skipped"] == snapshot.part_count
    rejected = len(snapshot.rejected)
    assert (again.created_count, again.updated_count, again.rejected_count) == (
        0,
        0,
        0,
    )
    assert again.unchanged_count == first.progress_total - rejected
    assert (again.progress_done, again.progress_total) == (
        first.progress_total,
        first.progress_total,
    )
    assert catalog_digest() == rows


# The advisory lock a trigger makes the insert of one work wait for while the
# test holds it (the "gate"); its namespace is none of the application's.
GATE = (0x7465, 0x6762)
GATE_TRIGGER = "bzpeer_test_fan_out_gate"


@pytest.fixture
def gate_close(other_session) -> Iterator[Callable[[], None]]:
    """``gate_close()``: until the test lets go of the gate, the insert of
    work W9000000005 (the second page of the first works part, at five
    lines a page) waits for it, mid-page. The gate opens and the trigger
    goes after the test."""

    def close() -> None:
        other_session.execute("SELECT pg_advisory_lock(%s, %s)", list(GATE))
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE FUNCTION {GATE_TRIGGER}() RETURNS trigger LANGUAGE plpgsql"
                f" AS $$ BEGIN PERFORM pg_advisory_xact_lock({GATE[0]}, {GATE[1]});"
                " RETURN NEW; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {GATE_TRIGGER} BEFORE INSERT ON works_work FOR EACH"
                " ROW WHEN (NEW.openalex_id = 'W9000000005')"
                f" EXECUTE FUNCTION {GATE_TRIGGER}()"
            )

    yield close
    other_session.execute("SELECT pg_advisory_unlock_all()")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {GATE_TRIGGER} ON works_work")
        cursor.execute(f"DROP FUNCTION IF EXISTS {GATE_TRIGGER}()")


def waiting_at_the_gate() -> str | None:
    """The application name of the database session waiting at the gate."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.application_name FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND NOT l.granted"
            " AND l.classid = %s AND l.objid = %s",
            list(GATE),
        )
        row = cursor.fetchone()
    return row[0] if row else None


def end_sessions(application: str) -> None:
    """End the database sessions of a killed worker (named ``application``)."""
    query = "FROM pg_stat_activity WHERE application_name = %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_terminate_backend(pid) {query}", [application])

    def gone() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) {query}", [application])
            return cursor.fetchone()[0] == 0

    wait_for(gone, what=f"the sessions of {application} to end")


FAILING_TRIGGER = "bzpeer_test_fan_out_failure"


@pytest.fixture
def failing_work() -> Iterator[Callable[[], None]]:
    """While the trigger is in place, the insert of work W9000000030 (in the
    third works part) fails as a full disk would; calling the fixture's
    value drops it (so does the end of the test)."""

    def drop() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {FAILING_TRIGGER} ON works_work")
            cursor.execute(f"DROP FUNCTION IF EXISTS {FAILING_TRIGGER}()")

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE FUNCTION {FAILING_TRIGGER}() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full';"
            " END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER {FAILING_TRIGGER} BEFORE INSERT ON works_work FOR EACH"
            " ROW WHEN (NEW.openalex_id = 'W9000000030')"
            f" EXECUTE FUNCTION {FAILING_TRIGGER}()"
        )
    yield drop
    drop()


def test_a_failed_part_fails_the_run_and_a_resume_loads_just_it(
    tmp_path, workers, failing_work
):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")
    failing = snapshot.parts["works"][2]

    run = finished(snapshot_fan_out(path=snapshot.root))

    assert run.status == ImportRun.Status.FAILED
    assert run.error.startswith(
        f"SnapshotPartsUnfinished: 1 part file(s) not loaded: {failing}: "
        "OperationalError: disk full"
    )
    assert dict(run.parts.values_list("path", "status")) == {
        path: Status.FAILED if path == failing else Status.SUCCEEDED
        for paths in snapshot.parts.values()
        for path in paths
    }
    assert run.created_count == 86 - 12  # the failed part's page rolled back
    # A failed run's after-run step ran on what committed (after the run was
    # marked failed).
    workers.wait_until_idle()
    assert OutboxMessage.objects.filter(task_name=TRUST_TASK).count() == 1
    failing_work()

    import_run_resume(run=run)  # the admin's Resume
    wait_for(
        lambda: run_row(run).status == ImportRun.Status.SUCCEEDED,
        what="the resumed run to succeed",
    )

    run = run_row(run)
    assert (run.created_count, run.rejected_count, run.error) == (86, 4, "")
    assert run.counts["works"] == {
        "created": 48,
        "updated": 0,
        "unchanged": 0,
        "rejected": 2,
    }
    resumed = run.parts.get(path=failing)
    assert (resumed.status, resumed.created_count, resumed.error) == (
        Status.SUCCEEDED,
        12,
        "",
    )


# Last in the module: it kills one of its workers.
def test_a_part_whose_worker_was_killed_is_finished_after_the_sweep(
    tmp_path, workers, gate_close, other_session
):
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")
    here = snapshot_load(path=snapshot.root, progress=False, sync_trust=True)
    expected = catalog_by_natural_keys()
    catalog_clear()
    gate_close()

    run = snapshot_fan_out(path=snapshot.root, batch_size=5)
    wait_for(lambda: waiting_at_the_gate() is not None, what="a page at the gate")
    stuck = run.parts.get(path=snapshot.parts["works"][0])
    assert (stuck.status, stuck.lines_done, stuck.created_count) == (
        Status.RUNNING,
        5,
        5,
    )
    application = waiting_at_the_gate()
    worker = next(p for p, name in workers.started.items() if name == application)
    worker.kill()  # SIGKILL: no chance to record anything
    worker.wait()
    # Its session waits on a lock and would notice the dead client late.
    end_sessions(application)
    other_session.execute("SELECT pg_advisory_unlock_all()")  # the gate opens

    # The part is left running with its lock free: the sweep sends it again,
    # and the other worker goes on from its checkpoint.
    stuck.refresh_from_db()
    assert (stuck.status, stuck.lines_done) == (Status.RUNNING, 5)
    assert run.pk in import_runs_sweep(now=timezone.now() + timedelta(minutes=11))
    run = finished(run)

    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    assert catalog_by_natural_keys() == expected
    assert outcome(run) == outcome(here)
    stuck.refresh_from_db()
    assert (stuck.status, stuck.created_count, stuck.records_done) == (
        Status.SUCCEEDED,
        12,
        12,
    )
