"""What pages show of direct collaboration, provided by this app so that
profiles never imports it: ``{% load collaboration_tags %}`` then
``{% collaboration_section researcher %}`` on the profile, and the filters
the inbox and conversation pages use."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import escape, urlize
from django.utils.safestring import SafeString, mark_safe

from collaboration.models import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH, Conversation
from collaboration.selectors import (
    MemberLabel,
    collaboration_section_for_viewer,
    conversation_label,
    member_label,
)

register = template.Library()


@register.inclusion_tag("collaboration/_section.html", takes_context=True)
def collaboration_section(context, researcher):
    """The profile's "Direct collaboration" section in the viewer's state
    (``collaboration_section_for_viewer``): the invitation form, the
    viewer's open conversation with the profile, the owner's way to their
    inbox, or why no invitation can be sent. No query for an anonymous
    viewer; at most three for a logged-in one (the profile page already
    knows whether they own it)."""
    request = context["request"]
    is_owner = context.get("is_owner")
    section = collaboration_section_for_viewer(
        researcher=researcher,
        user=request.user,
        is_owner=is_owner if isinstance(is_owner, bool) else None,
    )
    return {
        "researcher": researcher,
        "section": section,
        "here": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        "inbox_unread": context.get("inbox_unread"),
        "subject_max_length": SUBJECT_MAX_LENGTH,
        "body_max_length": BODY_MAX_LENGTH,
    }


@register.filter
def message_body(text: str, linked: bool = False) -> SafeString:
    """A message as HTML: escaped, line breaks kept; web addresses become
    links (``rel="nofollow noopener"``) only when ``linked`` (the recipient
    accepted the conversation). ``javascript:`` and other schemes never
    do."""
    html = urlize(text, nofollow=True, autoescape=True) if linked else escape(text)
    # The only rel="nofollow" in the escaped text is urlize's own: quotes
    # the sender typed are escaped to &quot;.
    html = html.replace('rel="nofollow"', 'rel="nofollow noopener"')
    return mark_safe(linebreaksbr(html, autoescape=False))  # noqa: S308


@register.filter
def other_side(conversation: Conversation, user) -> MemberLabel:
    """The other participant of ``conversation`` as ``user`` reads them."""
    other_id = conversation.other_participant_id(user)
    return conversation_label(conversation, user_id=other_id)


@register.filter
def sender_label(conversation: Conversation, sender_id: int | None) -> MemberLabel:
    """The author ``sender_id`` of a message of ``conversation``."""
    return conversation_label(conversation, user_id=sender_id)


@register.filter
def blocked_label(block) -> MemberLabel:
    """The account a block holds back, as its blocker reads it."""
    return member_label(block.blocked)


@register.filter
def role_of(conversation: Conversation, user) -> str:
    """ "initiator" or "recipient": ``user``'s side of ``conversation``."""
    return "initiator" if user.pk == conversation.initiator_id else "recipient"
