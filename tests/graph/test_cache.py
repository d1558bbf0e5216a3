"""The slice cache: keyed by the data version, so an import, a merge or a
curation retires what was cached; a cold slice built by a task enqueued
once; and Redis or the broker down is never an error."""

import json
import logging
from dataclasses import asdict

import pytest

from bzpeer.data_version import data_version_bump, data_version_get
from graph.cache import (
    researcher_merge_slices_retire,
    slice_build_enqueue,
    slice_decode,
    slice_encode,
    slice_get,
)
from graph.params import SliceParams
from graph.slices import SliceNotFound
from graph.svg import slice_svg
from tests.factories import ResearcherFactory, work_with_team
from tests.graph.conftest import run_python
from tests.graph.helpers import researcher_network, rid
from tests.helpers.redis_server import spare_port
from tests.helpers.snapshot import AUTHORS, author_priem, write_manifest, write_part
from works.hooks import researcher_merge_handlers
from works.merges import researcher_merge
from works.services import snapshot_load

pytestmark = pytest.mark.django_db

PRIEM = "A5023888391"  # tests/fixtures/openalex/A5023888391.json


@pytest.fixture
def params():
    network = researcher_network(coauthors=15, team=4)
    return SliceParams("researcher", network.centre.openalex_id, depth=2)


def test_cold_it_is_none_unless_built_then_it_is_cached(
    params, django_assert_max_num_queries
):
    assert slice_get(params, build=False) is None

    built = slice_get(params, build=True)

    assert built is not None
    with django_assert_max_num_queries(0):
        cached = slice_get(params, build=False)
    assert cached is not None
    assert cached.built_at == built.built_at
    assert cached.params == params and cached.left_out == built.left_out
    assert dict(cached.graph.nodes(data=True)) == dict(built.graph.nodes(data=True))
    assert slice_svg(cached) == slice_svg(built)
    assert slice_svg(cached, compact=True) == slice_svg(built, compact=True)


def test_a_slice_reads_back_from_its_stored_form_exactly(params):
    built = slice_get(params, build=True)
    copy = slice_decode(slice_encode(built))
    assert list(copy.graph.nodes(data=True)) == list(built.graph.nodes(data=True))
    assert list(copy.graph.edges(data=True)) == list(built.graph.edges(data=True))
    assert (copy.centre, copy.left_out, copy.built_at) == (
        built.centre,
        built.left_out,
        built.built_at,
    )
    with pytest.raises(ValueError):
        slice_decode('{"graph": 1}')


def test_a_new_data_version_makes_every_slice_cold(params):
    slice_get(params, build=True)
    data_version_bump()
    assert slice_get(params, build=False) is None


def test_an_unreadable_entry_is_rebuilt(params, caplog):
    from django.core.cache import cache

    cache.set(params.cache_key(data_version_get()), "not json")
    assert slice_get(params, build=False) is None
    assert slice_get(params, build=True) is not None
    assert "unreadable" in caplog.text


def test_a_missing_centre_raises_when_built_and_is_none_when_not():
    params = SliceParams("researcher", "A5999999999")
    assert slice_get(params, build=False) is None
    with pytest.raises(SliceNotFound):
        slice_get(params, build=True)


def test_reimporting_a_coauthor_under_a_new_name_shows_it_in_the_next_slice(
    tmp_path, django_capture_on_commit_callbacks
):
    me = ResearcherFactory()
    priem = ResearcherFactory(openalex_id=PRIEM, display_name="J. Priem (old)")
    work_with_team(researchers=[me, priem])
    params = SliceParams("researcher", me.openalex_id)
    before = slice_get(params, build=True)
    assert before.graph.nodes[rid(priem)]["label"] == "J. Priem (old)"
    assert slice_get(params, build=False) is not None

    # A real import run of his author record, renamed: the upsert path writes
    # the name, the run's after-run step moves the data version.
    author = author_priem()
    author["display_name"] = "Jason Q. Priem"
    write_part(tmp_path, AUTHORS, [author])
    write_manifest(tmp_path, "authors", {AUTHORS.removeprefix("authors/"): 1})
    version = data_version_get()
    with django_capture_on_commit_callbacks(execute=True):
        run = snapshot_load(path=tmp_path, progress=False, sync_trust=True)
    assert run.status == "succeeded"
    assert data_version_get() > version

    assert slice_get(params, build=False) is None
    after = slice_get(params, build=True)
    assert after.graph.nodes[rid(priem)]["label"] == "Jason Q. Priem"
    assert slice_get(params, build=False).graph.nodes[rid(priem)]["label"] == (
        "Jason Q. Priem"
    )


