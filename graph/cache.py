"""Slices cached in Redis under the data version they were built from
(``bzpeer.data_version``): an import, a merge, a claim decision or a curation
moves the version, and every slice cached before it is never read again (it
expires on its own). A cold slice is built by the ``graph.slice_build`` task
while the page shows its placeholder, or in the request.

Redis is a help, never a need: with it down there is no version, nothing is
read or cached, ``slice_get(build=True)`` builds in the process and
``slice_get(build=False)`` answers None; nothing here raises because of
Redis or the broker.

A slice is stored as node-link JSON with its parameters, centre, left-out
counts and build time: it reads back to a slice with the same nodes, edges
and attributes, in the same order (so the same SVG), and survives a deploy
that changes the ``Slice`` class (``SLICE_SCHEMA`` changes the keys when
the contents change)."""

from __future__ import annotations

import json
import logging
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime
from functools import partial

import networkx as nx
from celery import signature
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

from bzpeer.data_version import data_version_bump_after_commit, data_version_get

from .params import SliceParams
from .slices import Slice, slice_build

logger = logging.getLogger(__name__)

SLICE_BUILD_TASK = "graph.slice_build"
# A cached slice lives this long (the data version retires it sooner when
# the data change).
SLICE_CACHE_SECONDS = getattr(settings, "GRAPH_SLICE_CACHE_SECONDS", 24 * 3600)
# A page reloaded many times while its slice is cold enqueues one build in
# this long; after it (a lost task, a dead worker) the next view tries again.
ENQUEUE_DEDUP_SECONDS = getattr(settings, "GRAPH_ENQUEUE_DEDUP_SECONDS", 120)
_REDIS_DOWN = (RedisError, OSError)
# Publishing to a broker that is down fails after this, not after Celery's
# default retries.
_PUBLISH_RETRY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


def slice_encode(slice: Slice) -> str:
    return json.dumps(
        {
            "params": asdict(slice.params),
            "centre": slice.centre,
            "left_out": slice.left_out,
            "built_at": slice.built_at.isoformat(),
            "graph": nx.node_link_data(slice.graph, edges="edges"),
        },
        sort_keys=True,
    )


def slice_decode(text: str) -> Slice:
    """The slice ``slice_encode`` wrote. Raises ``ValueError`` on anything
    else."""
    try:
        data = json.loads(text)
        graph = nx.node_link_graph(
            data["graph"], directed=False, multigraph=False, edges="edges"
        )
        return Slice(
            params=SliceParams.from_dict(data["params"]),
            graph=graph,
            centre=str(data["centre"]),
            left_out={str(k): int(v) for k, v in data["left_out"].items()},
            built_at=datetime.fromisoformat(data["built_at"]),
        )
    except (TypeError, KeyError, AttributeError, nx.NetworkXError) as error:
        raise ValueError(f"not a cached slice: {error!r}") from error


def _cache_key(params: SliceParams) -> str | None:
    version = data_version_get()
    return None if version is None else params.cache_key(version)


def _cached(key: str) -> Slice | None:
    try:
        text = cache.get(key)
    except _REDIS_DOWN:
        logger.warning("cache unavailable: graph slice %s not read", key)
        return None
    if text is None:
        return None
    try:
        return slice_decode(text)
    except ValueError:
        logger.exception("graph slice %s unreadable; taken as cold", key)
        return None


def _store(key: str, slice: Slice) -> None:
    try:
        cache.set(key, slice_encode(slice), timeout=SLICE_CACHE_SECONDS)
    except _REDIS_DOWN:
        logger.warning("cache unavailable: graph slice %s not cached", key)


def slice_get(params: SliceParams, *, build: bool) -> Slice | None:
    """The slice ``params`` asks for as cached for the current data version;
    when it is not (cold), with ``build`` built in this process and cached
    (when Redis answers), else None. Raises ``SliceNotFound`` (when it
    builds) for a centre missing or hidden; never because of Redis."""
    key = _cache_key(params)
    if key is not None:
        cached = _cached(key)
        if cached is not None:
            return cached
    if not build:
        return None
    # Keyed by the version read before the build: a change committed
    # meanwhile moves the version on, and this slice is never read.
    built = slice_build(params)
    if key is not None:
        _store(key, built)
    return built


def slice_build_enqueue(params: SliceParams) -> None:
    """Have a worker build and cache the slice ``params`` asks for, once the
    current transaction commits: one task per slice and data version in
    ``ENQUEUE_DEDUP_SECONDS``, however often a page asks. Logs, never raises,
    when Redis or the broker is down (with the cache down a worker could not
    cache the slice anyway: nothing is enqueued)."""
    transaction.on_commit(partial(_enqueue, params))


def _enqueue(params: SliceParams) -> None:
    key = _cache_key(params)
    if key is None:
        return
    mark = f"{key}:enqueued"
    try:
        if not cache.add(mark, 1, timeout=ENQUEUE_DEDUP_SECONDS):
            return
    except _REDIS_DOWN:
        logger.warning("cache unavailable: graph slice %s not enqueued", key)
        return
    try:
        # No result to wait for (the slice lands in the cache): Celery then
        # does not subscribe to the result backend, which retries for 20 s.
        signature(SLICE_BUILD_TASK, args=(asdict(params),)).apply_async(
            ignore_result=True, retry=True, retry_policy=_PUBLISH_RETRY
        )
    except Exception as error:  # kombu's, redis', OSError…: the broker's
        logger.warning(
            "broker unavailable: graph slice %s not enqueued (%r)", key, error
        )
        with suppress(*_REDIS_DOWN):
            cache.delete(mark)


def researcher_merge_slices_retire(old, survivor) -> None:
    """The graph's researcher-merge handler (``works.hooks``): every cached
    slice that showed ``old`` or ``survivor`` (their own, their coauthors',
    their works', their topics' and institutions') is stale once the merge
    commits, so the data version moves then, and with it the build marks of
    ``slice_build_enqueue``. ``works.merges`` moves it too; the graph does
    not count on that."""
    data_version_bump_after_commit()
