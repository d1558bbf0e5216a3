"""What the profile page shows of claims, provided by claims so that profiles
never imports it: ``{% load claim_tags %}{% claim_section researcher %}`` and
``{% claim_contested_chip researcher %}``."""

from __future__ import annotations

import math
from datetime import timedelta

from django import template
from django.utils.html import format_html

from claims.models import Claim
from claims.selectors import (
    claim_approved_on,
    claim_is_contested,
    claim_last_rejected_for_viewer,
    claim_open_for_viewer,
    claim_queue_position,
    claim_state_for_viewer,
    claim_typical_wait,
    institution_email_domain,
    orcid_sign_in_offered,
)

register = template.Library()

CONTESTED_TITLE = (
    "A claim on this record is disputed, or more than one account claims it: "
    "moderators are reviewing who it belongs to."
)


def wait_in_words(wait: timedelta) -> str:
    """A typical wait as a person says it, rounded up: "an hour", "5 hours",
    "a day", "3 days"."""
    hours = max(1, math.ceil(wait.total_seconds() / 3600))
    if hours == 1:
        return "an hour"
    if hours < 48:
        return f"{hours} hours"
    days = math.ceil(hours / 24)
    return f"{days} days"


@register.inclusion_tag("claims/_identity_section.html", takes_context=True)
def claim_section(context, researcher):
    """The "Identity and collaboration" section, in the viewer's state (see
    ``claim_state_for_viewer``): the claim forms (ORCID sign-in, or a note,
    homepage and institutional e-mail for moderators) with the reason of the
    viewer's last rejected claim; their claim's place in the queue and the
    typical wait; the owner told when their claim is disputed; others offered
    to dispute an approved claim. No query for an anonymous viewer, at most
    five for a logged-in one (a claimant in the queue)."""
    request = context["request"]
    user = request.user
    state = claim_state_for_viewer(researcher=researcher, user=user)
    section = {
        "researcher": researcher,
        "state": state,
        "here": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        "orcid_offered": bool(researcher.orcid) and orcid_sign_in_offered(),
    }
    if state == "can_claim":
        section["rejected"] = claim_last_rejected_for_viewer(
            researcher=researcher, user=user
        )
        section["email_domain"] = institution_email_domain(researcher.affiliation)
    elif state == "under_review":
        claim = claim_open_for_viewer(researcher=researcher, user=user)
        section["under_review"] = claim
        if claim is not None:
            section["queue_position"] = claim_queue_position(claim=claim)
            wait = claim_typical_wait()
            section["typical_wait"] = wait_in_words(wait) if wait else ""
    elif state == "owner":
        claim = claim_open_for_viewer(researcher=researcher, user=user)
        section["owner_disputed"] = (
            claim is not None and claim.state == Claim.State.DISPUTED
        )
    elif state == "claimed" and getattr(user, "is_authenticated", False):
        section["can_dispute"] = claim_approved_on(researcher=researcher) is not None
    return section


@register.simple_tag
def claim_contested_chip(researcher):
    """A "Contested" chip for the trust snapshot when the record has a
    disputed claim or more than one open claim; nothing otherwise. One
    query."""
    if not claim_is_contested(researcher=researcher):
        return ""
    return format_html(
        '<li class="chip chip--warning" title="{}">Contested</li>', CONTESTED_TITLE
    )
