"""What the profile page shows of claims, provided by claims so that profiles
never imports it: ``{% load claim_tags %}{% claim_section researcher %}``."""

from django import template

from claims.selectors import (
    claim_last_rejected_for_viewer,
    claim_open_for_viewer,
    claim_state_for_viewer,
)

register = template.Library()


@register.inclusion_tag("claims/_identity_section.html", takes_context=True)
def claim_section(context, researcher):
    """The "Identity and collaboration" section, in the viewer's state (see
    ``claim_state_for_viewer``), with the reason of the viewer's last
    rejected claim beside the form: at most three queries for a logged-in
    viewer, none for an anonymous one."""
    request = context["request"]
    state = claim_state_for_viewer(researcher=researcher, user=request.user)
    rejected = (
        claim_last_rejected_for_viewer(researcher=researcher, user=request.user)
        if state == "can_claim"
        else None
    )
    under_review = (
        claim_open_for_viewer(researcher=researcher, user=request.user)
        if state == "under_review"
        else None
    )
    return {
        "researcher": researcher,
        "state": state,
        "rejected": rejected,
        "under_review": under_review,
        "here": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
