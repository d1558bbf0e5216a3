"""Reads of direct collaboration: what the profile's section offers its
viewer, the works an invitation may be about, a conversation for one of its
two participants (nobody else), the inbox and its unread count, the blocked
accounts and the mail switches.

Every read of a conversation goes through ``conversation_get_for_user``: a
conversation is its two participants' alone (moderators read reported ones
in the admin)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from profiles.models import Researcher, ResearcherOwner
from profiles.selectors import listed_work_expression
from profiles.visibility import authorships_shown, researcher_visible_to
from works.models import Authorship, Work

from .models import Block, Conversation, Message, NotificationSettings, Report

# Works offered in the invitation's select, per side.
WORK_CHOICES_PER_SIDE = 20

CollaborationState = Literal[
    "unclaimed", "hidden", "owner", "closed", "log_in", "in_conversation", "invite"
]


def _is_authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def profile_is_public(researcher: Researcher | None) -> bool:
    """Whether ``researcher`` has a public page to link to (the visibility
    rule as the public sees it). No query."""
    return bool(
        researcher is not None
        and researcher.openalex_id
        and researcher_visible_to(researcher=researcher, user=AnonymousUser())
    )


# --- who is who ---------------------------------------------------------------


@dataclass(frozen=True)
class MemberLabel:
    """How a participant is named to the other: by the public record they
    own (never their e-mail address), or as a member without one."""

    name: str
    researcher: Researcher | None = None


MEMBER_WITHOUT_PROFILE = "A BZPEER member without a public profile"
# A participant who deleted their account.
FORMER_MEMBER = "A former BZPEER member"


def public_records_prefetch(path: str) -> Prefetch:
    """The public records the user at ``path`` owns, strongest claim first,
    as ``<user>.public_records``: one query for a whole list."""
    owners = (
        ResearcherOwner.objects.select_related("researcher")
        .only(
            "id",
            "user_id",
            "verification_level",
            "created_at",
            "researcher__id",
            "researcher__openalex_id",
            "researcher__display_name",
            "researcher__is_hidden",
        )
        .order_by("-verification_level", "created_at", "id")
    )
    return Prefetch(
        f"{path}__researchers_owned", queryset=owners, to_attr="public_records"
    )


def member_label(user) -> MemberLabel:
    """``user`` as the other participant reads them: the first public record
    they own (from ``public_records_prefetch``; one query without it)."""
    owners = getattr(user, "public_records", None)
    if owners is None:
        owners = list(public_records_prefetch("user").queryset.filter(user=user))
    for owner in owners:
        if profile_is_public(owner.researcher):
            return MemberLabel(owner.researcher.display_name, owner.researcher)
    return MemberLabel(MEMBER_WITHOUT_PROFILE)


def conversation_label(
    conversation: Conversation, *, user_id: int | None
) -> MemberLabel:
    """The participant ``user_id`` of ``conversation`` as the other reads
    them: the recipient by the profile invited, the initiator by their own
    public record; one who deleted their account (``None``) as a former
    member."""
    if user_id is None:
        return MemberLabel(FORMER_MEMBER)
    if user_id == conversation.recipient_id:
        researcher = conversation.researcher
        if researcher is not None:
            public = researcher if profile_is_public(researcher) else None
            return MemberLabel(researcher.display_name, public)
        return MemberLabel("The profile's owner")
    return member_label(conversation.initiator)


# --- the profile's section ----------------------------------------------------


@dataclass
class CollaborationSection:
    """What the profile's "Direct collaboration" section shows its viewer."""

    state: CollaborationState
    conversation: Conversation | None = None
    profile_works: list[Work] = field(default_factory=list)
    own_works: list[Work] = field(default_factory=list)


