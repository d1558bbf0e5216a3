"""A slice as inline SVG, rendered on the server: no script and no style
attribute (the site's Content Security Policy forbids both inline), colours
from the classes ``static/css`` gives ``graph-node--{kind}``,
``graph-node--centre``, ``graph-edge`` and ``graph-edge--{kind}``.

Each node is a link to its page wrapping a focusable group whose ``<title>``
names it and its metric, so hovering or focusing it shows them. The output
depends only on the slice's attributes, every list in it sorted and every
number formatted to fixed places: the same slice gives the same bytes in
any process."""

from __future__ import annotations

import hashlib
import math
from html import escape

from .params import KINDS
from .slices import Slice

KIND_LABELS = {
    "researcher": ("Researcher", "Researchers"),
    "work": ("Work", "Works"),
    "topic": ("Topic", "Topics"),
    "institution": ("Institution", "Institutions"),
}
_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
# A label under a node is cut here (its <title> holds it whole).
SHORT_LABEL = 22


def _text(value) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _short(label: str, limit: int = SHORT_LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _kind_name(kind: str, count: int) -> str:
    singular, plural = KIND_LABELS.get(kind, (kind.title(), kind.title() + "s"))
    return singular if count == 1 else plural


def slice_legend(slice: Slice) -> list[dict]:
    """One entry per kind of node in the slice, in ``KINDS`` order:
    ``kind``, ``label`` ("Researchers"), ``count`` (the centre included)
    and ``left_out`` (how many more a cap kept out)."""
    counts: dict[str, int] = {}
    for _, kind in slice.graph.nodes(data="kind"):
        counts[kind] = counts.get(kind, 0) + 1
    return [
        {
            "kind": kind,
            "label": KIND_LABELS[kind][1],
            "count": counts[kind],
            "left_out": slice.left_out.get(kind, 0),
        }
        for kind in KINDS
        if counts.get(kind)
    ]


def slice_description(slice: Slice) -> str:
    """One sentence saying what the picture shows, for its ``<desc>`` and
    for readers who do not see it."""
    graph = slice.graph
    centre = graph.nodes[slice.centre]
    shown = []
    for entry in slice_legend(slice):
        count = entry["count"] - (entry["kind"] == centre["kind"])
        if count:
            shown.append(f"{count} {_kind_name(entry['kind'], count).lower()}")
    text = f"The research graph around {centre['label']}"
    if shown:
        listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1])
        if len(shown) > 1:
            listed += f" and {shown[-1]}"
        text += f": {listed}"
    text += f", {graph.number_of_edges()} links."
    more = [
        f"{count} more {_kind_name(kind, count).lower()}"
        for kind in KINDS
        if (count := slice.left_out.get(kind, 0))
    ]
    if more:
        text += " Not shown: " + ", ".join(more) + "."
    return text


def node_title(attributes: dict) -> str:
    """What hovering or focusing a node shows: its label, kind and metric."""
    kind = KIND_LABELS.get(attributes["kind"], (attributes["kind"],))[0]
    parts = [attributes["label"], kind]
    if attributes.get("detail"):
        parts.append(attributes["detail"])
    links = attributes.get("degree", 0)
    parts.append(f"{links} link{'' if links == 1 else 's'}")
    return " · ".join(parts)


def _label_place(node: dict, x: float, y: float, radius: float):
    """Where a node's label goes: outward from the centre (right of a node
    on the right, left of one on the left, under one straight below or
    above), so the labels of a ring fan out instead of piling up."""
    dx = float(node.get("x", 0.5)) - 0.5
    if node.get("is_centre") or abs(dx) < 0.06:
        return x, y + radius + 11, "middle"
    if dx > 0:
        return x + radius + 3, y + 4, "start"
    return x - radius - 3, y + 4, "end"


