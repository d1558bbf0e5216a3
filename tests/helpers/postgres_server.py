"""A PostgreSQL cluster of a test's own (initdb into a temporary folder,
served on a spare port of 127.0.0.1), never the machine's: for tests that
stop or restart the database under a running server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.redis_server import spare_port

# How long pg_ctl may wait for the server to start or stop; a bound, not a
# measure.
WAIT_SECONDS = 30
# The cluster serves this account, with trust authentication.
SUPERUSER = "postgres"


class ClusterCommandFailed(RuntimeError):
    """initdb or pg_ctl failed; the message holds what it said."""


def _binaries() -> Path:
    """The folder of initdb, pg_ctl and the client programs of the same
    version: where the PATH's initdb lives, else where pg_config says
    (Debian keeps them in /usr/lib/postgresql/<version>/bin)."""
    found = shutil.which("initdb")
    if found:
        # A link on the PATH (/usr/local/bin) leads to the rest of them.
        return Path(found).resolve().parent
    if shutil.which("pg_config"):
        folder = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    pytest.fail("initdb is missing: install the PostgreSQL server package")


class PostgresCluster:
    """A cluster in ``folder`` on ``port``: start, stop, restart it, and the
    URL of one of its databases."""

    def __init__(self, folder: Path, port: int):
        self.folder = folder
        self.port = port
        self.binaries = _binaries()
        # initdb refuses to run as root: the server then runs as the
        # account the packages made for it.
        self._as = {"user": "postgres"} if os.geteuid() == 0 else {}

    def url(self, database: str) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *arguments: str) -> None:
        result = subprocess.run(
            [str(self.binaries / program), *arguments],
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS * 2,
            **self._as,
        )
        if result.returncode:
            raise ClusterCommandFailed(
                f"{program} {' '.join(arguments)} exited {result.returncode}:"
                f" {result.stderr or result.stdout}"
            )

    def initdb(self) -> None:
        self.run(
            "initdb",
            f"--pgdata={self.folder / 'data'}",
            f"--username={SUPERUSER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        # Nothing here needs to survive a crash: no fsync.
        options = (
            f"-k {self.folder} -h 127.0.0.1 -p {self.port}"
            " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self.run(
            "pg_ctl",
            "start",
            f"--pgdata={self.folder / 'data'}",
            f"--log={self.folder / 'postgres.log'}",
            "--wait",
            f"--timeout={WAIT_SECONDS}",
            "-o",
            options,
        )

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, as in a restart by an
        operator or a failover."""
        self.run(
            "pg_ctl",
            "stop",
            f"--pgdata={self.folder / 'data'}",
            "--mode=fast",
            "--wait",
            f"--timeout={WAIT_SECONDS}",
        )

    def restart(self) -> None:
        """``pg_ctl restart``: a fast shutdown, then the same server again."""
        self.run(
            "pg_ctl",
            "restart",
            f"--pgdata={self.folder / 'data'}",
            # Its server's output must not go to pg_ctl's (captured) own.
            f"--log={self.folder / 'postgres.log'}",
            "--mode=fast",
            "--wait",
            f"--timeout={WAIT_SECONDS}",
        )

    def log_text(self) -> str:
        path = self.folder / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A new cluster, started; stopped and removed at the end (with an
    immediate shutdown when a fast one fails)."""
    # Not under pytest's tmp_path: its folders are private to the test's
    # account, and the server may run as another.
    folder = Path(tempfile.mkdtemp(prefix="bzpeer-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = PostgresCluster(folder, spare_port())
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        data = folder / "data"
        if (data / "postmaster.pid").exists():
            try:
                cluster.stop()
            except (ClusterCommandFailed, subprocess.SubprocessError):
                cluster.run("pg_ctl", "stop", f"--pgdata={data}", "--mode=immediate")
        shutil.rmtree(folder, ignore_errors=True)
