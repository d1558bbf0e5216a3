"""Writes of the catalog's import runs, for every face (commands, admin, beat
tasks, tests): start a run, hand it to the workers, resume, re-run, sweep
runs a lost worker left behind, refresh the researchers fetched longest ago,
remove the bundled sample data.
The run itself is driven by ``works.ingest.driver``; merges are
``works.merges``.

Every enqueue happens after the current transaction commits, so a worker
never looks for a run it cannot see yet, and goes through
``import_run_enqueue``. Enqueuing a run twice is harmless: the task takes the
run's advisory lock, and a second message finds the run busy or finished and
returns quietly. A snapshot run fanned out over workers (``works.fan_out``)
is resumed and swept part by part, never as a whole.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from bzpeer.db import AdvisoryLock, advisory_xact_lock_try
from profiles.models import Researcher, ResearcherTopic

from .fan_out import (
    IMPORT_RUN_TASK,
    QUEUE,
    import_run_parts_resume,
    import_run_parts_sweep,
    run_is_fanned_out,
    task_send,
)
from .ingest.driver import BATCH_SIZE, run_execute
from .ingest.openalex.merged_ids import merged_ids_files
from .ingest.openalex.snapshot import read_batches, snapshot_plan
from .ingest.openalex.walks import PARAMETER_AUTHORS
from .ingest.records import ENTITIES
from .ingest.runs import ImportRunBusy, import_run_create
from .models import (
    Authorship,
    AuthorshipInstitution,
    ImportRun,
    Institution,
    Source,
    Topic,
    Work,
    WorkTopic,
)
from .selectors import (
    REFRESH_MARKER,
    import_run_is_busy,
    import_runs_stale,
    refresh_run_in_progress,
    researchers_due_for_refresh,
    site_sample_data_forget,
)

logger = logging.getLogger(__name__)

# The bundled sample dataset, in the OpenAlex snapshot layout.
SAMPLE_SNAPSHOT = Path(__file__).resolve().parent / "sample_data" / "snapshot"
# Sources whose runs can be started again with the same parameters (a
# snapshot is loaded again with ``load_openalex_snapshot``).
RERUNNABLE = (ImportRun.Source.OPENALEX_API, ImportRun.Source.ARXIV)


class RunNotResumable(Exception):
    """The run cannot be resumed; the message says why."""


def import_run_enqueue(*, run: ImportRun) -> None:
    """Enqueue the task that runs (or resumes) ``run`` from its checkpoint,
    once the current transaction commits, on the run's own queue when it has
    one (``works.fan_out``). Raises ``RunNotResumable`` for a snapshot run
    that names no path."""
    if run.source == ImportRun.Source.OPENALEX_SNAPSHOT and not run.parameters.get(
        "path"
    ):
        raise RunNotResumable(f"run {run.pk} names no snapshot path")
    task_send(IMPORT_RUN_TASK, args=(run.pk,), queue=run.parameters.get(QUEUE))


def import_run_start(*, source: str, parameters: dict[str, Any]) -> ImportRun:
    """Create a pending run of ``source`` with ``parameters`` and enqueue it;
    returns the run. Raises ``ValueError`` for an unknown source."""
    with transaction.atomic():
        run = import_run_create(source=source, parameters=parameters)
        import_run_enqueue(run=run)
    return run


def import_run_resume(*, run: ImportRun) -> None:
    """Enqueue ``run`` to continue from its checkpoint. A run may resume
    when it failed, or when it is pending or running but no process holds
    it (a message lost with its broker, a worker killed mid-run).

    A snapshot run fanned out over workers resumes part by part: its failed
    parts and those no worker holds are sent again, each from its own
    checkpoint (``works.fan_out.import_run_parts_resume``; parts being
    loaded go on).

    Raises ``RunNotResumable`` for a run that succeeded, or one being loaded
    right now."""
    if run.status == ImportRun.Status.SUCCEEDED:
        raise RunNotResumable(f"run {run.pk} has already succeeded")
    if run_is_fanned_out(run):
        try:
            import_run_parts_resume(run=run)
        except ImportRunBusy as exc:
            raise RunNotResumable(str(exc)) from exc
        return
    if import_run_is_busy(run=run):
        raise RunNotResumable(f"run {run.pk} is being loaded right now")
    import_run_enqueue(run=run)


def import_run_rerun(*, run: ImportRun) -> ImportRun:
    """A new pending run with ``run``'s source and parameters, enqueued.
    Raises ``RunNotResumable`` for a run that is not a live import (a
    snapshot is loaded again with ``load_openalex_snapshot``)."""
    if run.source not in RERUNNABLE:
        raise RunNotResumable(
            f"run {run.pk} is a {run.source} run; only live imports re-run"
        )
    return import_run_start(source=run.source, parameters=dict(run.parameters))


def import_runs_sweep(*, now: datetime | None = None) -> list[int]:
    """Enqueue again every run left ``running`` that no process holds (its
    worker was killed, its machine lost, its message dropped), and every run
    still ``pending`` well after it was created; return their ids. Beat runs
    this, so an interrupted import resumes without an operator. A run whose
    next time slice merely waits in the queue gets a second message, which
    finds it busy or finished and returns: harmless. Failed runs are left to
    the operator (their reason may need a decision first).

    A snapshot run fanned out over workers is swept part by part: only its
    lost parts are sent again (``works.fan_out.import_run_parts_sweep``),
    or its own step once its parts are done."""
    swept = []
    for run in import_runs_stale(now=now):
        if run_is_fanned_out(run):
            if import_run_parts_sweep(run=run, now=now):
                swept.append(run.pk)
            continue
        if import_run_is_busy(run=run):
            continue
        try:
            import_run_enqueue(run=run)
        except RunNotResumable:
            continue
        swept.append(run.pk)
    return swept


def researchers_refresh(
    *, batch_size: int | None = None, now: datetime | None = None
) -> ImportRun | None:
    """Start one refresh: an OpenAlex API run of the next ``batch_size``
    (default ``REFRESH_BATCH``) researchers due (``researchers_due_for_refresh``:
    claimed first, then the most viewed), enqueued on the workers after
    commit. Returns the run, or None when nothing is due, the previous
    refresh run is still going (its researchers are not fetched yet and
    would be picked again), another tick is planning right now, or no
    ``OPENALEX_API_KEY`` is set (OpenAlex allows a few calls a day without
    one: every tick would be a failed run; said once in the log).

    Only a bounded batch moves per tick: at 10^8 researchers, freshness is a
    priority, not a promise. Idempotent in effect: a refresh of fresh
    records changes nothing but ``fetched_at``."""
    if not settings.OPENALEX_API_KEY:
        _warn_once_without_api_key()
        return None
    limit = settings.REFRESH_BATCH if batch_size is None else batch_size
    with transaction.atomic():
        if not advisory_xact_lock_try(AdvisoryLock.RESEARCHERS_REFRESH):
            return None
        running = refresh_run_in_progress(now=now)
        if running is not None:
            logger.info("refresh run %s is still %s", running.pk, running.status)
            return None
        authors = researchers_due_for_refresh(limit=limit, now=now)
        if not authors:
            return None
        run = import_run_start(
            source=ImportRun.Source.OPENALEX_API,
            parameters={PARAMETER_AUTHORS: authors, REFRESH_MARKER: True},
        )
    logger.info("refresh run %s: %d researchers", run.pk, len(authors))
    return run


@functools.cache
def _warn_once_without_api_key() -> None:
    logger.warning(
        "researchers are not refreshed from OpenAlex: OPENALEX_API_KEY is not set"
    )


def snapshot_load(
    *,
    path: str | Path,
    run: ImportRun | None = None,
    sample: bool = False,
    progress: bool = True,
    entity: str | None = None,
    batch_size: int = BATCH_SIZE,
    time_budget: float | None = None,
    sync_trust: bool = False,
    full: bool = False,
) -> ImportRun:
    """Load the OpenAlex snapshot at ``path`` (a root, an entity folder or one
    part file; ``entity`` limits a root or names a loose file's entity) in
    this process and return its ``ImportRun``: a new one, or ``run`` resumed
    from its checkpoint. The importer is
    ``works.ingest.openalex.snapshot_load``; the driver commits each batch of
    ``batch_size`` lines with its bookkeeping, applies the snapshot's merged
    ids, groups versions and recomputes trust (``sync_trust``: here rather
    than enqueued). With ``time_budget`` (seconds) it stops at the first
    batch boundary past it and returns the run still ``running``.

    Idempotent: loading the same files again writes nothing and counts every
    record unchanged. A part file unchanged since its last load (its
    manifest entry, size and time) is skipped unread, unless ``full``.

    Raises, before writing anything: ``FileNotFoundError`` or ``ValueError``
    for a path it cannot load or a run it cannot resume (one fanned out over
    workers resumes on workers: ``works.fan_out``), ``ImportRunBusy`` when
    another process is loading ``run``."""
    snapshot_plan(path, entity=entity)
    if Path(path).is_dir():
        merged_ids_files(path, entity=entity)
    resolved = str(Path(path).resolve())
    if run is None:
        parameters: dict[str, Any] = {"path": resolved, "sample": sample}
        if entity:
            parameters["entity"] = entity
        if full:
            parameters["full"] = True
        run = import_run_create(
            source=ImportRun.Source.OPENALEX_SNAPSHOT, parameters=parameters
        )
    elif run.source != ImportRun.Source.OPENALEX_SNAPSHOT:
        raise ValueError(f"run {run.pk} is a {run.source} run, not a snapshot load")
    elif run.parameters.get("path") != resolved:
        raise ValueError(f"run {run.pk} loaded {run.parameters.get('path')}")
    elif run.parameters.get("entity") != entity:
        raise ValueError(f"run {run.pk} loaded entity {run.parameters.get('entity')}")
    elif run_is_fanned_out(run):
        raise ValueError(
            f"run {run.pk} was fanned out over workers: resume it with "
            "--workers N or --enqueue"
        )
    return run_execute(
        run,
        progress=progress,
        time_budget=time_budget,
        sync_trust=sync_trust,
        batch_size=batch_size,
    )


def sample_data_remove(*, path: str | Path = SAMPLE_SNAPSHOT) -> dict[str, int]:
    """Remove the bundled sample dataset (the snapshot at ``path``) from the
    catalog and return how many rows of each kind went.

    What goes: the researchers marked ``is_sample`` that no live import has
    fetched (one that has is a real record sharing a sample id: it stays and
    loses the mark); the works the sample files list that no remaining
    researcher is an author of; then the institutions, sources and topics the
    sample files list that nothing references any more. Imported data is
    never removed: a work or an institution a real import also brought stays.
    One transaction; the sample-data banner goes with it. Idempotent."""
    ids = _snapshot_openalex_ids(path)
    with transaction.atomic():
        marked = Researcher.objects.filter(is_sample=True)
        marked.exclude(fetched_at=None).update(is_sample=False)
        researchers = marked.filter(openalex_id__in=ids["authors"])
        # NOT EXISTS, an anti-join on the (work) index; NOT IN (subquery)
        # would rescan every authorship per work.
        kept_author = Authorship.objects.filter(
            work=OuterRef("pk"), researcher__isnull=False
        ).exclude(researcher__in=researchers)
        works = Work.objects.filter(openalex_id__in=ids["works"]).exclude(
            Exists(kept_author)
        )
        removed = {
            "works": works.delete()[1].get(Work._meta.label, 0),
            "researchers": researchers.delete()[1].get(Researcher._meta.label, 0),
        }
        removed.update(_unreferenced_entities_remove(ids))
    site_sample_data_forget()
    return removed


def _snapshot_openalex_ids(path: str | Path) -> dict[str, set[str]]:
    """The OpenAlex ids of every record in the snapshot at ``path``, by
    entity (the sample: a few hundred lines)."""
    ids: dict[str, set[str]] = {entity: set() for entity in ENTITIES}
    for part in snapshot_plan(path).files:
        for batch in read_batches(part, batch_size=BATCH_SIZE):
            ids[part.entity].update(record.openalex_id for record in batch.records)
    return ids


def _unreferenced_entities_remove(ids: dict[str, set[str]]) -> dict[str, int]:
    """Delete the institutions, sources and topics of ``ids`` that no row
    references any more; how many of each went."""
    institutions = Institution.objects.filter(
        openalex_id__in=ids["institutions"]
    ).exclude(
        Exists(Researcher.objects.filter(affiliation=OuterRef("pk")))
        | Exists(AuthorshipInstitution.objects.filter(institution=OuterRef("pk")))
    )
    sources = Source.objects.filter(openalex_id__in=ids["sources"]).exclude(
        Exists(Work.objects.filter(source=OuterRef("pk")))
    )
    topics = Topic.objects.filter(openalex_id__in=ids["topics"]).exclude(
        Exists(WorkTopic.objects.filter(topic=OuterRef("pk")))
        | Exists(ResearcherTopic.objects.filter(topic=OuterRef("pk")))
    )
    return {
        "institutions": institutions.delete()[0],
        "sources": sources.delete()[0],
        "topics": topics.delete()[0],
    }
