"""Citations and graph slices through the API, and the docs page under the
site's CSP."""

import json
import re

import networkx as nx
import pytest

from profiles.models import HiddenWork
from tests.factories import (
    AuthorshipFactory,
    ResearcherFactory,
    WorkFactory,
    work_with_team,
)

pytestmark = pytest.mark.django_db


def test_a_works_citation_downloads_in_each_style(api):
    researcher = ResearcherFactory(openalex_id="A1", display_name="Ada Lovelace")
    work = WorkFactory(openalex_id="W1", title="Notes on the Engine", doi="10.1/x")
    AuthorshipFactory(work=work, researcher=researcher, raw_author_name="Ada Lovelace")

    bibtex = api.get("/api/works/W1/citations/")
    assert bibtex.status_code == 200
    assert bibtex["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert bibtex["Content-Disposition"].startswith("attachment; filename=")
    assert "Notes on the Engine" in bibtex.content.decode()

    ris = api.get("/api/works/W1/citations/", {"style": "ris"}).content.decode()
    assert "TI  - Notes on the Engine" in ris
    csl = json.loads(api.get("/api/works/W1/citations/", {"style": "csl-json"}).content)
    assert csl[0]["DOI"] == "10.1/x"

    unknown = api.get("/api/works/W1/citations/", {"style": "mla"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "refused"


def test_a_researchers_citations_leave_out_hidden_works(api):
    researcher = ResearcherFactory(openalex_id="A1")
    kept = WorkFactory(openalex_id="W1", title="Kept paper")
    hidden = WorkFactory(openalex_id="W2", title="Not mine")
    AuthorshipFactory(work=kept, researcher=researcher)
    AuthorshipFactory(work=hidden, researcher=researcher)
    HiddenWork.objects.create(researcher=researcher, work=hidden)

    csl = json.loads(
        api.get("/api/researchers/A1/citations/", {"style": "csl-json"}).content
    )

    assert [entry["title"] for entry in csl] == ["Kept paper"]


def test_a_graph_slice_is_node_link_json_networkx_reads(api):
    centre = ResearcherFactory(openalex_id="A1")
    coauthor = ResearcherFactory(openalex_id="A2")
    work = work_with_team(researchers=[centre, coauthor], openalex_id="W1")

    response = api.get("/api/researchers/A1/graph/", {"kinds": "researcher,work"})

    assert response.status_code == 200
    graph = nx.node_link_graph(response.json(), edges="edges")
    assert sorted(
        (data["kind"], data["label"]) for _, data in graph.nodes(data=True)
    ) == sorted(
        [
            ("researcher", centre.display_name),
            ("researcher", coauthor.display_name),
            ("work", work.title),
        ]
    )
    assert graph.number_of_edges() >= 2
    assert response.json()["graph"]["centre"] in graph.nodes
    assert api.get("/api/works/W1/graph/").status_code == 200
    assert api.get("/api/topics/T404/graph/").status_code == 404


def test_the_docs_page_runs_no_inline_script(client):
    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all(
        "src=" in attributes and not body.strip() for attributes, body in scripts
    )
    assert "cdn" not in html.lower()
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert client.get("/api/schema/").status_code == 200
