"""The slice as inline SVG: accessible, linked, escaped, free of inline
style and script (the site's CSP), and the same bytes for the same slice."""

import re
import xml.etree.ElementTree as ET

import pytest
from defusedxml.ElementTree import fromstring

from graph.params import SliceParams
from graph.slices import slice_build
from graph.svg import slice_legend, slice_svg
from tests.factories import ResearcherFactory, work_with_team
from tests.graph.helpers import researcher_network

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
NASTY = "<script>alert(\"x\")</script> & 'Co'\x0b"


def parsed(svg: str) -> ET.Element:
    return fromstring(svg)


@pytest.fixture
def slice_():
    network = researcher_network(coauthors=30, team=4, display_name=NASTY)
    work_with_team(
        researchers=[network.centre, ResearcherFactory(display_name="Ada <b>")],
        title='On <i>tags</i> & "quotes"',
        cited_by_count=10_000,
    )
    return slice_build(SliceParams("researcher", network.centre.openalex_id))


def test_the_svg_is_an_accessible_group_of_linked_focusable_nodes(slice_):
    svg = slice_svg(slice_)
    root = parsed(svg)

    assert root.tag == f"{SVG}svg"
    # A group, so screen readers reach the node links inside it.
    assert root.get("role") == "group"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == desc_id
    assert "12 researchers" in desc.text and "Not shown: 19 more researchers" in (
        desc.text
    )
    assert root.get("viewBox") == "0 0 720 480"

    links = root.iter(f"{SVG}a")
    seen = set()
    for link in links:
        (group,) = link.findall(f"{SVG}g")
        ident = group.get("data-node")
        node = slice_.graph.nodes[ident]
        assert link.get("href") == node["url"]
        # One tab stop per node: the link, not the group inside it.
        assert group.get("tabindex") is None
        classes = group.get("class").split()
        assert {"graph-node", f"graph-node--{node['kind']}"} <= set(classes)
        assert ("graph-node--centre" in classes) == node["is_centre"]
        title = group.find(f"{SVG}title").text
        assert node["label"] in title and node["detail"] in title
        assert group.find(f"{SVG}circle") is not None
        seen.add(ident)
    assert seen == set(slice_.graph)

    lines = list(root.iter(f"{SVG}line"))
    assert len(lines) == slice_.graph.number_of_edges()
    for line in lines:
        kind = slice_.graph.edges[line.get("data-source"), line.get("data-target")][
            "kind"
        ]
        assert line.get("class") == f"graph-edge graph-edge--{kind}"
        assert 0.5 < float(line.get("stroke-width")) <= 3.5


def test_the_svg_has_no_inline_style_no_script_and_escapes_every_text(slice_):
    svg = slice_svg(slice_)
    root = parsed(svg)
    for element in root.iter():
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
        assert element.tag not in (f"{SVG}script", f"{SVG}style")
    assert "<script" not in svg and "<b>" not in svg and "<i>" not in svg
    centre = root.find(f".//{SVG}g[@data-node='{slice_.centre}']")
    # The name as it reads, the control character gone.
    assert centre.find(f"{SVG}text").text == NASTY.replace("\x0b", "")
    assert "\x0b" not in svg
    # A long label is cut under its node, whole in its title.
    assert any(
        text.text == 'On <i>tags</i> & "quo…' for text in root.iter(f"{SVG}text")
    )
    assert any(
        title.text.startswith('On <i>tags</i> & "quotes" · Work')
        for title in root.iter(f"{SVG}title")
    )


def test_the_compact_svg_labels_the_centre_alone(slice_):
    root = parsed(slice_svg(slice_, width=360, height=240, compact=True))
    assert "graph-svg--compact" in root.get("class")
    assert root.get("viewBox") == "0 0 360 240"
    labels = list(root.iter(f"{SVG}text"))
    assert len(labels) == 1
    # Every node is still there, linked and titled.
    assert len(list(root.iter(f"{SVG}a"))) == slice_.graph.number_of_nodes()


def test_the_svg_of_one_slice_is_the_same_bytes_and_fits_its_box(slice_):
    svg = slice_svg(slice_)
    assert svg == slice_svg(slice_)
    rebuilt = slice_build(slice_.params)
    assert slice_svg(rebuilt) == svg
    numbers = [
        float(value)
        for name, value in re.findall(r' (cx|cy|x1|y1|x2|y2)="([^"]+)"', svg)
    ]
    assert numbers and all(0 <= value <= 720 for value in numbers)


def test_the_legend_counts_each_kind_and_what_was_left_out(slice_):
    legend = slice_legend(slice_)
    assert [entry["kind"] for entry in legend] == [
        "researcher",
        "work",
        "topic",
        "institution",
    ]
    researchers = legend[0]
    assert researchers == {
        "kind": "researcher",
        "label": "Researchers",
        "count": 13,  # the centre and 12 coauthors
        "left_out": 19,  # 30 + Ada - 12
    }
    for entry in legend:
        assert entry["count"] == sum(
            1 for _, kind in slice_.graph.nodes(data="kind") if kind == entry["kind"]
        )


def test_a_node_without_a_page_is_drawn_without_a_link(slice_):
    slice_.graph.nodes[rid_first_coauthor(slice_)]["url"] = ""
    root = parsed(slice_svg(slice_))
    ident = rid_first_coauthor(slice_)
    group = root.find(f".//{SVG}g[@data-node='{ident}']")
    assert group is not None
    assert all(
        link.find(f"{SVG}g").get("data-node") != ident for link in root.iter(f"{SVG}a")
    )


def rid_first_coauthor(slice_) -> str:
    return sorted(
        ident
        for ident, attributes in slice_.graph.nodes(data=True)
        if attributes["kind"] == "researcher" and not attributes["is_centre"]
    )[0]
