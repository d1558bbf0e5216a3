"""What the profile page shows of the research graph, provided by graph so
that profiles never imports it."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def graph_section(context, researcher):
    """The profile's "Research graph" section (built by the graph work)."""
    return ""
