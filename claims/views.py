"""Pages of claims: submitting a claim from a profile."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from profiles.models import Researcher
from profiles.selectors import researcher_get

from .models import Claim
from .selectors import claim_get_for_user
from .services import ClaimRefused, claim_submit, claim_withdraw

NOTE_MAX_LENGTH = 2000
HOMEPAGE_MAX_LENGTH = 500


@require_POST
@login_required
def claim_submit_view(request, openalex_id):
    """The profile's claim form: a pending claim for the moderators, then back
    to the profile's identity section with what happened."""
    try:
        researcher = researcher_get(openalex_id=openalex_id)
    except Researcher.DoesNotExist as missing:
        raise Http404("No researcher with this id.") from missing
    back = reverse("profiles:detail", args=[openalex_id]) + "#identity"
    if _claims_limited(request):
        messages.error(
            request, "You have sent many claims lately: try again in an hour."
        )
        return redirect(back)
    try:
        claim_submit(
            user=request.user,
            researcher=researcher,
            note=request.POST.get("note", "")[:NOTE_MAX_LENGTH],
            homepage_url=request.POST.get("homepage_url", "").strip()[
                :HOMEPAGE_MAX_LENGTH
            ],
        )
    except ClaimRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, "Your claim is under review: a moderator will decide on it."
        )
    return redirect(back)


@require_POST
@login_required
def claim_withdraw_view(request, claim_id):
    """The claimant takes their claim back; anyone else's claim is a 404
    (``claim_get_for_user``), so ids cannot be probed."""
    try:
        claim = claim_get_for_user(user=request.user, claim_id=claim_id)
    except Claim.DoesNotExist as missing:
        raise Http404("No such claim of yours.") from missing
    try:
        claim_withdraw(claim=claim, user=request.user)
    except ClaimRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Your claim is withdrawn.")
    return redirect(
        reverse("profiles:detail", args=[claim.researcher.openalex_id]) + "#identity"
    )


def _claims_limited(request) -> bool:
    """Counts this claim against the user's and the address's allowance
    (``CLAIM_RATE_PER_USER``, ``CLAIM_RATE_PER_IP``); True once either is
    spent."""
    return any(
        is_ratelimited(
            request, group="claims.submit", key=key, rate=rate, increment=True
        )
        for key, rate in (
            ("user", settings.CLAIM_RATE_PER_USER),
            ("ip", settings.CLAIM_RATE_PER_IP),
        )
    )
