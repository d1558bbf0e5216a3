"""The account's data export: everything BZPEER holds about the account,
other people only as roles, in a bounded number of queries."""

import json

import pytest

from accounts.selectors import account_data_export
from claims.models import Claim, ClaimEvent
from claims.services import claim_dispute, claim_submit
from profiles.models import ProfileChange
from profiles.services import profile_change_record
from tests.accounts.conftest import ORCID_ID, social_account
from tests.factories import (
    FollowFactory,
    ResearcherFactory,
    UserFactory,
    WorkFactory,
    approved_claim,
    verified_user,
)

pytestmark = pytest.mark.django_db


# What the export names on its own; every other plain column of a claim or
# event (the evidence other issues add) must reach the export all the same.
CLAIM_NAMED = {
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
EVENT_NAMED = {
    "id",
    "claim",
    "actor",
    "kind",
    "from_state",
    "to_state",
    "reason",
    "created_at",
}


def iso(value):
    return value.isoformat() if value is not None else None


def other_columns(instance, named: set[str]) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
        if field.name not in named and not field.is_relation
    }


def claim_events(claim) -> list[tuple[str, str, str, str, str, dict]]:
    return [
        (
            e.kind,
            e.from_state,
            e.to_state,
            e.reason,
            iso(e.created_at),
            other_columns(e, EVENT_NAMED),
        )
        for e in claim.events.order_by("created_at", "id")
    ]


