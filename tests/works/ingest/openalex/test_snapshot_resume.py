"""Resuming the snapshot load: a checkpoint per batch and per file, a run
that failed or stopped halfway, one process per run.

Failures are real: a PL/pgSQL trigger the test creates on the works table
makes the insert of one given work raise, or wait on an advisory lock the
test holds (the "gate") so that a load running in a subprocess is known to be
mid-batch when the test interrupts or kills it."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from bzpeer.db import AdvisoryLock
from profiles.models import Researcher
from tests.helpers.celery_worker import worker_database_url
from tests.helpers.paths import ROOT
from tests.helpers.snapshot import (
    AUTHORS,
    AUTHORS_2023,
    INSTITUTIONS,
    SOURCES,
    STANDARD_COUNTS,
    TOPICS,
    WORKS,
    standard_parts,
    write_part,
)
from works.ingest.runs import ImportRunBusy
from works.models import ImportRun, Institution, Source, Topic, Work
from works.services import snapshot_load

pytestmark = pytest.mark.django_db(transaction=True)

# The works of the standard tree, in file order (one line each).
STATE_OF_OA, ARXIV_PREPRINT, WITH_ARXIV_LOCATION = (
    "W2741809807",
    "W3045921891",
    "W1996515099",
)
# The trigger (and its function) a test puts on the works table.
TRIGGER = "bzpeer_test_work_insert"
# The advisory lock the gate trigger waits for while the test holds it; its
# namespace is none of the application's (bzpeer.db.AdvisoryLock).
GATE = (0x7465, 0x6761)
WAIT_SECONDS = 60


def load(path, **options) -> ImportRun:
    options.setdefault("sync_trust", True)
    return snapshot_load(path=path, progress=False, **options)


def outcome(run: ImportRun, name: str) -> dict[str, int]:
    return {entity: counts[name] for entity, counts in run.counts.items()}


def wait_for(condition: Callable[[], bool], *, what: str) -> None:
    """Poll ``condition`` until it holds; fail after ``WAIT_SECONDS``."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def trigger_on_work(openalex_id: str, body: str) -> None:
    """Run the PL/pgSQL ``body`` before the insert of work ``openalex_id``
    (every insert of the upsert, whether it then creates or updates), in the
    statement's transaction: an error it raises fails the batch."""
    assert re.fullmatch(r"W\d+", openalex_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql"
            f" AS $$ BEGIN {body} RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {Work._meta.db_table}"
            f" FOR EACH ROW WHEN (NEW.openalex_id = '{openalex_id}')"
            f" EXECUTE FUNCTION {TRIGGER}()"
        )


def drop_trigger() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {Work._meta.db_table}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")


@pytest.fixture
def work_trigger() -> Iterator[Callable[[str, str], None]]:
    """``trigger_on_work``, the trigger dropped after the test whatever
    happened (a flush of the test database would leave it in place)."""
    yield trigger_on_work
    drop_trigger()


def assert_stored_once(snapshot_root: Path) -> None:
    """Every record of the standard tree is stored exactly once: one row per
    record of each entity, each work's byline once, and loading the tree
    again finds every record unchanged (nothing half-written is left)."""
    stored = {
        "institutions": Institution.objects.count(),
        "sources": Source.objects.count(),
        "topics": Topic.objects.count(),
        "authors": Researcher.objects.count(),
        "works": Work.objects.count(),
    }
    assert stored == STANDARD_COUNTS
    for record in standard_parts()[WORKS]:
        work = Work.objects.get(openalex_id=record["id"].rsplit("/", 1)[-1])
        assert work.authorships.count() == len(record["authorships"])
    again = load(snapshot_root)
    assert (again.status, again.unchanged_count) == (ImportRun.Status.SUCCEEDED, 14)
    assert again.created_count + again.updated_count + again.rejected_count == 0


