"""Pages of claims: submitting a claim from a profile."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from profiles.models import Researcher
from profiles.selectors import researcher_get

from .services import ClaimRefused, claim_submit

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
    return redirect(reverse("profiles:detail", args=[openalex_id]) + "#identity")
