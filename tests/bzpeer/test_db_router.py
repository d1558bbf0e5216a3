"""Anonymous reads of the pages listed for it go to the read replica,
everything else to the primary (bzpeer.db_router). The machine's PostgreSQL
plays both: the test database under a second alias, "replica", over a
connection of its own (a mirror, as DATABASE_REPLICA_URL configures one), so
each query is seen on the alias it went to. Transactional tests: the
replica's connection sees only what the primary committed, as a real replica
would."""

import copy
import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from bzpeer.db_router import REPLICA, REPLICA_VIEWS, read_connection, replica_reads
from bzpeer.page_cache import anonymous_page_cache
from profiles.models import Researcher
from tests.factories import ResearcherFactory, UserFactory, researcher_with_works
from tests.helpers.paths import ROOT

pytestmark = pytest.mark.django_db(
    transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA]
)

MIDDLEWARE = "bzpeer.db_router.ReplicaReadsMiddleware"


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """The test database under the alias "replica" for this module. Module
    scope: the alias must exist before pytest-django checks the databases a
    test asks for."""
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    connections.settings[REPLICA] = {
        **copy.deepcopy(primary),
        "TEST": {**primary["TEST"], "MIRROR": DEFAULT_DB_ALIAS},
    }
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica_middleware(settings):
    """The settings' ReplicaReadsMiddleware, where it belongs: after
    authentication (it asks whether the visitor is logged in), before the
    statement timeout's middleware (which calls its views itself)."""
    middleware = list(settings.MIDDLEWARE)
    place = middleware.index(MIDDLEWARE)
    assert (
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
        < place
    )
    assert place < middleware.index("bzpeer.middleware.StatementTimeoutMiddleware")


class QueriesByAlias:
    def __init__(self):
        self.primary = CaptureQueriesContext(connections[DEFAULT_DB_ALIAS])
        self.replica = CaptureQueriesContext(connections[REPLICA])

    def __enter__(self):
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)


