"""Moderation in the admin: reports listed with the conversation and its
messages (read-only), a "resolve" action through the service; only
reported conversations are readable there, by the Moderators group, whose
permissions collaboration/migrations/0002 adds."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from collaboration.models import Report
from collaboration.services import (
    CollaborationRefused,
    conversation_accept,
    message_send,
    report_create,
    report_resolve,
)
from tests.factories import UserFactory
from tests.helpers.pages import page_text

from .helpers import collaboration_digest, invite

pytestmark = pytest.mark.django_db

PERMISSIONS = {"view_report", "change_report", "view_conversation", "view_message"}


def moderators_group() -> Group:
    """The Moderators group as the migrations leave it (a flushed database,
    after a transactional test, lost it: the migration's own function makes
    it again)."""
    migration = importlib.import_module(
        "collaboration.migrations.0002_moderators_permissions"
    )
    # The models as the migration sees them: the function mutates the app
    # configs it is given, which must never be the project's own.
    state = MigrationExecutor(connection).loader.project_state(
        ("collaboration", "0002_moderators_permissions")
    )
    migration.moderators_permissions_add(state.apps, None)
    return Group.objects.get(name="Moderators")


@pytest.fixture
def moderator_client(client):
    moderator = UserFactory(username="mod", is_staff=True)
    moderator.groups.add(moderators_group())
    client.force_login(moderator)
    client.user = moderator
    return client


@pytest.fixture
def reported(profile, visitor):
    conversation = invite(visitor, profile, subject="Buy my course")
    conversation_accept(conversation=conversation, user=profile.owner)
    message_send(conversation=conversation, sender=visitor, body="Only $99!")
    report = report_create(
        conversation=conversation, reporter=profile.owner, reason="Spam."
    )
    return report


def test_the_migration_gives_moderators_the_collaboration_rights():
    group = moderators_group()

    codenames = set(
        group.permissions.filter(content_type__app_label="collaboration").values_list(
            "codename", flat=True
        )
    )
    assert codenames == PERMISSIONS
    # Claims' own rights are still there.
    assert group.permissions.filter(codename="change_claim").exists()


def test_a_moderator_reads_the_report_with_its_conversation(moderator_client, reported):
    listing = page_text(moderator_client.get("/admin/collaboration/report/"))
    assert "Buy my course" in listing
    assert "bea@example.org" in listing

    page = page_text(
        moderator_client.get(f"/admin/collaboration/report/{reported.pk}/change/")
    )

    assert "Spam." in page
    assert "Hello, shall we write a paper?" in page
    assert "Only $99!" in page
    assert "bea@example.org (invited) and ada@example.org (invited the owner" in page
    conversation = page_text(
        moderator_client.get(
            f"/admin/collaboration/conversation/{reported.conversation_id}/change/"
        )
    )
    assert "Only $99!" in conversation
    assert "Save" not in conversation.split("Messages")[-1]


def test_an_unreported_conversation_is_nobodys_to_read_in_the_admin(
    moderator_client, profile, visitor, reported
):
    private = invite(UserFactory(), profile, subject="Private matter")
    superuser = UserFactory(is_staff=True, is_superuser=True)

    for viewer in (moderator_client.user, superuser):
        moderator_client.force_login(viewer)
        listing = page_text(moderator_client.get("/admin/collaboration/conversation/"))
        assert "Buy my course" in listing
        assert "Private matter" not in listing
        response = moderator_client.get(
            f"/admin/collaboration/conversation/{private.pk}/change/"
        )
        assert response.status_code == 302  # the admin's "does not exist"
    # Nor on the site.
    assert moderator_client.get(f"/inbox/{private.pk}/").status_code == 404


def test_the_resolve_action_resolves_through_the_service(moderator_client, reported):
    moderator_client.post(
        "/admin/collaboration/report/",
        {"action": "resolve_reports", "_selected_action": [reported.pk]},
    )

    reported.refresh_from_db()
    assert reported.resolved_by == moderator_client.user
    assert reported.resolved_at is not None
    first = reported.resolved_at
    report_resolve(report=reported, moderator=UserFactory())
    reported.refresh_from_db()
    assert (reported.resolved_at, reported.resolved_by) == (
        first,
        moderator_client.user,
    )
    open_reports = page_text(
        moderator_client.get("/admin/collaboration/report/?resolved=no")
    )
    assert "0 reports" in open_reports


def test_moderators_cannot_add_change_or_delete(moderator_client, reported):
    assert moderator_client.get("/admin/collaboration/report/add/").status_code == 403
    assert (
        moderator_client.post(
            f"/admin/collaboration/report/{reported.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert Report.objects.count() == 1
    assert moderator_client.get("/admin/collaboration/message/").status_code == 404
    assert moderator_client.get("/admin/collaboration/block/").status_code == 404


def test_a_participant_reports_once_from_the_page(client, profile, visitor):
    conversation = invite(visitor, profile)
    client.force_login(profile.owner)

    response = client.post(
        f"/inbox/{conversation.pk}/report/", {"reason": "Rude."}, follow=True
    )

    assert "Your report is sent: the moderators will read the conversation." in (
        page_text(response)
    )
    assert "You reported this conversation" in page_text(response)
    report = Report.objects.get()
    assert (report.reporter, report.reason) == (profile.owner, "Rude.")
    before = collaboration_digest()
    with pytest.raises(CollaborationRefused):
        report_create(conversation=conversation, reporter=profile.owner, reason="2")
    with pytest.raises(CollaborationRefused):
        report_create(conversation=conversation, reporter=profile.owner, reason=" ")
    with pytest.raises(CollaborationRefused):
        report_create(conversation=conversation, reporter=UserFactory(), reason="x")
    assert collaboration_digest() == before
