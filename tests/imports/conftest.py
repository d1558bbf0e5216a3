"""Fixtures of the import-run tests: runs in each state, staff users, and the
tasks' messages captured instead of sent."""

from __future__ import annotations

import factory
import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory
from works.models import ImportRun


class ImportRunFactory(factory.django.DjangoModelFactory):
    """A failed OpenAlex import of one author, two pages of three done."""

    class Meta:
        model = ImportRun

    source = "openalex-api"
    parameters = factory.LazyFunction(lambda: {"authors": ["A5023888391"]})
    status = ImportRun.Status.FAILED
    created_count = 4
    updated_count = 1
    unchanged_count = 2
    rejected_count = 1
    calls = factory.LazyFunction(lambda: {"single": 1, "list": 2})
    checkpoint = factory.LazyFunction(lambda: {"cursor": "IlsxNjA5"})
    progress_done = 2
    progress_total = 3
    error = "openalex-api did not answer works page 3 after 3 attempts"


def staff_user(*permissions: str, **fields):
    """A staff user holding ``permissions`` (codenames of works)."""
    user = UserFactory(is_staff=True, **fields)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="works", codename__in=permissions
        )
    )
    return user


@pytest.fixture
def operator(client):
    """A logged-in staff member who may view, start and resume runs."""
    user = staff_user("view_importrun", "change_importrun", "add_importrun")
    client.force_login(user)
    return user


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[str, tuple, dict]]:
    """Messages of the import tasks, captured instead of sent to the broker:
    (task name, args, kwargs)."""
    from works.tasks import (
        live_import_task,
        researchers_refresh_task,
        snapshot_load_task,
    )

    messages: list[tuple[str, tuple, dict]] = []
    for task in (live_import_task, snapshot_load_task, researchers_refresh_task):
        monkeypatch.setattr(
            task,
            "delay",
            lambda *args, _name=task.name, **kwargs: messages.append(
                (_name, args, kwargs)
            ),
        )
    return messages


@pytest.fixture
def trust_enqueued(monkeypatch) -> list[list[int]]:
    """Chunks of researcher ids handed to the trust recompute task, captured
    instead of sent to the broker."""
    from profiles.tasks import researcher_trust_recompute

    calls: list[list[int]] = []
    monkeypatch.setattr(researcher_trust_recompute, "delay", calls.append)
    return calls
