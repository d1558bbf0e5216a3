"""A deterministic radial layout for a slice: the centre in the middle, its
neighbours on a ring grouped by kind (researchers, works, topics,
institutions, each in its rank order), the nodes two steps away on an outer
ring, each near the neighbours it hangs from.

Only sorted lists and plain arithmetic: the same graph gives the same
coordinates in any process, whatever ``PYTHONHASHSEED`` (networkx's
``spring_layout`` needs numpy, which the project does not ship, and a force
layout moves when one node is added). Coordinates are in [0, 1], rounded to
4 places."""

from __future__ import annotations

import math

import networkx as nx

from .params import KINDS

_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
CENTRE = (0.5, 0.5)
# Radii of the rings (a fraction of the picture); a crowded ring alternates
# its nodes between two radii so neighbours do not touch.
INNER, INNER_STAGGER = 0.29, 0.06
# The inner ring alone (no node two steps away) takes the whole picture.
INNER_ALONE = 0.42
OUTER, OUTER_STAGGER = 0.45, 0.05
CROWDED = 18
START = -math.pi / 2  # the first node at the top


def _order(graph: nx.Graph, ident: str) -> tuple:
    node = graph.nodes[ident]
    return (_KIND_ORDER.get(node.get("kind"), 99), node.get("rank", 0), ident)


def _point(angle: float, radius: float) -> tuple[float, float]:
    x = CENTRE[0] + radius * math.cos(angle)
    y = CENTRE[1] + radius * math.sin(angle)
    return (round(min(max(x, 0.0), 1.0), 4), round(min(max(y, 0.0), 1.0), 4))


def _radius(base: float, stagger: float, index: int, count: int) -> float:
    if count <= CROWDED:
        return base
    return base - stagger / 2 if index % 2 == 0 else base + stagger / 2


def _inner_angles(graph: nx.Graph, ring: list[str]) -> dict[str, float]:
    """Angles for the inner ring in kind order, one empty slot between two
    kinds so each kind reads as a sector."""
    slots: list[str | None] = []
    previous = None
    for ident in ring:
        kind = graph.nodes[ident].get("kind")
        if previous is not None and kind != previous:
            slots.append(None)
        slots.append(ident)
        previous = kind
    if len(slots) > 1 and graph.nodes[ring[0]].get("kind") != previous:
        slots.append(None)  # the gap between the last kind and the first
    step = 2 * math.pi / max(len(slots), 1)
    return {
        ident: START + step * index
        for index, ident in enumerate(slots)
        if ident is not None
    }


def _mean_angle(angles: list[float]) -> float | None:
    if not angles:
        return None
    x = sum(math.cos(angle) for angle in angles)
    y = sum(math.sin(angle) for angle in angles)
    if abs(x) < 1e-12 and abs(y) < 1e-12:
        return angles[0]
    return math.atan2(y, x)


def radial_layout(graph: nx.Graph, centre: str) -> dict[str, tuple[float, float]]:
    """Positions of every node of ``graph`` (reads each node's ``hop``,
    ``kind`` and ``rank``; a node without ``hop`` counts as two away)."""
    positions = {centre: CENTRE}
    inner = sorted(
        (n for n in graph if n != centre and graph.nodes[n].get("hop", 2) <= 1),
        key=lambda n: _order(graph, n),
    )
    outer = sorted(
        (n for n in graph if n != centre and graph.nodes[n].get("hop", 2) > 1),
        key=lambda n: _order(graph, n),
    )
    angles = _inner_angles(graph, inner)
    base = INNER if outer else INNER_ALONE
    for index, ident in enumerate(inner):
        radius = _radius(base, INNER_STAGGER, index, len(inner))
        positions[ident] = _point(angles[ident], radius)

    # The outer ring: each node aims at the mean angle of its inner
    # neighbours; the ring keeps that order, evenly spaced, turned so the
    # nodes sit as near their aim as the spacing allows.
    aims = []
    for index, ident in enumerate(outer):
        near = [angles[n] for n in sorted(graph.neighbors(ident)) if n in angles]
        aim = _mean_angle(near)
        if aim is None:
            aim = START + 2 * math.pi * index / max(len(outer), 1)
        aims.append((aim % (2 * math.pi), _order(graph, ident), ident))
    aims.sort()
    if aims:
        step = 2 * math.pi / len(aims)
        turn = _mean_angle(
            [aim - step * index for index, (aim, _, _) in enumerate(aims)]
        )
        for index, (_, _, ident) in enumerate(aims):
            radius = _radius(OUTER, OUTER_STAGGER, index, len(aims))
            positions[ident] = _point(turn + step * index, radius)
    return positions
