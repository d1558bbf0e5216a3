"""Whole pages for anonymous visitors from the cache (bzpeer.page_cache):
served without a query while the data version holds, rendered afresh once
a write moved it, never for a logged-in user or a page with a CSRF token,
and a profile answered from the cache still counts its view."""

import pytest
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import reverse

from bzpeer.page_cache import anonymous_page_cache
from profiles import popularity
from profiles.services import researcher_trust_update
from tests.factories import ResearcherFactory, UserFactory, work_with_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile():
    researcher = ResearcherFactory(display_name="Cached Ada")
    work_with_team(researchers=[researcher, ResearcherFactory()])
    return researcher, reverse("profiles:detail", args=[researcher.openalex_id])


def test_an_anonymous_page_is_served_from_the_cache_without_a_query(
    client, profile, django_assert_num_queries
):
    _, url = profile
    first = client.get(url)
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert b"Cached Ada" in second.content


def test_a_search_from_the_cache_opens_no_transaction(
    client, profile, django_assert_num_queries
):
    """The search runs under a statement timeout (a transaction and two SETs
    around the view): a stored page is answered before any of it."""
    url = reverse("search") + "?q=cached"
    first = client.get(url)
    assert first["X-Page-Cache"] == "miss"
    assert b"Cached Ada" in first.content
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content


def test_a_write_that_moves_the_data_version_is_seen_at_once(
    client, profile, django_capture_on_commit_callbacks
):
    researcher, url = profile
    client.get(url)
    type(researcher).objects.filter(pk=researcher.pk).update(display_name="Ada Renamed")
    # Not through a write path: the cached page is still served...
    assert b"Cached Ada" in client.get(url).content
    # ...until one moves the data version (a trust recompute stores scores).
    with django_capture_on_commit_callbacks(execute=True):
        researcher_trust_update(researcher_ids=[researcher.pk])
    fresh = client.get(url)
    assert fresh["X-Page-Cache"] == "miss"
    assert b"Ada Renamed" in fresh.content


def test_a_profile_from_the_cache_counts_each_visitor_once(client, profile):
    researcher, url = profile
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.2", "192.0.2.3"):
        response = client.get(url, REMOTE_ADDR=address)
        assert response.status_code == 200
    assert response["X-Page-Cache"] == "hit"
    assert popularity.researcher_views_pending() == {researcher.pk: 3}


def test_a_logged_in_user_never_gets_or_leaves_a_cached_page(client, profile):
    _, url = profile
    client.force_login(UserFactory())
    mine = client.get(url)
    assert "X-Page-Cache" not in mine
    assert "X-Page-Cache" not in client.get(url)
    client.logout()
    client.cookies.clear()
    assert client.get(url)["X-Page-Cache"] == "miss"


def test_a_head_or_a_visitor_with_a_message_is_rendered_live(client, profile):
    _, url = profile
    assert "X-Page-Cache" not in client.head(url)
    client.cookies["messages"] = "anything"
    assert "X-Page-Cache" not in client.get(url)


def test_a_page_with_a_csrf_token_or_a_cookie_is_not_stored():
    """A page that rendered a token (a form of its own) would hand one
    visitor's token to the next: it is rendered every time."""
    calls = []

    @anonymous_page_cache
    def with_form(request):
        calls.append(1)
        return HttpResponse(f"<form>{get_token(request)}</form>")

    @anonymous_page_cache
    def with_cookie(request):
        calls.append(1)
        response = HttpResponse("hello")
        response.set_cookie("seen", "1")
        return response

    factory = RequestFactory()
    for view in (with_form, with_cookie):
        calls.clear()
        for _ in range(2):
            response = view(factory.get("/page"))
            assert response.status_code == 200
            assert "X-Page-Cache" not in response
        assert len(calls) == 2


def test_errors_and_redirects_are_not_stored(client):
    missing = reverse("profiles:detail", args=["A9999999999"])
    for _ in range(2):
        response = client.get(missing)
        assert response.status_code in (301, 404)
        assert "X-Page-Cache" not in response


def test_the_query_string_is_part_of_the_key(client, profile):
    _, url = profile
    client.get(url)
    assert client.get(url + "?sort=citations")["X-Page-Cache"] == "miss"
    assert client.get(url + "?sort=citations")["X-Page-Cache"] == "hit"


def test_a_follow_is_seen_by_anonymous_visitors_at_once(
    client, profile, django_capture_on_commit_callbacks
):
    """The follower count is on the cached profile: following moves the
    data version, before any worker recomputes trust."""
    researcher, url = profile
    assert b'data-follow-count>0</span> <span class="stat__label"' in (
        client.get(url).content
    )
    follower = Client()
    follower.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = follower.post(
            reverse("profiles:follow", args=[researcher.openalex_id])
        )
    assert response.status_code in (200, 302)
    seen = client.get(url)
    assert seen["X-Page-Cache"] == "miss"
    assert b'data-follow-count>1</span> <span class="stat__label"' in seen.content
