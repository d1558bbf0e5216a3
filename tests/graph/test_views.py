"""The graph's pages: the slice fragment the profile fetches (202 and a
build enqueued while cold, 200 with the picture once built), the explorer
of a researcher, work, topic or institution (its controls in the address,
its exports readable by networkx), hidden profiles missing everywhere,
garbage parameters never a 500, and the pages still answering with the
cache's Redis stopped."""

import io
import json
import logging
import re
from types import SimpleNamespace

import networkx as nx
import pytest
from django.test import Client
from django.urls import reverse

from graph import views
from graph.cache import slice_get
from graph.params import SliceParams
from profiles.models import ResearcherRedirect
from tests.factories import (
    AuthorshipInstitutionFactory,
    InstitutionFactory,
    ResearcherFactory,
    ResearcherTopicFactory,
    TopicFactory,
    UserFactory,
    WorkTopicFactory,
    work_with_team,
)
from tests.helpers.pages import page_text, profile_url

pytestmark = pytest.mark.django_db

PLACEHOLDER = (
    "Building this graph slice… BZPEER is loading the nearby papers, people, "
    "topics and institutions for this page."
)
EXPORT_TYPES = {
    "json": "application/json",
    "graphml": "application/graphml+xml",
    "gexf": "application/gexf+xml",
}


@pytest.fixture
def neighbourhood():
    """Ada and what is around her: three coauthors on two works, each work
    with a topic (the first also among Ada's), her affiliation named on
    her authorship of the first."""
    ada = ResearcherFactory(display_name="Ada Centre")
    bea = ResearcherFactory(display_name="Bea Coauthor")
    cy = ResearcherFactory(display_name="Cy Coauthor")
    dee = ResearcherFactory(display_name="Dee Coauthor")
    first = work_with_team(
        researchers=[ada, bea, cy], title="Graphs of Things", cited_by_count=9
    )
    second = work_with_team(
        researchers=[ada, dee], title="Trees of Things", publication_year=2019
    )
    topic = TopicFactory(display_name="Graph Studies")
    WorkTopicFactory(work=first, topic=topic)
    WorkTopicFactory(work=second, topic=TopicFactory(display_name="Tree Studies"))
    ResearcherTopicFactory(researcher=ada, topic=topic, count=2)
    institution = InstitutionFactory(display_name="Nodal Institute")
    ada.affiliation = institution
    ada.save(update_fields=["affiliation"])
    AuthorshipInstitutionFactory(
        authorship=first.authorships.get(researcher=ada), institution=institution
    )
    return SimpleNamespace(
        ada=ada,
        bea=bea,
        dee=dee,
        first=first,
        second=second,
        topic=topic,
        institution=institution,
    )


def fragment_url(researcher, **query) -> str:
    url = reverse("graph:fragment", args=["researcher", researcher.openalex_id])
    if query:
        url += "?" + "&".join(f"{name}={value}" for name, value in query.items())
    return url


def explorer_url(researcher) -> str:
    return reverse("graph:researcher", args=[researcher.openalex_id])


def default_params(researcher) -> SliceParams:
    return SliceParams(centre_kind="researcher", centre_key=researcher.openalex_id)


def node_ids(html: str) -> set[str]:
    return set(re.findall(r'data-node="([^"]+)"', html))


# --- the fragment --------------------------------------------------------------


def test_a_built_fragment_is_answered_from_the_page_cache_the_pending_one_never(
    client, neighbourhood, enqueued, django_assert_num_queries
):
    ada = neighbourhood.ada
    pending = client.get(fragment_url(ada))
    assert pending.status_code == 202
    assert "X-Page-Cache" not in pending

    slice_get(default_params(ada), build=True)
    built = client.get(fragment_url(ada))
    with django_assert_num_queries(0):
        again = client.get(fragment_url(ada))

    assert (built.status_code, built["X-Page-Cache"]) == (200, "miss")
    assert (again.status_code, again["X-Page-Cache"]) == (200, "hit")
    assert again.content == built.content
    # Browsers still ask each time: the fragment turns from 202 to 200.
    assert "no-cache" in again["Cache-Control"]


