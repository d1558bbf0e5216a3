"""The outbox in the admin: a read-only list, to see what waits for the
broker and why (``last_error``)."""

from __future__ import annotations

from django.contrib import admin

from .models import OutboxMessage


class PendingFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("pending", "Pending"), ("sent", "Sent"))

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "task_name", "created_at", "sent_at", "attempts")
    list_filter = (PendingFilter, "task_name")
    search_fields = ("task_name",)
    ordering = ("-id",)
    fields = readonly_fields = (
        "task_name",
        "args",
        "kwargs",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
    )
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
