"""Pages of direct collaboration: the invitation sent from a profile, the
inbox, a conversation and what its participants do in it (answer, write,
archive, block, report), the blocked accounts and the mail switches.

Every page needs a login; every write is a POST with its CSRF token. A
conversation is reached only through ``conversation_get_for_user``: anyone
but its two participants gets a 404, whatever their rights."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from bzpeer.ratelimits import write_refusal
from profiles.models import Researcher
from profiles.pagination import page_get, page_not_found_answers
from profiles.selectors import researcher_get

from .models import Conversation
from .selectors import (
    blocks_of_user,
    conversation_get_for_user,
    conversation_messages,
    inbox_conversations,
    notification_settings_get,
)
from .services import (
    CollaborationRefused,
    block_create,
    block_delete,
    conversation_accept,
    conversation_archive,
    conversation_decline,
    conversation_mark_read,
    invitation_send,
    message_send,
    notification_settings_update,
    report_create,
)

CONVERSATIONS_PER_PAGE = 20
INVITATION_SENT = "Your invitation is sent."
MESSAGE_SENT = "Your message is sent."


def _invitation_refusal(request) -> str | None:
    """Counts an invitation against the user's allowance (bzpeer.ratelimits:
    refused too while it cannot be counted); what to tell them when it is
    refused."""
    return write_refusal(
        request,
        group="collaboration.invitation",
        rates=(("user", settings.INVITATION_RATE_PER_USER),),
        spent_message="You have sent many invitations lately: try again later.",
    )


def _message_refusal(request) -> str | None:
    """The same for a message written in a conversation."""
    return write_refusal(
        request,
        group="collaboration.message",
        rates=(("user", settings.MESSAGE_RATE_PER_USER),),
        spent_message="You have written many messages lately: wait a bit.",
    )


def _conversation_or_404(request, conversation_id: int) -> Conversation:
    try:
        return conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
    except Conversation.DoesNotExist as missing:
        raise Http404("No such conversation of yours.") from missing


def _conversation_url(conversation: Conversation, anchor: str = "") -> str:
    url = reverse("collaboration:conversation", args=[conversation.pk])
    return f"{url}#{anchor}" if anchor else url


# --- the invitation -----------------------------------------------------------


@require_POST
@login_required
def invitation_send_view(request, openalex_id):
    """The profile's invitation form: a conversation with the profile's
    owner, then back to the profile's section with what happened. From an
    account the owner blocked it answers exactly as if sent."""
    try:
        researcher = researcher_get(openalex_id=openalex_id, viewer=request.user)
    except Researcher.DoesNotExist as missing:
        raise Http404("No researcher with this id.") from missing
    back = reverse("profiles:detail", args=[openalex_id]) + "#collaboration"
    refusal = _invitation_refusal(request)
    if refusal:
        messages.error(request, refusal)
        return redirect(back)
    raw_work = request.POST.get("work", "").strip()
    try:
        if raw_work and not raw_work.isdigit():
            raise CollaborationRefused("Choose a work from the list, or none.")
        invitation_send(
            sender=request.user,
            researcher=researcher,
            subject=request.POST.get("subject", ""),
            body=request.POST.get("body", ""),
            work_id=int(raw_work) if raw_work else None,
        )
    except CollaborationRefused as refused:
        if refused.not_found:
            raise Http404(str(refused)) from refused
        if refused.conversation is not None:
            messages.error(
                request,
                format_html(
                    '{} <a href="{}">Open it</a>.',
                    str(refused),
                    _conversation_url(refused.conversation),
                ),
            )
        else:
            messages.error(request, str(refused))
        return redirect(back)
    messages.success(request, INVITATION_SENT)
    return redirect(back)


# --- the inbox ----------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@login_required
@page_not_found_answers(anchor="conversations")
def inbox_view(request):
    """The user's conversations, active or archived (``?show=archived``),
    newest activity first, with unread marks; and the accounts they
    blocked."""
    archived = request.GET.get("show") == "archived"
    paginator = Paginator(
        inbox_conversations(user=request.user, archived=archived),
        CONVERSATIONS_PER_PAGE,
    )
    page = page_get(paginator=paginator, number=request.GET.get("page"))
    return render(
        request,
        "collaboration/inbox.html",
        {
            "page": page,
            "archived": archived,
            "blocks": blocks_of_user(user=request.user),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def notification_settings_view(request):
    """The user's two mail switches: new invitations, and replies."""
    if request.method == "POST":
        notification_settings_update(
            user=request.user,
            notify_invitations=request.POST.get("notify_invitations") == "on",
            notify_replies=request.POST.get("notify_replies") == "on",
        )
        messages.success(request, "Your mail settings are saved.")
        return redirect("collaboration:settings")
    return render(
        request,
        "collaboration/settings.html",
        {"switches": notification_settings_get(user=request.user)},
    )


