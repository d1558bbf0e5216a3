"""The OpenAlex snapshot's merged ids: which author and work ids OpenAlex
retired into another record. The layout is the one OpenAlex publishes::

    <root>/merged_ids/authors/<merge date>.csv.gz
    <root>/merged_ids/works/<merge date>.csv.gz

each a CSV with the header ``merge_date,id,merge_into_id`` (gzipped, or plain
in the published samples). Files come authors first, then by merge date, so a
chain of merges (A into B, later B into C) is applied in order. No database:
the loader applies the pairs through the merge services.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from works.ingest.identifiers import short_openalex_id
from works.ingest.records import rejection_excerpt

FOLDER = "merged_ids"
# Entity folder -> the letter of its OpenAlex ids.
PREFIXES = {"authors": "A", "works": "W"}
HEADER = ["merge_date", "id", "merge_into_id"]
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class MergedIdsFile:
    path: Path
    entity: str
    # From the snapshot root: "merged_ids/authors/2023-04-13.csv.gz", the
    # checkpoint key and the start of every locator.
    relative: str


@dataclass
class MergedIdsBatch:
    """Consecutive lines of one file: (old id, surviving id) pairs in file
    order, the lines rejected with their reason, and the last line read."""

    file: MergedIdsFile
    pairs: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    last_line: int = 0

    @property
    def size(self) -> int:
        return len(self.pairs) + len(self.rejected)


def merged_ids_files(
    root: Path | str, *, entity: str | None = None
) -> list[MergedIdsFile]:
    """The merged-id files under the snapshot ``root`` (none when it has no
    ``merged_ids`` folder), limited to ``entity`` when given."""
    root = Path(root).resolve()
    files = []
    for name in PREFIXES:
        folder = root / FOLDER / name
        if (entity is not None and entity != name) or not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name.endswith((".csv", ".csv.gz")):
                relative = path.relative_to(root).as_posix()
                files.append(MergedIdsFile(path=path, entity=name, relative=relative))
    return files


def _text(path: Path) -> io.TextIOBase:
    """Gzipped or plain, told by content, as the part files are."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    opener = gzip.open if magic == _GZIP_MAGIC else open
    # The wrapper owns the binary stream: closing it closes both.
    return io.TextIOWrapper(
        opener(path, "rb"), encoding="utf-8", errors="replace", newline=""
    )


def _pair(row: list[str], prefix: str) -> tuple[str, str]:
    """(old id, surviving id) of one CSV row; raises ValueError with the
    reason when the row is not one."""
    if len(row) != len(HEADER):
        raise ValueError(f"expected {len(HEADER)} columns, found {len(row)}")
    old = short_openalex_id(row[1], prefix=prefix)
    new = short_openalex_id(row[2], prefix=prefix)
    if old is None or new is None:
        raise ValueError(f"not two OpenAlex {prefix} ids: {row[1]!r}, {row[2]!r}")
    if old == new:
        raise ValueError(f"{old} is merged into itself")
    return old, new


def read_merged_ids(
    file: MergedIdsFile, *, batch_size: int, skip_lines: int = 0
) -> Iterator[MergedIdsBatch]:
    """The file's rows, ``batch_size`` at a time, each a pair or a rejection;
    the header (line 1) and lines up to ``skip_lines`` are read past. Yields
    a last, possibly empty batch so the caller learns where the file ended.
    Raises ValueError when the first line is not the expected header."""
    prefix = PREFIXES[file.entity]
    with _text(file.path) as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is not None and [c.strip() for c in header] != HEADER:
            raise ValueError(
                f"{file.relative}: header {header!r}, expected {','.join(HEADER)}"
            )
        batch = MergedIdsBatch(file=file, last_line=max(skip_lines, 1))
        for row in reader:
            number = reader.line_num
            if number <= skip_lines:
                continue
            batch.last_line = number
            if not any(cell.strip() for cell in row):
                continue
            try:
                batch.pairs.append(_pair([cell.strip() for cell in row], prefix))
            except ValueError as exc:
                batch.rejected.append(
                    (number, str(exc), rejection_excerpt(",".join(row)))
                )
            if batch.size >= batch_size:
                yield batch
                batch = MergedIdsBatch(file=file, last_line=number)
    yield batch
