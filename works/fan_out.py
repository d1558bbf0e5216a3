"""A snapshot run fanned out over Celery workers: one task per part file, on
any number of worker processes on any number of hosts (each must see the
snapshot at the run's path), with Celery and Redis as the engine and
PostgreSQL as the record of what is done.

- **One run, many parts.** The snapshot is one ``ImportRun`` (parameters
  ``fan_out``, and ``queue`` when it has a queue of its own); each part file
  is an ``ImportRunPart`` (unique per run and path) with its own checkpoint
  and counts. The run's counts are the sum of its parts': each page adds its
  own to the run's row as increments, and the run's step sums them exactly
  once every part is done.
- **One task per part**, ``works.import_run_part`` (``snapshot_part_execute``):
  it takes the part's advisory lock (a redelivered message finds it busy),
  counts a delivery (a part whose every delivery kills its worker fails
  instead of looping), and loads the file from its checkpoint through the
  same store path as the in-process load
  (``works.ingest.openalex.snapshot_parts``), a page per transaction; after
  ``IMPORT_TASK_TIME_BUDGET`` it sends itself again from its checkpoint.
  Idempotent and acknowledged late: a message delivered twice, or a part
  re-run after its worker died, goes on from the last committed page and
  counts each line once; a part done is never loaded again.
- **Stages** (``STAGE_OF``: institutions, sources and topics; then authors;
  then works): a part's end takes the run's row lock and checks the stage
  barrier (``import_run_parts_advance``): the parts of the next stage are
  sent once every part of the stages before succeeded, and once all did,
  the run's own task, ``works.import_run``, runs the run's step: the sum of
  the counts, the merged ids, then the after-run step of every run (version
  grouping, hooks): once, since it takes the run's lock and a run succeeded
  is not run again. A stage left with failed parts (and none queued or
  running) sends that task too: the run fails with the first part's error,
  and the after-run step runs on what committed, as for any failed run.
- **Writes.** Parts read, decompress, parse and normalize at once; their
  pages are written one at a time, under the catalog write lock every
  import run takes (``works.ingest.runs.catalog_write_lock``). Writing at
  once would not be safe: the upsert path finds a record's row from its
  natural keys before it writes, so two parts writing works that share a
  DOI or an arXiv id (OpenAlex lists distinct works under one), authors
  sharing an ORCID iD, or institutions sharing a ROR id would fail on the
  key instead of leaving it to the first; and two parts matching one stored
  row by DOI could each take it over. What the fan-out gains is therefore
  the reading, and the speed-up is bounded by the share of the writes.
  Where two records in different part files of one entity claim one such
  key, the part that writes first keeps it (in process: the earlier file).
- **Lost parts.** A part whose worker died is ``running`` with its lock
  free; a part whose message was lost (a broker restarted) stays ``queued``
  while no part of the run is loading. Beat's sweep
  (``import_run_parts_sweep``) sends such parts again, not the whole run;
  a failed run waits for the operator's Resume (``import_run_parts_resume``),
  which sends its failed and lost parts again.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from celery import signature
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from tqdm import tqdm

from bzpeer.celery import app

from .ingest.driver import BATCH_SIZE
from .ingest.openalex.merged_ids import merged_ids_files
from .ingest.openalex.snapshot_load import FAN_OUT
from .ingest.openalex.snapshot_parts import (
    BATCH_SIZE_PARAMETER,
    snapshot_part_load,
    snapshot_parts_plan,
)
from .ingest.runs import (
    ImportRunBusy,
    TimeBudget,
    import_run_create,
    import_run_part_delivery_start,
    import_run_part_lock,
    import_run_parts_held,
)
from .ingest.upsert import is_deadlock
from .models import ImportRun, ImportRunPart
from .selectors import SWEEP_GRACE, import_run_is_busy

logger = logging.getLogger(__name__)

# The task that executes a run (for a fanned-out run: its own step, once its
# parts are done), and the task of one part, by name: the tasks module
# imports this one.
IMPORT_RUN_TASK = "works.import_run"
IMPORT_RUN_PART_TASK = "works.import_run_part"
# The run parameter naming the queue of the run's own workers (``--workers``).
QUEUE = "queue"
# Tries of a part's page that deadlocked after the upsert path's own tries.
PAGE_ATTEMPTS = 3
PAGE_BACKOFF_SECONDS = 1.0

Status = ImportRunPart.Status


def run_is_fanned_out(run: ImportRun) -> bool:
    return run.source == ImportRun.Source.OPENALEX_SNAPSHOT and bool(
        run.parameters.get(FAN_OUT)
    )


def run_queue_name(run: ImportRun) -> str:
    """A queue for ``run``'s own workers (``load_openalex_snapshot
    --workers``), next to the deployment's queue on the same broker; a new
    name each time, so workers started for a resumed run never meet what an
    earlier command left in its queue."""
    token = secrets.token_hex(3)
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}.import-{run.pk}-{token}"


def task_send(name: str, *, args: tuple, queue: str | None) -> None:
    """Send the task ``name`` with ``args`` once the current transaction
    commits (at once outside one), to ``queue`` or, when None, where the
    task's route or the default queue sends it."""
    options = {"queue": queue} if queue else {}
    transaction.on_commit(lambda: signature(name, args=args).apply_async(**options))