def test_resume_skips_finished_files_and_counts_exactly(snapshot_root):
    # A zero time budget stops after each batch, as a Celery slice would.
    run = load(snapshot_root, batch_size=2, time_budget=0)
    assert run.status == ImportRun.Status.RUNNING
    assert run.checkpoint == {
        "file": INSTITUTIONS,
        "lines_done": 2,
        "records_done": 2,
    }
    assert run.created_count == 2
    run = load(snapshot_root, run=run, batch_size=2, time_budget=0)
    assert run.checkpoint == {"files_done": [INSTITUTIONS]}
    # A finished file is not read again, even when it changed since.
    renamed = standard_parts()[INSTITUTIONS]
    renamed[0]["display_name"] = "Renamed"
    write_part(snapshot_root, INSTITUTIONS, renamed)

    run = load(snapshot_root, run=run)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert outcome(run, "created") == STANDARD_COUNTS
    assert run.unchanged_count == 0
    assert (run.progress_done, run.progress_total) == (14, 14)
    assert ImportRun.objects.count() == 1
    michigan = Institution.objects.get(openalex_id="I27837315")
    assert michigan.display_name == "University of Michigan"


def test_a_failed_batch_loses_only_itself_and_the_run_resumes(
    snapshot_root, work_trigger
):
    # The second batch of works (the third work) fails in the database.
    work_trigger(
        WITH_ARXIV_LOCATION,
        "RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full';",
    )

    run = load(snapshot_root, batch_size=2)

    assert run.status == ImportRun.Status.FAILED
    assert run.error.splitlines()[0] == "OperationalError: disk full"
    assert f"PL/pgSQL function {TRIGGER}()" in run.error
    assert outcome(run, "created") == {**STANDARD_COUNTS, "works": 2}
    assert run.checkpoint == {
        "files_done": [INSTITUTIONS, SOURCES, TOPICS, AUTHORS_2023, AUTHORS],
        "file": WORKS,
        "lines_done": 2,
        "records_done": 2,
    }
    assert sorted(Work.objects.values_list("openalex_id", flat=True)) == sorted(
        [STATE_OF_OA, ARXIV_PREPRINT]
    )
    drop_trigger()

    run = load(snapshot_root, run=run)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.error == ""
    assert outcome(run, "created") == STANDARD_COUNTS
    assert Work.objects.count() == 3
    assert_stored_once(snapshot_root)


def test_a_run_being_loaded_elsewhere_is_not_loaded_twice(snapshot_root, other_session):
    run = load(snapshot_root, time_budget=0)
    other_session.execute(
        "SELECT pg_advisory_lock(%s, %s)", list(AdvisoryLock.IMPORT_RUN.key(run.pk))
    )

    with pytest.raises(ImportRunBusy, match=f"import run {run.pk} is being loaded"):
        load(snapshot_root, run=run)

    other_session.execute(
        "SELECT pg_advisory_unlock(%s, %s)", list(AdvisoryLock.IMPORT_RUN.key(run.pk))
    )
    assert load(snapshot_root, run=run).status == ImportRun.Status.SUCCEEDED


