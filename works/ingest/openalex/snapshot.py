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

import contextlib
import gzip
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from django.conf import settings

from works.ingest.openalex.normalize import NORMALIZERS
from works.ingest.openalex.read_ahead import ReadAhead
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

    def __init__(self, length: int, head: bytes, limit: int):
        self.length = length
        self.head = head
        self.limit = limit

    @property
    def reason(self) -> str:
        return (
            f"line of {self.length} bytes is longer than the "
            f"{self.limit} bytes allowed (SNAPSHOT_MAX_LINE_BYTES)"
        )


def _lines(stream: IO[bytes], max_line_bytes: int) -> Iterator[bytes | LineTooLong]:
    """The stream's lines, each read with a bounded ``readline``: a line
    longer than ``max_line_bytes`` (newline excluded) comes as a
    ``LineTooLong``, read past in chunks up to its newline, so one enormous
    line cannot exhaust a worker's memory."""
    limit = max(1, max_line_bytes)
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
        yield LineTooLong(
            length - (1 if line.endswith(b"\n") else 0), head, max_line_bytes
        )


def count_records(part: PartFile) -> int:
    """Non-blank lines of a part file (used when no manifest counts them)."""
    with _open(part.path) as stream:
        return sum(
            1
            for line in _lines(stream, settings.SNAPSHOT_MAX_LINE_BYTES)
            if isinstance(line, LineTooLong) or line.strip()
        )


def normalize_line(entity: str, line: bytes) -> Record:
    """One JSON line as the normalized record of ``entity``; raises
    ``RecordRejected`` with the reason when it cannot be one.

    Read with orjson, and again with the standard library when orjson
    refuses the line or the record read is rejected: the standard
    library's reading decides then, with its message. orjson reads what it
    accepts as ``json`` does, except integers past 64 bits, which it makes
    floats (a count of 10**30 would be "not an integer" instead of "out of
    range"), and it refuses lines ``json`` reads (NaN, a lone surrogate,
    1e400); either way the record is read again. One difference stays: a
    line nested some 1,000 levels deep, past what ``json`` had the stack
    for ("nested too deeply"), is read up to orjson's limit of 1,024."""
    normalize = NORMALIZERS[entity]
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError:
        pass
    else:
        try:
            return normalize(raw)
        except RecordRejected:
            pass
    return normalize(_json_loads(line))


def _json_loads(line: bytes) -> Any:
    """``line`` read by the standard library, or ``RecordRejected`` with
    what is wrong with it."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordRejected(f"invalid UTF-8 at byte {exc.start}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordRejected(f"invalid JSON: {exc.msg}") from None
    except ValueError as exc:
        # An integer of 4,300 digits and more, which Python will not read;
        # what follows the ";" is advice to a programmer.
        raise RecordRejected(f"invalid JSON: {str(exc).split(';')[0]}") from None
    except RecursionError:
        raise RecordRejected("invalid JSON: nested too deeply") from None


def read_batches(
    part: PartFile,
    *,
    batch_size: int,
    skip_lines: int = 0,
    ahead: ReadAhead[Batch] | None = None,
) -> Iterator[Batch]:
    """The file's non-blank lines, ``batch_size`` at a time, each parsed or
    rejected; lines up to ``skip_lines`` (a resumed file's committed part)
    are read past. A line longer than ``SNAPSHOT_MAX_LINE_BYTES`` is
    rejected with its length, unread. Yields a last, possibly empty batch so
    the caller always learns where the file ended.

    With ``SNAPSHOT_PARSE_AHEAD``, a file longer than one batch has its
    batches read, parsed and normalized in a child process (``read_ahead``),
    the next one while the caller writes the one before; the batches are the
    same either way. A file whose manifest lists more than one batch left
    has every batch read ahead (``ahead``, when given, is the child
    ``read_ahead_start`` started for it beforehand, from its first line);
    otherwise the first is read here: a child gains nothing on a file of one
    batch. The child stops when the caller stops early (``StopSlice``, an
    error), when this generator is closed or collected."""
    max_line_bytes = settings.SNAPSHOT_MAX_LINE_BYTES
    if not settings.SNAPSHOT_PARSE_AHEAD:
        yield from batches_of(part, batch_size, skip_lines, max_line_bytes)
        return
    if ahead is None and _batches_left(part, skip_lines) > batch_size:
        ahead = _read_ahead(part, batch_size, skip_lines, max_line_bytes)
    if ahead is None:
        batches = batches_of(part, batch_size, skip_lines, max_line_bytes)
        first = next(batches)
        if first.size < batch_size:  # the file ended within it
            yield first
            return
        batches.close()
        ahead = _read_ahead(part, batch_size, first.last_line, max_line_bytes)
        if ahead is None:
            yield first
            yield from batches_of(part, batch_size, first.last_line, max_line_bytes)
            return
        with contextlib.closing(ahead):
            yield first
            yield from ahead
        return
    with contextlib.closing(ahead):
        yield from ahead


def read_ahead_start(part: PartFile, *, batch_size: int) -> ReadAhead[Batch] | None:
    """A child reading ``part`` from its first line, started now, for
    ``read_batches(part, ahead=…)`` later: the loader starts the next file's
    while it writes the current one, so that the next file's first batch is
    parsed by the time it is wanted. None when reading ahead is off, the
    manifest does not list more than one batch, or no child can start."""
    if not settings.SNAPSHOT_PARSE_AHEAD or _batches_left(part, 0) <= batch_size:
        return None
    return _read_ahead(part, batch_size, 0, settings.SNAPSHOT_MAX_LINE_BYTES)


def _batches_left(part: PartFile, skip_lines: int) -> int:
    """The records the manifest says are left after ``skip_lines`` (0 when
    it does not list the file)."""
    return (part.expected_records or 0) - skip_lines


def _read_ahead(
    part: PartFile, batch_size: int, skip_lines: int, max_line_bytes: int
) -> ReadAhead[Batch] | None:
    try:
        return ReadAhead(batches_of, part, batch_size, skip_lines, max_line_bytes)
    except (AssertionError, OSError) as exc:
        # A daemonic process (a pool's worker) may not start children; nor
        # may one out of processes or file descriptors.
        logger.warning("%s: read in this process, not ahead (%s)", part.relative, exc)
        return None


def batches_of(
    part: PartFile, batch_size: int, skip_lines: int, max_line_bytes: int
) -> Iterator[Batch]:
    """``read_batches`` in this process, its settings given: what a child
    reading ahead runs, without Django."""
    batch = Batch(part=part, last_line=skip_lines)
    entity = part.entity
    with _open(part.path) as stream:
        for number, line in enumerate(_lines(stream, max_line_bytes), start=1):
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
                    record = normalize_line(entity, line)
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
