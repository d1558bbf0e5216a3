"""PostgreSQL stopped or restarted under a running site (a real gunicorn,
DEBUG off): requests meanwhile get the 503 page with ``Retry-After``, logged,
never a 500, whoever asks (a visitor, a logged-in user whose session lives in
the database, the API); once PostgreSQL is back the same gunicorn worker
answers 200 again, with no restart of its own (bzpeer.middleware,
CONN_HEALTH_CHECKS). The PostgreSQL stopped is a cluster of the module's own
(initdb, a spare port), never the machine's."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.backends.postgresql.base import DatabaseWrapper

from bzpeer.middleware import database_is_unreachable
from tests.helpers.celery_worker import worker_database_url
from tests.helpers.paths import ARTIFACTS, ROOT
from tests.helpers.postgres_server import PostgresCluster, postgres_cluster
from tests.helpers.redis_server import redis_server, spare_port

# The module's cluster copies the test database's schema: have it made.
pytestmark = pytest.mark.django_db

WAIT_SECONDS = 30
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
DATABASE = "bzpeer"

# Run by ``manage.py shell`` against the module's cluster: a researcher with
# a work, and a logged-in session (as Django's test client's force_login
# makes one) of a verified user.
SITE_DATA = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from tests.factories import ResearcherFactory, verified_user, work_with_team

researcher = ResearcherFactory(display_name="Ada Restart")
work_with_team(researchers=[researcher, ResearcherFactory()])
user = verified_user(username="ada", email="ada@example.org")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps([researcher.openalex_id, session.session_key]))
"""


@dataclass
class Site:
    """The module's cluster holding the schema and ``SITE_DATA``."""

    cluster: PostgresCluster
    researcher: str
    session: str


@pytest.fixture(scope="module")
def site(django_db_setup) -> Iterator[Site]:
    """A PostgreSQL cluster of the module's own with the test database's
    schema (copied with pg_dump: faster than migrating) and ``SITE_DATA``."""
    with postgres_cluster() as cluster:
        binaries = cluster.binaries
        subprocess.run(
            [binaries / "createdb", "--host=127.0.0.1", f"--port={cluster.port}"]
            + ["--username=postgres", DATABASE],
            check=True,
        )
        dump = subprocess.Popen(
            [binaries / "pg_dump", "--no-owner", "--no-privileges"]
            + [f"--dbname={worker_database_url()}"],
            stdout=subprocess.PIPE,
        )
        subprocess.run(
            [binaries / "psql", "--quiet", "--set=ON_ERROR_STOP=1"]
            + [f"--dbname={cluster.url(DATABASE)}"],
            stdin=dump.stdout,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        assert dump.wait() == 0
        made = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SITE_DATA],
            cwd=ROOT,
            env=_site_environment(cluster),
            capture_output=True,
            text=True,
            check=True,
        )
        researcher, session = json.loads(made.stdout.strip().splitlines()[-1])
        yield Site(cluster, researcher, session)


def _site_environment(cluster: PostgresCluster, **extra: str) -> dict[str, str]:
    inherited = {
        k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings.test",
        "DATABASE_URL": cluster.url(DATABASE),
        **extra,
    }


