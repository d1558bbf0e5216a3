"""Synthetic snapshots (``works.synthetic_snapshot``): the same bytes for the
same seed, records shaped like real OpenAlex ones that the loader's
normalizers take whole, counts that agree with the works, and the
distributions' tails and missing fields at small scale."""

from __future__ import annotations

import gzip
import json
import statistics
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers.snapshot import record
from works.ingest.openalex.snapshot import normalize_line, snapshot_plan
from works.synthetic_snapshot import snapshot_generate

ENTITIES = ("institutions", "sources", "topics", "authors", "works")
SAMPLE = Path(__file__).resolve().parents[2] / "works" / "sample_data" / "snapshot"


def lines_of(root: Path, entity: str) -> list[bytes]:
    return [
        line
        for path in sorted((root / entity).rglob("part_*.gz"))
        for line in gzip.decompress(path.read_bytes()).splitlines()
    ]


def records_of(root: Path, entity: str) -> list[dict]:
    return [json.loads(line) for line in lines_of(root, entity)]


def files_of(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    """1,500 works of 500 authors, in part files of 400 records."""
    root = tmp_path_factory.mktemp("synthetic") / "snapshot"
    snapshot_generate(out=root, works=1500, authors=500, seed=11, part_size=400)
    return root


@pytest.fixture(scope="module")
def works(snapshot) -> list[dict]:
    return records_of(snapshot, "works")


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    arguments = {"works": 200, "authors": 80, "part_size": 70}
    snapshot_generate(out=tmp_path / "one", seed=5, **arguments)
    snapshot_generate(out=tmp_path / "two", seed=5, **arguments)
    snapshot_generate(out=tmp_path / "other", seed=6, **arguments)

    one = files_of(tmp_path / "one")
    assert one == files_of(tmp_path / "two")
    other = files_of(tmp_path / "other")
    assert sorted(other) == sorted(one)
    assert (
        other["works/updated_date=2026-11-01/part_000.gz"]
        != (one["works/updated_date=2026-11-01/part_000.gz"])
    )
    # Neither a file name nor a time in the gzip headers.
    for name, data in one.items():
        if name.endswith(".gz"):
            assert data[3] == 0  # no FNAME flag
            assert data[4:8] == b"\x00\x00\x00\x00"  # mtime 0


def test_worker_processes_write_the_same_bytes(tmp_path):
    arguments = {"works": 240, "authors": 90, "seed": 3, "part_size": 60}
    snapshot_generate(out=tmp_path / "here", jobs=1, **arguments)
    snapshot_generate(out=tmp_path / "workers", jobs=2, **arguments)

    assert files_of(tmp_path / "here") == files_of(tmp_path / "workers")


def test_the_layout_is_the_one_the_loader_reads(snapshot):
    plan = snapshot_plan(snapshot)

    assert plan.warnings == []
    parts = [(part.entity, part.relative) for part in plan.files]
    assert parts == [
        ("institutions", "institutions/updated_date=2026-11-01/part_000.gz"),
        ("sources", "sources/updated_date=2026-11-01/part_000.gz"),
        ("topics", "topics/updated_date=2026-11-01/part_000.gz"),
        ("authors", "authors/updated_date=2026-11-01/part_000.gz"),
        ("authors", "authors/updated_date=2026-11-01/part_001.gz"),
        *(
            ("works", f"works/updated_date=2026-11-01/part_00{number}.gz")
            for number in range(4)
        ),
    ]
    for part in plan.files:
        lines = gzip.decompress(part.path.read_bytes()).splitlines()
        assert part.expected_records == len(lines)
    assert [part.expected_records for part in plan.files[-4:]] == [400, 400, 400, 300]
    manifest = json.loads((snapshot / "works" / "manifest").read_text())
    assert manifest["meta"]["record_count"] == 1500
    assert manifest["meta"]["content_length"] == sum(
        path.stat().st_size for path in (snapshot / "works").rglob("part_*.gz")
    )


def test_every_record_is_taken_whole_by_the_normalizers(snapshot):
    for entity in ENTITIES:
        for line in lines_of(snapshot, entity):
            normalize_line(entity, line)  # raises RecordRejected otherwise


def test_records_have_the_keys_of_real_ones(snapshot, works):
    # The 2026 schema: the November 2025 recording without ``grants``, with
    # ``has_fulltext`` and ``content_urls`` (see the shared fixtures).
    preprint = record("work_W3045921891_arxiv_preprint.extracted.json")
    work_keys = (set(preprint) - {"grants"}) | {"has_fulltext", "content_urls"}
    assert all(set(work) == work_keys for work in works)
    authorship_keys = set(preprint["authorships"][0])
    location_keys = set(preprint["locations"][0]) | {"raw_type"}
    for work in works:
        assert all(set(a) == authorship_keys for a in work["authorships"])
        assert all(set(loc) == location_keys for loc in work["locations"])
    expected = {
        "authors": set(record("A5023888391.json")),
        "institutions": set(record("I27837315.json")),
        "topics": set(record("T11636.json")),
        "sources": set(records_of(SAMPLE, "sources")[0]),
    }
    for entity, keys in expected.items():
        assert all(set(item) == keys for item in records_of(snapshot, entity))


def test_records_are_as_dense_as_real_ones(works):
    with_abstract = [w for w in works if w["abstract_inverted_index"]]
    lengths = [
        sum(map(len, w["abstract_inverted_index"].values())) for w in with_abstract
    ]
    assert 180 <= statistics.mean(lengths) <= 220
    assert statistics.mean(len(w["referenced_works"]) for w in works) > 15
    assert all(w["topics"] and w["primary_topic"] == w["topics"][0] for w in works)
    cited = [w for w in works if w["cited_by_count"] > 20]
    assert all(w["counts_by_year"] for w in cited if w["publication_year"] >= 2005)
    assert all(
        sum(year["cited_by_count"] for year in w["counts_by_year"])
        <= w["cited_by_count"]
        for w in works
    )
    institutions = [
        i for w in works for a in w["authorships"] for i in a["institutions"]
    ]
    assert institutions and all(i["ror"] and i["country_code"] for i in institutions)
    assert sum(bool(w["ids"].get("pmid")) for w in works) > 100
    assert {w["type"] for w in works} >= {"article", "preprint", "book-chapter"}


def test_counts_agree_with_the_works(snapshot, works):
    authors = {a["id"]: a for a in records_of(snapshot, "authors")}
    named = Counter(a["author"]["id"] for w in works for a in w["authorships"])
    cited = Counter()
    citations: dict[str, list[int]] = {}
    for work in works:
        for authorship in work["authorships"]:
            cited[authorship["author"]["id"]] += work["cited_by_count"]
            citations.setdefault(authorship["author"]["id"], []).append(
                work["cited_by_count"]
            )
    assert len(authors) == 500
    for identifier, author in authors.items():
        assert author["works_count"] == named[identifier]
        assert author["cited_by_count"] == cited[identifier]
        ranked = sorted(citations.get(identifier, []), reverse=True)
        h_index = sum(count >= rank for rank, count in enumerate(ranked, start=1))
        assert author["summary_stats"]["h_index"] == h_index
    institutions = {i["id"]: i for i in records_of(snapshot, "institutions")}
    at = Counter(
        identifier
        for w in works
        for identifier in {i["id"] for a in w["authorships"] for i in a["institutions"]}
    )
    assert {k: v["works_count"] for k, v in institutions.items() if at[k]} == at
    topics = {t["id"]: t["works_count"] for t in records_of(snapshot, "topics")}
    assert sum(topics.values()) == sum(len(w["topics"]) for w in works)


def test_references_and_identifiers_resolve(snapshot, works):
    ids = {
        entity: {r["id"] for r in records_of(snapshot, entity)} for entity in ENTITIES
    }
    for work in works:
        assert set(work["referenced_works"]) <= ids["works"]
        assert {a["author"]["id"] for a in work["authorships"]} <= ids["authors"]
        assert {t["id"] for t in work["topics"]} <= ids["topics"]
        assert {
            loc["source"]["id"] for loc in work["locations"] if loc["source"]
        } <= ids["sources"]
        for authorship in work["authorships"]:
            assert {i["id"] for i in authorship["institutions"]} <= ids["institutions"]
    dois = [w["doi"] for w in works if w["doi"]]
    assert len(dois) == len(set(dois))
    orcids = [a["orcid"] for a in records_of(snapshot, "authors") if a["orcid"]]
    assert len(orcids) == len(set(orcids))


def test_heavy_tails_show_at_small_scale(snapshot, works):
    per_author = sorted(a["works_count"] for a in records_of(snapshot, "authors"))
    assert per_author[0] >= 1
    assert per_author[-1] >= 5 * statistics.median(per_author)
    teams = sorted(len(w["authorships"]) for w in works)
    assert 3 <= statistics.median(teams) <= 5
    assert teams[0] == 1
    assert teams[-1] > 100
    cited = sorted(w["cited_by_count"] for w in works)
    assert cited[-1] >= 20 * max(1, statistics.median(cited))
    assert 0.1 <= cited.count(0) / len(cited) <= 0.4
    # Venues, institutions and topics: Zipf-like.
    venues = Counter(
        w["primary_location"]["source"]["id"]
        for w in works
        if w["primary_location"]["source"]
    )
    institutions = Counter(
        identifier
        for w in works
        for identifier in {i["id"] for a in w["authorships"] for i in a["institutions"]}
    )
    topics = Counter(w["primary_topic"]["id"] for w in works)
    for counts in (venues, institutions, topics):
        (_, top), *_ = counts.most_common(1)
        assert top >= 5 * statistics.median(counts.values())


def test_missing_fields_at_realistic_rates(snapshot, works):
    def share(flags) -> float:
        flags = list(flags)
        return sum(flags) / len(flags)

    assert 0.22 <= share(w["abstract_inverted_index"] is None for w in works) <= 0.38
    assert 0.12 <= share(w["doi"] is None for w in works) <= 0.28
    authorships = [a for w in works for a in w["authorships"]]
    assert 0.08 <= share(not a["institutions"] for a in authorships) <= 0.4
    assert 0.15 <= share(a["author"]["orcid"] is not None for a in authorships) <= 0.45
    assert share(w["language"] is None for w in works) < 0.05
    authors = records_of(snapshot, "authors")
    assert 0.2 <= share(a["orcid"] is not None for a in authors) <= 0.4


def test_arxiv_preprints_are_openalex_works(snapshot, works):
    arxiv = [normalize_line("works", json.dumps(w).encode()).arxiv_id for w in works]
    assert 0.04 <= share_of(arxiv) <= 0.2
    preprints = [w for w in works if w["type"] == "preprint"]
    assert preprints
    for preprint in preprints:
        arxiv_id = preprint["doi"].removeprefix("https://doi.org/10.48550/arxiv.")
        assert preprint["primary_location"]["landing_page_url"] == (
            f"http://arxiv.org/abs/{arxiv_id}"
        )
        assert preprint["indexed_in"] == ["arxiv", "datacite"]
    # Some preprints come out later as articles with the same title and byline.
    titles = Counter(w["title"] for w in works)
    assert any(titles[p["title"]] > 1 for p in preprints)


def share_of(values) -> float:
    values = list(values)
    return sum(value is not None for value in values) / len(values)


def test_a_folder_with_files_is_refused_unless_overwritten(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="is not empty"):
        snapshot_generate(out=tmp_path, works=20, authors=10, seed=1)

    snapshot_generate(out=tmp_path, works=20, authors=10, seed=1, overwrite=True)
    snapshot_generate(out=tmp_path, works=30, authors=10, seed=1, overwrite=True)

    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert len(lines_of(tmp_path, "works")) == 30
