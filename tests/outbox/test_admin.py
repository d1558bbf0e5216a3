"""The outbox in the admin: a list to read (what waits and why), where
nothing can be added, changed or deleted."""

import pytest
from django.test import Client
from django.urls import reverse

from outbox.models import OutboxMessage
from tests.factories import UserFactory
from tests.helpers.pages import page_text
from tests.outbox.conftest import PROBE_TASK

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_of_superuser() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_list_shows_pending_rows_and_why_read_only(
    admin_client_of_superuser, pending_rows
):
    [pk] = pending_rows(1)
    client = admin_client_of_superuser
    changelist = reverse("admin:outbox_outboxmessage_changelist")

    listed = client.get(changelist, {"state": "pending"})
    assert listed.status_code == 200
    assert PROBE_TASK in page_text(listed)
    detail = client.get(reverse("admin:outbox_outboxmessage_change", args=[pk]))
    assert detail.status_code == 200
    assert "Connection refused" in page_text(detail)

    assert client.get(reverse("admin:outbox_outboxmessage_add")).status_code == 403
    delete = reverse("admin:outbox_outboxmessage_delete", args=[pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True).exists()
