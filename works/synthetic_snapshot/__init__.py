"""Synthetic OpenAlex snapshots for benchmarks (``manage.py generate_snapshot``):
``works`` works and ``authors`` authors with the institutions, sources and
topics they name, in the layout ``load_openalex_snapshot`` reads, with the
field density of real OpenAlex records and heavy-tailed distributions (see
``plans`` for their shapes).

Deterministic: one ``random.Random(seed)`` draws everything in a fixed order
(each work's cosmetic details from a seed it draws), so the same arguments
write the same bytes, with any number of worker processes. Streamed: works
are written a part file at a time; what grows with the data are arrays per
author, institution, source and topic (``tally``), never the works.

Every identifier is fictional, in ranges the real services have not issued
(OpenAlex ids from 9·10^9, DOIs under the example prefix ``10.5555``, ORCID
iDs ``0000-0000-…``, arXiv numbers ``8NNNN``), and depends on the record's
index, so one snapshot never gives one identifier to two records. The
exceptions are OpenAlex's own records of arXiv, PubMed and their hosts
(reduced), as in the bundled sample.
"""

from __future__ import annotations

import gc
import multiprocessing
import random
import shutil
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from works.synthetic_snapshot.catalog import Catalog
from works.synthetic_snapshot.entities import EntityRecords
from works.synthetic_snapshot.figures import Figures
from works.synthetic_snapshot.files import EntityFiles, EntityWriter
from works.synthetic_snapshot.plans import WorkPlan, WorkPlanner
from works.synthetic_snapshot.records import WorkRecords
from works.synthetic_snapshot.tally import Tally
from works.synthetic_snapshot.workers import (
    worker_part_write,
    worker_start,
    works_part_write,
)

__all__ = [
    "DEFAULT_COMPRESSLEVEL",
    "DEFAULT_PART_SIZE",
    "SnapshotSummary",
    "snapshot_generate",
]

SNAPSHOT_DATE = "2026-11-01"
ENTITY_FOLDERS = ("institutions", "sources", "topics", "authors", "works")
DEFAULT_PART_SIZE = 10_000
DEFAULT_COMPRESSLEVEL = 3


@dataclass
class SnapshotSummary:
    """What was written, and the key figures of its distributions."""

    files: list[EntityFiles] = field(default_factory=list)
    seconds: float = 0.0
    figures: dict[str, float | int] = field(default_factory=dict)


