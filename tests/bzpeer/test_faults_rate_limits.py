"""With the cache's Redis stopped, the rate limits fail closed for writes and
open for reads (bzpeer.ratelimits): a claim, a dispute, an invitation, a
message or an API write is refused with its reason and stores nothing, while
pages and API GETs answer 200; a login, whose limits allauth counts in the
same cache, gets the 503 page. The Redis stopped is one of the test's own,
on a spare port, never the machine's."""

import logging

import pytest

from bzpeer.ratelimits import COUNTER_DOWN_MESSAGE
from claims.models import Claim, ClaimEvent
from collaboration.models import Conversation, Message
from collaboration.services import conversation_accept, invitation_send
from profiles.models import Follow
from tests.factories import (
    ResearcherFactory,
    UserFactory,
    approved_claim,
    verified_user,
)
from tests.helpers.pages import page_text, profile_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def stop_cache_redis(own_redis, settings, caplog):
    """Points the Django cache at a Redis of the test's own; calling the
    result stops that Redis (and starts capturing warnings)."""
    process, url = own_redis
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "bzpeer-down",
        }
    }

    def stop() -> None:
        process.terminate()
        process.wait()
        caplog.set_level(logging.WARNING)

    return stop


@pytest.fixture
def owned_researcher(moderator):
    """A claimed profile, open to collaborate, and its owner."""
    owner = UserFactory(username="bea", email="bea@example.org")
    researcher = ResearcherFactory(display_name="Bea Owner")
    approved_claim(user=owner, researcher=researcher, moderator=moderator)
    researcher.refresh_from_db()
    return researcher, owner


def test_a_claim_is_refused_with_its_reason_and_nothing_stored(
    client, stop_cache_redis, caplog
):
    researcher = ResearcherFactory(display_name="Ada Unclaimed")
    client.force_login(verified_user())
    stop_cache_redis()

    response = client.post(
        f"/researchers/{researcher.openalex_id}/claim/",
        {"note": "Mine.", "homepage_url": "https://example.org/ada"},
        follow=True,
    )

    assert response.status_code == 200
    assert response.redirect_chain == [(profile_url(researcher) + "#identity", 302)]
    assert COUNTER_DOWN_MESSAGE in page_text(response)
    assert "Your claim is under review" not in page_text(response)
    assert not Claim.objects.exists()
    assert not ClaimEvent.objects.exists()
    assert (
        "rate limit claims.submit could not be counted (ConnectionError" in caplog.text
    )


def test_a_dispute_is_refused_and_the_claim_stays_approved(
    client, owned_researcher, stop_cache_redis
):
    researcher, _ = owned_researcher
    events = list(ClaimEvent.objects.values_list("pk", "kind"))
    client.force_login(verified_user())
    stop_cache_redis()

    response = client.post(
        f"/researchers/{researcher.openalex_id}/dispute/",
        {"reason": "That is me.", "evidence_url": "https://example.org/me"},
        follow=True,
    )

    assert COUNTER_DOWN_MESSAGE in page_text(response)
    assert list(Claim.objects.values_list("state", flat=True)) == ["approved"]
    assert list(ClaimEvent.objects.values_list("pk", "kind")) == events


def test_an_invitation_is_refused_and_no_conversation_opens(
    client, owned_researcher, stop_cache_redis, caplog
):
    researcher, _ = owned_researcher
    client.force_login(UserFactory(username="ada", email="ada@example.org"))
    stop_cache_redis()

    response = client.post(
        f"/researchers/{researcher.openalex_id}/invite/",
        {"subject": "Hello", "body": "Let us work."},
        follow=True,
    )

    assert response.status_code == 200
    assert COUNTER_DOWN_MESSAGE in page_text(response)
    assert "Your invitation is sent." not in page_text(response)
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()
    assert "rate limit collaboration.invitation could not be counted" in caplog.text