def snapshot_fan_out(
    *,
    path: str | Path,
    sample: bool = False,
    entity: str | None = None,
    own_queue: bool = False,
    batch_size: int = BATCH_SIZE,
    full: bool = False,
) -> ImportRun:
    """Start loading the OpenAlex snapshot at ``path`` (as ``snapshot_load``
    takes it) on Celery workers, and return the run at once: ``running``,
    with one ``ImportRunPart`` per part file in load order (the total of
    records counted as the in-process load counts it), the first stage's
    part tasks sent after commit. With ``own_queue`` every task of the run
    goes to a queue of its own (``run_queue_name``), for workers started for
    it; otherwise to the default queue. Each part stores ``batch_size``
    lines a page. With ``full`` every part file is read, even one unchanged
    since its last load.

    Raises, before creating anything, ``FileNotFoundError`` or
    ``ValueError`` for a path it cannot load."""
    planned, warnings = snapshot_parts_plan(str(path), entity=entity)
    if Path(path).is_dir():
        merged_ids_files(path, entity=entity)
    parameters = {"path": str(Path(path).resolve()), "sample": sample}
    if entity:
        parameters["entity"] = entity
    if full:
        parameters["full"] = True
    parameters[FAN_OUT] = True
    if batch_size != BATCH_SIZE:
        parameters[BATCH_SIZE_PARAMETER] = batch_size
    with transaction.atomic():
        run = import_run_create(
            source=ImportRun.Source.OPENALEX_SNAPSHOT, parameters=parameters
        )
        if own_queue:
            run.parameters[QUEUE] = run_queue_name(run)
        run.checkpoint = {"warnings": warnings} if warnings else {}
        run.progress_total = sum(part.records_total for part in planned)
        run.status = ImportRun.Status.RUNNING
        run.save(update_fields=["parameters", "checkpoint", "progress_total", "status"])
        # The database's clock, as the rows the parts write are stamped with:
        # the after-run step finds what the run changed since then.
        ImportRun.objects.filter(pk=run.pk).update(started_at=Now())
        ImportRunPart.objects.bulk_create(
            ImportRunPart(
                run=run,
                path=part.file.relative,
                entity=part.file.entity,
                stage=part.stage,
                position=position,
                records_total=part.records_total,
            )
            for position, part in enumerate(planned)
        )
        import_run_parts_advance(run=run)
    run.refresh_from_db()
    return run


