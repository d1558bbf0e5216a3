"""Following and direct collaboration walked in Chromium by two people: A
follows the reference researcher and sees the count rise to 1 in place; A
invites B from B's claimed profile; B sees the unread invitation in the
header and the inbox, accepts and replies; A reads the reply, its link now
clickable; B blocks A, and what A writes then looks sent and reaches B
nowhere.

The invitation's mail is sent by the session's real Celery worker."""

import re

import pytest
from django.db import connections
from playwright.sync_api import expect

from collaboration.models import Message
from tests.factories import ResearcherFactory, approved_claim, verified_user
from tests.helpers.paths import ARTIFACTS

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse 9"  # tests.factories.UserFactory's


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def log_in(browser, live_server, email: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".account-nav")).to_contain_text(email)
    return page


def inbox_link(page):
    return page.locator(".account-nav__inbox")


def test_a_follows_and_invites_b_b_accepts_and_replies_then_blocks_a(
    chromium, live_server, sample_data, celery_worker_process, sent_mail
):
    from profiles.models import Researcher

    reference = Researcher.objects.get(display_name="Bingxuan Wang")
    a = verified_user(username="ada", email="ada@example.org")
    b = verified_user(username="bea", email="bea@example.org")
    profile = ResearcherFactory(display_name="Bea Owner")
    approved_claim(user=b, researcher=profile, moderator=verified_user())
    profile_url = f"{live_server.url}/researchers/{profile.openalex_id}/"
    page_a = log_in(chromium, live_server, "ada@example.org")
    page_b = log_in(chromium, live_server, "bea@example.org")
    try:
        # A follows the reference researcher: the count rises to 1 in place.
        page_a.goto(f"{live_server.url}/researchers/{reference.openalex_id}/")
        actions = page_a.locator("#actions")
        expect(actions).to_contain_text("Decide how to stay connected")
        expect(actions.get_by_role("button")).to_contain_text("Follow researcher 0")
        page_a.evaluate("window.notReloaded = true")
        actions.get_by_role("button").click()
        expect(actions.get_by_role("button")).to_contain_text("Following 1")
        expect(page_a.locator(".trust-snapshot")).to_contain_text("1 follower")
        assert page_a.evaluate("window.notReloaded") is True
        page_a.reload()
        expect(page_a.locator("#actions")).to_contain_text("Following 1")

        # A invites B from B's profile.
        page_a.goto(profile_url)
        section = page_a.locator("#collaboration")
        expect(section).to_contain_text(
            "Direct collaboration Open a focused conversation when the fit is right"
        )
        section.get_by_label("Subject").fill("Citation graphs")
        section.get_by_label("Your message").fill(
            "Hello Bea, my draft: https://example.org/draft"
        )
        section.get_by_role("button", name="Send the invitation").click()
        expect(page_a.locator(".messages")).to_contain_text("Your invitation is sent.")
        expect(page_a.locator("#collaboration")).to_contain_text(
            "Your invitation is waiting for an answer."
        )
        sent_mail.wait_for(to="bea@example.org", subject="An invitation to collaborate")

        # B sees it unread, opens it: the link is plain text until accepted.
        page_b.goto(f"{live_server.url}/")
        expect(inbox_link(page_b)).to_have_text("Inbox (1 unread)")
        inbox_link(page_b).click()
        row = page_b.locator(".conversation-row--unread")
        expect(row).to_contain_text("Citation graphs")
        row.get_by_role("link", name="Citation graphs").click()
        expect(page_b.locator(".thread")).to_contain_text("https://example.org/draft")
        expect(page_b.locator(".thread a")).to_have_count(0)
        expect(inbox_link(page_b)).to_have_text("Inbox")
        page_b.get_by_role("button", name="Accept the invitation").click()
        expect(page_b.locator(".thread a")).to_have_attribute(
            "rel", "nofollow noopener"
        )
        page_b.get_by_label("Your message").fill("Yes, gladly.")
        page_b.get_by_role("button", name="Send").click()
        expect(page_b.locator(".messages")).to_contain_text("Your message is sent.")

        # A reads the reply.
        page_a.goto(f"{live_server.url}/inbox/")
        expect(inbox_link(page_a)).to_have_text("Inbox (1 unread)")
        page_a.get_by_role("link", name="Citation graphs").click()
        expect(page_a.locator(".thread")).to_contain_text("Yes, gladly.")

        # B blocks A; A's next message looks sent and reaches nothing.
        page_b.get_by_text("Block this account").click()
        page_b.get_by_role("button", name="Block A BZPEER member").click()
        expect(page_b.locator(".messages")).to_contain_text("You blocked this account")
        page_a.get_by_label("Your message").fill("Hello? Anyone?")
        page_a.get_by_role("button", name="Send").click()
        expect(page_a.locator(".messages")).to_contain_text("Your message is sent.")
        assert not Message.objects.filter(body="Hello? Anyone?").exists()
        page_b.goto(f"{live_server.url}/inbox/")
        expect(inbox_link(page_b)).to_have_text("Inbox")
        expect(page_b.locator(".conversation-row--unread")).to_have_count(0)
        expect(page_b.locator("#blocked")).to_contain_text(
            "A BZPEER member without a public profile"
        )
        assert "Hello? Anyone?" not in squash(page_b.content())
        assert a.pk != b.pk
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page_a.screenshot(path=str(ARTIFACTS / "collaboration-a.png"), full_page=True)
        page_b.screenshot(path=str(ARTIFACTS / "collaboration-b.png"), full_page=True)
        page_a.context.close()
        page_b.context.close()
        # The ORM calls made while Playwright's loop runs hold a connection
        # of their own (asgiref's context-local connections): close it, or
        # it outlives the test database.
        connections.close_all()
