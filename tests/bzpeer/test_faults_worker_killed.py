"""A Celery worker killed (SIGKILL) in the middle of a trust recomputation:
the task runs again and stores the same trust figures as a clean run, and
the killed attempt stores nothing.

The task is held mid-way, computed and writing, by a row lock the test
takes in another database session; the worker is killed while its UPDATE
waits on it. Two ways to lose it, as in production (acks_late,
REJECT_ON_WORKER_LOST; bzpeer/settings/base.py):

- a prefork pool child killed (the OOM killer): its parent requeues the
  task at once and a new child runs it;
- the whole worker killed (its host lost): the task stays unacknowledged
  in Redis until the visibility timeout (two hours in production, two
  seconds here: CELERY_VISIBILITY_TIMEOUT), then a worker started again
  delivers it.

Worker and broker are the test's own (a redis-server on a spare port), so
a short visibility timeout touches no other queue of the machine."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field

import pytest
import redis
from celery import Celery
from django.db import transaction

from profiles.models import Researcher
from profiles.services import researcher_trust_update
from profiles.tasks import researcher_trust_recompute
from tests.factories import FollowFactory, ResearcherFactory, work_with_team
from tests.helpers.celery_worker import (
    start_celery_worker,
    stop_celery_worker,
    worker_database_url,
)
from tests.helpers.paths import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

# How long a test waits for a worker or a database session; a bound on
# polling, not a measure.
WAIT_SECONDS = 60
# The visibility timeout of the whole-worker case: short, so the test does
# not wait hours, and longer than the time between the task's delivery and
# the kill, so the first worker does not hand it out again while it runs.
VISIBILITY_TIMEOUT_SECONDS = 2
QUEUE = "bzpeer-faults-trust"
# Worker numbers, one log each, across the module's tests.
_WORKER_NUMBERS = itertools.count(1)
FIGURES = (
    "trust_score",
    "trust_label",
    "trust_breakdown",
    "close_collaborators_count",
    "listed_works_count",
)


def wait_for(condition: Callable[[], object], *, what: str, log=None):
    """Poll ``condition`` until it returns something true, and return it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (found := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}; see {log or 'test-artifacts/'}")
        time.sleep(0.05)
    return found


def trust_figures(ids: list[int]) -> dict[int, tuple]:
    """The stored trust of ``ids`` (all but ``trust_computed_at``)."""
    return {
        row["id"]: tuple(row[name] for name in FIGURES)
        for row in Researcher.objects.filter(pk__in=ids).values("id", *FIGURES)
    }


def computed(ids: list[int]) -> int:
    return Researcher.objects.filter(
        pk__in=ids, trust_computed_at__isnull=False
    ).count()


@pytest.fixture
def researchers() -> list[int]:
    """Researchers whose trust differs: coauthors of several works, one
    with followers, one alone; none computed yet."""
    team = [ResearcherFactory(display_name=f"Kill Test {n}") for n in range(4)]
    for _ in range(3):
        work_with_team(researchers=team[:3])
    work_with_team(researchers=[team[0], team[3], *ResearcherFactory.create_batch(8)])
    FollowFactory.create_batch(2, researcher=team[0])
    alone = ResearcherFactory(display_name="Kill Test alone")
    return [researcher.pk for researcher in (*team, alone)]


def clean_run_figures(ids: list[int]) -> dict[int, tuple]:
    """What the service computes in this process on the same data, rolled
    back: the figures a worker must store."""
    with transaction.atomic():
        assert researcher_trust_update(researcher_ids=ids) == len(ids)
        figures = trust_figures(ids)
        transaction.set_rollback(True)
    assert computed(ids) == 0
    # Figures that tell the researchers apart, not the defaults.
    assert len({scores[0] for scores in figures.values()}) > 1
    return figures


def task_log(task_id: str, event: str) -> str:
    """The worker's log line of the task's ``event`` (received,
    succeeded)."""
    return f"Task {researcher_trust_recompute.name}[{task_id}] {event}"


class RowLock:
    """A researcher's row locked FOR UPDATE in ``other_session``, as a
    long transaction of another process holds it."""

    def __init__(self, session, researcher_id: int):
        self.session = session
        self.session.execute("BEGIN")
        self.session.execute(
            "SELECT 1 FROM profiles_researcher WHERE id = %s FOR UPDATE",
            [researcher_id],
        )

    def release(self) -> None:
        self.session.execute("ROLLBACK")


