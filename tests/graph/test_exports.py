"""Exports: node-link JSON as networkx writes it, GraphML and GEXF, each read
back by networkx with the same nodes, edges and attributes."""

import io
import json

import networkx as nx
import pytest

from graph.exports import slice_export
from graph.params import SliceParams
from graph.slices import slice_build
from profiles.models import HiddenWork
from tests.factories import ResearcherFactory, TopicFactory, work_with_team
from tests.graph.helpers import researcher_network, researcher_topics

pytestmark = pytest.mark.django_db

NODE_ATTRIBUTES = (
    "kind",
    "label",
    "url",
    "degree",
    "tie",
    "betweenness",
    "x",
    "y",
    "detail",
    "is_centre",
)


@pytest.fixture
def slice_():
    network = researcher_network(
        coauthors=20, team=4, display_name='Zoë <Quoted> & "Co" \x0c'
    )
    researcher_topics(network.coauthors, TopicFactory.create_batch(3))
    hidden = ResearcherFactory(is_hidden=True, display_name="Hidden Person")
    work_with_team(researchers=[network.centre, hidden])
    secret = work_with_team(
        researchers=[network.centre, network.coauthors[0]], title="Secret Work"
    )
    HiddenWork.objects.create(researcher=network.centre, work=secret)
    return slice_build(SliceParams("researcher", network.centre.openalex_id, depth=2))


def read_back(slice_) -> dict[str, nx.Graph]:
    data, _, _ = slice_export(slice_, "json")
    graphml, _, _ = slice_export(slice_, "graphml")
    gexf, _, _ = slice_export(slice_, "gexf")
    return {
        "json": nx.node_link_graph(json.loads(data), edges="edges"),
        "graphml": nx.read_graphml(io.BytesIO(graphml)),
        "gexf": nx.read_gexf(io.BytesIO(gexf)),
    }


def edge_set(graph: nx.Graph) -> set[frozenset]:
    return {frozenset(edge) for edge in graph.edges()}


def test_graphml_and_gexf_read_back_with_the_nodes_and_edges_of_the_json(slice_):
    graphs = read_back(slice_)
    reference = graphs["json"]

    assert set(reference) == set(slice_.graph)
    assert edge_set(reference) == edge_set(slice_.graph)
    for name in ("graphml", "gexf"):
        graph = graphs[name]
        assert not graph.is_directed(), name
        assert set(graph) == set(reference), name
        assert edge_set(graph) == edge_set(reference), name


def test_every_format_keeps_kinds_labels_metrics_and_weights(slice_):
    for name, graph in read_back(slice_).items():
        for ident, attributes in slice_.graph.nodes(data=True):
            read = graph.nodes[ident]
            for attribute in NODE_ATTRIBUTES:
                assert read[attribute] == attributes[attribute], (name, attribute)
                assert type(read[attribute]) is type(attributes[attribute]), (
                    name,
                    attribute,
                )
        for a, b, attributes in slice_.graph.edges(data=True):
            read = graph.edges[a, b]
            assert read["kind"] == attributes["kind"], name
            assert read["weight"] == attributes["weight"], name


def test_the_json_is_node_link_data_as_networkx_writes_it(slice_):
    content, content_type, filename = slice_export(slice_, "json")
    data = json.loads(content)
    assert content_type == "application/json"
    assert filename == f"bzpeer-graph-researcher-{slice_.params.centre_key}.json"
    assert set(data) == {"directed", "multigraph", "graph", "nodes", "edges"}
    assert data["graph"]["centre"] == slice_.centre
    assert data["graph"]["left_out"] == slice_.left_out
    assert data["graph"]["parameters"] == "depth=2"
    # Sorted keys: the same slice, the same bytes.
    assert content.decode() == json.dumps(data, sort_keys=True, ensure_ascii=False)
    assert content == slice_export(slice_, "json")[0]


def test_the_xml_formats_say_what_they_are(slice_):
    graphml, graphml_type, graphml_name = slice_export(slice_, "graphml")
    gexf, gexf_type, gexf_name = slice_export(slice_, "gexf")
    assert graphml_type == "application/graphml+xml"
    assert graphml_name.endswith(".graphml")
    assert gexf_type == "application/gexf+xml"
    assert gexf_name.endswith(".gexf")
    assert b"graphdrawing.org/xmlns" in graphml
    assert b"www.gexf.net" in gexf
    graph = nx.read_graphml(io.BytesIO(graphml))
    assert graph.graph["centre"] == slice_.centre
    assert graph.graph["left_out_researcher"] == slice_.left_out["researcher"]


def test_no_export_names_a_hidden_profile_or_work(slice_):
    for fmt in ("json", "graphml", "gexf"):
        content, _, _ = slice_export(slice_, fmt)
        assert b"Hidden Person" not in content, fmt
        assert b"Secret Work" not in content, fmt


def test_another_format_is_refused(slice_):
    with pytest.raises(ValueError):
        slice_export(slice_, "csv")
