"""A visitor follows the reference profile's lists to the pages behind them:
a work and all its authors, the topics, the close collaborators, a topic and
an institution, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from profiles.models import Researcher
from tests.helpers.paths import ARTIFACTS
from works.models import Authorship, Work

pytestmark = pytest.mark.e2e

SIXTY_AUTHOR_TITLE = (
    "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement Learning"
)


def _open_reference_profile(page, live_server) -> Researcher:
    researcher = Researcher.objects.get(display_name="Bingxuan Wang")
    page.goto(f"{live_server.url}/researchers/{researcher.openalex_id}/")
    return researcher


def _author_names_on_every_page(page) -> list[str]:
    """The author names of a work page, following its pager to the end."""
    names = []
    while True:
        names += page.locator(
            ".catalog-authors .catalog-author__name"
        ).all_inner_texts()
        following = page.locator('#authors nav.pager a[rel="next"]')
        if following.count() == 0:
            return names
        following.first.click()


def test_a_work_title_on_the_profile_opens_the_work_page(
    page, live_server, sample_data
):
    _open_reference_profile(page, live_server)

    page.get_by_role("link", name=SIXTY_AUTHOR_TITLE).click()

    expect(page.locator("h1")).to_have_text(SIXTY_AUTHOR_TITLE)
    work = Work.objects.get(title=SIXTY_AUTHOR_TITLE)
    assert page.url == f"{live_server.url}/works/{work.openalex_id}/"
    header = page.locator(".catalog-header")
    expect(header).to_contain_text("Preprint")
    expect(header).to_contain_text("arXiv")
    expect(page.get_by_role("link", name=f"arXiv {work.arxiv_id}")).to_have_attribute(
        "href", f"https://arxiv.org/abs/{work.arxiv_id}"
    )
    expect(page.locator("#abstract-title")).to_have_text("Abstract")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "work-page.png"), full_page=True)


def test_every_author_of_the_sixty_author_work_is_reachable_from_more(
    page, live_server, sample_data
):
    _open_reference_profile(page, live_server)
    card = page.locator("li.work").filter(has_text=SIXTY_AUTHOR_TITLE)

    card.get_by_role("link", name="+52 more").click()

    expect(page).to_have_url(re.compile(r"/works/W\d+/#authors$"))
    work = Work.objects.get(title=SIXTY_AUTHOR_TITLE)
    expected = [
        authorship.raw_author_name or authorship.researcher.display_name
        for authorship in Authorship.objects.filter(work=work)
        .select_related("researcher")
        .order_by("position")
    ]
    assert len(expected) == 60
    assert _author_names_on_every_page(page) == expected
    # Each linked author leads to a profile.
    page.locator(".catalog-authors a.catalog-author__name").nth(7).click()
    expect(page.locator("h1")).to_have_text("Bingxuan Wang")


def test_the_topics_count_leads_to_the_topics_and_a_topic_page(
    page, live_server, sample_data
):
    _open_reference_profile(page, live_server)

    page.locator(".stat__link").filter(has_text="topics").click()

    expect(page.locator("h1")).to_have_text("Topics of Bingxuan Wang")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    rows.first.get_by_role("link").click()
    expect(page.locator(".eyebrow")).to_have_text("Topic")
    expect(page.locator(".card-list .researcher-card").first).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Recent works")).click()
    expect(page).to_have_url(re.compile(r"\?list=works#list$"))
    expect(page.get_by_role("link", name=SIXTY_AUTHOR_TITLE)).to_be_visible()


def test_the_close_collaborators_count_leads_to_their_profiles(
    page, live_server, sample_data
):
    _open_reference_profile(page, live_server)

    page.locator(".stat__link").filter(has_text="close collaborators").click()

    expect(page.locator("h1")).to_have_text("Close collaborators of Bingxuan Wang")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    name = rows.first.locator("th a").inner_text()
    rows.first.locator("th a").click()
    expect(page.locator("h1")).to_have_text(name)


def test_an_affiliation_on_a_work_page_opens_the_institution(
    page, live_server, sample_data
):
    work = Work.objects.get(title=SIXTY_AUTHOR_TITLE)
    page.goto(f"{live_server.url}/works/{work.openalex_id}/")

    link = page.locator(".catalog-author__affiliations a").first
    name = link.inner_text()
    link.click()

    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".eyebrow")).to_have_text("Institution")
    expect(page.locator(".catalog-facts")).to_contain_text("Country")
