"""The account pages: what is held, its download, and deleting the account
(POST, CSRF and the current password; anything less changes nothing)."""

import json

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.utils import timezone

from accounts.selectors import account_data_export
from tests.accounts.conftest import social_account
from tests.factories import UserFactory, verified_user
from tests.helpers.catalog import catalog_digest
from tests.helpers.pages import page_text

pytestmark = pytest.mark.django_db

DATA_URL = "/accounts/data/"
DOWNLOAD_URL = "/accounts/data/download/"
DELETE_URL = "/accounts/delete/"
PASSWORD = "correct horse 9"  # tests.factories.UserFactory's

ACCOUNT_TABLES = (
    "auth_user",
    "account_emailaddress",
    "socialaccount_socialaccount",
    "profiles_follow",
    "profiles_researcher",
    "profiles_researcherowner",
    "profiles_profilechange",
    "claims_claim",
    "claims_claimevent",
)


def digest():
    return catalog_digest(ACCOUNT_TABLES)


@pytest.mark.parametrize("url", [DATA_URL, DOWNLOAD_URL, DELETE_URL])
def test_the_pages_ask_an_anonymous_visitor_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_the_header_links_a_logged_in_user_to_their_account(client):
    client.force_login(verified_user())

    response = client.get("/")

    assert f'<a href="{DATA_URL}">Your account</a>' in response.content.decode()


def test_the_data_page_sums_up_what_is_held(client, member):
    client.force_login(member.user)

    response = client.get(DATA_URL)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = page_text(response)
    assert (
        "What BZPEER holds about you Everything kept about your account, in "
        "summary below. The download holds all of it, as JSON. Download my data "
        "(JSON) 3 claims 1 profile you manage 2 profile changes you made "
        "1 researcher you follow"
    ) in text
    assert (
        "erasable.person@uni.example.edu (verified, primary) "
        "era.sable@home.example.org (not verified)"
    ) in text
    assert "Connected accounts ORCID 0000-0002-1825-0097" in text
    assert "Era Sable Approved" in text
    assert "E. Sable Pending" in text
    assert "Erasmus Sable Rejected" in text
    assert "You disputed 1 claim of other people" in text
    assert "Researchers you follow Ada Followed" in text
    assert "Delete my account" in text
    html = response.content.decode()
    assert f'href="{DOWNLOAD_URL}"' in html
    assert f'href="{DELETE_URL}"' in html


def test_the_download_is_the_users_own_data_as_a_json_attachment(client, member):
    someone_else = verified_user(email="someone.else@example.org")
    client.force_login(member.user)

    response = client.get(DOWNLOAD_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="bzpeer-account-{today}.json"'
    )
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data == account_data_export(user=member.user)
    assert data["account"]["email"] == "erasable.person@uni.example.edu"
    assert someone_else.email not in response.content.decode()


def test_the_confirmation_page_says_what_will_happen_and_changes_nothing(
    client, member
):
    client.force_login(member.user)
    before = digest()

    response = client.get(DELETE_URL)

    assert response.status_code == 200
    text = page_text(response)
    assert (
        # page_text spaces the bold addresses off their brackets.
        "Your account is deleted, with its e-mail addresses "
        "( erasable.person@uni.example.edu, era.sable@home.example.org ) and "
        "your ORCID sign-in."
    ) in text
    assert (
        "2 claims under review or approved are withdrawn; then all 3 of your "
        "claims, with their evidence and history, are deleted."
    ) in text
    assert (
        "Era Sable goes back to unclaimed (verification L1): anyone may claim "
        "it, and its trust score is recomputed."
    ) in text
    assert "attributed to “a former owner”, never to you" in text
    assert "You stop following 1 researcher." in text
    assert "Your password, to confirm it is you" in text
    assert digest() == before


def test_a_wrong_password_deletes_nothing(client, member):
    client.force_login(member.user)
    before = digest()

    response = client.post(DELETE_URL, {"password": "not my password"})

    assert response.status_code == 200
    assert "Incorrect password." in page_text(response)
    assert digest() == before
    assert int(client.session[SESSION_KEY]) == member.user.pk


def test_wrong_passwords_count_against_allauths_login_failure_limit(client, member):
    """Five wrong passwords in five minutes (RATE_LIMIT_LOGIN_FAILED's per
    address key): then even the right one is refused for a while, so a
    stolen session cannot guess its way to deleting the account."""
    client.force_login(member.user)
    for _ in range(5):
        client.post(DELETE_URL, {"password": "guess"})
    before = digest()

    response = client.post(DELETE_URL, {"password": PASSWORD})

    assert "Too many failed login attempts" in page_text(response)
    assert digest() == before


def test_a_post_without_the_csrf_token_deletes_nothing(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    before = digest()

    response = client.post(DELETE_URL, {"password": PASSWORD})

    assert response.status_code == 403
    assert digest() == before


def test_the_password_and_csrf_token_delete_the_account_and_log_out(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    page = client.get(DELETE_URL)
    token = page.context["csrf_token"]

    response = client.post(
        DELETE_URL, {"password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not get_user_model().objects.filter(pk=member.user.pk).exists()
    assert SESSION_KEY not in client.session
    home = client.get("/")
    assert "Your account is deleted. Goodbye!" in page_text(home)
    assert "Log in" in page_text(home)
    member.owned.refresh_from_db()
    assert member.owned.is_claimed is False


def test_the_pages_cost_a_bounded_number_of_queries(
    client, member, django_assert_max_num_queries
):
    client.force_login(member.user)
    for url, queries in ((DATA_URL, 18), (DOWNLOAD_URL, 16), (DELETE_URL, 10)):
        with django_assert_max_num_queries(queries):
            assert client.get(url).status_code == 200


def test_an_account_without_a_password_is_asked_to_set_one_first(client):
    user = UserFactory()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    social_account(user=user)
    client.force_login(user)

    response = client.get(DELETE_URL)

    assert "Set a password first" in page_text(response)
    assert 'name="password"' not in response.content.decode()


def test_deleting_takes_no_get_or_put(client, member):
    client.force_login(member.user)

    assert client.put(DELETE_URL).status_code == 405
    assert client.get(DELETE_URL, {"password": PASSWORD}).status_code == 200
    assert get_user_model().objects.filter(pk=member.user.pk).exists()
