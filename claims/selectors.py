"""Reads of claims: the access check every face uses, a viewer's claim
state on a profile, the evidence behind a claim (an ORCID sign-in, an
institutional e-mail), the queue as a claimant sees it, and what the claims
on records tell the trust model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Concat
from django.utils import timezone

from profiles.hooks import ClaimEvidence
from profiles.models import Researcher, ResearcherOwner
from works.ingest.identifiers import domain_from_url, normalize_orcid
from works.models import Institution

from .models import Claim

ORCID_PROVIDER = "orcid"
# The typical wait is the median over the decisions of this many days, and
# is not told from fewer than this many decisions.
TYPICAL_WAIT_DAYS = 90
TYPICAL_WAIT_MIN_DECISIONS = 5

ClaimViewerState = Literal["log_in", "can_claim", "under_review", "owner", "claimed"]


def claim_get_for_user(*, user, claim_id: int) -> Claim:
    """The claim ``claim_id`` if ``user`` made it, with its researcher; raises
    ``Claim.DoesNotExist`` otherwise (someone else's claim, an anonymous
    user, an id that does not exist alike), so a view answers 404 without
    telling them apart. One query."""
    if not getattr(user, "is_authenticated", False):
        raise Claim.DoesNotExist("claims belong to logged-in users")
    return Claim.objects.select_related("researcher").get(pk=claim_id, user=user)


def claim_state_for_viewer(*, researcher: Researcher, user) -> ClaimViewerState:
    """What the profile's claim section shows ``user`` (anonymous or not):
    "owner" (they manage the record), "claimed" (someone else does),
    "log_in" (logged out, unclaimed), "under_review" (their claim waits for
    a moderator, even on a record someone else manages), or "can_claim". At
    most two queries."""
    is_authenticated = getattr(user, "is_authenticated", False)
    if is_authenticated and (
        ResearcherOwner.objects.filter(researcher=researcher, user=user).exists()
    ):
        return "owner"
    if not is_authenticated:
        return "claimed" if researcher.is_claimed else "log_in"
    if Claim.objects.filter(
        researcher=researcher, user=user, state__in=Claim.OPEN_STATES
    ).exists():
        return "under_review"
    return "claimed" if researcher.is_claimed else "can_claim"


def claim_last_rejected_for_viewer(*, researcher: Researcher, user) -> Claim | None:
    """The viewer's most recent rejected claim on ``researcher``, so the
    profile can tell them why (the moderator's reason) beside the form to
    try again; None for an anonymous viewer or none rejected. One query."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Claim.objects.filter(
            researcher=researcher, user=user, state=Claim.State.REJECTED
        )
        .order_by("-decided_at", "-id")
        .first()
    )


def claim_open_for_viewer(*, researcher: Researcher, user) -> Claim | None:
    """The viewer's open (pending or disputed) claim on ``researcher``, the
    one the profile lets them withdraw; None for an anonymous viewer or none
    open. One query."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Claim.objects.filter(
        researcher=researcher, user=user, state__in=Claim.OPEN_STATES
    ).first()


def claim_conflicts(*, claim: Claim) -> dict:
    """What a moderator should look at twice before deciding ``claim``: the
    other live (open or approved) claims on its record, the claimant's other
    open claims, and the other records carrying the ORCID iD of the
    claimant's ORCID sign-in (``orcid_elsewhere``: their OpenAlex ids, or
    ``#pk``). Three queries."""
    live = (*Claim.OPEN_STATES, Claim.State.APPROVED)
    others = Claim.objects.exclude(pk=claim.pk)
    elsewhere = (
        Researcher.objects.filter(
            orcid__in=SocialAccount.objects.filter(
                user_id=claim.user_id, provider=ORCID_PROVIDER
            ).values("uid")
        )
        .exclude(pk=claim.researcher_id)
        .order_by("id")
        .values_list("id", "openalex_id")[:10]
    )
    return {
        "on_record": others.filter(
            researcher_id=claim.researcher_id, state__in=live
        ).count(),
        "by_claimant": others.filter(
            user_id=claim.user_id, state__in=Claim.OPEN_STATES
        ).count(),
        "orcid_elsewhere": [openalex_id or f"#{pk}" for pk, openalex_id in elsewhere],
    }


