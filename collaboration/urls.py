from django.urls import path

from . import views

app_name = "collaboration"

urlpatterns = [
    path(
        "researchers/<openalex_author:openalex_id>/invite/",
        views.invitation_send_view,
        name="invite",
    ),
    path("inbox/", views.inbox_view, name="inbox"),
    path("inbox/settings/", views.notification_settings_view, name="settings"),
    path(
        "inbox/blocked/<int:user_id>/unblock/",
        views.block_delete_view,
        name="unblock",
    ),
    path(
        "inbox/<int:conversation_id>/",
        views.conversation_view,
        name="conversation",
    ),
    path(
        "inbox/<int:conversation_id>/accept/",
        views.conversation_accept_view,
        name="accept",
    ),
    path(
        "inbox/<int:conversation_id>/decline/",
        views.conversation_decline_view,
        name="decline",
    ),
    path(
        "inbox/<int:conversation_id>/reply/",
        views.message_send_view,
        name="reply",
    ),
    path(
        "inbox/<int:conversation_id>/archive/",
        views.conversation_archive_view,
        name="archive",
    ),
    path(
        "inbox/<int:conversation_id>/block/",
        views.block_create_view,
        name="block",
    ),
    path(
        "inbox/<int:conversation_id>/report/",
        views.report_create_view,
        name="report",
    ),
]
