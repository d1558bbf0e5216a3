"""The real OpenAlex records in ``tests/fixtures/openalex`` (see its
SOURCES.md), and snapshot trees built from them in ``tmp_path`` for the loader
tests (the ``snapshot_root`` fixture builds the standard one).

The standard tree holds 14 records: 3 institutions (Michigan in full, two as
OpenAlex embeds them in other records), 2 sources and 3 topics as embedded in
works, T11636 in full, 2 authors (one 2023-schema line, gzipped as published,
and Jason Priem) and 3 works (the PeerJ article, an arXiv-only preprint, an
article carrying an arXiv location).
"""

from __future__ import annotations

import copy
import gzip
import json
import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openalex"
AUTHOR_2023_GZ = FIXTURES / "snapshot" / "authors_updated_date=2023-04-21_part_000.gz"
AUTHOR_2023_LINE = (
    FIXTURES / "snapshot" / "authors_updated_date=2023-04-21_part_000.jsonl"
).read_bytes()

INSTITUTIONS = "institutions/updated_date=2025-06-17/part_000.gz"
SOURCES = "sources/updated_date=2025-06-11/part_000.gz"
TOPICS = "topics/updated_date=2025-06-16/part_000.gz"
AUTHORS_2023 = "authors/updated_date=2023-04-21/part_000.gz"
AUTHORS = "authors/updated_date=2025-06-08/part_000.gz"
WORKS = "works/updated_date=2025-06-11/part_000.gz"
STANDARD_COUNTS = {
    "institutions": 3,
    "sources": 2,
    "topics": 4,
    "authors": 2,
    "works": 3,
}


def record(name: str) -> dict:
    """A fresh copy of a recorded OpenAlex record."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def work_state_of_oa() -> dict:
    return record("W2741809807.json")


def work_arxiv_preprint() -> dict:
    return record("work_W3045921891_arxiv_preprint.extracted.json")


def work_with_arxiv_location() -> dict:
    return record("work_W1996515099_article_with_arxiv_location.extracted.json")


def author_priem() -> dict:
    return record("A5023888391.json")


def line_of(item: dict | str | bytes) -> bytes:
    if isinstance(item, dict | list | int):
        return json.dumps(item, ensure_ascii=False).encode("utf-8")
    return item.encode("utf-8") if isinstance(item, str) else item


def write_part(root: Path, relative: str, items: list) -> Path:
    """Write ``items`` (records, or raw lines as str/bytes) as one JSON line
    each to ``root/relative``, gzipped when the name ends in ``.gz``."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(line_of(item).rstrip(b"\n") + b"\n" for item in items)
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


def write_manifest(root: Path, entity: str, counts: dict[str, int]) -> Path:
    """A Redshift-style manifest as OpenAlex publishes it."""
    entries = [
        {
            "url": f"s3://openalex/data/{entity}/{relative}",
            "meta": {"content_length": 1, "record_count": count},
        }
        for relative, count in counts.items()
    ]
    total = {"content_length": len(entries), "record_count": sum(counts.values())}
    path = root / entity / "manifest"
    path.write_text(json.dumps({"entries": entries, "meta": total}))
    return path


def standard_parts() -> dict[str, list]:
    state_of_oa = work_state_of_oa()
    preprint = work_arxiv_preprint()
    priem = author_priem()
    return {
        INSTITUTIONS: [
            record("I27837315.json"),
            copy.deepcopy(state_of_oa["authorships"][0]["institutions"][0]),
            copy.deepcopy(priem["last_known_institutions"][0]),
        ],
        SOURCES: [
            state_of_oa["primary_location"]["source"],
            preprint["primary_location"]["source"],
        ],
        TOPICS: [record("T11636.json"), *state_of_oa["topics"]],
        AUTHORS: [priem],
        WORKS: [state_of_oa, preprint, work_with_arxiv_location()],
    }


def build_standard_snapshot(root: Path) -> Path:
    for relative, items in standard_parts().items():
        write_part(root, relative, items)
    # The 2023-schema author exactly as published: the gzip file itself.
    (root / AUTHORS_2023).parent.mkdir(parents=True)
    shutil.copyfile(AUTHOR_2023_GZ, root / AUTHORS_2023)
    write_manifest(
        root,
        "authors",
        {
            "updated_date=2023-04-21/part_000.gz": 1,
            "updated_date=2025-06-08/part_000.gz": 1,
        },
    )
    return root
