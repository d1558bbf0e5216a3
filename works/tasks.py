"""Celery tasks of works: thin wrappers around ``works.services`` and the run
driver (``works.ingest.driver``)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from .fan_out import (
    IMPORT_RUN_PART_TASK,
    import_run_parts_active,
    run_is_fanned_out,
    snapshot_part_execute,
)
from .ingest.driver import run_execute
from .ingest.runs import ImportRunBusy
from .models import ImportRun
from .services import (
    IMPORT_RUN_TASK,
    import_run_enqueue,
    import_runs_sweep,
    researchers_refresh,
)

logger = logging.getLogger(__name__)

# Each invocation of the import task works settings.IMPORT_TASK_TIME_BUDGET
# seconds (20 min), then re-enqueues itself from the run's checkpoint: under the
# soft time limit (30 min) and far under the broker's visibility timeout, so an
# acked-late task is never redelivered while it runs. A setting read at each
# call rather than a constant, so a test can shorten it (``settings`` fixture).


@shared_task(name=IMPORT_RUN_TASK, acks_late=True)
def import_run_task(run_id: int) -> int:
    """Run the import run ``run_id`` of any source (as
    ``works.ingest.driver.run_execute``) for at most
    ``settings.IMPORT_TASK_TIME_BUDGET`` seconds, then re-enqueue itself until
    the run is done; the driver's after-run step enqueues the trust
    recompute. Requests answered 429 / 5xx are retried with backoff inside,
    honouring Retry-After, at the rate shared by every worker.

    Idempotent: a redelivered message (worker killed) resumes the run from its
    checkpoint; one for a run finished, deleted, or being run by another
    worker returns quietly.

    Poison messages: each execution counts a delivery on the run (committed
    before any work, forgotten when the execution returns); a message whose
    every delivery killed its worker (acks_late with reject-on-worker-lost
    would redeliver it for ever) fails the run with that reason on its
    ``IMPORT_MAX_DELIVERIES + 1``-th delivery, and is acked. The sweep's
    re-enqueue of a run a dead worker left counts on; a resume by an operator
    of the failed run starts from zero (the count went with the failure).

    For a snapshot run fanned out over workers (``works.fan_out``) this is
    the run's own step, sent by its last part: the parts' counts summed, the
    merged ids, the after-run step. A message that comes while parts are
    still queued or running returns: the last of them sends it again."""
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None or run.status == ImportRun.Status.SUCCEEDED:
        return run_id
    if run_is_fanned_out(run) and import_run_parts_active(run=run):
        logger.info("import run %s still has parts to load", run_id)
        return run_id
    try:
        run = run_execute(
            run,
            progress=False,
            time_budget=settings.IMPORT_TASK_TIME_BUDGET,
            max_deliveries=settings.IMPORT_MAX_DELIVERIES,
        )
    except ImportRunBusy:
        # A redelivered message while the first delivery still runs: that
        # one re-enqueues the next slice.
        logger.info("import run %s is being run elsewhere", run_id)
        return run_id
    if run.status == ImportRun.Status.RUNNING:
        import_run_enqueue(run=run)
    elif run.status == ImportRun.Status.FAILED:
        logger.error("import run %s failed: %s", run.pk, run.error)
    return run.pk


@shared_task(name=IMPORT_RUN_PART_TASK, acks_late=True, ignore_result=True)
def import_run_part_task(part_id: int) -> int:
    """Load the part file ``part_id`` of a snapshot run fanned out over
    workers (``works.fan_out.snapshot_part_execute``) from its checkpoint,
    for at most ``settings.IMPORT_TASK_TIME_BUDGET`` seconds (then it sends
    itself again); the part that ends its stage sends the next stage's, and
    the last one the run's own step (``works.import_run``).

    Idempotent: a redelivered message goes on from the part's checkpoint,
    counting each line once; one for a part done, failed, gone or being
    loaded by another worker returns quietly. Poison messages: past
    ``IMPORT_MAX_DELIVERIES`` deliveries that never returned, the part fails
    instead of running again."""
    snapshot_part_execute(
        part_id=part_id,
        time_budget=settings.IMPORT_TASK_TIME_BUDGET,
        max_deliveries=settings.IMPORT_MAX_DELIVERIES,
    )
    return part_id


@shared_task(name="works.researchers_refresh", acks_late=True)
def researchers_refresh_task() -> int | None:
    """Refresh the researchers whose source record is oldest (claimed first,
    then the most viewed), ``REFRESH_BATCH`` at a time, as one OpenAlex import
    run (``works.services.researchers_refresh``); return its id, or None when
    nothing was due or the previous refresh is still going. Run by beat.

    Idempotent in effect: a redelivered message finds the run the first
    delivery started still pending or running, and starts nothing."""
    run = researchers_refresh()
    return run.pk if run is not None else None


@shared_task(name="works.import_runs_sweep", acks_late=True)
def import_runs_sweep_task() -> list[int]:
    """Enqueue again the import runs left running by a lost worker, and runs
    pending long after they were created (``works.services.import_runs_sweep``);
    return their ids. Run by beat. Idempotent: a run enqueued twice runs once."""
    return import_runs_sweep()
