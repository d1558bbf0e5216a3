"""The ``graph.slice_build`` task builds and caches a slice, idempotently;
on the session's real worker it warms the slice a page enqueued."""

import time
from dataclasses import asdict

import pytest

from graph.cache import slice_build_enqueue, slice_get
from graph.params import SliceParams
from graph.svg import slice_svg
from graph.tasks import slice_build_task
from tests.graph.helpers import researcher_network

WAIT_SECONDS = 60


@pytest.mark.django_db
def test_the_task_builds_and_caches_once(django_assert_max_num_queries):
    network = researcher_network(coauthors=10, team=4)
    params = SliceParams("researcher", network.centre.openalex_id, depth=2)

    assert slice_build_task(asdict(params)) is True

    cached = slice_get(params, build=False)
    assert cached is not None
    # Again: the slice is there, nothing is read or rebuilt.
    with django_assert_max_num_queries(0):
        assert slice_build_task(asdict(params)) is True
    assert slice_get(params, build=False).built_at == cached.built_at


@pytest.mark.django_db
def test_the_task_drops_a_missing_centre_and_bad_parameters(caplog):
    missing = SliceParams("topic", "T5999999")
    assert slice_build_task(asdict(missing)) is False
    assert slice_get(missing, build=False) is None
    assert slice_build_task({"centre_kind": "planet", "centre_key": "P1"}) is False
    assert slice_build_task({"nonsense": 1}) is False
    assert "bad parameters" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_worker_builds_the_slice_a_page_enqueued(celery_worker_process):
    network = researcher_network(coauthors=10, team=4)
    params = SliceParams("researcher", network.centre.openalex_id)
    assert slice_get(params, build=False) is None

    slice_build_enqueue(params)  # autocommit: sent at once

    deadline = time.monotonic() + WAIT_SECONDS
    warmed = None
    while warmed is None and time.monotonic() < deadline:
        warmed = slice_get(params, build=False)
        if warmed is None:
            time.sleep(0.1)
    assert warmed is not None, "the worker did not cache the slice"
    assert slice_svg(warmed) == slice_svg(slice_get(params, build=True))
