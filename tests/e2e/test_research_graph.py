"""The research graph walked in Chromium on the reference researcher's
profile: the served page holds the placeholder (asserted on the server's
own HTML, so a slice cached meanwhile cannot race it); the script then
swaps in the slice the session's Celery worker built, with the researcher,
coauthors, works, topics and institutions; a coauthor node leads to that
coauthor's profile; the explorer's controls change the slice and its
address; and a screenshot of the explorer is kept."""

import re
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

from tests.helpers.paths import ARTIFACTS

pytestmark = pytest.mark.e2e

KINDS = ("researcher", "work", "topic", "institution")
# The slice's build goes through the worker (or, if it is slow, the
# script's last try builds it in the request): well inside this.
SLICE_TIMEOUT_MS = 30_000


def test_the_reference_profile_shows_its_graph_and_the_explorer_shapes_it(
    page, live_server, sample_data, celery_worker_process
):
    from profiles.models import Researcher

    reference = Researcher.objects.get(display_name="Bingxuan Wang")
    key = reference.openalex_id
    profile = f"{live_server.url}/researchers/{key}/"

    # The page as served: the placeholder, whatever the cache holds.
    with urlopen(profile, timeout=30) as response:  # noqa: S310 - the live server
        served = response.read().decode()
    assert "Building this graph slice…" in served
    assert (
        "BZPEER is loading the nearby papers, people, topics and institutions "
        "for this page."
    ) in served
    assert f'data-graph-fragment="/graph/slice/researcher/{key}/"' in served

    # In the browser the slice replaces it, with no inline script or style
    # for the Content-Security-Policy to refuse.
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto(profile)
    section = page.locator("#research-graph")
    expect(section.locator(".section__title")).to_have_text(
        "See the researcher in context"
    )
    picture = section.locator(".graph-canvas svg")
    expect(picture).to_be_visible(timeout=SLICE_TIMEOUT_MS)
    expect(section).not_to_contain_text("Building this graph slice")
    centre = section.locator(".graph-node--centre")
    expect(centre).to_have_count(1)
    expect(centre).to_have_attribute("data-node", f"researcher:{key}")
    for kind in KINDS:
        nodes = section.locator(f".graph-node--{kind}:not(.graph-node--centre)")
        assert nodes.count() > 0, f"no {kind} node around the centre"
    expect(section.locator(".graph-legend")).to_contain_text("Topic")
    expect(section.locator(".graph-nearest__list a").first).to_be_visible()

    # Hovering a node names it in the picture.
    coauthor = section.locator(".graph-node--researcher:not(.graph-node--centre)").first
    coauthor_key = coauthor.get_attribute("data-node").split(":", 1)[1]
    coauthor_name = Researcher.objects.get(openalex_id=coauthor_key).display_name
    coauthor.hover()
    tooltip = section.locator("[data-graph-tooltip]")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(coauthor_name)

    # Following the coauthor's node opens their profile.
    coauthor.click()
    expect(page).to_have_url(f"{live_server.url}/researchers/{coauthor_key}/")
    expect(page.locator("h1")).to_have_text(coauthor_name)

    # The explorer, from the reference's section.
    page.goto(profile)
    page.get_by_role("link", name="Open full explorer").click()
    explorer = f"{live_server.url}/researchers/{key}/graph/"
    expect(page).to_have_url(explorer)
    stage = page.locator(".graph-stage")
    expect(stage.locator(".graph-canvas svg")).to_be_visible()
    assert stage.locator(".graph-node--topic").count() > 0
    panel = page.locator(".graph-panel")
    expect(
        panel.locator(".graph-panel__entry:visible .graph-panel__label")
    ).to_have_text("Bingxuan Wang")

    # The keyboard selects a node: Tab to it, Enter fills the panel.
    work = stage.locator(".graph-node--work").first
    work_id = work.get_attribute("data-node")
    work.evaluate("node => (node.closest('a') || node).focus()")
    page.keyboard.press("Enter")
    expect(page).to_have_url(explorer)
    selected = panel.locator(f'[data-node-detail="{work_id}"]')
    expect(selected).to_be_visible()
    expect(selected).to_contain_text("Links in this slice")
    expect(selected.get_by_role("link", name="Open its page")).to_be_visible()

    # Leaving the topics out and going two hops: the address says so, and
    # the slice shows it.
    controls = page.locator(".graph-controls")
    controls.get_by_role("checkbox", name="Topics").uncheck()
    controls.get_by_role("radio", name="2 hops").check()
    controls.get_by_role("button", name="Update graph").click()
    expect(page).to_have_url(
        re.compile(
            re.escape(explorer) + r"\?depth=2&kinds=researcher,work,institution$"
        )
    )
    expect(stage.locator(".graph-canvas svg")).to_be_visible()
    expect(stage.locator(".graph-node--topic")).to_have_count(0)
    assert stage.locator(".graph-node--institution").count() > 0
    expect(controls.get_by_role("checkbox", name="Topics")).not_to_be_checked()
    expect(page.get_by_role("link", name="GraphML")).to_have_attribute(
        "href",
        f"/researchers/{key}/graph/?depth=2&kinds=researcher,work,institution"
        "&format=graphml",
    )

    assert violations == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graph-explorer.png"), full_page=True)
