"""Handing import runs to the Celery workers: which task runs a run, when a
run may be resumed, and starting a new one. The admin's import screens and
the freshness job call these, exactly as a test does.

Every function enqueues after the current transaction commits, so a worker
never looks for a run it cannot see yet. Enqueuing a run twice is harmless:
the tasks take the run's advisory lock, and a second message finds the run
busy or finished and returns quietly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .importers.base import IMPORTERS, live_import_create, live_import_rerun
from .ingest.runs import ImportRunBusy, import_run_lock
from .models import ImportRun
from .services import SNAPSHOT_SOURCE

OPENALEX_SOURCE = "openalex-api"
# The OpenAlex importer's parameters naming the authors to import.
OPENALEX_AUTHORS = "authors"
OPENALEX_ORCIDS = "orcids"


class RunNotResumable(Exception):
    """The run cannot be resumed; the message says why."""


def import_run_enqueue(run: ImportRun) -> None:
    """Enqueue the task that runs (or resumes) ``run`` from its checkpoint,
    once the current transaction commits: ``works.live_import`` for a live
    import, ``works.snapshot_load`` with the run's path for a snapshot load.
    Raises ``RunNotResumable`` for a source no task runs."""
    from .tasks import live_import_task, snapshot_load_task

    run_id = run.pk
    if run.source in IMPORTERS:
        transaction.on_commit(lambda: live_import_task.delay(run_id))
    elif run.source == SNAPSHOT_SOURCE:
        parameters = run.parameters
        if not parameters.get("path"):
            raise RunNotResumable(f"run {run_id} names no snapshot path")
        transaction.on_commit(
            lambda: snapshot_load_task.delay(
                parameters["path"],
                run_id=run_id,
                sample=bool(parameters.get("sample", False)),
                entity=parameters.get("entity"),
            )
        )
    else:
        raise RunNotResumable(f"no task runs {run.source} runs")


def import_run_is_busy(run: ImportRun) -> bool:
    """True while a process holds ``run``'s advisory lock, i.e. is loading
    it now. A ``running`` run nobody holds was interrupted (worker killed,
    machine lost) or waits in the queue for its next time slice."""
    try:
        with import_run_lock(run):
            return False
    except ImportRunBusy:
        return True


def import_run_resume(run: ImportRun) -> None:
    """Enqueue ``run`` to continue from its checkpoint. A run may resume
    when it failed, or when it is pending or running but no process holds
    it (a message lost with its broker, a worker killed mid-run).

    Raises ``RunNotResumable`` for a run that succeeded, one being loaded
    right now, or one of a source no task runs."""
    if run.status == ImportRun.Status.SUCCEEDED:
        raise RunNotResumable(f"run {run.pk} has already succeeded")
    if import_run_is_busy(run):
        raise RunNotResumable(f"run {run.pk} is being loaded right now")
    import_run_enqueue(run)


def import_run_rerun(run: ImportRun) -> ImportRun:
    """A new pending run with ``run``'s source and parameters, enqueued.
    Raises ``RunNotResumable`` for a run that is not a live import (a
    snapshot is loaded again with ``load_openalex_snapshot``)."""
    if run.source not in IMPORTERS:
        raise RunNotResumable(
            f"run {run.pk} is a {run.source} run; only live imports re-run"
        )
    with transaction.atomic():
        new_run = live_import_rerun(run)
        import_run_enqueue(new_run)
    return new_run


def live_import_start(*, source: str, parameters: dict[str, Any]) -> ImportRun:
    """Create a pending live import of ``source`` with ``parameters`` and
    enqueue it; returns the run."""
    with transaction.atomic():
        run = live_import_create(source=source, parameters=parameters)
        import_run_enqueue(run)
    return run


# A run started this recently may simply not have been picked up yet.
SWEEP_GRACE = timedelta(minutes=10)


def import_runs_sweep(*, now: datetime | None = None) -> list[int]:
    """Enqueue again every run left ``running`` that no process holds (its
    worker was killed, its machine lost, its message dropped), and every run
    still ``pending`` well after it was created; return their ids. Beat runs
    this, so an interrupted import resumes without an operator. A run whose
    next time slice merely waits in the queue gets a second message, which
    finds it busy or finished and returns: harmless. Failed runs are left to
    the operator (their reason may need a decision first)."""
    now = now or timezone.now()
    stale = ImportRun.objects.filter(
        Q(status=ImportRun.Status.RUNNING, started_at__lt=now - SWEEP_GRACE)
        | Q(status=ImportRun.Status.PENDING, created_at__lt=now - SWEEP_GRACE)
    ).order_by("pk")
    swept = []
    for run in stale:
        if run.source not in IMPORTERS and run.source != SNAPSHOT_SOURCE:
            continue
        if import_run_is_busy(run):
            continue
        try:
            import_run_enqueue(run)
        except RunNotResumable:
            continue
        swept.append(run.pk)
    return swept
