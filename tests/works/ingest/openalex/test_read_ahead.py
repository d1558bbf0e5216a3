"""Reading ahead in a child process (``works.ingest.openalex.read_ahead``):
the items in order, an exception in its place, the child reaped whether the
caller reads to the end, stops early, or the child dies. No database.

The generator functions the children run are defined here, at module level:
a spawned child imports this module to find them."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from works.ingest.openalex.read_ahead import ReadAhead, ReadAheadDied


def numbers(count: int) -> Iterator[int]:
    yield from range(count)


def numbers_then_error(count: int) -> Iterator[int]:
    yield from range(count)
    raise ValueError(f"broken after {count}")


class Unpicklable(Exception):
    def __init__(self, first: str, second: str):
        super().__init__(f"{first} {second}")


def unpicklable_error() -> Iterator[int]:
    yield 1
    raise Unpicklable("cannot", "come back")


def dying(count: int) -> Iterator[int]:
    yield from range(count)
    os._exit(3)


def endless() -> Iterator[int]:
    number = 0
    while True:
        yield number
        number += 1


def slow() -> Iterator[int]:
    yield 0
    time.sleep(600)
    yield 1


def assert_reaped(pid: int | None) -> None:
    """Gone, not a zombie: its parent waited for it."""
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_items_come_in_order_and_the_child_is_reaped():
    ahead = ReadAhead(numbers, 5)
    assert list(ahead) == [0, 1, 2, 3, 4]
    assert list(ahead) == []
    assert_reaped(ahead.pid)


def test_an_exception_comes_in_its_place_with_the_childs_traceback():
    ahead = ReadAhead(numbers_then_error, 2)
    items = []
    with pytest.raises(ValueError) as raised:
        items.extend(ahead)
    assert items == [0, 1]
    assert str(raised.value) == "broken after 2"
    assert "in the process reading ahead" in raised.value.__notes__[0]
    assert "numbers_then_error" in raised.value.__notes__[0]
    assert_reaped(ahead.pid)


def test_an_exception_that_does_not_pickle_comes_as_what_it_was():
    ahead = ReadAhead(unpicklable_error)
    assert next(ahead) == 1
    with pytest.raises(RuntimeError) as raised:
        next(ahead)
    assert str(raised.value) == "Unpicklable: cannot come back"
    assert_reaped(ahead.pid)


def test_a_child_that_dies_is_an_error_not_an_end():
    ahead = ReadAhead(dying, 2)
    assert [next(ahead), next(ahead)] == [0, 1]
    with pytest.raises(ReadAheadDied, match=r"exit code 3"):
        next(ahead)
    assert_reaped(ahead.pid)


@pytest.mark.parametrize("produce", [endless, slow])
def test_closing_early_stops_the_child_waiting_or_working(produce):
    with ReadAhead(produce) as ahead:
        assert next(ahead) == 0
    assert_reaped(ahead.pid)
    assert list(ahead) == []


def test_a_reader_dropped_unclosed_stops_its_child():
    ahead = ReadAhead(endless)
    assert next(ahead) == 0
    pid = ahead.pid
    del ahead
    assert_reaped(pid)
