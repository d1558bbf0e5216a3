"""A visitor finds the reference researcher and reads her profile, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from profiles.models import Researcher
from tests.helpers.paths import ARTIFACTS

pytestmark = pytest.mark.e2e

REFERENCE_FIGURES = [
    "Bingxuan Wang",
    "Affiliation not imported",
    "Open to collaborate",
    "Trust 17 - Unverified",
    "Verification L1",
    "Unclaimed author",
    "4 published item(s)",
]
REFERENCE_TITLES = [
    "Conditional Memory via Scalable Lookup: A New Axis of Sparsity for Large "
    "Language Models",
    "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement "
    "Learning",
    "DeepSeek LLM: Scaling Open-Source Language Models with Longtermism",
    "Differentiable Feature Aggregation Search for Knowledge Distillation",
]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_reference_profile_shows_what_the_reference_page_shows(
    page, live_server, sample_data
):
    researcher = Researcher.objects.get(display_name="Bingxuan Wang")
    page.goto(f"{live_server.url}/researchers/{researcher.openalex_id}/")

    expect(page).to_have_title(re.compile("Bingxuan Wang"))
    main = _squash(page.locator("main").inner_text())
    for figure in REFERENCE_FIGURES:
        assert figure in main, figure
    for count in ("4 works", "0 followers", "4 topics", "4 close collaborators"):
        assert re.search(count.replace(" ", r"\s*"), main), count
    positions = [main.index(title) for title in REFERENCE_TITLES]
    assert positions == sorted(positions), "works are listed newest first"
    assert main.lower().count("preprint") >= 4
    assert "arXiv" in main
    assert "sample data" in _squash(page.locator("body").inner_text())

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reference-profile.png"), full_page=True)


def test_abstracts_are_folded_and_open_on_request(page, live_server, sample_data):
    researcher = Researcher.objects.get(display_name="Bingxuan Wang")
    page.goto(f"{live_server.url}/researchers/{researcher.openalex_id}/")
    abstract = page.locator("details").filter(has_text="Mixture-of-Experts").first
    ending = abstract.get_by_text("next-generation sparse models", exact=False)
    expect(ending).to_be_hidden()
    abstract.locator("summary").click()
    expect(ending).to_be_visible()


def test_a_visitor_searches_by_name_without_accents_or_case(
    page, live_server, sample_data
):
    page.goto(live_server.url)
    page.get_by_role("searchbox").first.fill("BINGXUAN")
    page.keyboard.press("Enter")
    page.get_by_role("link", name=re.compile("Bingxuan Wang")).first.click()
    expect(page.locator("h1")).to_have_text("Bingxuan Wang")


def test_the_sample_banner_sits_in_the_header_aligned_with_the_page(
    page, live_server, sample_data
):
    page.goto(f"{live_server.url}/")

    banner = page.locator("header.site-header .sample-banner p")
    expect(banner).to_contain_text("This site shows sample data")
    header_row = page.locator(".site-header__inner").bounding_box()
    text_box = banner.bounding_box()
    # The banner's text starts where the page's content does.
    assert text_box["x"] == pytest.approx(header_row["x"], abs=1)