def test_the_graph_retires_slices_on_a_researcher_merge(
    django_capture_on_commit_callbacks,
):
    assert researcher_merge_handler_registered()
    me = ResearcherFactory()
    old, survivor = ResearcherFactory(), ResearcherFactory()
    work_with_team(researchers=[me, old])
    params = SliceParams("researcher", me.openalex_id)
    assert rid(old) in slice_get(params, build=True).graph

    # The handler alone moves the version, after the commit.
    version = data_version_get()
    with django_capture_on_commit_callbacks(execute=True):
        researcher_merge_slices_retire(old, survivor)
        assert data_version_get() == version
    assert data_version_get() == version + 1
    assert slice_get(params, build=False) is None

    slice_get(params, build=True)
    with django_capture_on_commit_callbacks(execute=True):
        researcher_merge(
            old_openalex_id=old.openalex_id, new_openalex_id=survivor.openalex_id
        )
    assert slice_get(params, build=False) is None
    after = slice_get(params, build=True)
    assert rid(old) not in after.graph and rid(survivor) in after.graph


def researcher_merge_handler_registered() -> bool:
    return researcher_merge_slices_retire in researcher_merge_handlers


# --- without Redis ----------------------------------------------------------------


def test_with_the_cache_redis_stopped_it_builds_or_answers_none(
    params, own_redis, cache_on, caplog
):
    process, url = own_redis
    cache_on(url)
    warm = slice_get(params, build=True)
    assert slice_get(params, build=False) is not None

    process.terminate()
    process.wait()
    caplog.set_level(logging.WARNING)

    assert slice_get(params, build=False) is None
    built = slice_get(params, build=True)
    assert slice_svg(built) == slice_svg(warm)
    slice_build_enqueue(params)  # nothing to cache into: logged, not raised
    assert "cache unavailable" in caplog.text


def test_with_a_cache_redis_that_refuses_writes_it_builds_without_caching(
    params, own_redis, cache_on, caplog
):
    """The version reads, the slice's write fails (Redis out of memory):
    logged, not raised."""
    import redis

    _, url = own_redis
    cache_on(url)
    assert data_version_get() is not None
    server = redis.Redis.from_url(url)
    server.config_set("maxmemory-policy", "noeviction")
    server.config_set("maxmemory", "1")

    assert slice_get(params, build=True) is not None
    assert "not cached" in caplog.text
    assert slice_get(params, build=False) is None
    slice_build_enqueue(params)  # the build mark cannot be written either


# --- enqueueing -------------------------------------------------------------------


def test_a_cold_slice_is_enqueued_once_per_data_version(
    params, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):  # a page reloaded five times
            slice_build_enqueue(params)
    message = json.loads(json.dumps(asdict(params)))
    assert enqueued() == [("graph.slice_build", (message,), {})]
    assert SliceParams.from_dict(message) == params

    data_version_bump()
    with django_capture_on_commit_callbacks(execute=True):
        slice_build_enqueue(params)
        assert len(enqueued()) == 1  # not before the commit
    assert len(enqueued()) == 2


def test_nothing_is_enqueued_with_the_cache_down(params, enqueued, cache_on):
    cache_on("redis://127.0.0.1:1/0")  # nothing listens on port 1
    slice_build_enqueue(params)
    assert enqueued() == []


def test_with_the_broker_down_enqueueing_logs_and_returns():
    code = (
        "import django; django.setup()\n"
        "from graph.cache import slice_build_enqueue\n"
        "from graph.params import SliceParams\n"
        "slice_build_enqueue(SliceParams('researcher', 'A5100000001'))\n"
        "print('returned')\n"
    )
    dead = f"redis://127.0.0.1:{spare_port()}/0"
    finished = run_python(code, env={"TEST_BROKER_URL": dead})
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "returned"
    assert "broker unavailable: graph slice" in finished.stderr
