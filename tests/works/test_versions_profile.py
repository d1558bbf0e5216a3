"""The profile lists a work once, under its listed version, with its other
versions' links beside it, and counts it once."""

import pytest

from profiles.services import researcher_trust_update
from tests.factories import (
    AuthorshipFactory,
    ResearcherFactory,
    SourceFactory,
    WorkFactory,
    work_with_team,
)
from tests.helpers.pages import page_text, profile_url, work_titles
from works.versions import versions_group

pytestmark = pytest.mark.django_db

ARXIV = {"openalex_id": "S4306400194", "display_name": "arXiv (Cornell University)"}


def preprint_and_article(researchers, **article_fields):
    """An arXiv preprint and its journal article, as OpenAlex lists them (two
    records; the article relates to the preprint's arXiv id), grouped."""
    preprint = work_with_team(
        researchers=researchers,
        type="preprint",
        title="Conditional Memory via Scalable Lookup",
        publication_year=2025,
        source=SourceFactory(**ARXIV),
        doi="10.48550/arxiv.2601.07372",
        arxiv_id="2601.07372",
        openalex_id="W4400000001",
        cited_by_count=4,
    )
    article = work_with_team(
        researchers=researchers,
        type="article",
        title="Conditional Memory via Scalable Lookup",
        publication_year=2026,
        source=SourceFactory(display_name="Journal of Sparse Models"),
        doi="10.5555/jsm.2026.7",
        arxiv_id=None,
        related_arxiv_id="2601.07372",
        openalex_id="W4400000002",
        cited_by_count=30,
        **article_fields,
    )
    versions_group(work_ids=[preprint.pk])
    return preprint, article


def test_a_work_with_two_versions_is_one_row_with_both_versions_links(client):
    researcher = ResearcherFactory()
    preprint, _ = preprint_and_article([researcher, ResearcherFactory()])
    work_with_team(
        researchers=[researcher], title="Another Work", publication_year=2020
    )

    response = client.get(profile_url(researcher))

    html = response.content.decode()
    text = page_text(response)
    assert work_titles(response) == [
        "Conditional Memory via Scalable Lookup",
        "Another Work",
    ]
    assert "2 works" in text
    assert "2 published item(s)" in text
    assert "Article 2026 Journal of Sparse Models Conditional Memory" in text
    assert "Also: Preprint · arXiv · 2025 DOI arXiv OpenAlex" in text
    # The other version's own page is one click away.
    assert (
        f'<a class="work__version-meta" href="/works/{preprint.openalex_id}/">' in html
    )
    # The listed version's links, then the preprint's.
    for link in (
        "https://doi.org/10.5555/jsm.2026.7",
        "https://openalex.org/W4400000002",
        "https://doi.org/10.48550/arxiv.2601.07372",
        "https://arxiv.org/abs/2601.07372",
        "https://openalex.org/W4400000001",
    ):
        assert html.count(f'href="{link}"') == 1, link
    assert "30 citations" in text


def test_a_researcher_only_on_the_preprint_sees_the_work_under_its_article(client):
    # OpenAlex attached the article's byline to another record of them.
    researcher = ResearcherFactory(display_name="Split Record")
    preprint, article = preprint_and_article([ResearcherFactory()])
    AuthorshipFactory(work=preprint, researcher=researcher, position=5)

    response = client.get(profile_url(researcher))

    assert work_titles(response) == ["Conditional Memory via Scalable Lookup"]
    text = page_text(response)
    assert "1 work " in text
    assert "1 published item(s)" in text
    assert "Also: Preprint · arXiv · 2025" in text


def test_the_search_card_counts_a_work_once(client):
    researcher = ResearcherFactory(display_name="Versioned Author")
    preprint_and_article([researcher])
    # The card shows the figure the recompute stores after every import.
    researcher_trust_update(researcher_ids=[researcher.pk])

    text = page_text(client.get("/search?q=versioned"))

    assert "Versioned Author Affiliation not imported 1 work" in text


def test_a_work_without_versions_shows_no_also_line(client):
    researcher = ResearcherFactory()
    WorkFactory()  # someone else's
    work_with_team(researchers=[researcher])

    assert "Also:" not in page_text(client.get(profile_url(researcher)))
