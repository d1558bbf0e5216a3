"""A keyboard reader opens an abstract without losing the focus, and walks a
2,000-work list to its last page and back in a few key presses."""

import re

import pytest
from playwright.sync_api import expect

from profiles.models import Researcher
from tests.factories import researcher_with_works

pytestmark = pytest.mark.e2e

# Half a pixel either way: layout positions are fractional.
IN_VIEWPORT = """() => {
  const box = document.activeElement.getBoundingClientRect();
  return box.top >= -0.5 && box.bottom <= window.innerHeight + 0.5;
}"""


def _focused_text(page) -> str:
    return page.evaluate("document.activeElement.innerText.trim()")


@pytest.mark.parametrize("width", [1280, 390])
def test_opening_an_abstract_by_keyboard_keeps_the_focus_in_view(
    page, live_server, sample_data, width
):
    page.set_viewport_size({"width": width, "height": 800})
    researcher = Researcher.objects.get(display_name="Bingxuan Wang")
    page.goto(f"{live_server.url}/researchers/{researcher.openalex_id}/")
    abstract = page.locator(".work__abstract--folded").first
    control = abstract.locator("summary")
    # The control is named by what it does, not by the excerpt.
    expect(control).to_have_text("Show full abstract", use_inner_text=True)

    control.focus()
    page.keyboard.press("Enter")

    expect(abstract.locator("details")).to_have_attribute("open", "")
    expect(abstract.get_by_text("next-generation sparse models")).to_be_visible()
    expect(abstract.locator(".work__excerpt")).to_be_hidden()
    assert _focused_text(page) == "Show less"
    page.wait_for_function(IN_VIEWPORT, timeout=5_000)

    page.keyboard.press("Enter")

    expect(abstract.locator(".work__excerpt")).to_be_visible()
    assert _focused_text(page) == "Show full abstract"
    page.wait_for_function(IN_VIEWPORT, timeout=5_000)


def test_an_abstract_opened_at_the_top_of_the_screen_keeps_its_control_in_view(
    page, live_server, sample_data
):
    # The excerpt above the control then lies off the screen, and opening
    # puts the control in its place. Chromium's scroll anchoring would follow
    # it; without (as in Safari) static/js/abstracts.js does.
    page.set_viewport_size({"width": 390, "height": 800})
    researcher = Researcher.objects.get(display_name="Bingxuan Wang")
    page.goto(f"{live_server.url}/researchers/{researcher.openalex_id}/")
    # Scroll anchoring off, as in a browser without it. An inline style the
    # site's CSP would refuse: set on the element's style object instead.
    page.evaluate(
        "document.documentElement.style.setProperty('overflow-anchor', 'none')"
    )
    page.evaluate(
        "document.querySelectorAll('*').forEach(e => e.style.overflowAnchor = 'none')"
    )
    control = page.locator(".work__abstract--folded summary").first
    control.evaluate("summary => summary.scrollIntoView({block: 'start'})")
    control.focus()
    page.wait_for_function(IN_VIEWPORT, timeout=5_000)

    page.keyboard.press("Enter")

    assert _focused_text(page) == "Show less"
    page.wait_for_function(IN_VIEWPORT, timeout=5_000)


def _tab_to(page, label: str, *, at_most: int) -> int:
    """Press Tab until the link named ``label`` has the focus; the presses."""
    for presses in range(1, at_most + 1):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == label:
            return presses
    raise AssertionError(f"{label!r} not reached in {at_most} Tab presses")


def test_the_pager_reaches_the_last_page_and_back(page, live_server):
    researcher = researcher_with_works(2000)
    page.goto(f"{live_server.url}/researchers/{researcher.openalex_id}/")
    current = page.locator('.pager [aria-current="page"]').first
    expect(current).to_have_text("1")

    # From the sort options: Most cited, then the pager above the list.
    page.get_by_role("link", name="Newest first").focus()
    assert _tab_to(page, "Page 100", at_most=4) == 4
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"\?page=100#works$"))
    expect(current).to_have_text("100")
    expect(page.locator(".work__title").last).to_have_text("Bulk work 0000")
    # The page opens on the list.
    page.wait_for_function(
        "Math.abs(document.getElementById('works').getBoundingClientRect().top) < 2"
    )

    # The focus starts from the list: its sort options, then the pager.
    assert _tab_to(page, "Page 1", at_most=5) <= 5
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/\?#works$"))
    expect(current).to_have_text("1")
    expect(page.locator(".work__title").first).to_have_text("Bulk work 1999")
