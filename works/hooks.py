"""What the apps built on the catalog ask it to call, and when.

``works`` knows nothing of the apps above it (profiles' trust and follows,
claims, graph), yet two of its events concern them:

- **A researcher merge** (``works.merges.researcher_merge``, when OpenAlex
  merges two author records): each app moves its own rows that point at the
  retired record to the survivor. Handlers take ``old`` and ``survivor``
  (both ``Researcher``) and run inside the merge's transaction, after the
  catalog's rows moved and before ``old`` is deleted. A handler resolves its
  own conflicts (two follows of one person become one) and must not raise: a
  merge is part of an import, and a handler that failed every time would fail
  that import on every retry. Each handler therefore runs in a savepoint of
  its own; one that raises anyway is rolled back alone and logged, and the
  merge goes on.
- **A work merge** (``works.merges.work_merge``): the same for rows that
  point at the retired work (profiles' hidden works); handlers take ``old``
  and ``survivor`` (both ``Work``), with the same savepoint rule.
- **The end of an import run** (``works.ingest.driver``'s after-run step,
  once versions are grouped): handlers take the ``run`` and ``sync`` (True
  when the operator asked for work to be done in this process rather than
  enqueued). profiles recomputes the trust of the researchers the run
  touched.

Apps register in their ``AppConfig.ready()``; the lists below are the whole
set of hooks, in the order handlers run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from profiles.models import Researcher
    from works.models import ImportRun, Work

logger = logging.getLogger(__name__)

ResearcherMergeHandler = Callable[["Researcher", "Researcher"], None]
WorkMergeHandler = Callable[["Work", "Work"], None]
ImportRunFinishedHandler = Callable[["ImportRun", bool], None]

researcher_merge_handlers: list[ResearcherMergeHandler] = []
work_merge_handlers: list[WorkMergeHandler] = []
import_run_finished_handlers: list[ImportRunFinishedHandler] = []


def researcher_merge_handler_register(handler: ResearcherMergeHandler) -> None:
    """Call ``handler(old, survivor)`` in every researcher merge (once, however
    often an app's ``ready()`` runs)."""
    if handler not in researcher_merge_handlers:
        researcher_merge_handlers.append(handler)


def work_merge_handler_register(handler: WorkMergeHandler) -> None:
    """Call ``handler(old, survivor)`` in every work merge (once, however
    often an app's ``ready()`` runs)."""
    if handler not in work_merge_handlers:
        work_merge_handlers.append(handler)


def import_run_finished_handler_register(handler: ImportRunFinishedHandler) -> None:
    """Call ``handler(run, sync)`` after every import run (once, however often
    an app's ``ready()`` runs)."""
    if handler not in import_run_finished_handlers:
        import_run_finished_handlers.append(handler)


def _merge_handlers_run(handlers, *, entity: str, old, survivor) -> None:
    for handler in handlers:
        try:
            with transaction.atomic():
                handler(old, survivor)
        except Exception:
            logger.exception(
                "%s merge %s -> %s: handler %s failed; its rows stay",
                entity,
                old.openalex_id,
                survivor.openalex_id,
                getattr(handler, "__qualname__", handler),
            )


def researcher_merge_handlers_run(*, old: Researcher, survivor: Researcher) -> None:
    """Run every researcher-merge handler, each in a savepoint: one that
    raises is rolled back alone and logged, never failing the merge."""
    _merge_handlers_run(
        researcher_merge_handlers, entity="researcher", old=old, survivor=survivor
    )


def work_merge_handlers_run(*, old: Work, survivor: Work) -> None:
    """Run every work-merge handler, each in a savepoint, as for
    researchers."""
    _merge_handlers_run(work_merge_handlers, entity="work", old=old, survivor=survivor)


def import_run_finished_handlers_run(*, run: ImportRun, sync: bool) -> None:
    """Run every after-run handler. They raise as they like: the driver
    records a failure of the after-run step on the run."""
    for handler in import_run_finished_handlers:
        handler(run, sync)