def test_the_export_holds_the_account_and_everything_it_did(member, moderator):
    user = member.user
    user.refresh_from_db()
    owned_claim = Claim.objects.get(user=user, researcher=member.owned)
    pending_claim = Claim.objects.get(user=user, researcher=member.pending)
    rejected_claim = Claim.objects.get(user=user, researcher=member.rejected)
    dispute = ClaimEvent.objects.get(claim=member.disputed_claim, kind="disputed")
    changes = ProfileChange.objects.filter(actor=user).order_by("created_at", "id")
    follow = user.follows.get()
    owner = user.researchers_owned.get()
    social = user.socialaccount_set.get()

    data = account_data_export(user=user)

    def researcher(record):
        return {"openalex_id": record.openalex_id, "name": record.display_name}

    def events(claim, actors):
        return [
            {
                "kind": kind,
                "from_state": from_state,
                "to_state": to_state,
                "reason": reason,
                "actor": actor,
                "at": at,
                **others,
            }
            for (kind, from_state, to_state, reason, at, others), actor in zip(
                claim_events(claim), actors, strict=True
            )
        ]

    assert data == {
        "account": {
            "username": "erasable",
            "email": "erasable.person@uni.example.edu",
            "first_name": "Era",
            "last_name": "Sable",
            "date_joined": iso(user.date_joined),
            "last_login": None,
            "email_addresses": [
                {
                    "email": "erasable.person@uni.example.edu",
                    "verified": True,
                    "primary": True,
                },
                {
                    "email": "era.sable@home.example.org",
                    "verified": False,
                    "primary": False,
                },
            ],
        },
        "social_accounts": [
            {
                "provider": "orcid",
                "uid": ORCID_ID,
                "connected_at": iso(social.date_joined),
                "last_login": iso(social.last_login),
                "data_from_provider": {
                    "orcid-identifier": {"path": ORCID_ID},
                    "email": "erasable.person@uni.example.edu",
                },
            }
        ],
        "claims": [
            {
                "id": owned_claim.pk,
                "researcher": researcher(member.owned),
                "state": "approved",
                "note": "Write to erasable.person@uni.example.edu to check.",
                "homepage_url": "https://uni.example.edu/~sable",
                "evidence": other_columns(owned_claim, CLAIM_NAMED),
                "verification_level": 2,
                "reason_code": "",
                "reason": "",
                "submitted_at": iso(owned_claim.created_at),
                "decided_at": iso(owned_claim.decided_at),
                "decided_by": "a moderator",
                "events": events(owned_claim, ["you", "a moderator"]),
            },
            {
                "id": pending_claim.pk,
                "researcher": researcher(member.pending),
                "state": "pending",
                "note": "Also me.",
                "homepage_url": "",
                "evidence": other_columns(pending_claim, CLAIM_NAMED),
                "verification_level": None,
                "reason_code": "",
                "reason": "",
                "submitted_at": iso(pending_claim.created_at),
                "decided_at": None,
                "decided_by": None,
                "events": events(pending_claim, ["you"]),
            },
            {
                "id": rejected_claim.pk,
                "researcher": researcher(member.rejected),
                "state": "rejected",
                "note": "",
                "homepage_url": "",
                "evidence": other_columns(rejected_claim, CLAIM_NAMED),
                "verification_level": None,
                "reason_code": "not_the_author",
                "reason": "A different person.",
                "submitted_at": iso(rejected_claim.created_at),
                "decided_at": iso(rejected_claim.decided_at),
                "decided_by": "a moderator",
                "events": events(rejected_claim, ["you", "a moderator"]),
            },
        ],
        "disputes_filed": [
            {
                "claim_id": member.disputed_claim.pk,
                "researcher": researcher(member.disputed_claim.researcher),
                "reason": "This is my colleague, not them.",
                "at": iso(dispute.created_at),
                **other_columns(dispute, EVENT_NAMED),
            }
        ],
        "records_managed": [
            {
                "researcher": researcher(member.owned),
                "verification_level": 2,
                "since": iso(owner.created_at),
                "curated": {
                    "headline": "Soil microbiology",
                    "bio": "",
                    "affiliation_note": "",
                    "is_open_to_collaborate": True,
                    "is_hidden": False,
                },
            }
        ],
        "profile_changes": [
            {
                "researcher": researcher(change.researcher),
                "kind": change.kind,
                "summary": change.summary,
                "field": change.field,
                "old_value": change.old_value,
                "new_value": change.new_value,
                "work": None,
                "reason": change.reason,
                "at": iso(change.created_at),
            }
            for change in changes
        ],
        "follows": [{**researcher(member.followed), "since": iso(follow.created_at)}],
        "follow_digest": {"enabled": False, "last_sent_at": None},
        "conversations": [],
        "blocked_accounts": 0,
        "reports": [],
        "mail_switches": {"invitations": True, "replies": True},
    }
    assert json.loads(json.dumps(data)) == data
    # The owner's edit, among the entries the claims services wrote for them.
    assert {
        "researcher": researcher(member.owned),
        "kind": "field_edited",
        "summary": "The owner edited the headline.",
        "field": "headline",
        "old_value": "",
        "new_value": "Soil microbiology",
        "work": None,
        "reason": "",
        "at": iso(changes.get(field="headline").created_at),
    } in data["profile_changes"]


def test_every_column_of_a_claim_reaches_the_export(member):
    exported = account_data_export(user=member.user)["claims"][0]

    columns = {
        field.attname for field in Claim._meta.concrete_fields if not field.is_relation
    }
    # created_at is exported as submitted_at; relations become roles.
    shown = (set(exported) - {"submitted_at"}) | {"created_at"}
    assert columns <= shown | set(exported["evidence"])


def test_a_hidden_work_is_exported_with_the_change_that_hid_it(member):
    work = WorkFactory(title="Not My Paper")
    profile_change_record(
        researcher=member.owned,
        kind=ProfileChange.Kind.WORK_HIDDEN,
        summary="The owner hid a work.",
        actor=member.user,
        work=work,
        reason="Another author of the same name.",
    )

    change = account_data_export(user=member.user)["profile_changes"][-1]

    assert (change["kind"], change["work"], change["reason"]) == (
        "work_hidden",
        {"openalex_id": work.openalex_id, "title": "Not My Paper"},
        "Another author of the same name.",
    )


