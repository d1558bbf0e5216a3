"""A part file unchanged since its last complete load is skipped before it is
read (``SnapshotPartLoad``: its manifest's record count, its size and its
modification time), its records counted unchanged; a changed file, a file
without a manifest entry, a file only partly loaded and a ``full`` run are
read again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.helpers.catalog import catalog_digest
from tests.helpers.snapshot import (
    INSTITUTIONS,
    SOURCES,
    TOPICS,
    WORKS,
    standard_parts,
    work_state_of_oa,
    write_manifest,
    write_part,
)
from works.models import ImportRun, RejectedRecord, SnapshotPartLoad, Work
from works.services import snapshot_load

pytestmark = pytest.mark.django_db(transaction=True)


def load(path: Path, **options) -> ImportRun:
    return snapshot_load(path=path, progress=False, sync_trust=True, **options)


def totals(run: ImportRun) -> tuple[int, int, int, int]:
    return (
        run.created_count,
        run.updated_count,
        run.unchanged_count,
        run.rejected_count,
    )


@pytest.fixture
def root(tmp_path) -> Path:
    """The standard snapshot, every entity with a manifest; the works file
    with one line that is not JSON (4 records, 1 rejected)."""
    root = tmp_path / "snapshot"
    for relative, items in standard_parts().items():
        if relative == WORKS:
            items = [*items, "{not json"]
        write_part(root, relative, items)
        entity, rest = relative.split("/", 1)
        write_manifest(root, entity, {rest: len(items)})
    return root


def garble_keeping_size_and_time(path: Path) -> None:
    """Overwrite the file with bytes that are no gzip, of its size, and give
    it back its modification time: only a reader that never opens it can
    succeed."""
    stat = path.stat()
    path.write_bytes(b"x" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_an_unchanged_snapshot_is_skipped_unread_and_counted_unchanged(root):
    first = load(root)
    assert totals(first) == (13, 0, 0, 1)
    rows = catalog_digest()
    for relative in (INSTITUTIONS, SOURCES, TOPICS, WORKS):
        garble_keeping_size_and_time(root / relative)

    again = load(root)

    assert again.status == ImportRun.Status.SUCCEEDED, again.error
    # 14 lines: 13 records unchanged; the line rejected then is listed on the
    # first run only.
    assert totals(again) == (0, 0, 13, 0)
    assert again.counts["works"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected": 0,
    }
    assert again.checkpoint["files_skipped"] == 5
    assert (again.progress_done, again.progress_total) == (14, 14)
    assert not RejectedRecord.objects.filter(run=again).exists()
    assert catalog_digest() == rows
    last = SnapshotPartLoad.objects.get(path=str((root / WORKS).resolve()))
    assert (last.records, last.lines, last.rejected, last.run_id) == (
        4,
        4,
        1,
        first.pk,
    )


def test_a_full_run_reads_every_file(root):
    load(root)
    garble_keeping_size_and_time(root / WORKS)

    run = load(root, full=True)

    assert run.checkpoint.get("files_skipped") is None
    # The garbled file was read: its one "line" is no JSON.
    assert run.counts["works"]["rejected"] == 1
    assert run.counts["works"]["unchanged"] == 0
    assert RejectedRecord.objects.filter(run=run, entity="works").count() == 1


def test_a_rewritten_file_is_read_and_its_change_stored(root):
    load(root)
    changed = work_state_of_oa()
    changed["cited_by_count"] = 123456
    items = [changed, *standard_parts()[WORKS][1:], "{not json"]
    write_part(root, WORKS, items)

    run = load(root)

    assert run.checkpoint["files_skipped"] == 4
    assert run.counts["works"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 2,
        "rejected": 1,
    }
    assert Work.objects.get(openalex_id="W2741809807").cited_by_count == 123456


def test_a_file_whose_time_alone_moved_is_read_again(root):
    load(root)
    path = root / WORKS
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    run = load(root)

    assert run.checkpoint["files_skipped"] == 4
    assert run.counts["works"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected": 1,
    }


def test_a_file_the_manifest_does_not_list_is_always_read(root):
    write_manifest(root, "works", {})
    load(root)
    garble_keeping_size_and_time(root / WORKS)

    run = load(root)

    assert run.checkpoint["files_skipped"] == 4
    assert run.counts["works"]["rejected"] == 1
    assert not SnapshotPartLoad.objects.filter(
        path=str((root / WORKS).resolve())
    ).exists()


def test_a_file_loaded_in_slices_is_read_again_next_time(root):
    run = load(root, batch_size=2, time_budget=0)
    slices = 1
    while run.status == ImportRun.Status.RUNNING:
        run = load(root, run=run, batch_size=2, time_budget=0)
        slices += 1
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert slices > 5
    # The works file was finished by a slice that did not start it: what
    # the slices before rejected is not on record with it, so it is not
    # recorded as loaded whole.
    assert not SnapshotPartLoad.objects.filter(
        path=str((root / WORKS).resolve())
    ).exists()

    again = load(root)

    assert again.counts["works"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected": 1,
    }


def test_the_command_says_how_many_files_it_skipped(root, capsys):
    call_command("load_openalex_snapshot", str(root), "--sync-trust")
    call_command("load_openalex_snapshot", str(root), "--sync-trust")

    output = capsys.readouterr().out
    assert (
        "Part files skipped as unchanged since their last load: 5 "
        "(--full reads them again)"
    ) in output
