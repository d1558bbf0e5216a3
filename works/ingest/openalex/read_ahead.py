"""Reading ahead in a child process: the items of a generator function, made
by a process of their own while the caller works on the item before.

The snapshot loader parses and normalizes a part file's next batch there
while it writes the current one to PostgreSQL (``snapshot.read_batches``),
on another core. The child is started with the ``spawn`` method: a fresh
interpreter that imports the generator's module and sets up nothing of
Django's (what it runs are pure functions of a file), shares no connection,
thread or lock with its parent, and opens no socket (``forkserver`` would
talk to its server over one). Items come back pickled through a pipe that
holds at most one: the child makes the next item, then waits in ``send``
until the caller takes it, so one item at most waits ahead of the caller and
memory stays flat whatever the file's size.

As with any ``spawn`` child, the parent's main module is imported again in
the child (as ``__mp_main__``): a script that loads a snapshot keeps its
work under ``if __name__ == "__main__":`` (``manage.py``, ``celery`` and
``pytest`` do).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import signal
import traceback
import weakref
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_ITEM, _END, _RAISED = "item", "end", "raised"
# Seconds a child that sent its last item is given to exit on its own.
_EXIT_SECONDS = 5.0


class ReadAheadDied(Exception):
    """The child ended (killed, out of memory) without its last item or an
    error."""


class ReadAhead(Generic[T]):
    """The items of ``produce(*args)``, made in a child process started at
    once, a step ahead of the caller. ``produce`` and ``args`` must pickle
    (a module-level function). An exception ``produce`` raises is raised
    here, in its place among the items, with the child's traceback as a
    note. ``close`` (or the end of a ``with`` block, or the object's
    collection) before the last item stops the child; either way it is
    reaped."""

    def __init__(self, produce: Callable[..., Iterator[T]], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_produce,
            args=(sender, produce, args),
            name=f"read-ahead {produce.__module__}.{produce.__qualname__}",
            # Stopped with its parent, should the parent exit without
            # closing it.
            daemon=True,
        )
        self._finished = False
        try:
            self._process.start()
        except BaseException:
            self._receiver.close()
            raise
        finally:
            # The child holds its own copy: once it exits, recv ends.
            sender.close()
        self._stop = weakref.finalize(self, _stop, self._process, self._receiver)

    def __iter__(self) -> ReadAhead[T]:
        return self

    def __next__(self) -> T:
        if self._finished or not self._stop.alive:
            raise StopIteration
        try:
            kind, value = self._receiver.recv()
        except EOFError:
            self._process.join()
            self.close()
            raise ReadAheadDied(
                "the process reading ahead ended before its last item "
                f"(exit code {self._process.exitcode})"
            ) from None
        if kind == _ITEM:
            return value
        self._finished = True
        self._process.join(_EXIT_SECONDS)
        self.close()
        if kind == _RAISED:
            raise value
        raise StopIteration

    def close(self) -> None:
        """Stop the child unless it ended, and reap it."""
        self._stop()

    def __enter__(self) -> ReadAhead[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid


def _stop(process: BaseProcess, receiver: Connection) -> None:
    receiver.close()
    if process.is_alive():
        # It only reads: it has nothing of its own to finish.
        process.terminate()
    process.join()


def _produce(
    sender: Connection, produce: Callable[..., Iterator[Any]], args: tuple
) -> None:
    """The child's work: each item sent as it is made, then the end or the
    exception that ended it."""
    # Ctrl-C reaches the whole process group: the parent decides, and stops
    # the child if it must.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for item in produce(*args):
            sender.send((_ITEM, item))
        sender.send((_END, None))
    except BrokenPipeError:
        pass  # the caller closed: it wants no more
    except BaseException as exc:  # handed to the caller, which raises it
        exc.add_note(
            "in the process reading ahead:\n"
            + "".join(traceback.format_exception(exc)).rstrip()
        )
        with contextlib.suppress(BrokenPipeError):
            sender.send((_RAISED, _picklable(exc)))
    finally:
        sender.close()


def _picklable(exc: BaseException) -> BaseException:
    """``exc`` when it survives pickling, else a RuntimeError saying what
    it was."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    except Exception:  # any failure means "not picklable"
        stand_in = RuntimeError(f"{type(exc).__name__}: {exc}")
        for note in getattr(exc, "__notes__", []):
            stand_in.add_note(note)
        return stand_in
    return exc