def _works_listed(authorships: QuerySet[Authorship]) -> QuerySet[Work]:
    """The works ``authorships`` hold, each under its listed version, hidden
    ones left out (``profiles.visibility``), most recent first, with what
    the select shows of them."""
    listed = authorships_shown(authorships).annotate(listed_id=listed_work_expression())
    return (
        Work.objects.filter(pk__in=listed.values("listed_id"))
        .only("id", "title", "publication_year")
        .order_by(
            F("publication_year").desc(nulls_last=True),
            F("publication_date").desc(nulls_last=True),
            F("pk").desc(),
        )
    )


def _authorships_of_records_owned(user) -> QuerySet[Authorship]:
    return Authorship.objects.filter(
        researcher__in=ResearcherOwner.objects.filter(user=user).values("researcher_id")
    )


def invitation_work_choices(*, researcher: Researcher, user) -> tuple[list, list]:
    """The works an invitation from ``user`` to ``researcher`` may be about:
    the profile's most recent ones and those of the records ``user`` owns,
    ``WORK_CHOICES_PER_SIDE`` of each. Two queries."""
    profile_works = list(
        _works_listed(Authorship.objects.filter(researcher=researcher))[
            :WORK_CHOICES_PER_SIDE
        ]
    )
    own_works = list(
        _works_listed(_authorships_of_records_owned(user))[:WORK_CHOICES_PER_SIDE]
    )
    return profile_works, own_works


def invitation_work_get(*, researcher: Researcher, user, work_id: int) -> Work | None:
    """The work ``work_id`` if it is listed on ``researcher``'s profile or on
    a record ``user`` owns (either side of the invitation); None otherwise.
    One query."""
    sides = Authorship.objects.filter(researcher=researcher) | (
        _authorships_of_records_owned(user)
    )
    return _works_listed(sides).filter(pk=work_id).first()


def collaboration_section_for_viewer(
    *, researcher: Researcher, user, is_owner: bool | None = None
) -> CollaborationSection:
    """The state of the profile's section for ``user`` (anonymous or not):
    "unclaimed", "hidden" (the owner hid the profile: it takes no
    invitations), "owner" (they manage it), "closed" (not open to
    collaborate), "log_in", "in_conversation" (their open conversation with
    this profile) or "invite" (with the works the select offers).

    A fixed number of queries whatever the counts: none for an anonymous
    viewer or an unclaimed or closed profile, at most four for a logged-in
    one (three when the caller passes ``is_owner``)."""
    if not researcher.is_claimed:
        return CollaborationSection("unclaimed")
    authenticated = _is_authenticated(user)
    if authenticated:
        if is_owner is None:
            is_owner = ResearcherOwner.objects.filter(
                researcher=researcher, user=user
            ).exists()
        if is_owner:
            return CollaborationSection("owner")
    if researcher.is_hidden:
        return CollaborationSection("hidden")
    if not researcher.is_open_to_collaborate:
        return CollaborationSection("closed")
    if not authenticated:
        return CollaborationSection("log_in")
    conversation = conversation_open_with(researcher=researcher, user=user)
    if conversation is not None:
        return CollaborationSection("in_conversation", conversation)
    profile_works, own_works = invitation_work_choices(researcher=researcher, user=user)
    return CollaborationSection("invite", None, profile_works, own_works)


def conversation_open_with(*, researcher: Researcher, user) -> Conversation | None:
    """``user``'s open (pending or accepted) conversation with
    ``researcher``'s owner, begun by them; at most one exists. One query."""
    return (
        Conversation.objects.filter(
            initiator=user, researcher=researcher, state__in=Conversation.OPEN_STATES
        )
        .only("id", "state", "subject")
        .first()
    )


# --- conversations ------------------------------------------------------------


