"""The profile's "Research graph" section, worded as on the reference page:
the served HTML always holds the placeholder "Building this graph slice…"
with the fragment's address for the script and a plain link to the explorer
for readers without one; the section itself does no slice work, so the
profile costs the same queries whatever the researcher's neighbourhood."""

import re
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.urls import reverse

from graph.cache import slice_get
from graph.params import SliceParams
from profiles.models import Researcher
from tests.factories import (
    AuthorshipFactory,
    ResearcherFactory,
    SourceFactory,
    WorkFactory,
    work_with_team,
)
from tests.helpers.pages import page_text, profile_url
from works.models import Authorship, Work

pytestmark = pytest.mark.django_db

SECTION_TEXT = (
    "Research graph See the researcher in context Open full explorer "
    "Inspect adjacent work, topics, institutions and collaborators without "
    "jumping out to a separate graph page. "
    "Building this graph slice… BZPEER is loading the nearby papers, people, "
    "topics and institutions for this page. Open the graph"
)


def section_html(response) -> str:
    html = response.content.decode()
    match = re.search(r'<section class="card graph-section".*?</section>', html, re.S)
    assert match, "no research graph section"
    return match.group(0)


def section_text(response) -> str:
    return page_text(SimpleNamespace(content=section_html(response).encode()))


def test_the_section_is_worded_as_the_reference_and_holds_the_placeholder(client):
    researcher = ResearcherFactory(display_name="Ada Graph")
    work_with_team(researchers=[researcher, ResearcherFactory()])

    response = client.get(profile_url(researcher))

    assert response.status_code == 200
    assert section_text(response) == SECTION_TEXT
    html = section_html(response)
    key = researcher.openalex_id
    explorer = f"/researchers/{key}/graph/"
    assert reverse("graph:researcher", args=[key]) == explorer
    assert (
        f'<a class="button button--ghost button--compact graph-section__explorer" '
        f'href="{explorer}">Open full explorer</a>'
    ) in html
    assert f'data-graph-fragment="/graph/slice/researcher/{key}/"' in html
    assert f'data-graph-explorer="{explorer}"' in html
    # Without JavaScript the placeholder's link opens the explorer.
    assert f'<a href="{explorer}">Open the graph</a>' in html
    page = response.content.decode()
    assert '<script src="/static/js/graph.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/css/graph.css">' in page
    assert "<noscript" not in page
    # Between direct collaboration and the published work, as on the reference.
    text = page_text(response)
    assert (
        text.index("Direct collaboration")
        < text.index("Research graph See the researcher in context")
        < text.index("Published work")
    )


def test_the_served_profile_holds_the_placeholder_even_with_the_slice_cached(
    client,
):
    researcher = ResearcherFactory()
    coauthor = ResearcherFactory(display_name="Cached Coauthor")
    work_with_team(researchers=[researcher, coauthor])
    params = SliceParams(centre_kind="researcher", centre_key=researcher.openalex_id)
    assert slice_get(params, build=True) is not None
    assert slice_get(params, build=False) is not None

    response = client.get(profile_url(researcher))

    assert section_text(response) == SECTION_TEXT
    assert "<svg" not in section_html(response)
    assert "Cached Coauthor" not in section_html(response)


def test_the_section_tag_costs_no_query(django_assert_num_queries):
    researcher = ResearcherFactory()
    template = Template("{% load graph_tags %}{% graph_section researcher %}")

    with django_assert_num_queries(0):
        html = template.render(Context({"researcher": researcher}))

    assert "Building this graph slice…" in html
    assert f"/graph/slice/researcher/{researcher.openalex_id}/" in html


def researcher_with_coauthors(count: int) -> Researcher:
    """A researcher sharing one work with ``count`` coauthors, and two works
    of their own: bulk inserts, so 500 take a moment."""
    researcher = ResearcherFactory()
    coauthors = Researcher.objects.bulk_create(ResearcherFactory.build_batch(count))
    source = SourceFactory()
    team_work = WorkFactory(source=source, author_count=count + 1)
    Authorship.objects.bulk_create(
        Authorship(
            work=team_work,
            researcher=person,
            position=position,
            raw_author_name=person.display_name,
        )
        for position, person in enumerate([researcher, *coauthors])
    )
    for work in Work.objects.bulk_create(WorkFactory.build_batch(2, source=source)):
        AuthorshipFactory(work=work, researcher=researcher, position=0)
    return researcher


def profile_queries(client, researcher, assert_queries, expected) -> int:
    client.get("/")  # the sample-data flag is cached from here on
    with assert_queries(expected) as captured:
        response = client.get(profile_url(researcher))
    assert response.status_code == 200
    assert section_text(response) == SECTION_TEXT
    return len(captured)


def test_the_profile_costs_the_same_queries_with_5_or_500_coauthors(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    small = researcher_with_coauthors(5)
    large = researcher_with_coauthors(500)
    # A warm slice changes nothing either: the section never reads it.
    slice_get(
        SliceParams(centre_kind="researcher", centre_key=large.openalex_id),
        build=True,
    )

    small_count = profile_queries(client, small, django_assert_max_num_queries, 12)
    profile_queries(client, large, django_assert_num_queries, small_count)
