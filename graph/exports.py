"""A slice as a file: node-link JSON (as networkx writes it), GraphML and
GEXF, readable by networkx, Gephi and Cytoscape. Nodes carry their kind,
label, page, metrics and layout; edges their kind and weight. A slice holds
no hidden profile or work (``graph.slices``), so neither does its export."""

from __future__ import annotations

import io
import json
import re

import networkx as nx

from .slices import Slice

FORMATS = {
    "json": ("application/json", "json"),
    "graphml": ("application/graphml+xml", "graphml"),
    "gexf": ("application/gexf+xml", "gexf"),
}


def _filename(slice: Slice, extension: str) -> str:
    params = slice.params
    key = re.sub(r"[^A-Za-z0-9._-]", "", params.centre_key) or "slice"
    return f"bzpeer-graph-{params.centre_kind}-{key}.{extension}"


def _about(slice: Slice) -> dict:
    """What the file says about the slice as a whole, scalars only (GraphML
    cannot carry more): centre, when it was built, its parameters as a URL
    query, and how many nodes of each kind a cap left out."""
    query = "&".join(f"{k}={v}" for k, v in sorted(slice.params.to_query().items()))
    about = {
        "centre": slice.centre,
        "built_at": slice.built_at.isoformat(),
        "depth": slice.params.depth,
        "parameters": query,
    }
    return about


def slice_export(slice: Slice, fmt: str) -> tuple[bytes, str, str]:
    """``slice`` as ``fmt`` ("json", "graphml" or "gexf"): the file's bytes,
    its content type and a file name. Raises ``ValueError`` for another
    format."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {FORMATS}")
    content_type, extension = FORMATS[fmt]
    graph = slice.graph.copy()
    graph.graph.clear()
    if fmt == "json":
        graph.graph.update(_about(slice), left_out=dict(sorted(slice.left_out.items())))
        data = nx.node_link_data(graph, edges="edges")
        content = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    elif fmt == "graphml":
        graph.graph.update(_about(slice))
        for kind, count in sorted(slice.left_out.items()):
            graph.graph[f"left_out_{kind}"] = int(count)
        buffer = io.BytesIO()
        nx.write_graphml(graph, buffer, encoding="utf-8", prettyprint=True)
        content = buffer.getvalue()
    else:
        centre = slice.graph.nodes[slice.centre]
        graph.graph["name"] = f"BZPEER research graph of {centre['label']}"
        buffer = io.BytesIO()
        nx.write_gexf(graph, buffer, encoding="utf-8", prettyprint=True)
        content = buffer.getvalue()
    return content, content_type, _filename(slice, extension)
