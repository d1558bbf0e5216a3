"""A sweep of the site in Chromium under its Content-Security-Policy
(``script-src 'self'``, ``style-src 'self'``: no inline script, no inline
``<style>`` element nor ``style="..."`` attribute): the public pages, the
pages of a logged-in user, the account pages, the admin as a superuser and
the API docs raise no violation, as the console and the
``securitypolicyviolation`` event report them."""

import pytest
from django.urls import reverse

from tests.factories import ClaimFactory, UserFactory, verified_user

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse 9"  # tests.factories.UserFactory's
REFERENCE = "A5100000001"

# Installed before any page script runs: every violation event the document
# raises (console messages miss none, but the event names the directive).
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}` +
    ` at ${event.sourceFile || "?"}:${event.lineNumber}` +
    (event.sample ? ` (${event.sample})` : "")
  );
});
"""


def _log_in(page, base: str, path: str, login_field: str, email: str, button: str):
    page.goto(f"{base}{path}")
    page.locator(login_field).fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


# A path containing the key is settled once the selector is on the page.
SETTLED_WHEN = {
    "/api/docs/": ".swagger-ui .opblock",
    "/graph/": ".graph-explorer svg, [data-graph-slice] svg, svg.graph-svg",
}


def _sweep(page, base: str, paths, current: dict, violations: list[str]) -> None:
    for path in paths:
        current["path"] = path
        response = page.goto(f"{base}{path}", wait_until="load")
        assert response is not None and response.status < 400, (
            f"{path} answered {response and response.status}"
        )
        # Pages whose scripts draw after load: wait until they have drawn.
        for marker, selector in SETTLED_WHEN.items():
            if marker in path:
                page.wait_for_selector(selector)
        for event in page.evaluate("window.__cspViolations || []"):
            violations.append(f"{path}: event: {event}")


def test_no_page_raises_a_content_security_policy_violation(
    chromium, live_server, sample_data
):
    from collaboration.models import Conversation, Report
    from profiles.models import Researcher
    from works.models import ImportRun, Institution, Topic, Work

    reference = Researcher.objects.get(openalex_id=REFERENCE)
    work = Work.objects.filter(openalex_id__startswith="W").first()
    topic = Topic.objects.first()
    institution = Institution.objects.first()

    reader = verified_user(username="reader", email="reader@example.org")
    admin_user = UserFactory(
        username="root", email="root@example.org", is_staff=True, is_superuser=True
    )
    claim = ClaimFactory(user=reader, note="Mine.")
    conversation = Conversation.objects.create(
        researcher=reference,
        initiator=reader,
        recipient=admin_user,
        subject="Working together",
    )
    report = Report.objects.create(
        conversation=conversation, reporter=admin_user, reason="Spam."
    )
    run = ImportRun.objects.order_by("pk").first()

    public = [
        "/",
        "/search?q=wang",
        "/search?q=wang&in=works",
        f"/researchers/{REFERENCE}/",
        f"/researchers/{REFERENCE}/trust/",
        f"/researchers/{REFERENCE}/topics/",
        f"/researchers/{REFERENCE}/collaborators/",
        f"/researchers/{REFERENCE}/changes/",
        reverse("graph:researcher", args=[REFERENCE]),
        reverse("catalog:work", args=[work.openalex_id]),
        reverse("catalog:topic", args=[topic.openalex_id]),
        reverse("catalog:institution", args=[institution.openalex_id]),
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/api/docs/",
    ]
    logged_in = [
        "/feed/",
        "/following/",
        "/inbox/",
        "/accounts/data/",
        "/accounts/delete/",
    ]
    admin = [
        "/admin/",
        "/admin/claims/claim/",
        f"/admin/claims/claim/{claim.pk}/change/",
        "/admin/profiles/researcher/",
        f"/admin/profiles/researcher/{reference.pk}/change/",
        "/admin/works/work/",
        f"/admin/works/work/{work.pk}/change/",
        "/admin/works/importrun/",
        reverse("admin:works_importrun_start"),
        f"/admin/works/importrun/{run.pk}/change/",
        "/admin/collaboration/report/",
        f"/admin/collaboration/report/{report.pk}/change/",
    ]

    violations: list[str] = []
    base = live_server.url
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTEN)
    page = context.new_page()
    current = {"path": None}
    page.on(
        "console",
        lambda message: (
            violations.append(f"{current['path']}: console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        _sweep(page, base, public, current, violations)
        _log_in(page, base, "/accounts/login/", "#id_login", reader.email, "Sign In")
        _sweep(page, base, logged_in, current, violations)
        context.clear_cookies()
        _log_in(page, base, "/admin/login/", "#id_username", "root", "Log in")
        _sweep(page, base, admin, current, violations)
    finally:
        context.close()

    assert violations == [], "CSP violations:\n" + "\n".join(violations)
