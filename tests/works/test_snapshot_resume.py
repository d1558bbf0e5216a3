"""Resuming the snapshot load: a checkpoint per batch and per file, a run
that failed or stopped halfway, one process per run."""

import pytest
from django.db import connection

from tests.works.conftest import (
    AUTHORS,
    AUTHORS_2023,
    INSTITUTIONS,
    SOURCES,
    STANDARD_COUNTS,
    TOPICS,
    standard_parts,
    write_part,
)
from works.ingest import upsert
from works.ingest.records import WorkRecord
from works.ingest.runs import ImportRunBusy
from works.models import ImportRun, Institution, Work
from works.services import snapshot_load

pytestmark = pytest.mark.django_db(transaction=True)


def load(path, **options) -> ImportRun:
    return snapshot_load(path=path, progress=False, **options)


def outcome(run: ImportRun, name: str) -> dict[str, int]:
    return {entity: counts[name] for entity, counts in run.counts.items()}


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
    snapshot_root, monkeypatch
):
    def crash(records):
        raise RuntimeError("disk full")

    monkeypatch.setitem(upsert._UPSERTS, WorkRecord, crash)

    run = load(snapshot_root)

    assert run.status == ImportRun.Status.FAILED
    assert run.error == "RuntimeError: disk full"
    assert outcome(run, "created") == {
        entity: count for entity, count in STANDARD_COUNTS.items() if entity != "works"
    }
    assert run.checkpoint == {
        "files_done": [INSTITUTIONS, SOURCES, TOPICS, AUTHORS_2023, AUTHORS]
    }
    assert Work.objects.count() == 0
    monkeypatch.undo()

    run = load(snapshot_root, run=run)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.error == ""
    assert outcome(run, "created") == STANDARD_COUNTS
    assert Work.objects.count() == 3


@pytest.fixture
def other_session():
    """A second database session, as another worker process would hold."""
    import psycopg

    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )
    yield other
    other.close()


def test_a_run_being_loaded_elsewhere_is_not_loaded_twice(snapshot_root, other_session):
    run = load(snapshot_root, time_budget=0)
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", [0x5752, run.pk])

    with pytest.raises(ImportRunBusy, match=f"import run {run.pk} is being loaded"):
        load(snapshot_root, run=run)

    other_session.execute("SELECT pg_advisory_unlock(%s, %s)", [0x5752, run.pk])
    assert load(snapshot_root, run=run).status == ImportRun.Status.SUCCEEDED


def test_an_interrupted_load_is_recorded_and_stops(snapshot_root, monkeypatch):
    def interrupt(records):
        raise KeyboardInterrupt

    monkeypatch.setitem(upsert._UPSERTS, WorkRecord, interrupt)
    with pytest.raises(KeyboardInterrupt):
        load(snapshot_root)
    run = ImportRun.objects.get()
    assert (run.status, run.error) == (ImportRun.Status.FAILED, "interrupted")
    assert run.created_count == 11