@dataclass
class TrustWorkers:
    """Celery workers of one test on the test's own broker, each with the
    application name its database sessions carry."""

    broker_url: str
    started: list[subprocess.Popen] = field(default_factory=list)
    logs: list[os.PathLike] = field(default_factory=list)

    def start(self, *, pool: str, env: dict[str, str] | None = None):
        """A worker with ``pool`` and ``env``, and its application name."""
        number = next(_WORKER_NUMBERS)
        application = f"bzpeer-faults-{os.getpid()}-{number}"
        log = ARTIFACTS / f"celery-worker-faults-{number}.log"
        process = start_celery_worker(
            queue=QUEUE,
            hostname=f"{application}@{socket.gethostname()}",
            log=log,
            pool=pool,
            broker_url=self.broker_url,
            env={
                "DATABASE_URL": f"{worker_database_url()}"
                f"?application_name={application}",
                **(env or {}),
            },
        )
        self.started.append(process)
        self.logs.append(log)
        return process, application

    def log_text(self) -> str:
        return "".join(open(log, errors="replace").read() for log in self.logs)

    def enqueue(self, ids: list[int]) -> str:
        """``researcher_trust_recompute(ids)`` on the test's broker (sent
        by an app of its own: the project's sends on the test broker); its
        task id."""
        with closing(
            Celery("faults", broker=self.broker_url, set_as_current=False)
        ) as sender:
            return sender.send_task(
                researcher_trust_recompute.name, args=[ids], queue=QUEUE
            ).id

    def stop_all(self) -> None:
        """Stop every worker (killed if it hangs) and any pool child it
        leaves behind."""
        for process in self.started:
            children = _children(process.pid)
            stop_celery_worker(process)
            for child in children:
                _kill(child)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except FileNotFoundError:
        return []


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def trust_workers(own_redis) -> Iterator[TrustWorkers]:
    _, broker_url = own_redis
    workers = TrustWorkers(broker_url)
    try:
        yield workers
    finally:
        workers.stop_all()


def lock_waiters(application: str) -> list[int]:
    """The backends of ``application`` waiting on a lock (its UPDATE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE application_name = %s AND wait_event_type = 'Lock'"
            " ORDER BY pid",
            [application],
        )
        return [row[0] for row in cursor.fetchall()]


def sessions_of(application: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            [application],
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_killed_pool_child_runs_again_at_once_with_the_same_result(
    researchers, trust_workers, other_session
):
    ids = researchers
    expected = clean_run_figures(ids)
    lock = RowLock(other_session, ids[-1])
    worker, application = trust_workers.start(pool="prefork")
    task_id = trust_workers.enqueue(ids)
    first = wait_for(lambda: lock_waiters(application), what="the task's UPDATE")
    (child,) = _children(worker.pid)

    os.kill(child, signal.SIGKILL)

    # Its parent requeued the task and a new child runs it: a second UPDATE
    # waits, behind the dead child's, which never commits.
    wait_for(
        lambda: set(lock_waiters(application)) - set(first),
        what="the task to run again",
        log=trust_workers.logs[0],
    )
    assert worker.poll() is None
    assert computed(ids) == 0
    lock.release()
    wait_for(lambda: computed(ids) == len(ids), what="the trust to be stored")
    wait_for(
        lambda: task_log(task_id, "succeeded") in trust_workers.log_text(),
        what="the task to succeed",
    )

    assert trust_figures(ids) == expected
    log = trust_workers.log_text()
    assert "signal 9 (SIGKILL)" in log
    assert log.count(task_log(task_id, "received")) == 2
    wait_for(
        lambda: not set(sessions_of(application)) & set(first),
        what="the killed child's session to end",
    )


def test_a_killed_worker_is_redelivered_after_the_visibility_timeout(
    researchers, trust_workers, other_session
):
    ids = researchers
    expected = clean_run_figures(ids)
    short = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_SECONDS)}
    lock = RowLock(other_session, ids[-1])
    worker, application = trust_workers.start(pool="solo", env=short)
    task_id = trust_workers.enqueue(ids)
    wait_for(lambda: lock_waiters(application), what="the task's UPDATE")

    worker.send_signal(signal.SIGKILL)
    worker.wait()
    lock.release()

    # The dead worker's session ends without committing (its client is
    # gone), and nothing else runs the task meanwhile.
    wait_for(lambda: not sessions_of(application), what="the dead worker's session")
    assert computed(ids) == 0
    # The message is still taken, unacknowledged, by the dead worker.
    broker = redis.Redis.from_url(trust_workers.broker_url)
    assert broker.llen(QUEUE) == 0
    ((_, delivered_at),) = broker.zrange("unacked_index", 0, -1, withscores=True)
    # Started once the visibility timeout has passed since that delivery, a
    # worker hands the task out again as it starts.
    wait_for(
        lambda: time.time() > delivered_at + VISIBILITY_TIMEOUT_SECONDS,
        what="the visibility timeout",
    )
    trust_workers.start(pool="solo", env=short)
    wait_for(lambda: computed(ids) == len(ids), what="the trust to be stored")
    wait_for(
        lambda: task_log(task_id, "succeeded") in trust_workers.log_text(),
        what="the task to succeed",
    )

    assert trust_figures(ids) == expected
    log = trust_workers.log_text()
    assert log.count(task_log(task_id, "received")) == 2
