"""Finding and reading snapshot part files: load order, what PATH may be,
manifests, batches. No database."""

import shutil

import pytest

from tests.helpers.snapshot import (
    AUTHORS,
    AUTHORS_2023,
    FIXTURES,
    INSTITUTIONS,
    SOURCES,
    TOPICS,
    WORKS,
    work_state_of_oa,
    write_part,
)
from works.ingest.openalex.snapshot import read_batches, snapshot_plan


def test_a_root_yields_files_in_dependency_then_date_then_part_order(
    snapshot_root,
):
    write_part(snapshot_root, "works/updated_date=2025-06-11/part_010.gz", [])
    write_part(snapshot_root, "works/updated_date=2025-06-11/part_002.gz", [])
    write_part(snapshot_root, "works/updated_date=2024-01-01/part_000.gz", [])
    (snapshot_root / "merged_ids").mkdir()  # not an entity: ignored
    plan = snapshot_plan(snapshot_root)
    assert [part.relative for part in plan.files] == [
        INSTITUTIONS,
        SOURCES,
        TOPICS,
        AUTHORS_2023,
        AUTHORS,
        "works/updated_date=2024-01-01/part_000.gz",
        WORKS,
        "works/updated_date=2025-06-11/part_002.gz",
        "works/updated_date=2025-06-11/part_010.gz",
    ]
    assert [part.expected_records for part in plan.files[3:5]] == [1, 1]
    assert plan.warnings == []


def test_an_entity_folder_or_one_part_file_can_be_loaded(snapshot_root):
    plan = snapshot_plan(snapshot_root / "authors")
    assert [(p.entity, p.relative) for p in plan.files] == [
        ("authors", AUTHORS_2023),
        ("authors", AUTHORS),
    ]
    single = snapshot_plan(snapshot_root / WORKS)
    assert [(p.entity, p.relative, p.partition) for p in single.files] == [
        ("works", WORKS, "2025-06-11")
    ]
    limited = snapshot_plan(snapshot_root, entity="topics")
    assert [p.relative for p in limited.files] == [TOPICS]


def test_a_loose_file_needs_its_entity(tmp_path):
    loose = tmp_path / "part_000.jsonl"
    shutil.copyfile(
        FIXTURES / "snapshot" / "authors_updated_date=2023-04-21_part_000.jsonl",
        loose,
    )
    with pytest.raises(ValueError, match="cannot tell the entity"):
        snapshot_plan(loose)
    plan = snapshot_plan(loose, entity="authors")
    assert [(p.entity, p.relative) for p in plan.files] == [
        ("authors", "part_000.jsonl")
    ]
    with pytest.raises(FileNotFoundError):
        snapshot_plan(tmp_path / "missing")
    with pytest.raises(ValueError, match="holds works, not authors"):
        write_part(tmp_path, WORKS, [])
        snapshot_plan(tmp_path / WORKS, entity="authors")


def test_a_manifest_that_lists_other_files_is_a_warning(snapshot_root):
    shutil.copyfile(
        FIXTURES / "snapshot" / "authors_manifest_2023-09",
        snapshot_root / "authors" / "manifest",
    )
    plan = snapshot_plan(snapshot_root)
    assert [p.expected_records for p in plan.files if p.entity == "authors"] == [
        None,
        None,
    ]
    assert plan.warnings == [
        "authors/manifest lists 104 file(s) not found, "
        "e.g. updated_date=2023-07-21/part_000.gz"
    ]


def test_batches_carry_line_numbers_and_rejections(tmp_path):
    part_path = write_part(
        tmp_path,
        WORKS,
        [work_state_of_oa(), "", "{bad json", work_state_of_oa(), "[1]"],
    )
    (part,) = snapshot_plan(part_path).files
    batches = list(read_batches(part, batch_size=2))
    assert [(b.line_numbers, [r[:2] for r in b.rejected]) for b in batches] == [
        (
            [1],
            [(3, "invalid JSON: Expecting property name enclosed in double quotes")],
        ),
        ([4], [(5, "record is not a JSON object")]),
        ([], []),
    ]
    assert batches[0].rejected[0][2] == "{bad json"
    assert [b.last_line for b in batches] == [3, 5, 5]
    resumed = list(read_batches(part, batch_size=2, skip_lines=3))
    assert [b.line_numbers for b in resumed] == [[4], []]
