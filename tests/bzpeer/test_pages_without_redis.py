"""No page needs Redis to render: with the cache's Redis stopped, the pages
answer 200 (the sample banner asks the database, a view goes uncounted) and
the log says what was lost. The Redis stopped is one of the test's own, on a
spare port, never the machine's."""

import logging

import pytest
from django.urls import reverse

from profiles import popularity
from profiles.templatetags.catalog_tags import work_path
from tests.factories import (
    AuthorshipInstitutionFactory,
    InstitutionFactory,
    ResearcherFactory,
    ResearcherTopicFactory,
    TopicFactory,
    WorkTopicFactory,
    work_with_team,
)

pytestmark = pytest.mark.django_db


def test_the_pages_answer_with_the_cache_redis_stopped(
    client, own_redis, settings, caplog
):
    process, url = own_redis
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "bzpeer-down",
        }
    }
    institution = InstitutionFactory(display_name="Redisless Institute")
    researcher = ResearcherFactory(
        display_name="Ada Redisless", affiliation=institution
    )
    work = work_with_team(researchers=[researcher, ResearcherFactory()])
    topic = TopicFactory(display_name="Redisless Topic")
    WorkTopicFactory(work=work, topic=topic)
    ResearcherTopicFactory(researcher=researcher, topic=topic)
    AuthorshipInstitutionFactory(
        authorship=work.authorships.get(researcher=researcher), institution=institution
    )
    profile = reverse("profiles:detail", args=[researcher.openalex_id])

    # Up: the view is counted in this Redis.
    assert client.get(profile).status_code == 200
    assert popularity.researcher_views_pending() == {researcher.pk: 1}

    process.terminate()
    process.wait()
    caplog.set_level(logging.WARNING)
    pages = [
        "/",
        "/search?q=Redisless",
        profile,
        reverse("profiles:trust", args=[researcher.openalex_id]),
        work_path(work),
        reverse("catalog:topic", args=[topic.openalex_id]),
        reverse("catalog:institution", args=[institution.openalex_id]),
        "/trust/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert b"Ada Redisless" in response.content or page == "/trust/", page

    assert f"could not count a view of researcher {researcher.pk}" in caplog.text
    assert "the sample-data banner asks the database" in caplog.text
