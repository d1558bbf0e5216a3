"""Reads of an account: everything BZPEER holds about it (the download), and
what deleting it would do (the confirmation page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db.models import Count, Prefetch, Q

from claims.models import Claim, ClaimEvent
from collaboration.models import (
    Block,
    Conversation,
    Message,
    NotificationSettings,
    Report,
)
from profiles.models import Follow, FollowDigest, ProfileChange, ResearcherOwner

# The claims ``account_delete`` withdraws (the rest go with the account).
CLAIM_STATES_WITHDRAWN_ON_DELETE = (
    Claim.State.PENDING,
    Claim.State.APPROVED,
    Claim.State.DISPUTED,
)

# Columns the export names on their own. Any other plain column these
# models gain (evidence, say) is exported too, under its own name, so the
# download never falls behind the models. Relations are left out: another
# person is told as a role, never as their account.
_CLAIM_NAMED_COLUMNS = {
    "id",
    "user",
    "researcher",
    "state",
    "note",
    "homepage_url",
    "reason_code",
    "reason",
    "verification_level",
    "created_at",
    "decided_at",
    "decided_by",
}
_EVENT_NAMED_COLUMNS = {
    "id",
    "claim",
    "actor",
    "kind",
    "from_state",
    "to_state",
    "reason",
    "created_at",
}


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value: Any) -> Any:
    """A column's value as JSON can hold it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool | list | dict) or value is None:
        return value
    return str(value)


def _researcher(researcher) -> dict:
    return {"openalex_id": researcher.openalex_id, "name": researcher.display_name}


def _event_actor(*, event: ClaimEvent, user) -> str:
    """Who changed the claim, as a role: the export tells the account holder
    what happened, not who the moderators or the disputer are."""
    if event.actor_id is not None and event.actor_id == user.pk:
        return "you"
    if event.actor_id is None:
        return "BZPEER"
    if event.kind == ClaimEvent.Kind.DISPUTED:
        return "another user"
    return "a moderator"


def _other_columns(instance, *, named: set[str]) -> dict:
    """The plain columns of ``instance`` that ``named`` leaves out."""
    return {
        field.attname: _plain(getattr(instance, field.attname))
        for field in type(instance)._meta.concrete_fields
        if field.name not in named and not field.is_relation
    }


def _claim_export(*, claim: Claim, user) -> dict:
    return {
        "id": claim.pk,
        "researcher": _researcher(claim.researcher),
        "state": claim.state,
        "note": claim.note,
        "homepage_url": claim.homepage_url,
        "evidence": _other_columns(claim, named=_CLAIM_NAMED_COLUMNS),
        "verification_level": claim.verification_level,
        "reason_code": claim.reason_code,
        "reason": claim.reason,
        "submitted_at": _iso(claim.created_at),
        "decided_at": _iso(claim.decided_at),
        "decided_by": "a moderator" if claim.decided_by_id is not None else None,
        "events": [
            {
                "kind": event.kind,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "reason": event.reason,
                "actor": _event_actor(event=event, user=user),
                "at": _iso(event.created_at),
                **_other_columns(event, named=_EVENT_NAMED_COLUMNS),
            }
            for event in claim.events.all()
        ],
    }


def account_data_export(*, user) -> dict:
    """Everything BZPEER holds about ``user``'s account, as JSON-serialisable
    data (dates as ISO 8601 strings): the account and its e-mail addresses,
    connected social accounts (never their tokens), claims with their
    evidence and audit trail, disputes the user filed on others' claims,
    the records they manage, the change-log entries they made, whom they
    follow and their weekly digest, and their conversations (every message
    of them, theirs and the other's: both are theirs to keep), blocks,
    reports and mail switches. Other people appear only as roles ("a
    moderator", "the other participant").

    Fourteen queries, whatever the account holds (the user row is the one
    given)."""
    claims = (
        Claim.objects.filter(user=user)
        .select_related("researcher")
        .prefetch_related(
            Prefetch("events", queryset=ClaimEvent.objects.order_by("created_at", "id"))
        )
        .order_by("created_at", "id")
    )
    disputes = (
        ClaimEvent.objects.filter(actor=user, kind=ClaimEvent.Kind.DISPUTED)
        .exclude(claim__user=user)
        .select_related("claim__researcher")
        .order_by("created_at", "id")
    )
    owned = (
        ResearcherOwner.objects.filter(user=user)
        .select_related("researcher")
        .order_by("created_at", "id")
    )
    changes = (
        ProfileChange.objects.filter(actor=user)
        .select_related("researcher", "work")
        .order_by("created_at", "id")
    )
    follows = (
        Follow.objects.filter(user=user)
        .select_related("researcher")
        .order_by("created_at", "id")
    )
    return {
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "email_addresses": [
                {
                    "email": address.email,
                    "verified": address.verified,
                    "primary": address.primary,
                }
                for address in EmailAddress.objects.filter(user=user).order_by("id")
            ],
        },
        "social_accounts": [
            {
                "provider": account.provider,
                "uid": account.uid,
                "connected_at": _iso(account.date_joined),
                "last_login": _iso(account.last_login),
                # What the provider sent about the person (an ORCID record);
                # the access tokens live in SocialToken and are not exported.
                "data_from_provider": account.extra_data,
            }
            for account in SocialAccount.objects.filter(user=user).order_by("id")
        ],
        "claims": [_claim_export(claim=claim, user=user) for claim in claims],
        "disputes_filed": [
            {
                "claim_id": event.claim_id,
                "researcher": _researcher(event.claim.researcher),
                "reason": event.reason,
                "at": _iso(event.created_at),
                **_other_columns(event, named=_EVENT_NAMED_COLUMNS),
            }
            for event in disputes
        ],
        "records_managed": [
            {
                "researcher": _researcher(owner.researcher),
                "verification_level": owner.verification_level,
                "since": _iso(owner.created_at),
                # What the owner wrote on the record, as it reads now.
                "curated": {
                    "headline": owner.researcher.headline,
                    "bio": owner.researcher.bio,
                    "affiliation_note": owner.researcher.affiliation_note,
                    "is_open_to_collaborate": (owner.researcher.is_open_to_collaborate),
                    "is_hidden": owner.researcher.is_hidden,
                },
            }
            for owner in owned
        ],
        "profile_changes": [
            {
                "researcher": _researcher(change.researcher),
                "kind": change.kind,
                "summary": change.summary,
                "field": change.field,
                "old_value": change.old_value,
                "new_value": change.new_value,
                "work": (
                    {"openalex_id": change.work.openalex_id, "title": change.work.title}
                    if change.work is not None
                    else None
                ),
                "reason": change.reason,
                "at": _iso(change.created_at),
            }
            for change in changes
        ],
        "follows": [
            {**_researcher(follow.researcher), "since": _iso(follow.created_at)}
            for follow in follows
        ],
        "follow_digest": _follow_digest_export(user=user),
        **_collaboration_export(user=user),
    }