def test_a_cold_fragment_answers_202_and_enqueues_the_build_then_200(
    client, neighbourhood, enqueued, django_capture_on_commit_callbacks
):
    ada = neighbourhood.ada

    # The build is enqueued once the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        cold = client.get(fragment_url(ada))
        again = client.get(fragment_url(ada))

    assert cold.status_code == 202
    assert page_text(cold) == f"{PLACEHOLDER} Open the graph"
    assert f'<a href="{explorer_url(ada)}">Open the graph</a>' in cold.content.decode()
    assert "no-cache" in cold["Cache-Control"]
    assert again.status_code == 202
    # One build however often the page asks.
    tasks = enqueued()
    assert [name for name, _, _ in tasks] == ["graph.slice_build"]
    assert ada.openalex_id in json.dumps([tasks[0][1], tasks[0][2]])
    assert slice_get(default_params(ada), build=False) is None

    slice_get(default_params(ada), build=True)
    warm = client.get(fragment_url(ada))

    assert warm.status_code == 200
    html = warm.content.decode()
    assert html.count("<svg") == 1
    assert f"researcher:{ada.openalex_id}" in node_ids(html)
    assert {
        f"researcher:{neighbourhood.bea.openalex_id}",
        f"work:{neighbourhood.first.openalex_id}",
        f"topic:{neighbourhood.topic.openalex_id}",
        f"institution:{neighbourhood.institution.openalex_id}",
    } <= node_ids(html)
    assert (
        f'<g class="graph-node graph-node--researcher graph-node--centre '
        f'graph-node--hop0" data-node="researcher:{ada.openalex_id}">'
    ) in html
    text = page_text(warm)
    assert "Nearest to Ada Centre" in text
    # The nearest nodes as plain links, beside the picture.
    nearest = re.search(r'<ol class="graph-nearest__list".*?</ol>', html, re.S)
    assert nearest
    assert (
        f'<a class="graph-nearest__link" '
        f'href="/researchers/{neighbourhood.bea.openalex_id}/" '
        f'data-node-link="researcher:{neighbourhood.bea.openalex_id}">Bea Coauthor</a>'
    ) in nearest.group(0)
    assert 'class="graph-legend"' in html
    for label in ("Researcher", "Work", "Topic", "Institution"):
        assert label in text
    # Nothing more enqueued once the slice is there.
    assert [name for name, _, _ in enqueued()] == ["graph.slice_build"]


def test_the_fragment_says_what_its_caps_left_out(client, enqueued):
    ada = ResearcherFactory(display_name="Ada Crowded")
    crowd = [ResearcherFactory() for _ in range(15)]
    work_with_team(researchers=[ada, *crowd])
    params = default_params(ada)
    slice_ = slice_get(params, build=True)
    assert len(slice_.graph) > 1

    response = client.get(fragment_url(ada))

    assert response.status_code == 200
    text = page_text(response)
    assert "and 3 more coauthors" in text
    assert views.left_out_lines(slice_) == ["and 3 more coauthors"]
    assert enqueued() == []


def test_the_fragment_builds_in_the_request_when_the_script_asks_at_last(
    client, neighbourhood, enqueued
):
    response = client.get(fragment_url(neighbourhood.ada, build=1))

    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    assert enqueued() == []
    assert slice_get(default_params(neighbourhood.ada), build=False) is not None


def test_a_fragment_that_cannot_be_had_says_so(client, neighbourhood, monkeypatch):
    def broken(params, *, build):
        raise RuntimeError("no database today")

    monkeypatch.setattr(views, "slice_get", broken)

    response = client.get(fragment_url(neighbourhood.ada, build=1))

    assert response.status_code == 503
    assert page_text(response) == (
        "The graph is not available right now. Try again in a moment, "
        "or open the full explorer."
    )


