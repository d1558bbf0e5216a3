"""What the profile page shows of direct collaboration, provided by this app
so that profiles never imports it."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def collaboration_section(context, researcher):
    """The profile's "Direct collaboration" section (built by the
    collaboration work)."""
    return ""
