"""The OpenAlex snapshot source adapter: finds the part files under a path,
reads their JSON lines, and turns each into a normalized record (or a
rejection with its reason), a batch at a time.

The layout is the one OpenAlex publishes::

    <root>/<entity>/manifest                          (optional)
    <root>/<entity>/updated_date=YYYY-MM-DD/part_NNN.gz

``PATH`` may be the root, one entity folder, or one part file (gzipped or
plain JSON lines). Files come in dependency order, so that every reference a
record makes was loaded before it: institutions, sources, topics, authors,
works; within an entity by partition date, then part number.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings

from works.ingest.openalex.normalize import NORMALIZERS
from works.ingest.records import (
    ENTITIES,
    Record,
    RecordRejected,
    rejection_excerpt,
)

logger = logging.getLogger(__name__)

_PARTITION = re.compile(r"^updated_date=(\d{4}-\d{2}-\d{2})$")
_DIGITS = re.compile(r"(\d+)")
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class PartFile:
    path: Path
    entity: str
    # The file's path from the snapshot root ("works/updated_date=…/part_000.gz"),
    # or from the given path's folder when outside the layout: the checkpoint
    # key and the start of every locator.
    relative: str
    partition: str = ""
    # The record count the manifest lists for this file, if it lists it.
    expected_records: int | None = None


@dataclass
class SnapshotPlan:
    files: list[PartFile]
    warnings: list[str] = field(default_factory=list)


@dataclass
class Batch:
    """Consecutive lines of one part file: the records that parsed, the line
    numbers and excerpts they came from (for rejections the upsert makes),
    and the lines rejected while parsing."""

    part: PartFile
    records: list[Record] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    excerpts: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    last_line: int = 0

    @property
    def size(self) -> int:
        return len(self.records) + len(self.rejected)


def _entity_of(path: Path) -> tuple[str, Path] | None:
    """The entity of a part file, entity folder or partition folder, and its
    entity folder, from the layout's own names only: ``<entity>/`` or
    ``<entity>/updated_date=…/`` right above. Folders further up say nothing
    (this checkout's sample data lives under ``works/``)."""
    folder = path if path.is_dir() else path.parent
    if _PARTITION.match(folder.name):
        folder = folder.parent
    return (folder.name, folder) if folder.name in ENTITIES else None


def _is_part_file(path: Path) -> bool:
    name = path.name
    if name.startswith(".") or name == "manifest" or not path.is_file():
        return False
    return name.startswith("part_") or name.endswith((".gz", ".jsonl"))


def _sort_key(part: PartFile) -> tuple:
    natural = tuple(
        int(piece) if piece.isdigit() else piece
        for piece in _DIGITS.split(part.path.name)
    )
    return (ENTITIES.index(part.entity), part.partition, natural, part.relative)


def _read_manifest(folder: Path, entity: str, warnings: list[str]) -> dict[str, int]:
    """Record counts by path relative to the entity folder, from a
    Redshift-style manifest (``{"entries": [{"url", "meta": {"record_count"}}]}``).
    A manifest we cannot read is a warning, never a failure."""
    manifest = folder / "manifest"
    if not manifest.is_file():
        return {}
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))["entries"]
        counts = {}
        for entry in entries:
            url, count = entry["url"], entry["meta"]["record_count"]
            marker = f"/{entity}/"
            relative = url.split(marker, 1)[1] if marker in url else url
            counts[relative] = int(count)
        return counts
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        warnings.append(f"{entity}/manifest is unreadable ({exc!r}); not checked")
        return {}


def _entity_parts(
    *,
    folder: Path,
    entity: str,
    root: Path,
    files: list[Path],
    whole_folder: bool,
    warnings: list[str],
) -> list[PartFile]:
    expected = _read_manifest(folder, entity, warnings)
    parts = []
    for path in files:
        partition = next(
            (m.group(1) for p in path.parts if (m := _PARTITION.match(p))), ""
        )
        parts.append(
            PartFile(
                path=path,
                entity=entity,
                relative=path.relative_to(root).as_posix(),
                partition=partition,
                expected_records=expected.pop(
                    path.relative_to(folder).as_posix(), None
                ),
            )
        )
    if whole_folder and expected:
        missing = sorted(expected)
        warnings.append(
            f"{entity}/manifest lists {len(missing)} file(s) not found, "
            f"e.g. {missing[0]}"
        )
    return parts


def _part_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if _is_part_file(path)]


