"""Moderation of direct collaboration in the admin: the abuse reports, each
with the conversation it is about and its messages, read-only, and a
"resolve" action (``collaboration.services.report_resolve``, as a test
calls it). A conversation is readable here only once one of its
participants reported it; nobody, superusers included, browses the others.
The Moderators group holds view_report, change_report, view_conversation
and view_message (collaboration/migrations/0002)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import SafeString, mark_safe

from .models import Conversation, Message, Report
from .services import report_resolve


def _paragraphs(text: str) -> SafeString:
    """Plain text as escaped paragraphs; links stay text."""
    return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308


def _participant(user) -> str:
    if user is None:
        return "a former member (account deleted)"
    return user.email or user.get_username()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nothing here is added, edited or deleted through a form."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)


class ResolvedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "resolved"

    def lookups(self, request, model_admin):
        return (("no", "Open"), ("yes", "Resolved"))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "conversation_subject",
        "reported_by",
        "created_at",
        "resolved_at",
    )
    list_filter = (ResolvedFilter, "created_at")
    list_select_related = ("conversation", "reporter")
    ordering = ("resolved_at", "created_at", "id")
    actions = ("resolve_reports",)
    fields = readonly_fields = (
        "conversation_link",
        "participants",
        "reported_by",
        "reason_text",
        "created_at",
        "resolved_at",
        "resolved_by",
        "thread",
    )

    @admin.display(description="Conversation")
    def conversation_subject(self, report: Report) -> str:
        return report.conversation.subject

    @admin.display(description="Reported by")
    def reported_by(self, report: Report) -> str:
        return _participant(report.reporter)

    @admin.display(description="Reason")
    def reason_text(self, report: Report) -> str:
        return _paragraphs(report.reason)

    @admin.display(description="Conversation")
    def conversation_link(self, report: Report) -> str:
        return format_html(
            '<a href="{}">{}</a> ({})',
            reverse(
                "admin:collaboration_conversation_change",
                args=[report.conversation_id],
            ),
            report.conversation.subject,
            report.conversation.get_state_display(),
        )

    @admin.display(description="Between")
    def participants(self, report: Report) -> str:
        conversation = report.conversation
        return format_html(
            "{} (invited) and {} (invited the owner of {})",
            _participant(conversation.recipient),
            _participant(conversation.initiator),
            conversation.researcher or "a record no longer held",
        )

    @admin.display(description="Messages, oldest first")
    def thread(self, report: Report) -> str:
        """The whole thread, escaped: links are never made clickable here."""
        thread = report.conversation.messages.select_related("sender").order_by(
            "created_at", "id"
        )
        return format_html(
            '<ol class="collaboration-thread">{}</ol>',
            format_html_join(
                "",
                "<li><p><strong>{}</strong> · {}</p>{}</li>",
                (
                    (
                        _participant(message.sender),
                        message.created_at.strftime("%Y-%m-%d %H:%M"),
                        _paragraphs(message.body),
                    )
                    for message in thread
                ),
            ),
        )

    @admin.action(description="Resolve the selected reports", permissions=["change"])
    def resolve_reports(self, request, queryset):
        resolved = 0
        for report in queryset.filter(resolved_at__isnull=True):
            report_resolve(report=report, moderator=request.user)
            resolved += 1
        self.message_user(request, f"Resolved {resolved} report(s).")


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = readonly_fields = ("created_at", "sender", "body")
    ordering = ("created_at", "id")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    """Reported conversations only, with their messages."""

    list_display = ("id", "subject", "state", "initiator", "recipient", "created_at")
    list_select_related = ("initiator", "recipient")
    ordering = ("-last_message_at", "-id")
    inlines = (MessageInline,)
    fields = readonly_fields = (
        "subject",
        "state",
        "researcher",
        "work",
        "initiator",
        "recipient",
        "created_at",
        "decided_at",
        "last_message_at",
    )

    def get_queryset(self, request):
        reported = Report.objects.filter(conversation=OuterRef("pk"))
        return super().get_queryset(request).filter(Exists(reported))

    def has_change_permission(self, request, obj=None):
        return False
