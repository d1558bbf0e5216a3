"""Accounts with django-allauth: sign up with an e-mail address verified by a
link, log in and back to the page one came from (never to another site),
log out, reset a password; ORCID offered as a sign-in once configured."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from tests.factories import ResearcherFactory, verified_user
from tests.helpers.pages import page_text

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 9"


def link_in(message) -> str:
    return re.search(r"https?://[^\s]+", message.body).group(0)


def test_sign_up_verify_the_address_and_land_logged_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "ada@example.org",
            "password1": "a long pass 42",
            "password2": "a long pass 42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    # Not logged in before the address is verified.
    assert "Log out" not in client.get("/").content.decode()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.org"]
    assert mail.outbox[0].subject.startswith("[BZPEER] ")
    confirm = urlsplit(link_in(mail.outbox[0])).path
    assert client.get(confirm).status_code == 200
    response = client.post(confirm)

    assert response.status_code == 302
    assert "Log out" in client.get("/").content.decode()


def test_login_returns_to_the_page_one_came_from(client):
    user = verified_user()
    researcher = ResearcherFactory()
    profile = f"/researchers/{researcher.openalex_id}/"
    # The header's link carries the page.
    assert f'href="/accounts/login/?next={profile}"' in (
        client.get(profile).content.decode()
    )

    response = client.post(
        f"/accounts/login/?next={profile}",
        {"login": user.email, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == profile


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_login_never_sends_one_to_another_site(client, target):
    user = verified_user()

    response = client.post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD, "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused_with_a_message(client):
    user = verified_user()

    response = client.post("/accounts/login/", {"login": user.email, "password": "no"})

    assert response.status_code == 200
    assert "not correct" in page_text(response)
    assert "_auth_user_id" not in client.session


def test_log_out_asks_then_logs_out(client):
    user = verified_user()
    client.force_login(user)

    assert "Log out" in client.get("/").content.decode()
    assert client.get("/accounts/logout/").status_code == 200  # a confirmation
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_mails_a_link_that_sets_a_new_password(client):
    user = verified_user()

    client.post("/accounts/password/reset/", {"email": user.email})

    assert len(mail.outbox) == 1
    reset = urlsplit(link_in(mail.outbox[0])).path
    form = client.get(reset, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else reset,
        {"password1": "a new long pass 7", "password2": "a new long pass 7"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a new long pass 7")


def test_the_account_pages_are_in_the_sites_layout(client):
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 200, path
        assert '<header class="site-header">' in html, path
        assert "– BZPEER</title>" in html, path
        assert "site-main--account" in html, path


def test_orcid_is_offered_once_configured_and_leads_to_orcid(client, settings):
    assert (
        "/accounts/orcid/login/" not in client.get("/accounts/login/").content.decode()
    )
    # The base domain (orcid.org; sandbox.orcid.org with ORCID_SANDBOX) is
    # read when allauth's ORCID views are imported: only the app is set here.
    settings.SOCIALACCOUNT_PROVIDERS = {
        "orcid": {
            **settings.SOCIALACCOUNT_PROVIDERS["orcid"],
            "APPS": [
                {
                    "name": "ORCID",
                    "client_id": "APP-TEST",
                    "secret": "s3cret",
                    "key": "",
                }
            ],
        }
    }

    login_page = client.get("/accounts/login/")
    assert "Orcid.org" in page_text(login_page)
    assert "/accounts/orcid/login/" in login_page.content.decode()
    response = client.post("/accounts/orcid/login/?next=/trust/")

    assert response.status_code == 302
    authorize = urlsplit(response["Location"])
    assert (authorize.scheme, authorize.netloc, authorize.path) == (
        "https",
        "orcid.org",
        "/oauth/authorize",
    )
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["APP-TEST"]
    assert query["scope"] == ["/authenticate"]