def _sql(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


def test_an_anonymous_visitor_reads_a_listed_page_from_the_replica(
    client, replica_middleware
):
    researcher = researcher_with_works(2, display_name="Replica Reader")

    with QueriesByAlias() as queries:
        response = client.get(f"/researchers/{researcher.openalex_id}/topics/")

    assert response.status_code == 200
    assert "Replica Reader" in response.content.decode()
    assert _sql(queries.primary) == []
    assert any('"profiles_researcher"' in sql for sql in _sql(queries.replica))


def test_an_anonymous_api_read_goes_to_the_replica(client, replica_middleware):
    researcher = ResearcherFactory(display_name="Replica Reader")

    with QueriesByAlias() as queries:
        response = client.get(f"/api/researchers/{researcher.openalex_id}/")

    assert response.status_code == 200
    assert response.json()["display_name"] == "Replica Reader"
    assert _sql(queries.primary) == []
    assert any('"profiles_researcher"' in sql for sql in _sql(queries.replica))


def test_a_logged_in_visitor_reads_from_the_primary(client, replica_middleware):
    researcher = researcher_with_works(2, display_name="Replica Reader")
    client.force_login(UserFactory())

    with QueriesByAlias() as queries:
        response = client.get(f"/researchers/{researcher.openalex_id}/topics/")

    assert response.status_code == 200
    assert "Replica Reader" in response.content.decode()
    assert _sql(queries.replica) == []
    assert any('"profiles_researcher"' in sql for sql in _sql(queries.primary))


def test_an_api_client_with_a_token_reads_from_the_primary(
    client, replica_middleware, capsys
):
    # A client that just followed someone through the API reads that back.
    researcher = ResearcherFactory(display_name="Replica Reader")
    UserFactory(email="ada@example.org")
    call_command("api_token_create", "ada@example.org")
    key = capsys.readouterr().out.strip()

    with QueriesByAlias() as queries:
        response = client.get(
            f"/api/researchers/{researcher.openalex_id}/",
            HTTP_AUTHORIZATION=f"Token {key}",
        )

    assert response.status_code == 200
    assert response.json()["display_name"] == "Replica Reader"
    assert _sql(queries.replica) == []
    assert any('"profiles_researcher"' in sql for sql in _sql(queries.primary))


def test_a_page_in_the_page_cache_reads_the_primary(client, replica_middleware):
    # What the page cache stores under the data version must never come from
    # a replica still behind that version.
    researcher = ResearcherFactory(display_name="Replica Reader")

    with QueriesByAlias() as queries:
        response = client.get(f"/researchers/{researcher.openalex_id}/")

    assert response.status_code == 200
    assert "Replica Reader" in response.content.decode()
    assert _sql(queries.replica) == []
    assert any('"profiles_researcher"' in sql for sql in _sql(queries.primary))


def test_a_write_request_reads_from_the_primary(client, replica_middleware):
    researcher = ResearcherFactory()

    with QueriesByAlias() as queries:
        response = client.post(f"/researchers/{researcher.openalex_id}/topics/")

    assert response.status_code == 405
    assert _sql(queries.replica) == []


def test_without_the_middleware_every_read_goes_to_the_primary(client, settings):
    settings.MIDDLEWARE = [
        name
        for name in settings.MIDDLEWARE
        if name != "bzpeer.db_router.ReplicaReadsMiddleware"
    ]
    researcher = researcher_with_works(2)

    with QueriesByAlias() as queries:
        response = client.get(f"/researchers/{researcher.openalex_id}/topics/")

    assert response.status_code == 200
    assert _sql(queries.replica) == []
    assert _sql(queries.primary) != []


def test_a_write_pins_the_rest_of_the_request_to_the_primary():
    researcher = ResearcherFactory()

    with replica_reads(), QueriesByAlias() as queries:
        assert Researcher.objects.get(pk=researcher.pk) == researcher
        assert len(queries.replica) == 1 and len(queries.primary) == 0
        Researcher.objects.filter(pk=researcher.pk).update(view_count=7)
        assert Researcher.objects.get(pk=researcher.pk).view_count == 7

    assert len(queries.replica) == 1
    assert len(queries.primary) == 2


def test_a_write_on_a_row_read_from_the_replica_goes_to_the_primary():
    researcher = ResearcherFactory(view_count=0)

    with replica_reads():
        read = Researcher.objects.get(pk=researcher.pk)
        assert read._state.db == REPLICA
        read.view_count = 3
        read.save(update_fields=["view_count"])

    assert Researcher.objects.using(DEFAULT_DB_ALIAS).get(pk=read.pk).view_count == 3


def test_reads_inside_a_transaction_stay_on_the_primary():
    with replica_reads():
        assert Researcher.objects.all().db == REPLICA
        with transaction.atomic():
            assert Researcher.objects.all().db == DEFAULT_DB_ALIAS
        assert Researcher.objects.all().db == REPLICA


def test_accounts_and_sessions_stay_on_the_primary():
    with replica_reads():
        assert get_user_model().objects.all().db == DEFAULT_DB_ALIAS
        assert Session.objects.all().db == DEFAULT_DB_ALIAS
        assert Researcher.objects.all().db == REPLICA


def test_raw_sql_reads_can_follow_the_router():
    with replica_reads():
        assert read_connection(Researcher) is connections[REPLICA]
        with transaction.atomic():
            assert read_connection(Researcher) is connections[DEFAULT_DB_ALIAS]
    assert read_connection(Researcher) is connections[DEFAULT_DB_ALIAS]


def test_outside_a_request_reads_go_to_the_primary():
    # Workers, commands, the shell: nothing allows the replica.
    assert Researcher.objects.all().db == DEFAULT_DB_ALIAS


def _views(resolver: URLResolver, namespace: str = "") -> dict:
    """Every named page of ``resolver``: its name with namespace -> view."""
    views = {}
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            views |= _views(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            views[f"{namespace}{pattern.name}"] = pattern.callback
    return views


def _is_page_cached(view) -> bool:
    """True when ``anonymous_page_cache`` wraps ``view`` (under any other
    decorator made with functools.wraps)."""
    page_cache_wrapper = anonymous_page_cache(lambda request: None).__code__
    while view is not None:
        if getattr(view, "__code__", None) is page_cache_wrapper:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def test_every_page_listed_for_the_replica_exists_and_is_not_page_cached():
    views = _views(get_resolver())
    # A renamed page would silently stop reading from the replica.
    assert REPLICA_VIEWS - set(views) == set()
    assert sorted(name for name in REPLICA_VIEWS if _is_page_cached(views[name])) == []
    # The check sees the page cache where it is.
    assert _is_page_cached(views["profiles:detail"])


_SETTINGS_SCRIPT = """
import json
import django
django.setup()
from django.conf import settings
from django.db import router
from bzpeer.page_cache import anonymous_page_cache
from bzpeer.db_router import replica_reads
from profiles.models import Researcher
with replica_reads():
    read = router.db_for_read(Researcher)
print(json.dumps({
    "aliases": sorted(settings.DATABASES),
    "replica": settings.DATABASES.get("replica", {}).get("NAME"),
    "mirror": settings.DATABASES.get("replica", {}).get("TEST", {}).get("MIRROR"),
    "routers": settings.DATABASE_ROUTERS,
    "read": read,
}))
"""


def _settings_seen(**environment) -> dict:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_REPLICA_URL", "DJANGO_SETTINGS_MODULE")
    }
    result = subprocess.run(
        [sys.executable, "-c", _SETTINGS_SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **inherited,
            "DJANGO_SETTINGS_MODULE": "bzpeer.settings.test",
            **environment,
        },
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_database_replica_url_adds_the_replica():
    seen = _settings_seen(
        DATABASE_REPLICA_URL="postgres://bzpeer@replica.internal:5432/bzpeer"
    )
    assert seen == {
        "aliases": ["default", "replica"],
        "replica": "bzpeer",
        "mirror": "default",
        "routers": ["bzpeer.db_router.ReplicaRouter"],
        "read": "replica",
    }


def test_without_database_replica_url_there_is_no_replica():
    seen = _settings_seen()
    assert seen == {
        "aliases": ["default"],
        "replica": None,
        "mirror": None,
        "routers": ["bzpeer.db_router.ReplicaRouter"],
        "read": "default",
    }