@dataclass
class Served:
    base: str
    process: subprocess.Popen
    log: os.PathLike

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of its master)."""
        pid = self.process.pid
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]

    def log_text(self, since: int = 0) -> str:
        """What gunicorn logged, from character ``since`` on."""
        with open(self.log, errors="replace") as log:
            return log.read()[since:]


@pytest.fixture(scope="module")
def served(site, tmp_path_factory) -> Iterator[Served]:
    """gunicorn (one worker, the test settings: DEBUG off) on a spare port,
    on the module's cluster and a Redis of the module's own for its cache;
    its persistent database connection (CONN_MAX_AGE) outlives each
    request."""
    with redis_server(tmp_path_factory.mktemp("redis")) as (_, cache_url):
        yield from _gunicorn(site, cache_url)


def _gunicorn(site: Site, cache_url: str) -> Iterator[Served]:
    port = spare_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "gunicorn-database-restart.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [GUNICORN, "bzpeer.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "1"],
            cwd=ROOT,
            env=_site_environment(site.cluster, TEST_CACHE_URL=cache_url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"gunicorn did not answer; see {log}")
                time.sleep(0.1)
        yield Served(base, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def database_back(site):
    """Starts the cluster again after a test that failed while it was
    stopped."""
    yield
    if not (site.cluster.folder / "data" / "postmaster.pid").exists():
        site.cluster.start()


def _get(url: str, session: str = "") -> requests.Response:
    cookies = {"sessionid": session} if session else None
    return requests.get(url, cookies=cookies, timeout=10, allow_redirects=False)


def _assert_the_503_page(response: requests.Response) -> None:
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Retry-After"] == "30"
    assert "<title>Briefly unavailable – BZPEER</title>" in response.text
    assert "Part of the service could not be reached just now." in response.text
    # The site's base, its header links resolved, with no user looked up.
    assert 'href="/accounts/login/?next=' in response.text
    assert "Traceback" not in response.text


def test_requests_during_an_outage_get_the_503_page_then_the_site_recovers(
    site, served, database_back
):
    profile = f"{served.base}/researchers/{site.researcher}/"
    api = f"{served.base}/api/researchers/{site.researcher}/"
    search = f"{served.base}/search?q=Restart"
    assert "Ada Restart" in _get(profile).text
    mine = _get(profile, site.session)
    assert mine.status_code == 200
    assert "ada@example.org" in mine.text  # logged in: the account menu
    assert _get(api).json()["display_name"] == "Ada Restart"
    workers = served.worker_pids()

    site.cluster.stop()

    # An address no visitor asked for yet (bzpeer.page_cache may answer one
    # it stored from Redis).
    _assert_the_503_page(_get(profile + "?during=outage"))
    _assert_the_503_page(_get(profile, site.session))
    # Search runs in the statement timeout's transaction (process_view).
    _assert_the_503_page(_get(search, site.session))
    # A page missing anyway: the 404 page asks the database for the
    # logged-in user, and that failure outside any view answers the 503 too
    # (handler500), not a 500.
    _assert_the_503_page(_get(f"{served.base}/no-such-page/", site.session))
    unavailable = _get(api)
    assert unavailable.status_code == 503
    assert unavailable.headers["Retry-After"] == "30"
    assert unavailable.json() == {
        "error": {
            "code": "service_unavailable",
            "message": "BZPEER is briefly unavailable: please try again in a minute.",
        }
    }

    site.cluster.start()

    assert "Ada Restart" in _get(profile).text
    back = _get(profile, site.session)
    assert back.status_code == 200
    assert "ada@example.org" in back.text  # the session survived
    assert _get(search, site.session).status_code == 200
    assert _get(api).json()["display_name"] == "Ada Restart"
    assert served.worker_pids() == workers  # no worker was restarted
    log = served.log_text()
    assert f"503 for GET /researchers/{site.researcher}/: the database unavailable" in (
        log
    )
    assert "Internal Server Error" not in log


def test_a_restart_between_requests_costs_no_request(site, served, database_back):
    """The worker's persistent connection died with the restart; Django
    tests it before the next request uses it (CONN_HEALTH_CHECKS) and
    connects again, so not even the first request after the restart
    fails."""
    profile = f"{served.base}/researchers/{site.researcher}/"
    assert _get(profile, site.session).status_code == 200
    workers = served.worker_pids()
    logged = len(served.log_text())

    site.cluster.restart()

    for _ in range(3):
        response = _get(profile, site.session)
        assert response.status_code == 200
        assert "Ada Restart" in response.text
    assert served.worker_pids() == workers
    assert "503 for" not in served.log_text(since=logged)


def test_a_cancelled_statement_is_not_an_outage():
    """Search's statement timeout stays the business of its own 503 page."""
    with (
        pytest.raises(OperationalError) as cancelled,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL statement_timeout = '10ms'")
        cursor.execute("SELECT pg_sleep(5)")

    assert not database_is_unreachable(cancelled.value)


def test_refused_and_terminated_connections_are_an_outage(other_session):
    refused = DatabaseWrapper({**connection.settings_dict, "PORT": spare_port()})
    with pytest.raises(OperationalError) as refusal:
        refused.ensure_connection()
    assert database_is_unreachable(refusal.value)

    terminated = DatabaseWrapper(dict(connection.settings_dict))
    terminated.ensure_connection()
    try:
        other_session.execute(
            "SELECT pg_terminate_backend(%s)", [terminated.connection.info.backend_pid]
        )
        with (
            pytest.raises((OperationalError, InterfaceError)) as loss,
            terminated.cursor() as cursor,
        ):
            cursor.execute("SELECT 1")
        assert database_is_unreachable(loss.value)
    finally:
        terminated.close()
