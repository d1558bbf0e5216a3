"""The whole life of a claim, in Chromium: an author signs up, verifies the
address from the mail, logs in and claims the reference researcher; a
moderator approves in the admin; the owner sees the claimed profile, hides a
work, reads both in the change log, and undoes the hiding.

Mail is read from the file backend that the live server and the session's
Celery worker share (``sent_mail``); the trust recompute after the decision
runs on that real worker."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from profiles.models import Researcher
from tests.helpers.paths import ARTIFACTS
from tests.helpers.workers import wait_for

pytestmark = pytest.mark.e2e

AUTHOR = "bingxuan.wang@example.edu"
MODERATOR = "moderator@example.org"
PASSWORD = "a-long-test-passphrase-42"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _main_text(page) -> str:
    return _squash(page.locator("main").inner_text())


def _shot(target, name: str, **options) -> None:
    """A screenshot of a step, kept in test-artifacts/ (docs/claims.md shows
    these: copy them to docs/images/ when the pages change)."""
    ARTIFACTS.mkdir(exist_ok=True)
    target.screenshot(path=str(ARTIFACTS / f"claims-{name}.png"), **options)


@pytest.fixture
def moderator(transactional_db):
    call_command("create_moderator", MODERATOR)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email=MODERATOR)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_an_author_claims_a_profile_a_moderator_approves_and_the_owner_curates_it(
    chromium, live_server, sample_data, celery_worker_process, sent_mail, moderator
):
    reference = Researcher.objects.get(display_name="Bingxuan Wang")
    profile_url = f"{live_server.url}/researchers/{reference.openalex_id}/"
    author = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = author.new_page()
    try:
        # Sign up, and verify the address from the mail.
        page.goto(f"{live_server.url}/accounts/signup/")
        page.locator("#id_email").fill(AUTHOR)
        page.locator("#id_password1").fill(PASSWORD)
        page.locator("#id_password2").fill(PASSWORD)
        page.get_by_role("button", name="Sign Up").click()
        expect(page.locator("main")).to_contain_text("Verify Your Email Address")
        mail = sent_mail.wait_for(to=AUTHOR, subject="Confirm")
        [link] = [url for url in mail.links() if "/accounts/confirm-email/" in url]
        page.goto(link)
        page.get_by_role("button", name="Confirm").click()

        # Log out, then come back as a visitor and log in from the profile.
        page.goto(f"{live_server.url}/accounts/logout/")
        page.get_by_role("button", name="Sign Out").click()
        page.goto(profile_url)
        page.get_by_role("link", name="Log in to claim").click()
        page.locator("#id_login").fill(AUTHOR)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page).to_have_url(re.compile(re.escape(profile_url)))

        # Claim with evidence.
        page.get_by_label(re.compile("A note to the moderators")).fill(
            "I am Bingxuan Wang; these are my DeepSeek papers."
        )
        page.get_by_label(re.compile("Your homepage or staff page")).fill(
            "https://example.edu/~bwang"
        )
        _shot(page.locator("#identity"), "1-claim-form")
        page.get_by_role("button", name="Claim this profile").click()
        expect(page.locator("#identity")).to_contain_text("Your claim is under review")
        _shot(page.locator("#identity"), "2-under-review")

        # A moderator approves it in the admin, with a reason.
        admin = chromium.new_context(viewport={"width": 1280, "height": 900})
        desk = admin.new_page()
        desk.goto(f"{live_server.url}/admin/login/")
        desk.get_by_label(re.compile("Email|Username")).fill(MODERATOR)
        desk.get_by_label("Password").fill(PASSWORD)
        desk.get_by_role("button", name="Log in").click()
        desk.goto(f"{live_server.url}/admin/claims/claim/")
        desk.get_by_role("row", name=re.compile("Bingxuan Wang")).get_by_role(
            "checkbox"
        ).check()
        desk.locator("select[name=action]").select_option("approve_claims")
        _shot(desk, "3-moderation-queue")
        desk.get_by_role("button", name="Go").click()
        desk.get_by_label(re.compile("Reason")).fill(
            "Homepage at example.edu lists these papers."
        )
        _shot(desk, "4-moderation-decision")
        desk.get_by_role("button", name="Approve claims").click()
        expect(desk.locator(".messagelist")).to_contain_text("1 claim(s)")
        admin.close()

        # The owner's profile: claimed, L2, trust raised by the approved-claim
        # signal alone (17 -> 32) once the worker has recomputed it.
        wait_for(
            lambda: Researcher.objects.get(pk=reference.pk).trust_score == 32,
            what="the worker's trust recompute after the approval",
        )
        page.goto(profile_url)
        main = _main_text(page)
        for figure in (
            "Trust 32 - Emerging",
            "Verification L2",
            "Claimed author",
            "You manage this profile",
            "4 published item(s)",
        ):
            assert figure in main, figure
        _shot(page, "5-owner-profile")

        # The owner hides one work: the count drops by one.
        first_work = page.locator(".work").first
        title = first_work.locator(".work__title").inner_text()
        first_work.locator("summary", has_text="Not my work").click()
        first_work.get_by_label(re.compile("Why is it not yours")).fill(
            "A namesake's paper"
        )
        first_work.get_by_role("button", name="Hide from my profile").click()
        expect(page.locator("#works")).to_contain_text("3 published item(s)")
        expect(page.locator("#works")).to_contain_text("1 work hidden by the owner")
        assert title not in page.locator("#works .work-list").inner_text()

        # The change log shows the approval and the hiding; undo restores.
        page.get_by_role("link", name="Change log").first.click()
        log = page.locator(".change-log")
        expect(log).to_contain_text("The owner hid a work")
        expect(log).to_contain_text(re.compile("claim was approved", re.I))
        _shot(page, "6-change-log")
        log.locator(".change-log__entry", has_text="The owner hid a work").get_by_role(
            "button", name="Undo"
        ).click()
        expect(page.locator(".messages")).to_contain_text("The change is undone")
        page.goto(profile_url)
        expect(page.locator("#works")).to_contain_text("4 published item(s)")
        assert title in page.locator("#works .work-list").inner_text()
        page.get_by_role("link", name="Manage profile").click()
        expect(page.locator("h1")).to_have_text("Bingxuan Wang")
        _shot(page, "7-manage", full_page=True)
    finally:
        author.close()
