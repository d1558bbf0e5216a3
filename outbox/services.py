"""Task messages that must not be lost: a service writes an ``OutboxMessage``
row in the transaction of the change that calls for the task (``enqueue``);
once it commits, the message is published at once, and when the broker is
away the row stays pending until the beat's ``outbox.send_pending``
(``outbox_send_pending``) publishes it.

Delivery is at least once. A message published whose row could not be
marked sent (the database or the process lost in between) goes again from
the sender; every task enqueued here is idempotent (a trust recompute
stores the same score again, a notification sends nothing twice), so that
is harmless. Two senders never publish one row twice: each takes its rows
with ``SELECT … FOR UPDATE SKIP LOCKED`` and marks them before it lets go.

Messages are published by task name with no result to wait for, so this
app imports none of the apps whose tasks it sends."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu import Connection

from bzpeer.celery import app

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# A broker that refuses connections, or accepts them and never answers,
# fails a publish after this long: kombu's own retries would block the
# request for seconds (or forever), and the row is safe in the outbox anyway.
PUBLISH_TIMEOUT_SECONDS = 2
_NO_RETRY = {"max_retries": 0}
# Rows the sender takes (and locks) per transaction.
SEND_BATCH_SIZE = 200
# Sent rows are kept this long, to read in the admin, then deleted.
SENT_KEPT_FOR = timedelta(days=3)
_ERROR_LENGTH = 2000


def enqueue(
    task_name: str, args: Sequence = (), kwargs: dict | None = None
) -> OutboxMessage:
    """Have the Celery task named ``task_name`` run with ``args`` and
    ``kwargs`` (JSON values) once the caller's transaction commits.

    Writes the outbox row in the caller's transaction (rolled back with it),
    then after commit publishes the message at once, without kombu's
    retries, and marks the row sent. When the broker is away, a warning
    names the task and the row stays pending for ``outbox_send_pending``:
    the caller waits on the broker ``PUBLISH_TIMEOUT_SECONDS`` at most, and
    never fails because of it. Outside a transaction the row is written and
    published at once."""
    message = OutboxMessage.objects.create(
        task_name=task_name, args=list(args), kwargs=dict(kwargs or {})
    )
    transaction.on_commit(partial(_send_after_commit, message.pk), robust=True)
    return message


def _send_after_commit(message_id: int) -> None:
    # The row locked (SKIP LOCKED) while it is published and marked: a
    # sender that took it first publishes it and this skips it; a sender
    # that comes meanwhile skips it and finds it sent later.
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return
        with _broker_connection() as connection:
            error = _publish(message, connection=connection)
        if error is None:
            _mark_sent([message.pk])
            return
        _mark_failed(message, error)
    logger.warning(
        "broker unavailable: task %s not sent now, pending in the outbox "
        "(message %s): %r",
        message.task_name,
        message.pk,
        error,
    )


def outbox_send_pending(*, batch_size: int = SEND_BATCH_SIZE) -> int:
    """Publish the pending outbox rows, oldest first, and return how many
    went; then delete the rows sent more than ``SENT_KEPT_FOR`` ago.

    Rows are taken ``batch_size`` at a time with ``SELECT … FOR UPDATE SKIP
    LOCKED`` and marked sent in the same transaction, so two senders (two
    beats' tasks, or a sender and a commit publishing its own row) never
    publish one row twice. Stops at the first publish the broker refuses:
    that row keeps its place with its error, and the next run starts again
    from it. Safe to run at any time, as often as wanted."""
    sent = 0
    with _broker_connection() as connection:
        while True:
            with transaction.atomic():
                batch = list(
                    OutboxMessage.objects.select_for_update(skip_locked=True)
                    .filter(sent_at__isnull=True)
                    .order_by("id")[:batch_size]
                )
                published, error = [], None
                for message in batch:
                    error = _publish(message, connection=connection)
                    if error is not None:
                        _mark_failed(message, error)
                        break
                    published.append(message.pk)
                _mark_sent(published)
            sent += len(published)
            if error is not None:
                logger.warning(
                    "broker unavailable: %s outbox message(s) sent, %s (message "
                    "%s) and those after it left pending: %r",
                    sent,
                    message.task_name,
                    message.pk,
                    error,
                )
                break
            if len(batch) < batch_size:
                break
    outbox_prune()
    return sent


def outbox_prune() -> int:
    """Delete the rows sent more than ``SENT_KEPT_FOR`` ago (one query);
    return how many went."""
    deleted, _ = OutboxMessage.objects.filter(
        sent_at__lt=timezone.now() - SENT_KEPT_FOR
    ).delete()
    return deleted


def _broker_connection() -> Connection:
    """A connection to the broker (opened on first publish) that fails fast:
    no connect retries, and short socket timeouts (Redis transport)."""
    return app.connection_for_write(
        connect_timeout=PUBLISH_TIMEOUT_SECONDS,
        transport_options={
            "max_retries": 0,
            "socket_connect_timeout": PUBLISH_TIMEOUT_SECONDS,
            "socket_timeout": PUBLISH_TIMEOUT_SECONDS,
        },
    )


def _publish(message: OutboxMessage, *, connection: Connection) -> Exception | None:
    """Publish ``message`` by its task's name; the broker's error, or None
    when it took the message."""
    try:
        # No result to wait for: Celery then never subscribes to the result
        # backend (the same Redis, away too).
        app.send_task(
            message.task_name,
            args=message.args,
            kwargs=message.kwargs,
            connection=connection,
            ignore_result=True,
            retry=True,
            retry_policy=_NO_RETRY,
        )
    except Exception as error:  # kombu's, redis', OSError…: the broker's
        return error
    return None


def _mark_sent(message_ids: list[int]) -> None:
    if message_ids:
        OutboxMessage.objects.filter(pk__in=message_ids).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1
        )


def _mark_failed(message: OutboxMessage, error: Exception) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=F("attempts") + 1, last_error=repr(error)[:_ERROR_LENGTH]
    )