def slice_svg(
    slice: Slice, *, width: int = 720, height: int = 480, compact: bool = False
) -> str:
    """The slice as an ``<svg>`` element (a string to put in a page as it
    is): edges as lines as wide as their weight, nodes as circles as large as
    their degree, labels under them (the centre's alone when ``compact``)."""
    graph = slice.graph
    width, height = max(int(width), 120), max(int(height), 120)
    # Room around the rings: beside them for the labels that fan out there.
    pad_y = 18 if compact else 30
    pad_x = 18 if compact else max(30, round(width * 0.15))
    digest = hashlib.sha256(
        f"{slice.centre}|{sorted(slice.params.to_query().items())}".encode()
    ).hexdigest()[:10]
    title_id, desc_id = f"graph-title-{digest}", f"graph-desc-{digest}"
    centre = graph.nodes[slice.centre]

    def point(ident: str) -> tuple[str, str]:
        node = graph.nodes[ident]
        x = pad_x + float(node.get("x", 0.5)) * (width - 2 * pad_x)
        y = pad_y + float(node.get("y", 0.5)) * (height - 2 * pad_y)
        return _number(x), _number(y)

    max_degree = max((d for _, d in graph.nodes(data="degree", default=0)), default=1)
    strongest: dict[str, float] = {}
    for _, _, data in graph.edges(data=True):
        kind = data.get("kind", "")
        strongest[kind] = max(strongest.get(kind, 0.0), float(data.get("weight", 0)))

    classes = "graph-svg graph-svg--compact" if compact else "graph-svg"
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{classes}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        # A group, not an image: its node links stay reachable by screen
        # readers and the keyboard.
        f'role="group" aria-labelledby="{title_id} {desc_id}" '
        f'data-centre="{_text(slice.centre)}">',
        f'<title id="{title_id}">Research graph of {_text(centre["label"])}</title>',
        f'<desc id="{desc_id}">{_text(slice_description(slice))}</desc>',
        '<g class="graph-edges">',
    ]
    edges = sorted(tuple(sorted((a, b))) for a, b in graph.edges())
    for a, b in edges:
        data = graph.edges[a, b]
        kind = str(data.get("kind", ""))
        top = strongest.get(kind, 0.0)
        share = float(data.get("weight", 0)) / top if top > 0 else 0.0
        x1, y1 = point(a)
        x2, y2 = point(b)
        lines.append(
            f'<line class="graph-edge graph-edge--{_text(kind)}" '
            f'x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
            f'stroke-width="{_number(0.8 + 2.7 * share)}" '
            f'data-source="{_text(a)}" data-target="{_text(b)}"/>'
        )
    lines.append("</g>")
    lines.append('<g class="graph-nodes">')

    def order(ident: str):
        node = graph.nodes[ident]
        # The outer ring first, the centre last: nearer nodes are drawn on top.
        return (
            bool(node.get("is_centre")),
            -int(node.get("hop", 0)),
            _KIND_ORDER.get(node.get("kind"), 99),
            int(node.get("rank", 0)),
            ident,
        )

    for ident in sorted(graph, key=order):
        node = graph.nodes[ident]
        kind = str(node.get("kind", ""))
        is_centre = bool(node.get("is_centre"))
        if is_centre:
            radius = 11.0 if compact else 14.0
        else:
            size = math.sqrt(int(node.get("degree", 0)) / max(max_degree, 1))
            radius = (3.5 if compact else 4.5) + (4.0 if compact else 6.0) * size
        x, y = point(ident)
        node_classes = f"graph-node graph-node--{_text(kind)}"
        if is_centre:
            node_classes += " graph-node--centre"
        node_classes += f" graph-node--hop{int(node.get('hop', 0))}"
        url = node.get("url") or ""
        # One tab stop per node: its link, or the node itself without one.
        focus = "" if url else ' tabindex="0"'
        parts = [
            f'<g class="{node_classes}"{focus} data-node="{_text(ident)}">',
            f"<title>{_text(node_title(node))}</title>",
            f'<circle cx="{x}" cy="{y}" r="{_number(radius)}"/>',
        ]
        if is_centre or not compact:
            label = node["label"] if is_centre else _short(node["label"])
            lx, ly, anchor = _label_place(node, float(x), float(y), radius)
            parts.append(
                f'<text class="graph-label" x="{_number(lx)}" y="{_number(ly)}" '
                f'text-anchor="{anchor}">{_text(label)}</text>'
            )
        parts.append("</g>")
        if url:
            parts = [f'<a href="{_text(url)}">', *parts, "</a>"]
        lines.append("".join(parts))
    lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines)
