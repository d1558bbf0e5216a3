"""On a 320 px phone no page scrolls sideways, not even with a 60-character
unbroken name, affiliation, title or search query."""

from urllib.parse import quote

import pytest

from profiles.models import Researcher
from tests.factories import InstitutionFactory, ResearcherFactory, work_with_team

pytestmark = pytest.mark.e2e

UNBROKEN = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaf"
WIDTHS = (320, 390)


def test_no_page_scrolls_sideways_on_a_narrow_screen(page, live_server, sample_data):
    assert len(UNBROKEN) == 60
    reference = Researcher.objects.get(display_name="Bingxuan Wang")
    long_named = ResearcherFactory(
        display_name=UNBROKEN,
        headline=f"{UNBROKEN} studies {UNBROKEN}.",
        affiliation=InstitutionFactory(display_name=UNBROKEN),
    )
    work_with_team(
        researchers=[long_named, reference],
        title=UNBROKEN,
        abstract=f"{UNBROKEN} " * 20,
    )
    paths = {
        "home": "/",
        "search results": "/search?q=wang",
        "search for a long name": f"/search?q={quote(UNBROKEN)}",
        "search for nothing": f"/search?q={'x' * 60}",
        "profile": f"/researchers/{reference.openalex_id}/",
        "trust page": f"/researchers/{reference.openalex_id}/trust/",
        "long-named profile": f"/researchers/{long_named.openalex_id}/",
        "long-named trust page": f"/researchers/{long_named.openalex_id}/trust/",
        "trust model": "/trust/",
        "404": "/researchers/A0000000000/",
        "404 of a page": f"/researchers/{reference.openalex_id}/?page=9",
    }

    too_wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for name, path in paths.items():
            page.goto(f"{live_server.url}{path}")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > page.evaluate("window.innerWidth"):
                too_wide.append(f"{name} at {width} px is {scroll_width} px wide")
            # Opened abstracts are as wide as folded ones.
            for summary in page.locator("summary").all():
                summary.click()
            if page.evaluate("document.documentElement.scrollWidth") > width:
                too_wide.append(f"{name} at {width} px, abstracts open")

    assert too_wide == []
