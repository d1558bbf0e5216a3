"""Writing the works' part files, in this process or in worker processes.

A part file depends only on its plans (each carries its render seed) and
on the catalog, which a worker rebuilds from the seed: the bytes are the
same whichever process writes them, and however many there are.
"""

from __future__ import annotations

import gc
from pathlib import Path
from random import Random

from works.synthetic_snapshot.catalog import Catalog
from works.synthetic_snapshot.files import PartFile
from works.synthetic_snapshot.plans import WorkPlan
from works.synthetic_snapshot.records import WorkRecords

_records: WorkRecords | None = None


def works_part_write(
    records: WorkRecords, *, path: Path, plans: list[WorkPlan], compresslevel: int
) -> tuple[int, int]:
    """Write the plans' works to ``path``; return its size and count."""
    part = PartFile(path, compresslevel=compresslevel)
    for plan in plans:
        part.write(records.record(plan))
    return part.close(), part.records


def worker_start(seed: int, works: int, authors: int, snapshot_date: str) -> None:
    """A worker's catalog: the one the main process drew first from the
    same seed."""
    global _records
    gc.disable()  # as in the main process: no cycles, many live objects
    rng = Random(seed)  # noqa: S311 (reproducible data, not secrets)
    catalog = Catalog(rng, works=works, authors=authors)
    _records = WorkRecords(catalog, snapshot_date=snapshot_date)


def worker_part_write(
    path: Path, plans: list[WorkPlan], compresslevel: int
) -> tuple[int, int]:
    return works_part_write(
        _records, path=path, plans=plans, compresslevel=compresslevel
    )
