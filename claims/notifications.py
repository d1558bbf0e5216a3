"""The mail a claim's events send: the claimant hears of every decision
(approved by a moderator or at once on ORCID, rejected with the reason code
and the moderator's words, back to moderators because the record's ORCID
changed or a merge met another owner), and a record's owners hear that it
is contested. Sent by the worker (``claims.tasks.claim_event_notify``),
after the commit that wrote the event; plain text, from
``templates/claims/email/``, with absolute links (``settings.SITE_URL``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from profiles.models import ResearcherOwner

from .models import Claim, ClaimEvent
from .selectors import site_url

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[BZPEER] "
# A redelivered task does not mail twice (the mark is set once sent).
_SENT_MARK = "claims:event-mailed:{}"
_SENT_MARK_SECONDS = 7 * 24 * 3600

_NOTIFIED_KINDS = (
    ClaimEvent.Kind.APPROVED,
    ClaimEvent.Kind.REJECTED,
    ClaimEvent.Kind.DISPUTED,
    ClaimEvent.Kind.DEMOTED,
)


def claim_event_is_notified(event: ClaimEvent) -> bool:
    """Whether ``event`` is mailed to someone: every decision, a dispute, a
    demotion, and a merge that made a claim disputed."""
    if event.kind in _NOTIFIED_KINDS:
        return True
    return (
        event.kind == ClaimEvent.Kind.MOVED
        and event.to_state == Claim.State.DISPUTED
        and event.from_state != Claim.State.DISPUTED
    )


@dataclass(frozen=True)
class _Mail:
    to: str
    subject: str
    template: str


def _owner_emails(*, researcher_id: int, but: set[str]) -> list[str]:
    emails = ResearcherOwner.objects.filter(researcher_id=researcher_id).values_list(
        "user__email", flat=True
    )
    return sorted({email for email in emails if email and email not in but})


def _mails_for(event: ClaimEvent) -> list[_Mail]:
    claim = event.claim
    name = claim.researcher.display_name
    claimant = claim.user.email
    mails: list[_Mail] = []
    if event.kind == ClaimEvent.Kind.APPROVED and claimant:
        mails.append(
            _Mail(claimant, f"Your claim on {name} is approved", "approved.txt")
        )
    elif event.kind == ClaimEvent.Kind.REJECTED and claimant:
        mails.append(
            _Mail(claimant, f"Your claim on {name} was not approved", "rejected.txt")
        )
    elif event.kind == ClaimEvent.Kind.DISPUTED:
        mails += [
            _Mail(email, f"Your profile {name} is contested", "contested.txt")
            for email in _owner_emails(researcher_id=claim.researcher_id, but=set())
        ]
    elif event.kind == ClaimEvent.Kind.DEMOTED and claimant:
        mails.append(
            _Mail(
                claimant,
                f"The ORCID iD of {name} changed: your claim is back under review",
                "demoted.txt",
            )
        )
    elif event.kind == ClaimEvent.Kind.MOVED:
        if claimant:
            mails.append(
                _Mail(
                    claimant,
                    f"Your claim on {name} is back under review after a merge",
                    "merged_disputed.txt",
                )
            )
        mails += [
            _Mail(email, f"Your profile {name} is contested", "contested.txt")
            for email in _owner_emails(
                researcher_id=claim.researcher_id, but={claimant}
            )
        ]
    return mails


def claim_event_mail_send(*, event_id: int) -> int:
    """Mail whoever must hear of the claim event ``event_id`` and return how
    many messages went. An event that is gone or mails nobody sends
    nothing. Idempotent in effect: once sent, a redelivery of the same
    event sends nothing (a mark in the cache); a failure before the mark
    leaves the task to retry. Three queries at most."""
    event = (
        ClaimEvent.objects.select_related("claim__user", "claim__researcher")
        .filter(pk=event_id)
        .first()
    )
    if event is None or not claim_event_is_notified(event):
        return 0
    mark = _SENT_MARK.format(event_id)
    if cache.get(mark):
        return 0
    researcher = event.claim.researcher
    profile = (
        site_url(reverse("profiles:detail", args=[researcher.openalex_id]))
        if researcher.openalex_id
        else site_url("/")
    )
    context = {
        "event": event,
        "claim": event.claim,
        "researcher": researcher,
        "automatic": event.actor_id is None,
        "profile_url": profile,
        "identity_url": f"{profile}#identity",
        "site_url": site_url("/"),
    }
    sent = 0
    for mail in _mails_for(event):
        body = render_to_string(f"claims/email/{mail.template}", context)
        sent += send_mail(
            SUBJECT_PREFIX + mail.subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [mail.to],
        )
    cache.set(mark, True, _SENT_MARK_SECONDS)
    logger.info("claim event %s: %s message(s) sent", event_id, sent)
    return sent