@pytest.mark.parametrize(
    "path",
    [
        "/graph/slice/person/A1/",
        "/graph/slice/researcher/W1/",
        "/graph/slice/researcher/A1x/",
        "/graph/slice/researcher/A99999999/",
        "/graph/slice/work/W99999999/",
        "/graph/slice/topic/T99999999/",
        "/graph/slice/institution/I99999999/",
    ],
)
def test_a_fragment_of_no_such_node_is_404(client, path):
    assert client.get(path).status_code == 404


# --- hidden profiles -------------------------------------------------------------


def test_a_hidden_profile_has_no_graph_for_the_public(client, neighbourhood):
    hidden = neighbourhood.ada
    # Cached before the owner hid it: the pages still never show it.
    slice_get(default_params(hidden), build=True)
    hidden.is_hidden = True
    hidden.save(update_fields=["is_hidden"])

    for url in (
        fragment_url(hidden),
        fragment_url(hidden, build=1),
        explorer_url(hidden),
        explorer_url(hidden) + "?depth=2",
        explorer_url(hidden) + "?format=json",
        explorer_url(hidden) + "?format=graphml",
    ):
        assert client.get(url).status_code == 404, url
    client.force_login(UserFactory())
    assert client.get(explorer_url(hidden)).status_code == 404
    assert client.get(fragment_url(hidden)).status_code == 404

    # Staff (and the owner) see the profile, which says why it has no graph.
    client.force_login(UserFactory(is_staff=True))
    hidden_text = "This profile is hidden, so it is in no research graph."
    fragment = client.get(fragment_url(hidden))
    assert fragment.status_code == 200
    assert page_text(fragment).startswith(hidden_text)
    assert "<svg" not in fragment.content.decode()
    page = client.get(explorer_url(hidden))
    assert page.status_code == 200
    assert hidden_text in page_text(page)
    assert "Bea Coauthor" not in page.content.decode()
    assert client.get(explorer_url(hidden) + "?format=json").status_code == 404


def test_a_hidden_coauthor_is_in_no_slice_nor_export(client, neighbourhood):
    bea = neighbourhood.bea
    bea.is_hidden = True
    bea.save(update_fields=["is_hidden"])
    hidden_node = f"researcher:{bea.openalex_id}"

    page = client.get(explorer_url(neighbourhood.ada))
    exported = client.get(explorer_url(neighbourhood.ada) + "?format=json")

    assert page.status_code == 200
    assert hidden_node not in node_ids(page.content.decode())
    assert "Bea Coauthor" not in page.content.decode()
    data = json.loads(exported.content)
    assert hidden_node not in {node["id"] for node in data["nodes"]}
    assert "Bea Coauthor" not in exported.content.decode()


# --- the explorer ----------------------------------------------------------------


def test_the_explorer_shows_the_slice_its_controls_panel_and_exports(
    client, neighbourhood
):
    ada = neighbourhood.ada
    url = explorer_url(ada)

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    text = page_text(response)
    assert text.count("Research graph") >= 1
    assert "Ada Centre" in text
    assert html.count("<svg") == 2  # the site's wordmark and the slice
    assert f"researcher:{neighbourhood.dee.openalex_id}" in node_ids(html)
    # The controls: a GET form to the explorer itself, defaults shown.
    form = re.search(r'<form class="graph-controls".*?</form>', html, re.S)
    assert form
    form = form.group(0)
    assert f'method="get" action="{url}"' in form
    assert '<input type="radio" name="depth" value="1" checked>' in form
    assert '<input type="radio" name="depth" value="2">' in form
    for kind in ("researcher", "work", "topic", "institution"):
        assert f'name="kinds" value="{kind}" checked>' in form
    # The finer controls folded while they hold their defaults.
    assert '<details class="graph-controls__more">' in form
    assert 'name="year_min" ' in form and 'name="year_max" ' in form
    assert 'name="min_tie" ' in form and 'value="0"' in form
    for name, value in (("coauthors", 12), ("works", 12), ("topics", 8)):
        assert re.search(rf'name="{name}" [^>]*value="{value}"', form), name
    # The side panel: the centre's entry shown, every other node's ready.
    entries = re.findall(r'data-node-detail="([^"]+)"( hidden)?', html)
    assert (f"researcher:{ada.openalex_id}", "") in entries
    assert (f"researcher:{neighbourhood.bea.openalex_id}", " hidden") in entries
    assert {node for node, _ in entries} == node_ids(html) - {""}
    # Exports of the shown slice.
    for fmt in ("json", "graphml", "gexf"):
        assert f'href="{url}?format={fmt}" download data-export="{fmt}"' in html
    assert "The graph is unavailable for now" not in text


