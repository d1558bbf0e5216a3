"""Pages of claims: submitting a claim from a profile (with an institutional
e-mail to verify, or through an ORCID sign-in), withdrawing it, and
disputing someone else's."""

from __future__ import annotations

import time

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from bzpeer.ratelimits import write_refusal
from profiles.models import Researcher
from profiles.selectors import researcher_get
from works.ingest.identifiers import normalize_orcid

from .models import Claim
from .selectors import (
    ORCID_PROVIDER,
    claim_approved_on,
    claim_get_for_user,
    orcid_ids_of_user,
    orcid_sign_in_offered,
)
from .services import (
    ClaimRefused,
    claim_dispute,
    claim_institution_email_add,
    claim_orcid_verify,
    claim_submit,
    claim_withdraw,
)

NOTE_MAX_LENGTH = 2000
HOMEPAGE_MAX_LENGTH = 500
EMAIL_MAX_LENGTH = 254
REASON_MAX_LENGTH = 2000
# The ORCID claim a user started (the record's id and when), kept in their
# session by the CSRF-protected POST only, and honoured for this long.
ORCID_INTENT = "claims.orcid_intent"
ORCID_INTENT_SECONDS = 30 * 60


def _researcher_or_404(openalex_id: str) -> Researcher:
    try:
        return researcher_get(openalex_id=openalex_id)
    except Researcher.DoesNotExist as missing:
        raise Http404("No researcher with this id.") from missing


def _identity(researcher: Researcher) -> str:
    return reverse("profiles:detail", args=[researcher.openalex_id]) + "#identity"


@require_POST
@login_required
def claim_submit_view(request, openalex_id):
    """The profile's claim form: a pending claim for the moderators, with an
    institutional e-mail to verify if given (allauth mails the link), then
    back to the profile's identity section with what happened."""
    researcher = _researcher_or_404(openalex_id)
    back = _identity(researcher)
    refusal = _claim_refusal(request)
    if refusal:
        messages.error(request, refusal)
        return redirect(back)
    email = request.POST.get("institution_email", "").strip()[:EMAIL_MAX_LENGTH]
    try:
        claim_submit(
            user=request.user,
            researcher=researcher,
            note=request.POST.get("note", "")[:NOTE_MAX_LENGTH],
            homepage_url=request.POST.get("homepage_url", "").strip()[
                :HOMEPAGE_MAX_LENGTH
            ],
            institution_email=email,
        )
    except ClaimRefused as refused:
        messages.error(request, str(refused))
        return redirect(back)
    messages.success(
        request, "Your claim is under review: a moderator will decide on it."
    )
    if email:
        try:
            _, at_domain = claim_institution_email_add(
                request=request, user=request.user, researcher=researcher, email=email
            )
        except ClaimRefused as refused:
            messages.error(request, str(refused))
        else:
            if not at_domain:
                messages.info(
                    request,
                    f"{email} is not at the domain of this record's affiliation, "
                    "so it will not count as strong evidence.",
                )
    return redirect(back)


@require_POST
@login_required
def claim_orcid_start_view(request, openalex_id):
    """ "Claim with ORCID": remembers in the session which record the user
    claims, then approves at once when their ORCID sign-in already matches
    the record's iD, or sends them to ORCID through allauth (process
    "connect") to come back to ``claim_orcid_complete_view``."""
    researcher = _researcher_or_404(openalex_id)
    back = _identity(researcher)
    if not researcher.orcid or not orcid_sign_in_offered():
        messages.error(
            request,
            "This record carries no ORCID iD to match, or ORCID sign-in is not "
            "set up here: claim it with the form.",
        )
        return redirect(back)
    refusal = _claim_refusal(request)
    if refusal:
        messages.error(request, refusal)
        return redirect(back)
    request.session[ORCID_INTENT] = {"researcher": researcher.pk, "at": time.time()}
    if normalize_orcid(researcher.orcid) in orcid_ids_of_user(user=request.user):
        return _orcid_claim_complete(request, researcher)
    provider = get_social_adapter(request).get_provider(request, ORCID_PROVIDER)
    return provider.redirect(
        request, process="connect", next_url=reverse("claims:orcid_complete")
    )


@require_GET
@login_required
def claim_orcid_complete_view(request):
    """Where the ORCID sign-in comes back to: completes the claim the user
    started with the POST (the session's intent, taken once), approved at L3
    when the now-connected ORCID iD is the record's, else left for a
    moderator. Without a fresh intent it does nothing."""
    intent = request.session.pop(ORCID_INTENT, None)
    if (
        not isinstance(intent, dict)
        or not isinstance(intent.get("researcher"), int)
        or time.time() - float(intent.get("at", 0)) > ORCID_INTENT_SECONDS
    ):
        messages.error(request, "No ORCID claim was in progress; start it again.")
        return redirect("home")
    researcher = Researcher.objects.filter(pk=intent["researcher"]).first()
    if researcher is None or not researcher.openalex_id:
        raise Http404("The record is gone.")
    return _orcid_claim_complete(request, researcher)


def _orcid_claim_complete(request, researcher: Researcher):
    request.session.pop(ORCID_INTENT, None)
    try:
        _, approved = claim_orcid_verify(user=request.user, researcher=researcher)
    except ClaimRefused as refused:
        messages.error(request, str(refused))
    else:
        if approved:
            messages.success(
                request,
                "Your ORCID iD matches the record's: your claim is approved "
                "(verification L3).",
            )
        else:
            messages.warning(
                request,
                "Your ORCID iD did not match the record's ORCID iD, so your claim "
                "is under review: a moderator will decide on it.",
            )
    return redirect(_identity(researcher))


@require_POST
@login_required
def claim_dispute_view(request, openalex_id):
    """ "Dispute this claim": the record's approved claim goes back to the
    moderators with the user's reason and evidence page."""
    researcher = _researcher_or_404(openalex_id)
    back = _identity(researcher)
    refusal = write_refusal(
        request,
        group="claims.dispute",
        rates=(
            ("user", settings.DISPUTE_RATE_PER_USER),
            ("ip", settings.DISPUTE_RATE_PER_IP),
        ),
        spent_message="You have filed many disputes lately: try again tomorrow.",
    )
    if refusal:
        messages.error(request, refusal)
        return redirect(back)
    claim = claim_approved_on(researcher=researcher)
    if claim is None:
        messages.error(
            request, "There is no approved claim to dispute: it may be under review."
        )
        return redirect(back)
    try:
        claim_dispute(
            claim=claim,
            user=request.user,
            reason=request.POST.get("reason", "")[:REASON_MAX_LENGTH],
            evidence_url=request.POST.get("evidence_url", "").strip()[
                :HOMEPAGE_MAX_LENGTH
            ],
        )
    except ClaimRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, "Your dispute is sent: a moderator will review the claim."
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


def _claim_refusal(request) -> str | None:
    """Counts a claim against the user's and the address's allowances
    (bzpeer.ratelimits: refused too while they cannot be counted); what to
    tell the user when it is refused."""
    return write_refusal(
        request,
        group="claims.submit",
        rates=(
            ("user", settings.CLAIM_RATE_PER_USER),
            ("ip", settings.CLAIM_RATE_PER_IP),
        ),
        spent_message="You have sent many claims lately: try again in an hour.",
    )