# --- evidence -----------------------------------------------------------------


def institution_email_domain(institution: Institution | None) -> str:
    """The e-mail domain of an institution: its stored ``domain`` (the host
    of its homepage, set by the import), else its homepage's host, without
    ``www.``; "" when it has neither. No query."""
    if institution is None:
        return ""
    domain = institution.domain or domain_from_url(institution.homepage_url)
    domain = domain.strip().lower().rstrip(".")
    return domain[4:] if domain.startswith("www.") else domain


def email_is_at_domain(email: str, domain: str) -> bool:
    """True when ``email``'s domain is ``domain`` or a subdomain of it
    (``a@cs.uni.example`` is at ``uni.example``; ``a@notuni.example`` is
    not)."""
    if not domain or "@" not in email:
        return False
    host = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    return host == domain or host.endswith(f".{domain}")


def orcid_sign_in_offered() -> bool:
    """Whether ORCID sign-in is set up here (an ORCID app in
    ``SOCIALACCOUNT_PROVIDERS``, from ``ORCID_CLIENT_ID`` / secret), so the
    profile offers "Claim with ORCID". No query."""
    provider = settings.SOCIALACCOUNT_PROVIDERS.get(ORCID_PROVIDER, {})
    return any(app.get("client_id") for app in provider.get("APPS", []))


def orcid_ids_of_user(*, user) -> list[str]:
    """The ORCID iDs of ``user``'s ORCID sign-ins (allauth social accounts),
    each validated whole (``normalize_orcid``: anchored, check digit); a
    malformed uid is no iD. One query."""
    ids = []
    for uid in SocialAccount.objects.filter(
        user_id=user.pk, provider=ORCID_PROVIDER
    ).values_list("uid", flat=True):
        orcid = normalize_orcid(uid)
        if orcid and orcid not in ids:
            ids.append(orcid)
    return ids


@dataclass(frozen=True)
class ClaimEvidenceFound:
    """The strong evidence a claimant holds for a record now: ORCID iDs of
    their sign-ins (and whether one is the record's), and their e-mail
    addresses at the domain of the record's affiliation."""

    record_orcid: str
    orcid_ids: list[str] = field(default_factory=list)
    domain: str = ""
    verified_emails: list[str] = field(default_factory=list)
    unverified_emails: list[str] = field(default_factory=list)

    @property
    def orcid_matches(self) -> bool:
        return bool(self.record_orcid) and self.record_orcid in self.orcid_ids

    @property
    def kind(self) -> str:
        """The ``Claim.Evidence`` an approval now would rest on: ORCID
        first, then a verified institutional e-mail, else none."""
        if self.orcid_matches:
            return Claim.Evidence.ORCID
        if self.verified_emails:
            return Claim.Evidence.INSTITUTION_EMAIL
        return Claim.Evidence.NONE


def claim_evidence_found(*, user, researcher: Researcher) -> ClaimEvidenceFound:
    """What ``user`` holds as strong evidence for ``researcher`` at this
    moment (decisions read it at decision time). Two queries, plus one for
    the affiliation when ``researcher`` was read without it."""
    domain = institution_email_domain(researcher.affiliation)
    verified, unverified = [], []
    if domain:
        for email, is_verified in EmailAddress.objects.filter(
            user_id=user.pk
        ).values_list("email", "verified"):
            if email_is_at_domain(email, domain):
                (verified if is_verified else unverified).append(email.lower())
    return ClaimEvidenceFound(
        record_orcid=normalize_orcid(researcher.orcid) or "",
        orcid_ids=orcid_ids_of_user(user=user),
        domain=domain,
        verified_emails=sorted(verified),
        unverified_emails=sorted(unverified),
    )