def test_the_controls_round_trip_through_the_address(client, neighbourhood):
    ada = neighbourhood.ada
    url = explorer_url(ada)
    # What the form sends: every field, the kinds as repeated checkboxes.
    submitted = (
        "depth=2&kinds=researcher&kinds=work&year_min=2010&year_max="
        "&min_tie=0.25&coauthors=5&works=12&topics=8&institutions=8"
    )

    redirect = client.get(f"{url}?{submitted}")

    shared = (
        f"{url}?depth=2&kinds=researcher,work&year_min=2010&min_tie=0.25&coauthors=5"
    )
    assert redirect.status_code == 302
    assert redirect["Location"] == shared
    response = client.get(shared)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<input type="radio" name="depth" value="2" checked>' in html
    assert 'name="kinds" value="researcher" checked>' in html
    assert 'name="kinds" value="work" checked>' in html
    assert 'name="kinds" value="topic">' in html
    assert 'name="kinds" value="institution">' in html
    assert '<details class="graph-controls__more" open>' in html
    assert re.search(r'name="year_min" [^>]*value="2010"', html)
    assert re.search(r'name="min_tie" [^>]*value="0.25"', html)
    assert re.search(r'name="coauthors" [^>]*value="5"', html)
    query = "depth=2&amp;kinds=researcher,work&amp;year_min=2010&amp;min_tie=0.25"
    for fmt in ("json", "graphml", "gexf"):
        assert f'href="{url}?{query}&amp;coauthors=5&amp;format={fmt}"' in html
    kinds = {node.split(":")[0] for node in node_ids(html)}
    assert kinds == {"researcher", "work"}
    # The shared address is its own canonical form: no second redirect.
    assert client.get(shared).status_code == 200
    assert client.get(f"{url}?depth=1").status_code == 302


def test_the_exports_are_the_shown_slice_and_read_back_with_networkx(
    client, neighbourhood
):
    url = explorer_url(neighbourhood.ada) + "?kinds=researcher,work,topic"
    shown = node_ids(client.get(url).content.decode())

    graphs = {}
    for fmt, content_type in EXPORT_TYPES.items():
        response = client.get(f"{url}&format={fmt}")
        assert response.status_code == 200, fmt
        assert response["Content-Type"].startswith(content_type), fmt
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment; filename="), fmt
        assert disposition.rstrip('"').endswith(f".{fmt}"), fmt
        graphs[fmt] = response.content

    data = json.loads(graphs["json"])
    from_json = nx.node_link_graph(data, edges="edges")
    from_graphml = nx.read_graphml(io.BytesIO(graphs["graphml"]))
    from_gexf = nx.read_gexf(io.BytesIO(graphs["gexf"]))
    assert set(from_json.nodes) == shown
    assert not any(node.startswith("institution:") for node in shown)
    for graph in (from_graphml, from_gexf):
        assert set(graph.nodes) == set(from_json.nodes)
        assert {frozenset(edge) for edge in graph.edges} == {
            frozenset(edge) for edge in from_json.edges
        }
    centre = f"researcher:{neighbourhood.ada.openalex_id}"
    assert from_graphml.nodes[centre]["kind"] == "researcher"
    assert from_graphml.nodes[centre]["label"] == "Ada Centre"