def snapshot_plan(path: Path | str, *, entity: str | None = None) -> SnapshotPlan:
    """The part files under ``path`` in load order, with the manifest's
    record counts where one lists them. ``entity`` names the entity of a
    part file outside any entity folder, or limits a root to one entity.

    Raises ``FileNotFoundError`` for a missing path and ``ValueError`` when
    the entity cannot be told."""
    path = Path(path).resolve()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if entity is not None and entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; one of {', '.join(ENTITIES)}")
    warnings: list[str] = []
    is_root = path.is_dir() and any((path / name).is_dir() for name in ENTITIES)
    if is_root:
        parts = []
        for name in ENTITIES if entity is None else (entity,):
            folder = path / name
            if folder.is_dir():
                parts += _entity_parts(
                    folder=folder,
                    entity=name,
                    root=path,
                    files=_part_files(folder),
                    whole_folder=True,
                    warnings=warnings,
                )
        return SnapshotPlan(sorted(parts, key=_sort_key), warnings)
    found = _entity_of(path)
    if found and entity and found[0] != entity:
        raise ValueError(f"{path} holds {found[0]}, not {entity}")
    if not found and not entity:
        raise ValueError(
            f"cannot tell the entity of {path}: not under an entity folder "
            f"({', '.join(ENTITIES)}); pass entity="
        )
    if found:
        name, folder, root = found[0], found[1], found[1].parent
    else:
        # Outside the layout: locators start at the given file or folder.
        name, folder = entity, (path if path.is_dir() else path.parent)
        root = path.parent
    parts = _entity_parts(
        folder=folder,
        entity=name,
        root=root,
        files=[path] if path.is_file() else _part_files(path),
        whole_folder=path == folder,
        warnings=warnings,
    )
    return SnapshotPlan(sorted(parts, key=_sort_key), warnings)


def _open(path: Path) -> IO[bytes]:
    """Gzipped or plain, told by content rather than by name: the published
    samples include uncompressed files named ``part_000``."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == _GZIP_MAGIC else path.open("rb")


# Read from a line past the cap and skipped, this much at a time.
_SKIP_CHUNK = 1 << 20


class LineTooLong:
    """Stands for a line longer than ``SNAPSHOT_MAX_LINE_BYTES`` (never held
    in memory whole): its length and its first bytes, for the rejection."""

    def __init__(self, length: int, head: bytes):
        self.length = length
        self.head = head

    @property
    def reason(self) -> str:
        return (
            f"line of {self.length} bytes is longer than the "
            f"{settings.SNAPSHOT_MAX_LINE_BYTES} bytes allowed "
            "(SNAPSHOT_MAX_LINE_BYTES)"
        )


def _lines(stream: IO[bytes]) -> Iterator[bytes | LineTooLong]:
    """The stream's lines, each read with a bounded ``readline``: a line
    longer than ``SNAPSHOT_MAX_LINE_BYTES`` (newline excluded) comes as a
    ``LineTooLong``, read past in chunks up to its newline, so one enormous
    line cannot exhaust a worker's memory."""
    limit = max(1, settings.SNAPSHOT_MAX_LINE_BYTES)
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if line.endswith(b"\n") or len(line) <= limit:
            yield line
            continue
        head, length = line[:200], len(line)
        while not line.endswith(b"\n"):
            line = stream.readline(_SKIP_CHUNK)
            if not line:
                break
            length += len(line)
        yield LineTooLong(length - (1 if line.endswith(b"\n") else 0), head)


def count_records(part: PartFile) -> int:
    """Non-blank lines of a part file (used when no manifest counts them)."""
    with _open(part.path) as stream:
        return sum(
            1
            for line in _lines(stream)
            if isinstance(line, LineTooLong) or line.strip()
        )


def normalize_line(entity: str, line: bytes) -> Record:
    """One JSON line as the normalized record of ``entity``; raises
    ``RecordRejected`` with the reason when it cannot be one."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordRejected(f"invalid UTF-8 at byte {exc.start}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordRejected(f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise RecordRejected("invalid JSON: nested too deeply") from None
    return NORMALIZERS[entity](raw)


def read_batches(
    part: PartFile, *, batch_size: int, skip_lines: int = 0
) -> Iterator[Batch]:
    """The file's non-blank lines, ``batch_size`` at a time, each parsed or
    rejected; lines up to ``skip_lines`` (a resumed file's committed part)
    are read past. A line longer than ``SNAPSHOT_MAX_LINE_BYTES`` is
    rejected with its length, unread. Yields a last, possibly empty batch so
    the caller always learns where the file ended."""
    batch = Batch(part=part, last_line=skip_lines)
    with _open(part.path) as stream:
        for number, line in enumerate(_lines(stream), start=1):
            if number <= skip_lines:
                continue
            batch.last_line = number
            if isinstance(line, LineTooLong):
                batch.rejected.append(
                    (number, line.reason, rejection_excerpt(line.head))
                )
            elif not line.strip():
                continue
            else:
                try:
                    record = normalize_line(part.entity, line)
                except RecordRejected as exc:
                    batch.rejected.append((number, exc.reason, rejection_excerpt(line)))
                else:
                    batch.records.append(record)
                    batch.line_numbers.append(number)
                    batch.excerpts.append(rejection_excerpt(line))
            if batch.size >= batch_size:
                yield batch
                batch = Batch(part=part, last_line=number)
    yield batch
