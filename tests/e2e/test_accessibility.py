"""axe-core finds no WCAG 2.1 A or AA violation on the pages a visitor walks,
in the light and the dark colour scheme."""

import pytest

from profiles.models import Researcher
from tests.factories import researcher_with_works
from tests.helpers.paths import ROOT

pytestmark = pytest.mark.e2e

# Installed by scripts/ensure-test-tools.sh (make test), version pinned there.
AXE = ROOT / ".run" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(" "),
      summary: node.failureSummary,
    })),
  }));
}"""


def _readable(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['where']}: {violation['id']} ({violation['impact']}): "
            f"{violation['help']}"
        )
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def test_the_pages_a_visitor_walks_pass_axe(chromium, live_server, sample_data):
    assert AXE.exists(), f"{AXE} is missing: run bash scripts/ensure-test-tools.sh"
    # The test injects axe as an inline script, which the site's
    # Content-Security-Policy rightly refuses: this context bypasses it.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    reference = Researcher.objects.get(display_name="Bingxuan Wang")
    prolific = researcher_with_works(45, display_name="Prolific Pagewright")
    profile = f"/researchers/{reference.openalex_id}/"
    paths = {
        "home": "/",
        "search results": "/search?q=wang",
        "reference profile": profile,
        "trust page": f"{profile}trust/",
        "404": "/researchers/A0000000000/",
        "pager": f"/researchers/{prolific.openalex_id}/?page=2",
        "404 of a page": f"/researchers/{prolific.openalex_id}/?page=9",
    }

    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for name, path in paths.items():
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == (404 if name.startswith("404") else 200)
            # The profile is checked with an abstract open, too.
            if name == "reference profile":
                page.locator("summary").first.click()
            page.add_script_tag(path=str(AXE))
            for violation in page.evaluate(RUN_AXE, WCAG_21_A_AA):
                found.append({"where": f"{name} ({scheme})", **violation})

    context.close()
    if found:
        pytest.fail("axe-core found:\n" + _readable(found), pytrace=False)