def test_the_export_names_nobody_else_and_holds_no_token(member, moderator):
    other = member.disputed_claim.user
    text = json.dumps(account_data_export(user=member.user))

    for someone in (moderator, other):
        assert someone.email not in text
    assert '"moderator"' not in text  # the moderator's username
    assert "access-token-secret" not in text
    # The dispute someone else's claim drew is theirs, not the member's.
    assert [c["id"] for c in json.loads(text)["claims"]] == list(
        Claim.objects.filter(user=member.user)
        .order_by("id")
        .values_list("pk", flat=True)
    )


def test_a_dispute_of_the_members_claim_shows_as_another_user(member, moderator):
    claim_dispute(claim=member.owned_claim, user=UserFactory(), reason="Not them.")

    claims = account_data_export(user=member.user)["claims"]
    assert [e["actor"] for e in claims[0]["events"]] == [
        "you",
        "a moderator",
        "another user",
    ]


def test_an_account_with_nothing_exports_empty_lists():
    user = UserFactory(email="")

    data = account_data_export(user=user)

    assert data["account"]["email_addresses"] == []
    assert {key: value for key, value in data.items() if key != "account"} == {
        "social_accounts": [],
        "claims": [],
        "disputes_filed": [],
        "records_managed": [],
        "profile_changes": [],
        "follows": [],
        "follow_digest": {"enabled": False, "last_sent_at": None},
        "conversations": [],
        "blocked_accounts": 0,
        "reports": [],
        "mail_switches": {"invitations": True, "replies": True},
    }


def test_the_export_costs_the_same_few_queries_however_much_is_held(
    member, moderator, django_assert_max_num_queries
):
    user = member.user
    social_account(user=user, uid="0000-0001-5109-3700")
    for _ in range(5):
        researcher = ResearcherFactory()
        approved_claim(user=user, researcher=researcher, moderator=moderator)
        profile_change_record(
            researcher=researcher,
            kind=ProfileChange.Kind.FIELD_EDITED,
            summary="The owner edited the bio.",
            actor=user,
            field="bio",
            old_value="",
            new_value="More.",
        )
        claim_submit(user=user, researcher=ResearcherFactory())
        FollowFactory(user=user)
        other_claim = approved_claim(
            user=UserFactory(), researcher=ResearcherFactory(), moderator=moderator
        )
        claim_dispute(claim=other_claim, user=user, reason="Not them.")

    with django_assert_max_num_queries(14):
        data = account_data_export(user=user)

    assert (
        len(data["claims"]),
        len(data["social_accounts"]),
        len(data["disputes_filed"]),
        len(data["records_managed"]),
        len(data["follows"]),
    ) == (13, 2, 6, 6, 6)
    # Six edits, and the entries the claims services wrote in the user's name.
    assert len(data["profile_changes"]) == (
        ProfileChange.objects.filter(actor=user).count()
    )
    assert len(data["profile_changes"]) >= 6


def test_the_export_holds_the_accounts_conversations_and_both_sides_messages():
    from collaboration.services import (
        conversation_accept,
        invitation_send,
        message_send,
    )

    writer, owner = verified_user(), verified_user()
    profile = ResearcherFactory()
    approved_claim(user=owner, researcher=profile, moderator=UserFactory())
    conversation = invitation_send(
        sender=writer, researcher=profile, subject="Graphs", body="Hello"
    )
    conversation_accept(conversation=conversation, user=owner)
    message_send(conversation=conversation, sender=owner, body="Hi back")

    [exported] = account_data_export(user=writer)["conversations"]
    assert (exported["role"], exported["subject"], exported["state"]) == (
        "invitation sent",
        "Graphs",
        "accepted",
    )
    assert [(m["from"], m["body"]) for m in exported["messages"]] == [
        ("you", "Hello"),
        ("the other participant", "Hi back"),
    ]