# --- a conversation -----------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@login_required
def conversation_view(request, conversation_id):
    """A conversation, oldest message first, for one of its participants;
    opening it marks it read for them."""
    conversation = _conversation_or_404(request, conversation_id)
    conversation_mark_read(conversation=conversation, user=request.user)
    is_recipient = request.user.pk == conversation.recipient_id
    return render(
        request,
        "collaboration/conversation.html",
        {
            "conversation": conversation,
            "thread": conversation_messages(conversation=conversation),
            "is_recipient": is_recipient,
            "is_archived": (
                conversation.recipient_archived
                if is_recipient
                else conversation.initiator_archived
            ),
            "other_id": conversation.other_participant_id(request.user),
            "links_clickable": conversation.state == Conversation.State.ACCEPTED,
        },
    )


def _act(request, conversation_id: int, action, *, success: str, anchor: str = ""):
    """Run ``action(conversation)`` for a participant and go back to the
    conversation with ``success``, or with the refusal's reason."""
    conversation = _conversation_or_404(request, conversation_id)
    try:
        action(conversation)
    except CollaborationRefused as refused:
        messages.error(request, str(refused))
    else:
        if success:
            messages.success(request, success)
    return redirect(_conversation_url(conversation, anchor))


@require_POST
@login_required
def conversation_accept_view(request, conversation_id):
    return _act(
        request,
        conversation_id,
        lambda conversation: conversation_accept(
            conversation=conversation, user=request.user
        ),
        success="You accepted the invitation: you can now write to each other.",
        anchor="reply",
    )


@require_POST
@login_required
def conversation_decline_view(request, conversation_id):
    message = request.POST.get("message", "")
    refusal = _message_refusal(request) if message.strip() else None
    if refusal:
        messages.error(request, refusal)
        return redirect(
            _conversation_url(_conversation_or_404(request, conversation_id))
        )
    return _act(
        request,
        conversation_id,
        lambda conversation: conversation_decline(
            conversation=conversation, user=request.user, message=message
        ),
        success="You declined the invitation.",
    )


@require_POST
@login_required
def message_send_view(request, conversation_id):
    """A reply in the thread. To an account that blocked the writer it
    answers exactly as if sent."""
    conversation = _conversation_or_404(request, conversation_id)
    refusal = _message_refusal(request)
    if refusal:
        messages.error(request, refusal)
        return redirect(_conversation_url(conversation, "reply"))
    try:
        message_send(
            conversation=conversation,
            sender=request.user,
            body=request.POST.get("body", ""),
        )
    except CollaborationRefused as refused:
        messages.error(request, str(refused))
        return redirect(_conversation_url(conversation, "reply"))
    messages.success(request, MESSAGE_SENT)
    return redirect(_conversation_url(conversation, "reply"))


@require_POST
@login_required
def conversation_archive_view(request, conversation_id):
    archived = request.POST.get("archived", "1") != "0"
    conversation = _conversation_or_404(request, conversation_id)
    conversation_archive(
        conversation=conversation, user=request.user, archived=archived
    )
    if archived:
        messages.success(request, "The conversation is archived.")
        return redirect("collaboration:inbox")
    messages.success(request, "The conversation is back in your inbox.")
    return redirect(_conversation_url(conversation))


@require_POST
@login_required
def block_create_view(request, conversation_id):
    """Block the other participant of a conversation."""
    return _act(
        request,
        conversation_id,
        lambda conversation: block_create(
            blocker=request.user,
            blocked_id=conversation.other_participant_id(request.user),
        ),
        success=(
            "You blocked this account: what it sends you from now on reaches "
            "you nowhere. Unblock it from your inbox."
        ),
    )


@require_POST
@login_required
def block_delete_view(request, user_id):
    """Unblock an account, from the inbox's list (only the user's own
    blocks: nothing to probe)."""
    if block_delete(blocker=request.user, blocked_id=user_id):
        messages.success(request, "The account is unblocked.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(reverse("collaboration:inbox") + "#blocked")


@require_POST
@login_required
def report_create_view(request, conversation_id):
    return _act(
        request,
        conversation_id,
        lambda conversation: report_create(
            conversation=conversation,
            reporter=request.user,
            reason=request.POST.get("reason", ""),
        ),
        success="Your report is sent: the moderators will read the conversation.",
    )
