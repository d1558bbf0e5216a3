"""The beat's ``outbox.send_pending``: with the broker down a follow still
answers at once and its trust recompute waits in the outbox; once a broker
is back where it was, the task sends it and a real worker recomputes the
researcher's trust."""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from bzpeer.celery import app
from outbox.models import OutboxMessage
from outbox.services import PUBLISH_TIMEOUT_SECONDS
from outbox.tasks import outbox_send_pending_task
from profiles.models import Follow, Researcher
from profiles.services import researcher_trust_update
from tests.factories import ResearcherFactory, verified_user
from tests.helpers.celery_worker import start_celery_worker, stop_celery_worker
from tests.helpers.paths import ARTIFACTS
from tests.helpers.redis_server import redis_server
from tests.helpers.workers import wait_for

TRUST = "profiles.researcher_trust_recompute"


def test_beat_runs_the_sender_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-send-pending"]
    assert entry["task"] == "outbox.send_pending" == outbox_send_pending_task.name
    assert entry["schedule"] == timedelta(minutes=1)
    # Registered where a worker looks it up by name (shared_task's proxy).
    assert app.tasks["outbox.send_pending"].run == outbox_send_pending_task.run


def followers_signal(researcher: Researcher) -> tuple[int, int, str]:
    """The stored trust score and the followers signal's points and detail."""
    stored = Researcher.objects.get(pk=researcher.pk)
    signals = {s["key"]: s for s in stored.trust_breakdown["signals"]}
    followers = signals["followers"]
    return stored.trust_score, followers["value"], followers["detail"]


def follow_through_the_page(user, researcher) -> float:
    """POST the profile's Follow form as ``user``; return how long it took."""
    client = Client()
    client.force_login(user)
    started = time.monotonic()
    response = client.post(reverse("profiles:follow", args=[researcher.openalex_id]))
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    return elapsed


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_trust_waits_in_the_outbox_then_a_worker_runs_it(
    own_redis, broker_on, tmp_path, caplog
):
    process, url = own_redis
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    broker_on(url)
    ada, bob = ResearcherFactory(), ResearcherFactory()
    researcher_trust_update(researcher_ids=[ada.pk, bob.pk])
    before = {r.pk: followers_signal(r) for r in (ada, bob)}
    assert {signal[1:] for signal in before.values()} == {(0, "No followers yet")}

    # The broker goes away.
    process.terminate()
    process.wait()

    # Each follow answers at once; its trust recompute waits in the outbox.
    for researcher in (ada, bob):
        assert follow_through_the_page(verified_user(), researcher) < 1
    assert Follow.objects.count() == 2
    rows = list(OutboxMessage.objects.order_by("id"))
    assert [(row.task_name, row.args, row.sent_at, row.attempts) for row in rows] == [
        (TRUST, [[ada.pk]], None, 1),
        (TRUST, [[bob.pk]], None, 1),
    ]
    assert "Connection refused" in rows[0].last_error
    assert f"task {TRUST} not sent now, pending in the outbox" in caplog.text
    # The beat's task while it is still down: the oldest tried, nothing sent.
    started = time.monotonic()
    assert outbox_send_pending_task() == 0
    assert time.monotonic() - started < PUBLISH_TIMEOUT_SECONDS
    assert list(OutboxMessage.objects.order_by("id").values_list("attempts")) == [
        (2,),
        (1,),
    ]

    # A broker is back where it was: the next beat's task sends both, and a
    # worker on that broker recomputes their trust.
    with redis_server(tmp_path, port=port) as (_, back):
        assert back == url
        assert outbox_send_pending_task() == 2
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
        worker = start_celery_worker(
            queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            hostname=f"bzpeer-outbox-{os.getpid()}@{socket.gethostname()}",
            log=ARTIFACTS / "celery-worker-outbox.log",
            env={"TEST_BROKER_URL": url},
        )
        try:
            wait_for(
                lambda: all(followers_signal(r)[1] == 1 for r in (ada, bob)),
                what="the worker's trust recomputes",
            )
        finally:
            stop_celery_worker(worker)

    for researcher in (ada, bob):
        score, points, detail = followers_signal(researcher)
        # One follower is one digit: one point more, nothing else moved.
        assert (score, points) == (before[researcher.pk][0] + 1, 1)
        assert detail == "1 follower: 1 digit × 1 point, capped at 3"
