"""Who may write: logged-in users by token or by session with its CSRF
token; never anonymous clients, never Basic auth. And the throttles."""

import base64

import pytest
from django.core.management import call_command
from django.utils.crypto import get_random_string
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from profiles.models import Follow
from tests.factories import ResearcherFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_clients_read_but_cannot_write(api):
    researcher = ResearcherFactory(openalex_id="A1")

    assert api.get("/api/researchers/A1/").status_code == 200
    response = api.post("/api/researchers/A1/follow/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not Follow.objects.filter(researcher=researcher).exists()


def test_basic_auth_is_not_accepted(api):
    user = UserFactory()
    ResearcherFactory(openalex_id="A1")
    credentials = base64.b64encode(f"{user.username}:correct horse 9".encode())

    response = api.post(
        "/api/researchers/A1/follow/",
        HTTP_AUTHORIZATION=f"Basic {credentials.decode()}",
    )

    assert response.status_code == 401
    assert not Follow.objects.exists()


def test_a_token_made_by_the_command_authenticates(api, capsys):
    user = UserFactory(email="ada@example.org")
    researcher = ResearcherFactory(openalex_id="A1")

    call_command("api_token_create", "ADA@example.org")
    key = capsys.readouterr().out.strip()

    assert key == Token.objects.get(user=user).key
    response = api.post(
        "/api/researchers/A1/follow/", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 200
    assert response.json() == {
        "researcher": "A1",
        "is_following": True,
        "changed": True,
    }
    assert Follow.objects.filter(user=user, researcher=researcher).exists()
    bad = api.post("/api/researchers/A1/follow/", HTTP_AUTHORIZATION="Token nope")
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "authentication_failed"


def test_a_session_write_needs_its_csrf_token():
    user = UserFactory()
    ResearcherFactory(openalex_id="A1")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    refused = client.post("/api/researchers/A1/follow/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in refused.json()["error"]["message"]
    assert not Follow.objects.exists()

    # The cookie a page of the site sets, and its value sent back.
    token = get_random_string(32)
    client.cookies["csrftoken"] = token
    accepted = client.post("/api/researchers/A1/follow/", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200
    assert Follow.objects.filter(user=user).count() == 1


def test_anonymous_clients_are_throttled_with_the_error_body(api, settings):
    settings.API_THROTTLE_ANON = "2/min"
    ResearcherFactory(openalex_id="A1")

    statuses = [api.get("/api/researchers/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    response = api.get("/api/researchers/A1/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"


def test_logged_in_clients_have_their_own_rate(api, settings):
    settings.API_THROTTLE_ANON = "1/min"
    settings.API_THROTTLE_USER = "3/min"
    api.force_authenticate(UserFactory())

    statuses = [api.get("/api/topics/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
