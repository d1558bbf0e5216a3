"""/healthz answers whether the database and Redis respond."""

import pytest
from django.db import OperationalError

from profiles import health

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_and_redis_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_degraded_when_redis_does_not_answer(client, settings):
    # A real refusal: nothing listens on port 1.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "error: ConnectionError",
    }


def test_healthz_is_degraded_when_the_database_does_not_answer(client, monkeypatch):
    # The test database cannot be stopped under a running test, so the
    # connection object the probe uses is replaced by one that fails.
    class BrokenConnection:
        def cursor(self):
            raise OperationalError("server closed the connection")

    with monkeypatch.context() as patch:
        patch.setattr(health, "connection", BrokenConnection())
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "database": "error: OperationalError",
        "redis": "ok",
    }


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405