def snapshot_generate(
    *,
    out: Path | str,
    works: int,
    authors: int,
    seed: int,
    part_size: int = DEFAULT_PART_SIZE,
    compresslevel: int = DEFAULT_COMPRESSLEVEL,
    jobs: int = 1,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SnapshotSummary:
    """Write a synthetic snapshot of ``works`` works and ``authors`` authors
    under ``out`` and return what it wrote. With ``jobs`` > 1, that many
    worker processes render and compress the works' part files. The same
    arguments (``out`` and ``jobs`` aside) write the same bytes.

    Raises ``ValueError`` for sizes it cannot make and ``FileExistsError``
    when ``out`` holds files, unless ``overwrite``: then the five entity
    folders there are replaced and nothing else is touched."""
    if part_size < 1 or jobs < 1:
        raise ValueError("part_size and jobs must be at least 1")
    if not 0 <= compresslevel <= 9:
        raise ValueError("compresslevel must be 0 to 9")
    started = time.perf_counter()
    out = Path(out)
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    catalog = Catalog(rng, works=works, authors=authors)
    _prepare(out, overwrite=overwrite)
    tallies = {
        "authors": Tally(authors),
        "institutions": Tally(len(catalog.institutions) + len(catalog.hosts)),
        "sources": Tally(len(catalog.venues)),
        "topics": Tally(len(catalog.topics)),
    }

    def writer(entity: str) -> EntityWriter:
        return EntityWriter(
            out,
            entity,
            partition=SNAPSHOT_DATE,
            part_size=part_size,
            compresslevel=compresslevel,
        )

    # The records hold no reference cycles; with this many live objects the
    # cyclic collector's passes would cost a tenth of the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        figures = Figures()
        work_writer = writer("works")
        parts = _parts(WorkPlanner(catalog, rng), part_size, tallies, figures)
        entity_files: list[EntityFiles] = []

        def write_entities() -> None:
            # Once every work is drawn, the sums are complete.
            entities = EntityRecords(
                catalog, rng, snapshot_date=SNAPSHOT_DATE, **tallies
            )
            entity_files.extend(_write_entities(catalog, entities, writer, progress))

        if jobs == 1:
            records = WorkRecords(catalog, snapshot_date=SNAPSHOT_DATE)
            for plans in parts:
                path = work_writer.next_path()
                size, count = works_part_write(
                    records, path=path, plans=plans, compresslevel=compresslevel
                )
                work_writer.add_part(path=path, size=size, records=count)
                _report(progress, work_writer, works)
            write_entities()
        else:
            _write_in_workers(
                parts,
                work_writer,
                jobs=jobs,
                initargs=(seed, works, authors, SNAPSHOT_DATE),
                compresslevel=compresslevel,
                on_part=lambda: _report(progress, work_writer, works),
                meanwhile=write_entities,
            )
        summary = SnapshotSummary(files=[work_writer.close(), *entity_files])
    finally:
        if collecting:
            gc.enable()
    summary.figures = figures.summary(tallies["authors"])
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _prepare(out: Path, *, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty")
        for name in ENTITY_FOLDERS:
            if (out / name).is_dir():
                shutil.rmtree(out / name)
    out.mkdir(parents=True, exist_ok=True)


def _report(progress: Callable[[str], None] | None, writer: EntityWriter, total: int):
    if progress:
        progress(f"{writer.entity}: {writer.records:,} of {total:,} written")


def _parts(planner: WorkPlanner, part_size: int, tallies, figures: Figures):
    """The plans a part file at a time, each added up as it is drawn."""
    plans: list[WorkPlan] = []
    for plan in planner.plans():
        _add_up(tallies, plan)
        figures.add(plan)
        plans.append(plan)
        if len(plans) == part_size:
            yield plans
            plans = []
    if plans:
        yield plans


def _write_in_workers(
    parts,
    writer: EntityWriter,
    *,
    jobs: int,
    initargs: tuple,
    compresslevel: int,
    on_part: Callable[[], None],
    meanwhile: Callable[[], None],
) -> None:
    """Part files written by ``jobs`` processes while the next parts are
    drawn here; at most ``jobs`` parts wait, so memory stays flat. Once the
    last is handed over, ``meanwhile`` runs here while they finish. Spawned
    (not forked) processes: this one may hold threads and connections."""
    queued: deque[tuple[Path, Future]] = deque()

    def collect() -> None:
        path, future = queued.popleft()
        size, count = future.result()
        writer.add_part(path=path, size=size, records=count)
        on_part()

    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_start,
        initargs=initargs,
    ) as pool:
        for number, plans in enumerate(parts):
            path = writer.path_of(number)
            queued.append(
                (path, pool.submit(worker_part_write, path, plans, compresslevel))
            )
            while len(queued) > jobs:
                collect()
        meanwhile()
        while queued:
            collect()


def _write_entities(catalog: Catalog, entities: EntityRecords, writer, progress):
    """Authors, institutions, sources and topics, from the works' sums."""
    by_subfield: dict[tuple[int, int], list] = {}
    for topic in catalog.topics:
        by_subfield.setdefault((topic.field.id, topic.subfield[0]), []).append(topic)
    records = {
        "authors": (entities.author(a) for a in range(catalog.people.count)),
        "institutions": (
            entities.institution(i) for i in [*catalog.institutions, *catalog.hosts]
        ),
        "sources": (entities.source(source) for source in catalog.venues),
        "topics": (
            entities.topic(t, by_subfield[(t.field.id, t.subfield[0])])
            for t in catalog.topics
        ),
    }
    written = []
    for entity, items in records.items():
        entity_writer = writer(entity)
        for item in items:
            entity_writer.write(item)
        written.append(entity_writer.close())
        if progress:
            progress(f"{entity}: {written[-1].records:,} written")
    return written


def _add_up(tallies: dict[str, Tally], plan: WorkPlan) -> None:
    """One work in the sums of its authors, institutions, venue and topics."""
    common = {
        "year": plan.year,
        "cited": plan.cited,
        "counts_by_year": plan.counts_by_year,
    }
    primary = plan.topics[:1]
    tallies["authors"].add(plan.team, topics=plan.topics, **common)
    institutions = dict.fromkeys(i for row in plan.institutions for i in row)
    tallies["institutions"].add(institutions, topics=primary, **common)
    if plan.venue is not None:
        tallies["sources"].add((plan.venue,), topics=primary, **common)
    tallies["topics"].add(plan.topics, topics=(), **common)
