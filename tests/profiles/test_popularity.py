"""Profile views are counted in Redis, one HINCRBY a view, and folded into
``Researcher.view_count`` by a periodic flush: one UPDATE, nothing counted
twice, nothing lost when the UPDATE fails. A page view counts only when it is
a GET from a visitor that is no robot, once per visitor and period."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiles import popularity
from profiles.models import Researcher
from profiles.tasks import researcher_views_flush_task
from tests.factories import ResearcherFactory

pytestmark = pytest.mark.django_db


def view_counts(*researchers: Researcher) -> list[int]:
    return [Researcher.objects.get(pk=r.pk).view_count for r in researchers]


def test_a_view_is_one_redis_increment_and_no_query(django_assert_num_queries):
    researcher = ResearcherFactory()

    with django_assert_num_queries(0):
        popularity.researcher_view_record(researcher_id=researcher.pk)
        popularity.researcher_view_record(researcher_id=researcher.pk)

    assert popularity.researcher_views_pending() == {researcher.pk: 2}
    assert view_counts(researcher) == [0]


def test_the_counters_live_under_the_caches_key_prefix():
    popularity.researcher_view_record(researcher_id=7)

    client = cache._cache.get_client()
    assert client.hgetall("bzpeer-test:1:profiles:researcher-views") == {b"7": b"1"}


def test_a_flush_adds_the_views_in_one_update_and_empties_the_counters():
    popular, quiet, unseen = ResearcherFactory.create_batch(3)
    Researcher.objects.filter(pk=popular.pk).update(view_count=10)
    for _ in range(3):
        popularity.researcher_view_record(researcher_id=popular.pk)
    popularity.researcher_view_record(researcher_id=quiet.pk)

    with CaptureQueriesContext(connection) as captured:
        assert popularity.researcher_views_flush() == 2

    updates = [q["sql"] for q in captured if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert view_counts(popular, quiet, unseen) == [13, 1, 0]
    assert popularity.researcher_views_pending() == {}
    assert cache._cache.get_client().keys("*researcher-views*") == []


def test_views_counted_after_a_flush_go_to_the_next_one():
    researcher = ResearcherFactory()
    popularity.researcher_view_record(researcher_id=researcher.pk)
    popularity.researcher_views_flush()
    popularity.researcher_view_record(researcher_id=researcher.pk)
    popularity.researcher_view_record(researcher_id=researcher.pk)

    assert popularity.researcher_views_flush() == 1
    assert popularity.researcher_views_flush() == 0  # nothing new: no query

    assert view_counts(researcher) == [3]


def test_views_of_a_deleted_researcher_are_dropped():
    kept, deleted = ResearcherFactory.create_batch(2)
    popularity.researcher_view_record(researcher_id=kept.pk)
    popularity.researcher_view_record(researcher_id=deleted.pk)
    deleted.delete()

    assert popularity.researcher_views_flush() == 1
    assert view_counts(kept) == [1]
    assert popularity.researcher_views_pending() == {}


@contextmanager
def researcher_updates_refused() -> Iterator[None]:
    """PostgreSQL itself refuses every UPDATE of the researchers' table (a
    trigger raising an error) for the duration; DDL is transactional, so the
    test's transaction rolls it back in any case."""
    table = Researcher._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_update() RETURNS trigger"
            " LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'updates refused by the test'; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER test_refuse_update BEFORE UPDATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION test_refuse_update()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER test_refuse_update ON {table}")
            cursor.execute("DROP FUNCTION test_refuse_update()")


def test_a_failed_update_gives_the_views_back_for_the_next_flush():
    researcher = ResearcherFactory()
    popularity.researcher_view_record(researcher_id=researcher.pk)
    popularity.researcher_view_record(researcher_id=researcher.pk)

    def view_counted_meanwhile(execute, sql, params, many, context):
        # A view counted while the flush runs goes to a new hash, kept too:
        # one is counted just before the flush's UPDATE reaches PostgreSQL.
        if sql.startswith("UPDATE"):
            popularity.researcher_view_record(researcher_id=researcher.pk)
        return execute(sql, params, many, context)

    with (
        researcher_updates_refused(),
        connection.execute_wrapper(view_counted_meanwhile),
        pytest.raises(DatabaseError, match="updates refused by the test"),
    ):
        popularity.researcher_views_flush()

    assert popularity.researcher_views_pending() == {researcher.pk: 3}
    assert cache._cache.get_client().keys("*researcher-views:flushing*") == []
    assert view_counts(researcher) == [0]
    assert popularity.researcher_views_flush() == 1
    assert view_counts(researcher) == [3]