def _unread_for(user) -> Case:
    """True on a conversation ``user`` has not read since its last
    activity."""
    return Case(
        When(
            Q(recipient=user)
            & (
                Q(recipient_read_at__isnull=True)
                | Q(last_message_at__gt=F("recipient_read_at"))
            ),
            then=Value(True),
        ),
        When(
            Q(initiator=user)
            & (
                Q(initiator_read_at__isnull=True)
                | Q(last_message_at__gt=F("initiator_read_at"))
            ),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def conversation_get_for_user(*, user, conversation_id: int) -> Conversation:
    """The conversation ``conversation_id`` if ``user`` is one of its two
    participants, with its profile, work and participants, and for
    ``user``: ``is_unread``, ``has_blocked_other`` and ``has_reported``
    (an open report of theirs). Raises ``Conversation.DoesNotExist`` for
    anyone else (staff included), so ids cannot be probed. Two queries (the
    initiator's public records)."""
    if not _is_authenticated(user):
        raise Conversation.DoesNotExist("No such conversation of yours.")
    return (
        Conversation.objects.filter(Q(initiator=user) | Q(recipient=user))
        .select_related("researcher", "work", "initiator", "recipient")
        .prefetch_related(public_records_prefetch("initiator"))
        .annotate(
            other_participant=Case(
                When(initiator=user, then=F("recipient_id")),
                default=F("initiator_id"),
            )
        )
        .annotate(
            is_unread=_unread_for(user),
            has_blocked_other=Exists(
                Block.objects.filter(
                    blocker=user, blocked_id=OuterRef("other_participant")
                )
            ),
            has_reported=Exists(
                Report.objects.filter(
                    conversation=OuterRef("pk"),
                    reporter=user,
                    resolved_at__isnull=True,
                )
            ),
        )
        .get(pk=conversation_id)
    )


def conversation_messages(*, conversation: Conversation) -> QuerySet[Message]:
    """The messages of ``conversation``, oldest first. One query."""
    return Message.objects.filter(conversation=conversation).order_by(
        "created_at", "id"
    )


def inbox_conversations(*, user, archived: bool = False) -> QuerySet[Conversation]:
    """``user``'s conversations, as recipient or initiator, that they have
    archived (``archived``) or not, newest activity first, each with
    ``is_unread`` for them, its profile and the initiator's public records.
    The caller paginates; a page costs two queries (and one to count)."""
    mine = Q(recipient=user, recipient_archived=archived) | Q(
        initiator=user, initiator_archived=archived
    )
    return (
        Conversation.objects.filter(mine)
        .select_related("researcher", "initiator")
        .only(
            "id",
            "subject",
            "state",
            "initiator_id",
            "recipient_id",
            "last_message_at",
            "researcher__id",
            "researcher__openalex_id",
            "researcher__display_name",
            "researcher__is_hidden",
            "initiator__id",
        )
        .prefetch_related(public_records_prefetch("initiator"))
        .annotate(is_unread=_unread_for(user))
        .order_by("-last_message_at", "-id")
    )


def inbox_unread_count(*, user) -> int:
    """How many of ``user``'s active (not archived) conversations have
    activity they have not read: the header's number. One query on the
    partial unread indexes; none for an anonymous user."""
    if not _is_authenticated(user):
        return 0
    return Conversation.objects.filter(
        Q(recipient=user, recipient_archived=False)
        & (
            Q(recipient_read_at__isnull=True)
            | Q(last_message_at__gt=F("recipient_read_at"))
        )
        | Q(initiator=user, initiator_archived=False)
        & (
            Q(initiator_read_at__isnull=True)
            | Q(last_message_at__gt=F("initiator_read_at"))
        )
    ).count()


# --- blocks and settings ------------------------------------------------------

BLOCKS_LISTED = 100


def blocks_of_user(*, user) -> list[Block]:
    """The accounts ``user`` blocked, latest first (``BLOCKS_LISTED`` at
    most), each blocked user with their public records. Two queries."""
    return list(
        Block.objects.filter(blocker=user)
        .select_related("blocked")
        .prefetch_related(public_records_prefetch("blocked"))
        .order_by("-created_at", "-id")[:BLOCKS_LISTED]
    )


def user_has_blocked(*, blocker_id: int, blocked_id: int) -> bool:
    """Whether ``blocker_id`` blocked ``blocked_id``. One query."""
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def notification_settings_get(*, user) -> NotificationSettings:
    """``user``'s mail switches; an unsaved row with both on when they never
    changed them. One query."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)
