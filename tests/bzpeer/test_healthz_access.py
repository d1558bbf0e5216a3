"""/healthz: the status is public, the details (which check failed, the
exception class) only for staff and local requests; the Redis check reuses
one pooled connection instead of opening one per hit."""

from __future__ import annotations

import pytest
import redis

from bzpeer import health
from tests.factories import UserFactory, staff_user

pytestmark = pytest.mark.django_db

REMOTE = "203.0.113.7"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_a_remote_stranger_sees_only_the_status(client):
    response = client.get("/healthz", REMOTE_ADDR=REMOTE)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_remote_stranger_learns_nothing_of_a_failure(client, settings):
    settings.REDIS_URL = DEAD_REDIS

    response = client.get("/healthz", REMOTE_ADDR=REMOTE)

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert b"ConnectionError" not in response.content


def test_a_forwarded_header_does_not_make_a_request_local(client, settings):
    settings.REDIS_URL = DEAD_REDIS

    response = client.get(
        "/healthz", REMOTE_ADDR=REMOTE, HTTP_X_FORWARDED_FOR="127.0.0.1"
    )

    assert response.json() == {"status": "unavailable"}


def test_a_logged_in_user_who_is_not_staff_sees_only_the_status(client, settings):
    settings.REDIS_URL = DEAD_REDIS
    client.force_login(UserFactory())

    response = client.get("/healthz", REMOTE_ADDR=REMOTE)

    assert response.json() == {"status": "unavailable"}


def test_staff_see_the_details_from_anywhere(client, settings):
    settings.REDIS_URL = DEAD_REDIS
    client.force_login(staff_user())

    response = client.get("/healthz", REMOTE_ADDR=REMOTE)

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "redis": "error: ConnectionError",
    }


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_local_requests_see_the_details(client, settings, address):
    settings.REDIS_URL = DEAD_REDIS

    response = client.get("/healthz", REMOTE_ADDR=address)

    assert response.json()["redis"] == "error: ConnectionError"


@pytest.fixture
def own_redis_url(own_redis):
    """The URL of a Redis of the test's own (connection counts of the shared
    one would include every other client)."""
    return own_redis[1]


def connections_received(url: str) -> int:
    """Connections the server accepted so far, this inspection's excluded."""
    inspector = redis.Redis.from_url(url)
    try:
        return int(inspector.info("stats")["total_connections_received"]) - 1
    finally:
        inspector.close()


def test_hits_reuse_one_redis_connection(client, settings, own_redis_url):
    settings.REDIS_URL = own_redis_url
    before = connections_received(own_redis_url)

    for _ in range(3):
        assert client.get("/healthz", REMOTE_ADDR=REMOTE).status_code == 200

    # One new connection for three hits (each inspection opens its own).
    assert connections_received(own_redis_url) - before - 1 == 1
    inspector = redis.Redis.from_url(own_redis_url)
    pings = [c for c in inspector.client_list() if c["cmd"] == "ping"]
    inspector.close()
    assert len(pings) == 1
    assert health.redis_pool(own_redis_url) is health.redis_pool(own_redis_url)