def test_the_profile_page_counts_its_views_and_a_404_counts_nothing(client):
    researcher = ResearcherFactory()
    url = reverse("profiles:detail", args=[researcher.openalex_id])

    assert client.get(url, REMOTE_ADDR="203.0.113.1").status_code == 200
    assert (
        client.get(url, {"sort": "citations"}, REMOTE_ADDR="203.0.113.2").status_code
        == 200
    )
    assert client.get(reverse("profiles:detail", args=["A1"])).status_code == 404

    assert popularity.researcher_views_pending() == {researcher.pk: 2}
    researcher_views_flush_task()
    assert view_counts(researcher) == [2]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_flushes_the_views_the_pages_counted(
    client, celery_worker_process
):
    researcher = ResearcherFactory()
    url = reverse("profiles:detail", args=[researcher.openalex_id])
    for visitor in range(3):
        assert client.get(url, REMOTE_ADDR=f"203.0.113.{visitor}").status_code == 200

    assert researcher_views_flush_task.delay().get(timeout=60) == 1

    assert view_counts(researcher) == [3]
    assert popularity.researcher_views_pending() == {}


BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_a_visitor_counts_once_per_period_and_per_researcher(client):
    first, second = ResearcherFactory.create_batch(2)
    first_url = reverse("profiles:detail", args=[first.openalex_id])
    second_url = reverse("profiles:detail", args=[second.openalex_id])

    for _ in range(5):
        client.get(first_url, REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT=BROWSER)
    client.get(second_url, REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT=BROWSER)
    # Another address, or another browser at the same address, is another
    # visitor.
    client.get(first_url, REMOTE_ADDR="198.51.100.2", HTTP_USER_AGENT=BROWSER)
    client.get(first_url, REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT="Safari/605")

    assert popularity.researcher_views_pending() == {first.pk: 3, second.pk: 1}
    seen = cache._cache.get_client().keys("bzpeer-test:1:profiles:researcher-seen:*")
    assert len(seen) == 4
    ttl = cache._cache.get_client().ttl(seen[0])
    assert 0 < ttl <= popularity.VISITOR_PERIOD_SECONDS


def test_a_visitor_counts_again_once_the_period_is_over(client):
    researcher = ResearcherFactory()
    url = reverse("profiles:detail", args=[researcher.openalex_id])
    client.get(url, REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT=BROWSER)
    redis_client = cache._cache.get_client()
    # The period ends: Redis expires the visitor's key.
    for key in redis_client.keys("*profiles:researcher-seen:*"):
        redis_client.pexpire(key, 1)
    time.sleep(0.05)

    client.get(url, REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT=BROWSER)

    assert popularity.researcher_views_pending() == {researcher.pk: 2}


def test_head_requests_are_not_counted(client):
    researcher = ResearcherFactory()
    url = reverse("profiles:detail", args=[researcher.openalex_id])

    for visitor in range(3):
        response = client.head(url, REMOTE_ADDR=f"198.51.100.{visitor}")
        assert response.status_code == 200

    assert popularity.researcher_views_pending() == {}


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 (compatible; Yahoo! Slurp)",
        "Baiduspider/2.0",
        "SomeCrawler/1.0",
        "curl/8.5.0",
        "Wget/1.21.4",
        "python-requests/2.32.3",
        # Playwright's and Puppeteer's Chromium say so: our own browser tests
        # do not count as readers either.
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " HeadlessChrome/131.0.6778.33 Safari/537.36",
    ],
)
def test_robots_are_not_counted(client, user_agent):
    researcher = ResearcherFactory()
    url = reverse("profiles:detail", args=[researcher.openalex_id])

    assert client.get(url, HTTP_USER_AGENT=user_agent).status_code == 200

    assert popularity.researcher_views_pending() == {}


def test_browsers_are_not_taken_for_robots():
    assert not popularity.is_bot(BROWSER)
    assert not popularity.is_bot(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    )
    assert not popularity.is_bot("")


def test_a_page_view_with_redis_down_is_not_counted_and_the_page_renders(
    client, settings
):
    researcher = ResearcherFactory()
    url = reverse("profiles:detail", args=[researcher.openalex_id])
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }

    assert client.get(url, HTTP_USER_AGENT=BROWSER).status_code == 200
