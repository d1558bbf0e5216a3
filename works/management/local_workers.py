"""Celery worker processes a command starts for the run it waits on
(``load_openalex_snapshot --workers N``): solo pool, consuming the run's own
queue only, with this process's settings and environment, each writing its
log to a folder of its own; stopped when the command ends."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

# How long a worker may take to finish its task and exit when asked, before
# it is killed (its page rolls back; the part goes on from its checkpoint):
# at the run's end, the after-run step of a run that failed (it runs after
# the run is marked failed); when the command is interrupted, a page.
STOP_SECONDS = 600
INTERRUPT_STOP_SECONDS = 10


class LocalWorkers:
    """``count`` worker processes on ``queue``, named after ``name``."""

    def __init__(self, *, count: int, queue: str, name: str):
        self.queue = queue
        self.name = name
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"bzpeer-{name}-"))
        self.processes: list[subprocess.Popen] = []
        for number in range(1, count + 1):
            self.processes.append(self._start(number))

    def _start(self, number: int) -> subprocess.Popen:
        hostname = f"{self.name}-{number}@{socket.gethostname()}"
        with open(self.log_dir / f"worker-{number}.log", "wb") as log:
            # Our own interpreter and arguments, no shell.
            return subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "bzpeer",
                    "worker",
                    "--pool=solo",
                    f"--queues={self.queue}",
                    f"--hostname={hostname}",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=settings.BASE_DIR,
                env=os.environ.copy(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Out of the terminal's process group: Ctrl-C reaches the
                # command, which stops the workers itself.
                start_new_session=True,
                preexec_fn=_stop_with_parent,
            )

    def alive(self) -> int:
        return sum(process.poll() is None for process in self.processes)

    def stop(self, *, interrupted: bool = False) -> None:
        """Ask every worker to finish its task and exit (SIGTERM, Celery's
        warm shutdown); kill those still running after ``STOP_SECONDS``
        (``INTERRUPT_STOP_SECONDS`` when the command was interrupted)."""
        running = [process for process in self.processes if process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + (
            INTERRUPT_STOP_SECONDS if interrupted else STOP_SECONDS
        )
        for process in running:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def purge(self) -> None:
        """Drop what is left in the queue (the workers are gone): a resumed
        run gets a queue of another name."""
        from bzpeer.celery import app

        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(self.queue)


# prctl(2)'s option: the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """In a worker, before it starts: on Linux, have it stopped (SIGTERM,
    Celery's warm shutdown) when the command dies without stopping it
    (SIGKILL), rather than left consuming the run's queue for ever."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