def import_run_parts_advance(*, run: ImportRun) -> None:
    """The stage barrier of a fanned-out run, under the run's row lock (so
    that of two parts ending at once, exactly one sees its stage done): the
    parts of the lowest unfinished stage not sent yet are marked ``queued``
    and sent after commit; when every part succeeded, or the stage is left
    with failed parts only, the run's own task is sent (see the module
    docstring). Anything else (parts of the stage still queued or running)
    waits for them. Idempotent: what is queued is not sent twice."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status == ImportRun.Status.SUCCEEDED:
            return
        queue = run.parameters.get(QUEUE)
        unfinished = ImportRunPart.objects.filter(run=run).exclude(
            status=Status.SUCCEEDED
        )
        stage = unfinished.aggregate(stage=Min("stage"))["stage"]
        if stage is None:
            task_send(IMPORT_RUN_TASK, args=(run.pk,), queue=queue)
            return
        current = unfinished.filter(stage=stage)
        pending = list(
            current.filter(status=Status.PENDING)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        if pending:
            ImportRunPart.objects.filter(pk__in=pending).update(
                status=Status.QUEUED, queued_at=Now()
            )
            for part_id in pending:
                task_send(IMPORT_RUN_PART_TASK, args=(part_id,), queue=queue)
        elif not current.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists():
            # Only failed parts are left in the stage: the run's step fails
            # the run with their reason.
            task_send(IMPORT_RUN_TASK, args=(run.pk,), queue=queue)


def import_run_parts_active(*, run: ImportRun) -> bool:
    """True while parts of ``run`` are queued or running: its own step must
    wait for the last of them, which sends it."""
    return ImportRunPart.objects.filter(
        run=run, status__in=[Status.QUEUED, Status.RUNNING]
    ).exists()


def import_run_parts_sweep(*, run: ImportRun, now: datetime | None = None) -> bool:
    """Send again what a fanned-out ``run`` lost, for beat's sweep; True
    when something was sent. Lost are: the parts of the current stage left
    ``running`` whose lock no process holds (their worker died); those
    ``queued`` for longer than ``SWEEP_GRACE`` while no part of the run is
    loading (their messages went with a broker restart, or are all still
    waiting behind other work: a second message is harmless); and the run's
    own step when every part is done and no process holds the run. Pending
    parts of later stages are the barrier's, failed parts the operator's.

    A run whose own queue no worker consumes any more (the command that
    started its workers was killed) is handed to the default queue."""
    now = now or timezone.now()
    abandoned = _queue_abandoned(run)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ImportRun.Status.RUNNING:
            return False
        if abandoned:
            _queue_forget(run)
        queue = run.parameters.get(QUEUE)
        unfinished = ImportRunPart.objects.filter(run=run).exclude(
            status=Status.SUCCEEDED
        )
        stage = unfinished.aggregate(stage=Min("stage"))["stage"]
        current = unfinished.filter(stage=stage)
        if stage is not None:
            held = import_run_parts_held(run)
            lost = Q(status=Status.RUNNING) & ~Q(pk__in=held)
            if not held:
                lost |= Q(status=Status.QUEUED, queued_at__lt=now - SWEEP_GRACE)
            if _parts_send(current.filter(lost), queue=queue):
                return True
        if current.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists():
            return False
        # Every part done, or the stage left with failed parts only: the
        # run's own step, unless a process is running it.
        if import_run_is_busy(run=run):
            return False
        task_send(IMPORT_RUN_TASK, args=(run.pk,), queue=queue)
        return True


def import_run_parts_resume(*, run: ImportRun, own_queue: bool | None = None) -> None:
    """Continue a fanned-out ``run`` (the operator's Resume): its failed
    parts are queued again from their checkpoints, with their deliveries
    forgotten; the parts of the current stage that no process is loading
    are sent again (queued ones too: a second message is harmless); the run
    is ``running`` again, and its own step is sent when no part is left.
    ``own_queue`` True gives the run a queue of its own (``--workers``),
    False sends it to the default queue, None keeps its queue while a worker
    consumes it.

    Raises ``ImportRunBusy`` while a process runs the run's own step."""
    if import_run_is_busy(run=run):
        raise ImportRunBusy(f"import run {run.pk} is being finished right now")
    if own_queue is None and _queue_abandoned(run):
        own_queue = False
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if own_queue is not None:
            _queue_forget(run)
            if own_queue:
                run.parameters[QUEUE] = run_queue_name(run)
        run.status = ImportRun.Status.RUNNING
        run.error = ""
        run.finished_at = None
        run.save(update_fields=["parameters", "status", "error", "finished_at"])
        ImportRunPart.objects.filter(run=run, status=Status.FAILED).update(
            status=Status.QUEUED, error="", deliveries=0, finished_at=None
        )
        unfinished = ImportRunPart.objects.filter(run=run).exclude(
            status=Status.SUCCEEDED
        )
        stage = unfinished.aggregate(stage=Min("stage"))["stage"]
        if stage is None:
            task_send(IMPORT_RUN_TASK, args=(run.pk,), queue=run.parameters.get(QUEUE))
            return
        current = unfinished.filter(stage=stage).exclude(
            pk__in=import_run_parts_held(run)
        )
        _parts_send(
            current.filter(status__in=[Status.QUEUED, Status.RUNNING]),
            queue=run.parameters.get(QUEUE),
        )
        import_run_parts_advance(run=run)


def _queue_abandoned(run: ImportRun) -> bool:
    """True when ``run`` has a queue of its own that no live worker
    consumes (asked of every worker, a second at most)."""
    queue = run.parameters.get(QUEUE)
    if not queue:
        return False
    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    return not any(
        consumed["name"] == queue for queues in replies.values() for consumed in queues
    )


def _queue_forget(run: ImportRun) -> None:
    """Send ``run``'s tasks to the default queue from now on (``run`` is
    locked by the caller)."""
    if run.parameters.pop(QUEUE, None) is not None:
        run.save(update_fields=["parameters"])


def _parts_send(parts, *, queue: str | None) -> bool:
    """Mark ``parts`` queued now and send their tasks after commit; True
    when there was one."""
    part_ids = list(parts.order_by("position").values_list("pk", flat=True))
    ImportRunPart.objects.filter(pk__in=part_ids).update(
        status=Status.QUEUED, queued_at=Now()
    )
    for part_id in part_ids:
        task_send(IMPORT_RUN_PART_TASK, args=(part_id,), queue=queue)
    return bool(part_ids)


def snapshot_fan_out_interrupt(*, run: ImportRun, reason: str) -> None:
    """The workers started for ``run`` stopped before it ended (the
    command was interrupted, or its workers died): fail the run with
    ``reason`` unless it ended meanwhile (a failed run waits for the
    operator; the sweep leaves it), and forget its own queue, so that a
    Resume sends its parts to the deployment's workers. Parts keep their
    state and checkpoints."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        _queue_forget(run)
        if run.status in (ImportRun.Status.PENDING, ImportRun.Status.RUNNING):
            ImportRun.objects.filter(pk=run.pk).update(
                status=ImportRun.Status.FAILED, error=reason, finished_at=Now()
            )


def snapshot_part_execute(
    *,
    part_id: int,
    time_budget: float | None = None,
    max_deliveries: int | None = None,
    bar: tqdm | None = None,
) -> ImportRunPart | None:
    """Load the part ``part_id`` of a fanned-out run from its checkpoint
    (the part task's work, see the module docstring) and return it:
    ``succeeded`` (the stage barrier checked), ``failed`` with the reason
    (the barrier checked too), or ``queued`` again and sent when
    ``time_budget`` seconds ran out first. A part succeeded or failed, not
    yet sent (``pending``), gone, or loaded by another process right now is
    left as it is. A deadlock that the upsert path's own tries did not
    escape rolls the page back, and the part goes on from its checkpoint,
    ``PAGE_ATTEMPTS`` times in all.

    With ``max_deliveries``, each call counts a delivery on the part, and
    past that many the part fails instead of running (every earlier
    delivery killed its worker)."""
    part = ImportRunPart.objects.filter(pk=part_id).first()
    if part is None or part.status not in (Status.QUEUED, Status.RUNNING):
        return part
    try:
        with import_run_part_lock(part):
            part.refresh_from_db()
            if part.status not in (Status.QUEUED, Status.RUNNING):
                return part
            _part_execute(
                part, time_budget=time_budget, max_deliveries=max_deliveries, bar=bar
            )
    except ImportRunBusy:
        logger.info(
            "part %s of import run %s is loading elsewhere", part.pk, part.run_id
        )
    part.refresh_from_db()
    return part


def _part_execute(
    part: ImportRunPart,
    *,
    time_budget: float | None,
    max_deliveries: int | None,
    bar: tqdm | None,
) -> None:
    """``snapshot_part_execute``'s work under the part's lock."""
    if max_deliveries is not None:
        deliveries = import_run_part_delivery_start(part)
        if deliveries > max_deliveries:
            _part_end(
                part,
                status=Status.FAILED,
                error=(
                    f"delivered {deliveries} times without finishing: a record "
                    f"may kill the worker (last at line {part.lines_done}); "
                    "resume the run once that is dealt with"
                ),
            )
            return
    ImportRunPart.objects.filter(pk=part.pk).update(
        status=Status.RUNNING, started_at=Coalesce(F("started_at"), Now())
    )
    budget = TimeBudget(time_budget)
    try:
        done = _part_load(part, budget=budget, bar=bar)
    except SoftTimeLimitExceeded:
        done = False  # the page in flight rolled back
    except Exception as exc:
        logger.exception("part %s of import run %s failed", part.path, part.run_id)
        _part_end(part, status=Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        return
    except BaseException:
        # Interrupted (worker shutdown, Ctrl-C): this delivery returned, so
        # it does not count as one that killed its worker. The part stays
        # running with its lock free: the sweep or a Resume sends it again.
        ImportRunPart.objects.filter(pk=part.pk).update(deliveries=0)
        raise
    if done:
        _part_end(part, status=Status.SUCCEEDED)
        return
    with transaction.atomic():
        ImportRunPart.objects.filter(pk=part.pk).update(
            status=Status.QUEUED, queued_at=Now(), deliveries=0
        )
        queue = ImportRun.objects.values_list("parameters", flat=True).get(
            pk=part.run_id
        )
        task_send(IMPORT_RUN_PART_TASK, args=(part.pk,), queue=queue.get(QUEUE))


def _part_load(part: ImportRunPart, *, budget: TimeBudget, bar: tqdm | None) -> bool:
    """Load the part, going on from its checkpoint after a page that
    deadlocked; what ``snapshot_part_load`` returns."""
    for attempt in range(1, PAGE_ATTEMPTS + 1):
        try:
            return snapshot_part_load(part, budget=budget, bar=bar)
        except OperationalError as error:
            if attempt == PAGE_ATTEMPTS or not is_deadlock(error):
                raise
            logger.warning(
                "part %s of import run %s: a page deadlocked (try %d of %d)",
                part.path,
                part.run_id,
                attempt,
                PAGE_ATTEMPTS,
            )
            time.sleep(PAGE_BACKOFF_SECONDS * attempt)
            part.refresh_from_db()
    raise AssertionError("unreachable")


def _part_end(part: ImportRunPart, *, status: str, error: str = "") -> None:
    """Mark the part succeeded or failed, its deliveries forgotten, and
    check the stage barrier, in one transaction under the run's row lock."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=part.run_id)
        ImportRunPart.objects.filter(pk=part.pk).update(
            status=status, error=error, deliveries=0, finished_at=Now()
        )
        import_run_parts_advance(run=run)


@dataclass(frozen=True)
class PartsProgress:
    """Where a fanned-out run's parts are, for the command and the admin."""

    total: int
    succeeded: int
    running: int
    queued: int
    failed: int
    records_done: int

    def describe(self) -> str:
        text = f"{self.succeeded:,} of {self.total:,} part files done"
        busy = [
            f"{count:,} {name}"
            for name, count in (
                ("running", self.running),
                ("queued", self.queued),
                ("failed", self.failed),
            )
            if count
        ]
        return f"{text} ({', '.join(busy)})" if busy else text


def import_run_parts_progress(*, run: ImportRun) -> PartsProgress:
    """The parts of ``run`` by status, and the records they loaded, in one
    query."""
    by_status = {
        name: Count("pk", filter=Q(status=status))
        for name, status in (
            ("succeeded", Status.SUCCEEDED),
            ("running", Status.RUNNING),
            ("queued", Status.QUEUED),
            ("failed", Status.FAILED),
        )
    }
    row = ImportRunPart.objects.filter(run=run).aggregate(
        total=Count("pk"), records_done=Coalesce(Sum("records_done"), 0), **by_status
    )
    return PartsProgress(**row)
