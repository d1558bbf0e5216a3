"""Fixtures of the import-run tests: runs in each state, staff users, and the
tasks' messages read from the real broker."""

from __future__ import annotations

from collections.abc import Callable

import factory
import pytest
from django.contrib.auth.models import Permission

from tests.brokers import QueuedTask, queued_tasks
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
def enqueued(task_queue) -> Callable[[], list[QueuedTask]]:
    """Read what the test sent to the real broker: the task messages waiting
    in the (emptied, unconsumed) test queue, oldest first, as (task name,
    args, kwargs)."""
    return lambda: queued_tasks(task_queue)


@pytest.fixture
def trust_enqueued(task_queue) -> Callable[[], list[list[int]]]:
    """Read the chunks of researcher ids sent to the trust recompute task:
    its messages waiting in the test queue on the real broker, oldest first."""
    from profiles.tasks import researcher_trust_recompute

    return lambda: [
        args[0]
        for name, args, _ in queued_tasks(task_queue)
        if name == researcher_trust_recompute.name
    ]
