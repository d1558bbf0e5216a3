"""In Chromium, the site's Content-Security-Policy refuses an inline script
(what an injected payload would be), and the site's own pages raise no
violation of it."""

import pytest

pytestmark = pytest.mark.e2e


def test_an_inline_script_is_refused_and_the_pages_raise_no_violation(
    page, live_server, sample_data
):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    for path in ("/", "/search?q=wang", "/accounts/login/", "/api/docs/"):
        page.goto(f"{live_server.url}{path}")
    assert violations == []

    with pytest.raises(Exception):  # noqa: B017 - Playwright's error for a refused tag
        page.add_script_tag(content="window.injected = true;")
    assert page.evaluate("window.injected === undefined")
