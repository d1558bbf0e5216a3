"""Snapshot batches parsed ahead in a child process (``SNAPSHOT_PARSE_AHEAD``,
``read_batches``): the same batches, rejections, locators and checkpoints as
read in the caller's process; no child for a file of one batch; the child
stopped and reaped when the caller stops early."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from tests.helpers.snapshot import (
    WORKS,
    line_of,
    work_arxiv_preprint,
    work_state_of_oa,
    work_with_arxiv_location,
    write_manifest,
    write_part,
)
from works.ingest.openalex import snapshot
from works.ingest.openalex.read_ahead import ReadAhead
from works.ingest.openalex.snapshot import read_batches, snapshot_plan
from works.models import ImportRun, Work
from works.services import snapshot_load

LONG_LINE = b'{"id": "https://openalex.org/W9", "x": "' + b"a" * 150_000 + b'"}'
TOO_LONG = (
    f"line of {len(LONG_LINE)} bytes is longer than the 100000 bytes allowed "
    "(SNAPSHOT_MAX_LINE_BYTES)"
)
BAD_JSON = "invalid JSON: Expecting property name enclosed in double quotes"
OUT_OF_RANGE = "cited_by_count is out of range: 1" + "0" * 30


def lines() -> list:
    """Records, blank lines and every kind of rejected line, in one file."""
    out_of_range = work_arxiv_preprint()
    out_of_range["cited_by_count"] = 10**30
    return [
        work_state_of_oa(),
        "",
        "{bad json",
        work_arxiv_preprint(),
        "[1]",
        LONG_LINE,
        b'\xff{"id": "W1"}',
        out_of_range,
        "   ",
        work_with_arxiv_location(),
        '{"id": "https://openalex.org/W7", "title": NaN}',
    ]


@pytest.fixture
def children(monkeypatch) -> list[ReadAhead]:
    """The readers ahead that ``read_batches`` starts, as it starts them."""
    started: list[ReadAhead] = []

    class Recorded(ReadAhead):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(snapshot, "ReadAhead", Recorded)
    return started


def assert_reaped(ahead: ReadAhead) -> None:
    """Gone, not a zombie: the loader waited for it."""
    with pytest.raises(ProcessLookupError):
        os.kill(ahead.pid, 0)


def batches(part, settings, *, ahead: bool, **options) -> list[tuple]:
    settings.SNAPSHOT_PARSE_AHEAD = ahead
    return [
        (
            batch.part,
            batch.records,
            batch.line_numbers,
            batch.excerpts,
            batch.rejected,
            batch.last_line,
        )
        for batch in read_batches(part, **options)
    ]


@pytest.mark.parametrize(
    ("batch_size", "skip_lines"), [(1, 0), (2, 0), (3, 0), (3, 4), (2, 11)]
)
def test_batches_are_the_same_parsed_ahead_or_not(
    tmp_path, settings, children, batch_size, skip_lines
):
    settings.SNAPSHOT_MAX_LINE_BYTES = 100_000
    (part,) = snapshot_plan(write_part(tmp_path, WORKS, lines())).files
    options = {"batch_size": batch_size, "skip_lines": skip_lines}

    here = batches(part, settings, ahead=False, **options)
    assert children == []
    ahead = batches(part, settings, ahead=True, **options)

    assert ahead == here
    if skip_lines < 11:
        (child,) = children
        assert_reaped(child)
    if (batch_size, skip_lines) == (2, 0):
        assert [(b[2], [r[:2] for r in b[4]], b[5]) for b in here] == [
            ([1], [(3, BAD_JSON)], 3),
            ([4], [(5, "record is not a JSON object")], 5),
            ([], [(6, TOO_LONG), (7, "invalid UTF-8 at byte 0")], 7),
            ([10], [(8, OUT_OF_RANGE)], 10),
            ([], [(11, "title is not a string")], 11),
        ]


def test_a_file_of_one_batch_is_read_without_a_child(tmp_path, settings, children):
    settings.SNAPSHOT_MAX_LINE_BYTES = 100_000
    (part,) = snapshot_plan(write_part(tmp_path, WORKS, lines())).files
    (only,) = batches(part, settings, ahead=True, batch_size=100)
    assert (len(only[1]), only[5]) == (3, 11)
    assert children == []


def test_the_child_stops_when_the_caller_stops_early(tmp_path, settings, children):
    settings.SNAPSHOT_PARSE_AHEAD = True
    (part,) = snapshot_plan(write_part(tmp_path, WORKS, [work_state_of_oa()] * 9)).files
    reading = read_batches(part, batch_size=2)
    assert [next(reading).last_line, next(reading).last_line] == [2, 4]
    (child,) = children
    reading.close()
    assert_reaped(child)

    dropped = read_batches(part, batch_size=2)
    next(dropped)
    next(dropped)
    del dropped
    assert_reaped(children[1])


def test_a_process_that_cannot_start_leaves_the_reading_here(
    tmp_path, settings, monkeypatch, caplog
):
    def refused(*args):
        raise AssertionError("daemonic processes are not allowed to have children")

    (part,) = snapshot_plan(write_part(tmp_path, WORKS, lines())).files
    here = batches(part, settings, ahead=False, batch_size=2)
    monkeypatch.setattr(snapshot, "ReadAhead", refused)

    assert batches(part, settings, ahead=True, batch_size=2) == here
    assert "read in this process, not ahead (daemonic processes" in caplog.text


def test_an_error_reading_the_file_comes_after_the_batches_before_it(
    tmp_path, settings
):
    path = tmp_path / WORKS
    path.parent.mkdir(parents=True)
    data = b"".join(line_of(work_state_of_oa()) + b"\n" for _ in range(7))
    path.write_bytes(gzip.compress(data)[:-12])  # cut short: no end of stream
    (part,) = snapshot_plan(path).files
    outcomes = []
    for ahead in (False, True):
        settings.SNAPSHOT_PARSE_AHEAD = ahead
        read = []
        with pytest.raises(EOFError) as raised:
            read.extend(batch.last_line for batch in read_batches(part, batch_size=2))
        outcomes.append((read, str(raised.value)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == [2, 4, 6]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("ahead", [False, True])
def test_a_load_parsed_ahead_locates_rejections_and_resumes_the_same(
    snapshot_root: Path, settings, children, ahead
):
    settings.SNAPSHOT_PARSE_AHEAD = ahead
    settings.SNAPSHOT_MAX_LINE_BYTES = 100_000
    write_part(snapshot_root, WORKS, lines())

    # A zero time budget stops after each page, as a Celery slice would: the
    # caller stops early, every time.
    run = snapshot_load(
        path=snapshot_root, progress=False, sync_trust=True, batch_size=2, time_budget=0
    )
    for _ in range(30):
        if run.status != ImportRun.Status.RUNNING:
            break
        for child in children:
            assert_reaped(child)
        run = snapshot_load(
            path=snapshot_root,
            run=run,
            progress=False,
            sync_trust=True,
            batch_size=2,
            time_budget=0,
        )

    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert run.counts["works"] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 6,
    }
    assert list(run.rejected.order_by("locator").values_list("locator", "reason")) == [
        (f"{WORKS}:11", "title is not a string"),
        (f"{WORKS}:3", BAD_JSON),
        (f"{WORKS}:5", "record is not a JSON object"),
        (f"{WORKS}:6", TOO_LONG),
        (f"{WORKS}:7", "invalid UTF-8 at byte 0"),
        (f"{WORKS}:8", OUT_OF_RANGE),
    ]
    assert bool(children) == ahead
    for child in children:
        assert_reaped(child)


@pytest.mark.django_db(transaction=True)
def test_the_next_file_is_read_ahead_while_this_one_is_written(
    tmp_path: Path, settings, children, monkeypatch
):
    """Files the manifest lists with more than one batch each: the child of
    each is started while the file before it is written, the load is the
    same as one read in this process, and every child is reaped."""
    stored_at_start: list[tuple[str, int]] = []
    recorded = snapshot.ReadAhead

    class Counted(recorded):
        def __init__(self, produce, part, *args):
            stored_at_start.append((part.partition, Work.objects.count()))
            super().__init__(produce, part, *args)

    monkeypatch.setattr(snapshot, "ReadAhead", Counted)
    outcomes = []
    for ahead in (False, True):
        settings.SNAPSHOT_PARSE_AHEAD = ahead
        settings.SNAPSHOT_MAX_LINE_BYTES = 100_000
        root = tmp_path / f"ahead-{ahead}"
        first, second = (
            "updated_date=2025-06-10/part_000",
            "updated_date=2025-06-11/part_000.gz",
        )
        write_part(root, f"works/{first}", lines())
        write_part(root, f"works/{second}", lines()[::-1])
        write_manifest(root, "works", {first: 9, second: 9})
        run = snapshot_load(path=root, progress=False, sync_trust=True, batch_size=2)
        assert run.status == ImportRun.Status.SUCCEEDED, run.error
        outcomes.append(
            (
                run.counts["works"],
                sorted(
                    (locator.split("/", 1)[1], reason)
                    for locator, reason in run.rejected.values_list("locator", "reason")
                ),
            )
        )
        Work.objects.all().delete()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0]["rejected"] == 12
    assert len(children) == 2
    # The second file's child started before the first file's first page.
    assert sorted(stored_at_start) == [("2025-06-10", 0), ("2025-06-11", 0)]
    for child in children:
        assert_reaped(child)