def _follow_digest_export(*, user) -> dict:
    digest = FollowDigest.objects.filter(user=user).first()
    return {
        "enabled": bool(digest and digest.is_enabled),
        "last_sent_at": _iso(digest.last_sent_at) if digest else None,
    }


def _collaboration_export(*, user) -> dict:
    """The account's conversations with their messages, blocks, reports
    and mail switches. Five queries."""
    conversations = (
        Conversation.objects.filter(Q(initiator=user) | Q(recipient=user))
        .select_related("researcher")
        .prefetch_related(
            Prefetch("messages", queryset=Message.objects.order_by("created_at", "id"))
        )
        .order_by("created_at", "id")
    )
    switches = NotificationSettings.objects.filter(user=user).first()
    return {
        "conversations": [
            {
                "role": "invited" if c.recipient_id == user.pk else "invitation sent",
                "researcher": _researcher(c.researcher) if c.researcher else None,
                "subject": c.subject,
                "state": c.state,
                "started": _iso(c.created_at),
                "messages": [
                    {
                        "from": "you"
                        if m.sender_id == user.pk
                        else "the other participant",
                        "body": m.body,
                        "at": _iso(m.created_at),
                    }
                    for m in c.messages.all()
                ],
            }
            for c in conversations
        ],
        "blocked_accounts": Block.objects.filter(blocker=user).count(),
        "reports": [
            {"reason": r.reason, "at": _iso(r.created_at)}
            for r in Report.objects.filter(reporter=user).order_by("created_at", "id")
        ],
        "mail_switches": {
            "invitations": switches.notify_invitations if switches else True,
            "replies": switches.notify_replies if switches else True,
        },
    }


@dataclass(frozen=True)
class AccountDeletionEffects:
    """What ``accounts.services.account_delete`` would do to ``user``'s
    account, for the confirmation page."""

    email_addresses: list[str]
    social_providers: list[str]
    records_released: list[dict]
    claims_withdrawn: int
    claims_total: int
    disputes_kept: int
    profile_changes_kept: int
    follows: int
    has_usable_password: bool


def account_deletion_effects(*, user) -> AccountDeletionEffects:
    """What deleting ``user``'s account would change, counted. Seven queries."""
    claims = Claim.objects.filter(user=user).aggregate(
        total=Count("id"),
        withdrawn=Count("id", filter=Q(state__in=CLAIM_STATES_WITHDRAWN_ON_DELETE)),
    )
    released = (
        ResearcherOwner.objects.filter(user=user)
        .select_related("researcher")
        .order_by("researcher__display_name", "researcher_id")
    )
    return AccountDeletionEffects(
        email_addresses=list(
            EmailAddress.objects.filter(user=user)
            .order_by("-primary", "email")
            .values_list("email", flat=True)
        ),
        social_providers=list(
            SocialAccount.objects.filter(user=user)
            .order_by("provider")
            .values_list("provider", flat=True)
        ),
        records_released=[_researcher(owner.researcher) for owner in released],
        claims_withdrawn=claims["withdrawn"],
        claims_total=claims["total"],
        disputes_kept=ClaimEvent.objects.filter(
            actor=user, kind=ClaimEvent.Kind.DISPUTED
        )
        .exclude(claim__user=user)
        .count(),
        profile_changes_kept=ProfileChange.objects.filter(actor=user).count(),
        follows=Follow.objects.filter(user=user).count(),
        has_usable_password=user.has_usable_password(),
    )