class GatedLoad:
    """``manage.py load_openalex_snapshot`` in a subprocess, against the test
    database, held mid-batch: the insert of a given work waits on the gate,
    an advisory lock the test holds in a session of its own. Its database
    sessions carry an application name of their own, so the test can see
    the one waiting at the gate, and when they are gone."""

    def __init__(self, gate_session, log: Path):
        self.gate_session = gate_session
        self.log = log
        self.application = f"bzpeer-gated-load-{os.getpid()}"
        self.process: subprocess.Popen | None = None

    def start(self, snapshot_root: Path, *, work: str) -> None:
        self.gate_session.execute("SELECT pg_advisory_lock(%s, %s)", list(GATE))
        trigger_on_work(work, f"PERFORM pg_advisory_xact_lock_shared{GATE};")
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bzpeer.settings.test",
            "DATABASE_URL": (
                f"{worker_database_url()}?application_name={self.application}"
            ),
        }
        with open(self.log, "w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "load_openalex_snapshot", snapshot_root],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.at_gate, what="the load to reach the gated work")

    def _sessions(self, condition: str = "true") -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                f" WHERE application_name = %s AND {condition}",
                [self.application],
            )
            return cursor.fetchone()[0]

    def at_gate(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the load exited ({self.process.returncode}): {self.output}")
        return bool(
            self._sessions("wait_event_type = 'Lock' AND wait_event = 'advisory'")
        )

    def stop(self, signal_number: int) -> int:
        """Send the load ``signal_number``; return its exit status."""
        self.process.send_signal(signal_number)
        return self.process.wait(timeout=WAIT_SECONDS)

    def open_gate(self) -> None:
        self.gate_session.execute("SELECT pg_advisory_unlock_all()")

    def wait_for_sessions_to_end(self) -> None:
        """Wait until PostgreSQL has ended the load's sessions (and so rolled
        back its batch and released the run's advisory lock). A session whose
        client was killed ends once it next reads from it, past the gate."""
        self.open_gate()
        wait_for(lambda: self._sessions() == 0, what="the load's sessions to end")

    @property
    def output(self) -> str:
        return self.log.read_text()

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.open_gate()
        if self.process is not None:
            deadline = time.monotonic() + WAIT_SECONDS
            while self._sessions() and time.monotonic() < deadline:
                time.sleep(0.02)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = %s",
                    [self.application],
                )
        drop_trigger()


@pytest.fixture
def gated_load(other_session, tmp_path) -> Iterator[GatedLoad]:
    """A load in a subprocess, held at a gate (``GatedLoad``); killed if still
    running after the test, its sessions ended and the trigger dropped."""
    load = GatedLoad(other_session, tmp_path / "load.log")
    try:
        yield load
    finally:
        load.close()


def test_an_interrupted_load_is_recorded_and_stops(snapshot_root, gated_load):
    gated_load.start(snapshot_root, work=ARXIV_PREPRINT)

    # Ctrl-C while the works batch is in flight.
    status = gated_load.stop(signal.SIGINT)

    assert status == -signal.SIGINT, gated_load.output
    assert "KeyboardInterrupt" in gated_load.output
    run = ImportRun.objects.get()
    assert (run.status, run.error) == (ImportRun.Status.FAILED, "interrupted")
    assert run.created_count == 11
    assert run.checkpoint == {
        "files_done": [INSTITUTIONS, SOURCES, TOPICS, AUTHORS_2023, AUTHORS]
    }
    assert Work.objects.count() == 0
    gated_load.wait_for_sessions_to_end()
    drop_trigger()

    run = load(snapshot_root, run=run)

    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    assert outcome(run, "created") == STANDARD_COUNTS
    assert run.updated_count + run.unchanged_count == 0
    assert_stored_once(snapshot_root)


def test_a_killed_load_resumes_from_its_checkpoint(snapshot_root, gated_load):
    gated_load.start(snapshot_root, work=ARXIV_PREPRINT)

    # SIGKILL while the works batch is in flight: nothing gets recorded.
    assert gated_load.stop(signal.SIGKILL) == -signal.SIGKILL

    run = ImportRun.objects.get()
    assert (run.status, run.error) == (ImportRun.Status.RUNNING, "")
    assert run.created_count == 11
    assert run.checkpoint == {
        "files_done": [INSTITUTIONS, SOURCES, TOPICS, AUTHORS_2023, AUTHORS]
    }
    # The dead load's session still holds the run until PostgreSQL ends it.
    with pytest.raises(ImportRunBusy):
        load(snapshot_root, run=run)
    gated_load.wait_for_sessions_to_end()
    assert Work.objects.count() == 0  # its batch was rolled back
    drop_trigger()

    run = load(snapshot_root, run=run)

    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    assert outcome(run, "created") == STANDARD_COUNTS
    assert run.updated_count + run.unchanged_count == 0
    assert_stored_once(snapshot_root)