def claims_with_evidence(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    """``queryset`` annotated, in the same query, with what its claimants
    hold now: ``orcid_match`` (an ORCID sign-in whose iD is the record's)
    and ``email_match`` (a verified e-mail at the domain the import stored
    for the record's affiliation), for the queue's evidence filter and
    column."""
    domain = OuterRef("researcher__affiliation__domain")
    return queryset.annotate(
        orcid_match=Exists(
            SocialAccount.objects.filter(
                user_id=OuterRef("user_id"),
                provider=ORCID_PROVIDER,
                uid=OuterRef("researcher__orcid"),
            )
        ),
        email_match=ExpressionWrapper(
            Exists(
                EmailAddress.objects.filter(
                    user_id=OuterRef("user_id"), verified=True
                ).filter(
                    Q(email__iendswith=Concat(Value("@"), domain))
                    | Q(email__iendswith=Concat(Value("."), domain))
                )
            )
            & Q(researcher__affiliation__domain__gt=""),
            output_field=BooleanField(),
        ),
    )


# --- the queue as a claimant sees it --------------------------------------------


class _Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5) WITHIN GROUP (ORDER BY ...)``."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def claim_queue_position(*, claim: Claim) -> int:
    """Where ``claim`` stands in the moderators' queue (open claims, oldest
    first): 1 + the open claims created before it. One query."""
    return (
        Claim.objects.filter(state__in=Claim.OPEN_STATES)
        .filter(
            Q(created_at__lt=claim.created_at)
            | Q(created_at=claim.created_at, id__lt=claim.pk)
        )
        .count()
        + 1
    )


def claim_typical_wait(*, now=None) -> timedelta | None:
    """The median time from submission to a moderator's decision over the
    decisions of the last ``TYPICAL_WAIT_DAYS`` days (automatic approvals,
    which wait for nobody, left out); None from fewer than
    ``TYPICAL_WAIT_MIN_DECISIONS`` decisions. One query."""
    now = now or timezone.now()
    found = Claim.objects.filter(
        decided_at__gte=now - timedelta(days=TYPICAL_WAIT_DAYS),
        decided_by__isnull=False,
    ).aggregate(
        decisions=Count("id"),
        median=_Median(F("decided_at") - F("created_at")),
    )
    if found["decisions"] < TYPICAL_WAIT_MIN_DECISIONS:
        return None
    return found["median"]


def claim_is_contested(*, researcher: Researcher) -> bool:
    """True when ``researcher``'s record is contested: one of its claims is
    disputed, or more than one account's claim waits on it. One query."""
    found = Claim.objects.filter(
        researcher=researcher, state__in=Claim.OPEN_STATES
    ).aggregate(
        open=Count("id"),
        disputed=Count("id", filter=Q(state=Claim.State.DISPUTED)),
    )
    return found["disputed"] > 0 or found["open"] > 1


def claim_approved_on(*, researcher: Researcher) -> Claim | None:
    """The approved claim on ``researcher`` (one at most: a database
    constraint), the one a dispute contests. One query."""
    return Claim.objects.filter(
        researcher=researcher, state=Claim.State.APPROVED
    ).first()


# --- trust ------------------------------------------------------------------------


def claim_evidence_for_researchers(researcher_ids: list[int]) -> dict:
    """claims' trust-evidence provider (``profiles.hooks``): for each record
    with claims, a ``ClaimEvidence`` saying whether an approved claim rests
    on an ORCID sign-in or a verified institutional e-mail, and how many of
    its claims were rejected or are disputed. One aggregate query."""
    approved = Q(state=Claim.State.APPROVED)
    rows = (
        Claim.objects.filter(researcher_id__in=researcher_ids)
        .order_by()
        .values("researcher_id")
        .annotate(
            orcid=Count("id", filter=approved & Q(evidence=Claim.Evidence.ORCID)),
            email=Count(
                "id", filter=approved & Q(evidence=Claim.Evidence.INSTITUTION_EMAIL)
            ),
            rejected=Count("id", filter=Q(state=Claim.State.REJECTED)),
            disputed=Count("id", filter=Q(state=Claim.State.DISPUTED)),
        )
    )
    return {
        row["researcher_id"]: ClaimEvidence(
            has_orcid_sign_in=row["orcid"] > 0,
            has_verified_institution_email=row["email"] > 0,
            rejected_claims=row["rejected"],
            disputed_claims=row["disputed"],
        )
        for row in rows
    }


def site_url(path: str = "") -> str:
    """An absolute link to ``path`` on this site (``settings.SITE_URL``), for
    mail."""
    return settings.SITE_URL.rstrip("/") + path
