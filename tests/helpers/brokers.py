"""Reading the test broker: the task messages waiting in a queue, as the Redis
transport of kombu keeps them.

A queue is a Redis list named after it (a priority above 0 gets a list of its
own, ``<queue>\\x06\\x16<priority>``); a producer LPUSHes, a worker BRPOPs, so
the oldest message is at the right end. Each message is a JSON envelope whose
``headers`` name the task and whose ``body`` (base64) holds the task protocol's
``[args, kwargs, embed]``.
"""

from __future__ import annotations

import base64
import json

import redis
from django.conf import settings

# A task message as the tests compare it: (task name, args, kwargs).
QueuedTask = tuple[str, tuple, dict]

# kombu.transport.redis: the separator and priority steps of a queue's lists.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)


def _broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def _lists(queue: str) -> list[str]:
    """The Redis lists of ``queue``, in the order a worker takes from them."""
    return [
        f"{queue}{_PRIORITY_SEPARATOR}{step}" if step else queue
        for step in _PRIORITY_STEPS
    ]


def _decode(raw: bytes) -> QueuedTask:
    envelope = json.loads(raw)
    assert envelope["content-type"] == "application/json", envelope
    assert envelope["properties"]["body_encoding"] == "base64", envelope
    args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
    return envelope["headers"]["task"], tuple(args), kwargs


def queued_tasks(queue: str) -> list[QueuedTask]:
    """The task messages waiting in ``queue`` on the test broker, in the order
    a worker would take them (oldest first): (task name, args, kwargs)."""
    client = _broker()
    return [
        _decode(raw)
        for name in _lists(queue)
        for raw in reversed(client.lrange(name, 0, -1))
    ]


def purge(queue: str) -> None:
    """Drop the messages waiting in ``queue`` (left by a test, or by an earlier,
    interrupted run: they would run against another test's data)."""
    from bzpeer.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)


def forget_unacknowledged(queue: str) -> None:
    """Drop the messages of ``queue`` a killed worker took and never
    acknowledged: restored after the visibility timeout, they would land in a
    later test session."""
    client = _broker()
    for tag, raw in client.hgetall("unacked").items():
        _, _, routing_key = json.loads(raw)
        if routing_key == queue:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