def test_a_message_is_refused_and_the_thread_is_unchanged(
    client, owned_researcher, stop_cache_redis
):
    researcher, owner = owned_researcher
    visitor = UserFactory(username="ada", email="ada@example.org")
    conversation = invitation_send(
        sender=visitor, researcher=researcher, subject="Hi", body="Shall we?"
    )
    conversation_accept(conversation=conversation, user=owner)
    client.force_login(visitor)
    stop_cache_redis()

    response = client.post(
        f"/inbox/{conversation.pk}/reply/", {"body": "One more thing"}, follow=True
    )

    assert response.status_code == 200
    assert COUNTER_DOWN_MESSAGE in page_text(response)
    assert list(Message.objects.values_list("body", flat=True)) == ["Shall we?"]


def test_api_writes_are_refused_with_503_and_retry_after(
    owned_researcher, stop_cache_redis, caplog
):
    from rest_framework.test import APIClient

    researcher, _ = owned_researcher
    unclaimed = ResearcherFactory(openalex_id="A77")
    api = APIClient()
    api.force_authenticate(UserFactory(username="ada", email="ada@example.org"))
    stop_cache_redis()

    writes = [
        ("/api/researchers/A77/claim/", {"note": "Mine."}),
        (
            f"/api/researchers/{researcher.openalex_id}/invitation/",
            {"subject": "Hello", "body": "Let us work."},
        ),
        ("/api/researchers/A77/follow/", {}),
    ]
    for url, data in writes:
        response = api.post(url, data, format="json")

        assert response.status_code == 503, url
        assert response["Retry-After"] == "60"
        assert response.json() == {
            "error": {
                "code": "rate_limits_unavailable",
                "message": COUNTER_DOWN_MESSAGE,
            }
        }
    assert not Claim.objects.filter(researcher=unclaimed).exists()
    assert not Conversation.objects.exists()
    assert not Follow.objects.exists()
    assert "API throttle UserThrottle could not count POST" in caplog.text


def test_pages_and_api_reads_answer_200(client, owned_researcher, stop_cache_redis):
    from rest_framework.test import APIClient

    researcher, owner = owned_researcher
    client.force_login(owner)
    anonymous, logged_in = APIClient(), APIClient()
    logged_in.force_authenticate(owner)
    stop_cache_redis()

    for page in [profile_url(researcher), "/inbox/", "/", "/search?q=Bea"]:
        assert client.get(page).status_code == 200, page
    for api in (anonymous, logged_in):
        listed = api.get("/api/researchers/")
        assert listed.status_code == 200
        assert researcher.openalex_id in [
            row["openalex_id"] for row in listed.json()["results"]
        ]
        detail = api.get(f"/api/researchers/{researcher.openalex_id}/")
        assert detail.status_code == 200
        assert detail.json()["display_name"] == "Bea Owner"
    assert logged_in.get("/api/me/conversations/").status_code == 200


def test_a_login_gets_the_503_page_not_a_500(client, stop_cache_redis, caplog):
    verified_user(email="ada@example.org")
    stop_cache_redis()
    assert client.get("/accounts/login/").status_code == 200

    response = client.post(
        "/accounts/login/",
        {"login": "ada@example.org", "password": "correct horse 9"},
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "BZPEER is briefly unavailable" in page_text(response)
    assert "_auth_user_id" not in client.session
    assert "503 for POST /accounts/login/: the cache unavailable" in caplog.text


def test_an_api_claim_is_refused_when_only_its_own_counter_is_down(
    own_redis, settings, caplog
):
    """The API's throttles still count (their cache is up), the claim's
    allowance cannot be: the claim is refused all the same."""
    from rest_framework.test import APIClient

    process, url = own_redis
    settings.CACHES = {
        **settings.CACHES,
        "ratelimits": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        },
    }
    settings.RATELIMIT_USE_CACHE = "ratelimits"
    ResearcherFactory(openalex_id="A78")
    api = APIClient()
    api.force_authenticate(UserFactory(username="ada", email="ada@example.org"))
    process.terminate()
    process.wait()
    caplog.set_level(logging.WARNING)

    response = api.post("/api/researchers/A78/claim/", {"note": "Mine."}, format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json()["error"]["code"] == "rate_limits_unavailable"
    assert not Claim.objects.exists()
    assert "rate limit claims.submit could not be counted" in caplog.text
    assert "API throttle" not in caplog.text
