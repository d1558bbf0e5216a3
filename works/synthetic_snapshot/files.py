"""Part files and manifests in OpenAlex's snapshot layout:
``<entity>/updated_date=<date>/part_NNN.gz`` (gzipped JSON lines, a record a
line) and a Redshift-style ``<entity>/manifest``.

The bytes depend on the records only: the gzip header carries no file name
and a zero timestamp, records are encoded in their keys' order (ASCII, as
JSON allows), and the compressor is fed the same chunks of ``FLUSH_LINES``
lines whichever process writes the file. Compression runs on a thread of
its own (zlib lets go of the GIL), chunk after chunk in order, while the
next records are made.
"""

from __future__ import annotations

import gzip
import json
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

FLUSH_LINES = 256
# Chunks waiting for the compressor at most: memory stays a few chunks.
CHUNKS_QUEUED = 4

encode = json.JSONEncoder(check_circular=False).encode


@dataclass
class EntityFiles:
    entity: str
    records: int
    files: int
    bytes: int


def part_path(root: Path, entity: str, partition: str, number: int) -> Path:
    return root / entity / f"updated_date={partition}" / f"part_{number:03d}.gz"


class PartFile:
    """One part file being written; ``close`` returns its size in bytes."""

    def __init__(self, path: Path, *, compresslevel: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.records = 0
        self._raw = path.open("wb")
        self._stream = gzip.GzipFile(
            filename="",
            mode="wb",
            compresslevel=compresslevel,
            fileobj=self._raw,
            mtime=0,
        )
        self._compressor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="snapshot-gzip"
        )
        self._queued: deque[Future] = deque()
        self._pending: list[str] = []

    def write(self, record: dict | str) -> None:
        """A record, or its JSON text."""
        self._pending.append(record if isinstance(record, str) else encode(record))
        self.records += 1
        if len(self._pending) >= FLUSH_LINES:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            chunk = ("\n".join(self._pending) + "\n").encode("ascii")
            self._queued.append(self._compressor.submit(self._stream.write, chunk))
            self._pending = []
        while len(self._queued) > CHUNKS_QUEUED:
            self._queued.popleft().result()

    def close(self) -> int:
        self._flush()
        while self._queued:
            self._queued.popleft().result()
        self._compressor.shutdown()
        self._stream.close()
        self._raw.close()
        return self.path.stat().st_size


class EntityWriter:
    """One entity's records, ``part_size`` to a part file, then (``close``)
    its manifest; or parts written elsewhere, listed with ``add_part``."""

    def __init__(
        self,
        root: Path,
        entity: str,
        *,
        partition: str,
        part_size: int,
        compresslevel: int,
    ):
        self.root, self.entity, self.partition = root, entity, partition
        self.part_size = part_size
        self.compresslevel = compresslevel
        self.entries: list[dict] = []
        self._part: PartFile | None = None

    @property
    def records(self) -> int:
        """Records in the parts closed so far."""
        return sum(entry["meta"]["record_count"] for entry in self.entries)

    def next_path(self) -> Path:
        return self.path_of(len(self.entries))

    def path_of(self, number: int) -> Path:
        return part_path(self.root, self.entity, self.partition, number)

    def write(self, record: dict | str) -> None:
        if self._part is None:
            self._part = PartFile(self.next_path(), compresslevel=self.compresslevel)
        self._part.write(record)
        if self._part.records >= self.part_size:
            self._close_part()

    def add_part(self, *, path: Path, size: int, records: int) -> None:
        self.entries.append(
            {
                "url": f"s3://openalex/data/{self.entity}/"
                f"updated_date={self.partition}/{path.name}",
                "meta": {"content_length": size, "record_count": records},
            }
        )

    def _close_part(self) -> None:
        part, self._part = self._part, None
        size = part.close()
        self.add_part(path=part.path, size=size, records=part.records)

    def close(self) -> EntityFiles:
        if self._part is not None:
            self._close_part()
        total = sum(entry["meta"]["content_length"] for entry in self.entries)
        records = self.records
        manifest = {
            "entries": self.entries,
            "meta": {"content_length": total, "record_count": records},
        }
        folder = self.root / self.entity
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "manifest").write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
        )
        return EntityFiles(self.entity, records, len(self.entries), total)