@pytest.mark.parametrize("kind", ["work", "topic", "institution"])
def test_every_kind_of_node_has_an_explorer(client, neighbourhood, kind):
    record = {
        "work": neighbourhood.first,
        "topic": neighbourhood.topic,
        "institution": neighbourhood.institution,
    }[kind]
    url = reverse(f"graph:{kind}", args=[record.openalex_id])
    assert url == f"/{kind}s/{record.openalex_id}/graph/"

    response = client.get(url)
    exported = client.get(url + "?format=json")

    assert response.status_code == 200
    assert f"{kind}:{record.openalex_id}" in node_ids(response.content.decode())
    assert f"researcher:{neighbourhood.ada.openalex_id}" in node_ids(
        response.content.decode()
    )
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/json")


def test_the_explorer_of_a_merged_record_leads_to_the_survivors(client, neighbourhood):
    ResearcherRedirect.objects.create(
        old_openalex_id="A123456789", researcher=neighbourhood.ada
    )

    response = client.get("/researchers/A123456789/graph/?depth=2")

    assert response.status_code == 301
    assert response["Location"] == explorer_url(neighbourhood.ada) + "?depth=2"


def test_an_unbuildable_slice_leaves_the_explorer_standing(
    client, neighbourhood, monkeypatch
):
    def broken(params, *, build):
        raise RuntimeError("statement timeout")

    monkeypatch.setattr(views, "slice_get", broken)
    url = explorer_url(neighbourhood.ada)

    page = client.get(url)
    exported = client.get(url + "?format=json")

    assert page.status_code == 200
    assert "The graph is unavailable for now." in page_text(page)
    assert exported.status_code == 503
    assert exported.content == b"The graph is unavailable for now.\n"


@pytest.mark.parametrize(
    "query",
    [
        "depth=99",
        "depth=-1",
        "depth=abc",
        "kinds=",
        "kinds=people,,%00",
        "kinds=researcher&kinds=nothing",
        "year_min=abc&year_max=1e999",
        "year_min=3000&year_max=1000",
        "min_tie=nan",
        "min_tie=-5",
        "min_tie=inf",
        "coauthors=100000&works=-3&topics=x&institutions=",
        "format=pdf",
        "format=",
        "format=json&depth=banana",
        "depth=%FF%FE",
        "page=2&sort=citations",
    ],
)
def test_garbage_parameters_never_fail_the_explorer(client, neighbourhood, query):
    url = f"{explorer_url(neighbourhood.ada)}?{query}"

    response = client.get(url, follow=True)

    assert response.status_code in (200, 400), query
    if response.status_code == 400:
        assert query.startswith("format=")
    fragment = client.get(f"{fragment_url(neighbourhood.ada)}?{query}")
    assert fragment.status_code in (200, 202), query


# --- Redis down --------------------------------------------------------------------


def test_the_graph_pages_answer_with_the_cache_redis_stopped(
    own_redis, cache_on, neighbourhood, caplog
):
    # A Redis of the test's own on a spare port (tests/graph/conftest.py).
    process, url = own_redis
    cache_on(url, prefix="bzpeer-graph-pages-down")
    ada = neighbourhood.ada
    client = Client()
    # Up: the slice is cached in this Redis.
    slice_get(default_params(ada), build=True)
    assert client.get(fragment_url(ada)).status_code == 200

    process.terminate()
    process.wait()
    caplog.set_level(logging.WARNING)

    profile = client.get(profile_url(ada))
    assert profile.status_code == 200
    assert PLACEHOLDER in page_text(profile)
    # Cold without its cache: the script is told to wait, then to build.
    fragment = client.get(fragment_url(ada))
    assert fragment.status_code == 202
    assert page_text(fragment).startswith(PLACEHOLDER)
    built = client.get(fragment_url(ada, build=1))
    assert built.status_code == 200
    assert f"researcher:{ada.openalex_id}" in node_ids(built.content.decode())
    # The explorer and its exports build within the request.
    explorer = client.get(explorer_url(ada))
    assert explorer.status_code == 200
    assert f"researcher:{ada.openalex_id}" in node_ids(explorer.content.decode())
    assert "The graph is unavailable for now." not in page_text(explorer)
    exported = client.get(explorer_url(ada) + "?format=gexf")
    assert exported.status_code == 200
    assert "cache unavailable" in caplog.text
