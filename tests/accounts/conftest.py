"""Fixtures and helpers of the accounts tests: a member with a bit of
everything BZPEER keeps about an account, and a scan of the whole database
for a string."""

from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.db import connection

from claims.models import Claim
from claims.services import claim_dispute, claim_reject, claim_submit
from profiles.models import ProfileChange, Researcher
from profiles.services import profile_change_record
from tests.factories import (
    FollowFactory,
    ResearcherFactory,
    UserFactory,
    approved_claim,
    verified_user,
)

ORCID_ID = "0000-0002-1825-0097"

# Column types that can hold an e-mail address: Django's own map (text,
# varchar, jsonb) and what it leaves out, json and the arrays of ArrayField.
_TEXT_TYPE_NAMES = {"CharField", "TextField", "JSONField"}
_EXTRA_TEXT_TYPE_OIDS = {114, 1009, 1015}  # json, text[], varchar[]


def social_account(*, user, uid: str = ORCID_ID, **extra_data) -> SocialAccount:
    """An ORCID sign-in of ``user``, with the record ORCID sent and a token."""
    account = SocialAccount.objects.create(
        user=user,
        provider="orcid",
        uid=uid,
        extra_data={"orcid-identifier": {"path": uid}, **extra_data},
    )
    SocialToken.objects.create(account=account, token="access-token-secret")
    return account


@dataclass
class Member:
    """An account holding a bit of everything, and the rows it touches."""

    user: object
    owned: Researcher  # claimed, approved: the member owns it
    pending: Researcher  # claimed, under review
    rejected: Researcher  # claimed, rejected
    followed: Researcher
    disputed_claim: Claim  # another account's claim the member disputed
    owned_claim: Claim


@pytest.fixture
def member(moderator, enqueued) -> Member:
    user = verified_user(
        username="erasable",
        email="erasable.person@uni.example.edu",
        first_name="Era",
        last_name="Sable",
    )
    EmailAddress.objects.create(
        user=user, email="era.sable@home.example.org", verified=False, primary=False
    )
    social_account(user=user, email="erasable.person@uni.example.edu")
    owned = ResearcherFactory(display_name="Era Sable")
    owned_claim = approved_claim(
        user=user,
        researcher=owned,
        moderator=moderator,
        note="Write to erasable.person@uni.example.edu to check.",
        homepage_url="https://uni.example.edu/~sable",
    )
    owned.headline = "Soil microbiology"
    owned.save(update_fields=["headline"])
    profile_change_record(
        researcher=owned,
        kind=ProfileChange.Kind.FIELD_EDITED,
        summary="The owner edited the headline.",
        actor=user,
        actor_role=ProfileChange.Role.OWNER,
        field="headline",
        old_value="",
        new_value="Soil microbiology",
    )
    pending = ResearcherFactory(display_name="E. Sable")
    claim_submit(user=user, researcher=pending, note="Also me.")
    rejected = ResearcherFactory(display_name="Erasmus Sable")
    claim_reject(
        claim=claim_submit(user=user, researcher=rejected),
        moderator=moderator,
        reason_code=Claim.ReasonCode.NOT_THE_AUTHOR,
        reason="A different person.",
    )
    followed = ResearcherFactory(display_name="Ada Followed")
    FollowFactory(user=user, researcher=followed)
    disputed_claim = approved_claim(
        user=UserFactory(), researcher=ResearcherFactory(), moderator=moderator
    )
    claim_dispute(
        claim=disputed_claim, user=user, reason="This is my colleague, not them."
    )
    enqueued.clear()
    return Member(
        user=user,
        owned=owned,
        pending=pending,
        rejected=rejected,
        followed=followed,
        disputed_claim=disputed_claim,
        owned_claim=owned_claim,
    )


def _text_columns(cursor, table: str) -> list[str]:
    introspection = connection.introspection
    return [
        column.name
        for column in introspection.get_table_description(cursor, table)
        if introspection.data_types_reverse.get(column.type_code) in _TEXT_TYPE_NAMES
        or column.type_code in _EXTRA_TEXT_TYPE_OIDS
    ]


def database_text_containing(needle: str) -> dict[str, int]:
    """``{"table.column": rows}`` for every text or JSON column of every
    table of the database that holds ``needle`` (case-insensitive), one
    query per table."""
    found = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = _text_columns(cursor, table)
            if not columns:
                continue
            counts = ", ".join(
                f"count(*) FILTER (WHERE strpos(lower({quote(c)}::text), %s) > 0)"
                for c in columns
            )
            cursor.execute(
                f"SELECT {counts} FROM {quote(table)}",  # noqa: S608
                [needle.lower()] * len(columns),
            )
            for column, rows in zip(columns, cursor.fetchone(), strict=True):
                if rows:
                    found[f"{table}.{column}"] = rows
    return found
