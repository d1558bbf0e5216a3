"""/healthz answers whether the database and Redis respond: the status to
anyone, which check failed only to staff and to the machine itself."""

import pytest
from django.db import connection

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
        "status": "unavailable",
        "database": "ok",
        "redis": "error: ConnectionError",
    }


@pytest.mark.django_db(transaction=True)
def test_healthz_is_degraded_when_the_database_does_not_answer(client, other_session):
    # A real loss: another session ends this one's database backend, as a
    # restarting or failed-over server would.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other_session.execute("SELECT pg_terminate_backend(%s)", [pid])

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "error: OperationalError",
        "redis": "ok",
    }
    # In production close_old_connections drops the broken connection at the
    # end of the request (the test client switches that off): then the next
    # request reconnects.
    connection.close_if_unusable_or_obsolete()
    assert client.get("/healthz").status_code == 200


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405
