"""What pages show of the research graph, provided by graph so that profiles
never imports it: ``{% load graph_tags %}{% graph_section researcher %}`` on
the profile, and the filters the graph's own templates use."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

KIND_NAMES = {
    "researcher": "Researcher",
    "work": "Work",
    "topic": "Topic",
    "institution": "Institution",
}


@register.inclusion_tag("graph/_section.html")
def graph_section(researcher):
    """The profile's "Research graph" section: its heading, the way to the
    explorer, and the placeholder "Building this graph slice…" that the
    page's script replaces with the slice fetched from the fragment address
    (``graph.views.slice_fragment``). No slice work and no query here, so
    the profile costs the same whatever the slice: the served page always
    holds the placeholder, and without JavaScript its link opens the
    explorer."""
    key = researcher.openalex_id
    if not key:
        return {"researcher": None}
    return {
        "researcher": researcher,
        "fragment_url": reverse("graph:fragment", args=["researcher", key]),
        "explorer_url": reverse("graph:researcher", args=[key]),
    }


@register.filter
def node_kind(kind: str) -> str:
    """A node's kind as a reader says it: "researcher" -> "Researcher"."""
    return KIND_NAMES.get(kind, str(kind or "").capitalize())


@register.filter
def metric(value, digits: int = 2) -> str:
    """A slice metric as shown: a number to ``digits`` places, trailing
    zeros dropped ("0.5", "12"); "–" when there is none."""
    if value is None or value == "":
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number.is_integer():
        return f"{int(number):,}"
    shown = f"{number:,.{int(digits)}f}".rstrip("0").rstrip(".")
    return shown if shown not in ("", "-0") else "0"


@register.filter
def node_explorer_url(node_id: str) -> str:
    """The explorer centred on a slice's node (``"researcher:A123"``), or
    "" for a node without one."""
    kind, _, key = str(node_id or "").partition(":")
    if kind not in KIND_NAMES or not key:
        return ""
    try:
        return reverse(f"graph:{kind}", args=[key])
    except NoReverseMatch:
        return ""
