"""The home, profile and trust pages, as a visitor reads them."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from profiles.models import VerificationLevel
from tests.factories import (
    AuthorshipFactory,
    ClaimedResearcherFactory,
    FollowFactory,
    InstitutionFactory,
    ResearcherFactory,
    ResearcherTopicFactory,
    SourceFactory,
    TopicFactory,
    WorkFactory,
    researcher_with_works,
    work_with_team,
)
from tests.helpers.pages import page_text, profile_url, work_titles
from works.models import Authorship, Work

pytestmark = pytest.mark.django_db

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTRIBUTE = '"onmouseover="alert(1)'


def reference_researcher():
    """The reference page's researcher: 4 works, 4 topics, 4 close
    collaborators, no follower, no affiliation, unclaimed, L1, trust 17."""
    researcher = ResearcherFactory(
        openalex_id="A5100000001",
        display_name="Bingxuan Wang",
        trust_score=17,
        trust_label="Unverified",
        close_collaborators_count=4,
    )
    for count, name in [
        (4, "Research Discovery"),
        (3, "Scholarly Infrastructure"),
        (2, "Large Language Models"),
        (1, "Knowledge Distillation"),
    ]:
        ResearcherTopicFactory(
            researcher=researcher, topic=TopicFactory(display_name=name), count=count
        )
    coauthors = ResearcherFactory.create_batch(4)
    for year in (2026, 2026, 2024, 2020):
        work_with_team(researchers=[researcher, *coauthors], publication_year=year)
    return researcher


# --- profile: header and trust snapshot ---------------------------------------


def test_profile_reads_like_the_reference_page(client):
    researcher = reference_researcher()

    response = client.get(profile_url(researcher))

    assert response.status_code == 200
    text = page_text(response)
    assert "Researcher profile Bingxuan Wang" in text
    assert (
        "Bingxuan Wang contributes to research discovery and scholarly "
        "infrastructure." in text
    )
    assert "Researcher Affiliation not imported Open to collaborate" in text
    assert "Trust snapshot Quick read" in text
    assert "Trust 17 - Unverified Verification L1 Unclaimed author" in text
    assert "4 works 0 followers 4 topics 4 close collaborators" in text
    assert "Published work 4 published item(s)" in text
    html = response.content.decode()
    assert (
        '<a href="/researchers/A5100000001/trust/">How this score is computed</a>'
        in (html)
    )
    assert (
        "Identity and collaboration How to connect with this researcher Claiming "
        "links this public author record to a researcher profile and unlocks "
        "direct collaboration workflows. Log in to claim" in text
    )
    assert "Actions Decide how to stay connected Follow researcher 0 followers" in text
    assert (
        "Direct collaboration Open a focused conversation when the fit is right "
        "Claim this author entity first to unlock direct invitations." in text
    )
    assert (
        "Research graph See the researcher in context Open full explorer "
        "Inspect adjacent work, topics, institutions and collaborators without "
        "jumping out to a separate graph page. Building this graph slice…" in text
    )
    # A visitor has links to log in, no form that would fail.
    assert "<button" not in html.split('id="main"')[1]


def test_profile_counts_are_singular_for_one(client):
    utrecht = InstitutionFactory(display_name="Utrecht Test University")
    researcher = ClaimedResearcherFactory(
        display_name="Una Sola",
        headline="Studies single things, carefully.",
        affiliation=utrecht,
        is_open_to_collaborate=False,
        verification_level=VerificationLevel.L3,
        trust_score=62,
        trust_label="Established",
        close_collaborators_count=1,
    )
    work_with_team(researchers=[researcher])
    FollowFactory(researcher=researcher)
    ResearcherTopicFactory(researcher=researcher, count=1)

    response = client.get(profile_url(researcher))
    text = page_text(response)
    assert (
        f'<a href="/institutions/{utrecht.openalex_id}/">Utrecht Test University</a>'
        in response.content.decode()
    )

    assert "Studies single things, carefully." in text
    assert "contributes to" not in text
    assert "Researcher Utrecht Test University" in text
    assert "Affiliation not imported" not in text
    assert "Open to collaborate" not in text
    assert "Trust 62 - Established Verification L3 Claimed author" in text
    assert "1 work 1 follower 1 topic 1 close collaborator" in text
    assert "1 published item(s)" in text


def test_counts_follow_the_rows_not_the_stored_source_counts(client):
    # works_count is what OpenAlex says; the page counts the works held here.
    researcher = ResearcherFactory(works_count=250)
    work = work_with_team(researchers=[researcher])
    # A second authorship slot on the same work is still one work.
    AuthorshipFactory(work=work, researcher=researcher, position=7)
    FollowFactory.create_batch(3, researcher=researcher)
    FollowFactory()  # someone else's follower

    text = page_text(client.get(profile_url(researcher)))

    assert "1 work 3 followers 0 topics 0 close collaborators" in text
    assert "1 published item(s)" in text


def test_headline_is_generated_from_the_two_top_topics(client):
    researcher = ResearcherFactory(display_name="Ada Example")
    for count, name in [
        (1, "Ignored Topic"),
        (9, "Natural Language Processing"),
        (5, "DNA Sequencing and mRNA"),
    ]:
        ResearcherTopicFactory(
            researcher=researcher, topic=TopicFactory(display_name=name), count=count
        )

    text = page_text(client.get(profile_url(researcher)))

    assert (
        "Ada Example contributes to natural language processing and DNA "
        "sequencing and mRNA." in text
    )


def test_profile_without_topics_has_no_generated_headline(client):
    researcher = ResearcherFactory(display_name="Nora Topicless")

    text = page_text(client.get(profile_url(researcher)))

    assert "contributes to" not in text
    assert "0 published item(s)" in text
    assert "No published work has been imported for this researcher yet." in text


def test_profile_of_an_uncomputed_trust_says_so(client):
    researcher = ResearcherFactory(trust_score=0, trust_label="")

    text = page_text(client.get(profile_url(researcher)))

    assert "Trust not computed yet Verification L1 Unclaimed author" in text


def test_unknown_researcher_is_404(client):
    ResearcherFactory(openalex_id="A5100000001")

    response = client.get("/researchers/A5999999999/")

    assert response.status_code == 404
    assert "We couldn’t find that page" in page_text(response)
    assert client.get("/researchers/A5999999999/trust/").status_code == 404


# --- profile: published work --------------------------------------------------


def test_a_work_shows_type_year_venue_title_abstract_links_and_citations(client):
    researcher = ResearcherFactory(display_name="Bingxuan Wang")
    arxiv = SourceFactory(
        openalex_id="S4306400194", display_name="arXiv (Cornell University)"
    )
    coauthor = ResearcherFactory(display_name="Linked Coauthor")
    work = WorkFactory(
        type="preprint",
        publication_year=2026,
        source=arxiv,
        title="Conditional Memory via Scalable Lookup",
        abstract="While Mixture-of-Experts scales capacity. " * 20,
        doi=None,
        arxiv_id="2601.07372",
        openalex_id="W4400000001",
        cited_by_count=12,
        author_count=3,
    )
    AuthorshipFactory(work=work, researcher=researcher, position=0)
    AuthorshipFactory(work=work, researcher=coauthor, position=1)
    AuthorshipFactory(
        work=work, researcher=None, position=2, raw_author_name="Unlinked Person"
    )

    response = client.get(profile_url(researcher))

    html = response.content.decode()
    text = page_text(response)
    assert "Preprint 2026 arXiv Conditional Memory via Scalable Lookup" in text
    assert "arXiv (Cornell University)" not in text
    assert "Bingxuan Wang, Linked Coauthor, Unlinked Person While Mixture" in text
    assert f'href="{profile_url(coauthor)}">Linked Coauthor</a>' in html
    assert '<span class="author author--unlinked">Unlinked Person</span>' in html
    assert "more" not in text.split("Unlinked Person")[1].split("While")[0]
    # The abstract folds: its excerpt, then a <details> to open the rest.
    assert '<details class="work__fold">' in html
    assert "Show full abstract" in text
    assert '<a href="https://arxiv.org/abs/2601.07372">arXiv</a>' in html
    assert '<a href="https://openalex.org/W4400000001">OpenAlex</a>' in html
    assert ">DOI</a>" not in html
    assert "12 citations" in text


def test_a_work_with_a_short_abstract_and_a_doi_only(client):
    researcher = ResearcherFactory()
    work_with_team(
        researchers=[researcher],
        doi="10.5555/only.doi",
        arxiv_id=None,
        openalex_id=None,
        abstract="Short and plain.",
        cited_by_count=1,
        source=None,
        type="article",
        publication_year=2019,
    )

    response = client.get(profile_url(researcher))

    html = response.content.decode()
    text = page_text(response)
    assert '<a href="https://doi.org/10.5555/only.doi">DOI</a>' in html
    assert 'href="https://arxiv.org/abs/' not in html
    assert 'href="https://openalex.org/W' not in html
    assert '<p class="work__abstract">Short and plain.</p>' in html
    assert "<details" not in html
    assert "1 citation" in text
    assert "1 citations" not in text
    assert "Article 2019 A Study" in text


def test_work_types_read_as_words(client):
    researcher = ResearcherFactory()
    work_with_team(researchers=[researcher], type="book-chapter")

    text = page_text(client.get(profile_url(researcher)))

    assert "Book chapter" in text
    assert "book-chapter" not in text


def test_a_large_team_lists_eight_names_then_how_many_more(client):
    researcher = ResearcherFactory(display_name="First Author")
    team = [researcher, *ResearcherFactory.create_batch(11)]
    work_with_team(researchers=team)

    text = page_text(client.get(profile_url(researcher)))

    listed = [r.display_name for r in team[:8]]
    assert ", ".join(listed) + " +4 more" in text
    assert team[8].display_name not in text


def test_works_are_newest_first_by_default_and_most_cited_on_request(client):
    researcher = ResearcherFactory()
    for title, year, citations in [
        ("Old but famous", 2010, 900),
        ("Newest", 2025, 3),
        ("Middle", 2018, 40),
        ("Undated", None, 1000),
    ]:
        work_with_team(
            researchers=[researcher],
            title=title,
            publication_year=year,
            cited_by_count=citations,
        )

    by_year = client.get(profile_url(researcher))
    by_citations = client.get(profile_url(researcher, sort="citations"))
    unknown_sort = client.get(profile_url(researcher, sort="drop table"))

    assert work_titles(by_year) == ["Newest", "Middle", "Old but famous", "Undated"]
    assert work_titles(by_citations) == [
        "Undated",
        "Old but famous",
        "Middle",
        "Newest",
    ]
    assert work_titles(unknown_sort) == work_titles(by_year)
    html = by_citations.content.decode()
    assert 'href="?sort=citations#works" aria-current="true">Most cited</a>' in html
    assert 'href="?#works">Newest first</a>' in html


def test_works_paginate_twenty_a_page_and_keep_the_sort(client):
    researcher = ResearcherFactory()
    source = SourceFactory()
    for index in range(25):
        work_with_team(
            researchers=[researcher],
            source=source,
            title=f"Work {index:02d}",
            publication_year=2000 + index,
            cited_by_count=index,
        )

    first = client.get(profile_url(researcher, sort="citations"))
    second = client.get(profile_url(researcher, sort="citations", page=2))
    beyond = client.get(profile_url(researcher, page=99))

    assert work_titles(first) == [f"Work {i:02d}" for i in range(24, 4, -1)]
    assert work_titles(second) == [f"Work {i:02d}" for i in range(4, -1, -1)]
    assert "25 published item(s)" in page_text(first)
    assert "Page 1 of 2" in page_text(first)
    first_html = first.content.decode()
    assert 'rel="next" href="?sort=citations&amp;page=2#works">' in first_html
    assert 'rel="prev"' not in first_html
    assert 'rel="prev" href="?sort=citations#works">' in second.content.decode()
    # Past the end is no page (tests/profiles/test_pagination.py).
    assert beyond.status_code == 404


def _page_queries(client, researcher, captured_fixture, expected=None):
    client.get("/")  # the sample-data flag is cached from here on
    url = profile_url(researcher)
    if expected is None:
        with captured_fixture(12) as captured:
            response = client.get(url)
    else:
        with captured_fixture(expected) as captured:
            response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_profile_costs_the_same_queries_for_3_or_500_works(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    source = SourceFactory()
    small = ResearcherFactory()
    large = ResearcherFactory()
    coauthor = ResearcherFactory()
    for researcher, size in ((small, 3), (large, 500)):
        works = Work.objects.bulk_create(
            WorkFactory.build_batch(size, source=source, author_count=12)
        )
        if researcher == large:
            # Each work of the large one also has one or two preprint
            # versions (works.versions), authored by them too.
            works += Work.objects.bulk_create(
                WorkFactory.build(
                    source=source, author_count=12, type="preprint", canonical=work
                )
                for index, work in enumerate(works)
                for _ in range(1 + index % 2)
            )
        Authorship.objects.bulk_create(
            Authorship(
                work=work,
                researcher=author,
                position=position,
                raw_author_name=f"Author {position}",
            )
            for work in works
            for position, author in enumerate([researcher, coauthor, *[None] * 10])
        )
        ResearcherTopicFactory.create_batch(3, researcher=researcher)
        FollowFactory.create_batch(2, researcher=researcher)

    small_count = _page_queries(client, small, django_assert_max_num_queries)
    _page_queries(client, large, django_assert_num_queries, expected=small_count)

    text = page_text(client.get(profile_url(large)))
    assert "500 works" in text
    assert "500 published item(s)" in text
    assert text.count("Also: Preprint") == 30  # 20 works, half with 2 versions


@pytest.mark.parametrize("sort", [{}, {"sort": "citations"}])
def test_a_later_page_of_a_long_profile_costs_the_queries_of_a_short_one(
    client, django_assert_max_num_queries, django_assert_num_queries, sort
):
    small = researcher_with_works(3)
    large = researcher_with_works(300)
    client.get("/")  # the sample-data flag is cached from here on
    with django_assert_max_num_queries(12) as captured:
        assert client.get(profile_url(small, **sort)).status_code == 200

    with django_assert_num_queries(len(captured)):
        response = client.get(profile_url(large, **sort, page=3))

    assert response.status_code == 200
    # Page 3 is the 41st to 60th work of the whole list in its order.
    newest = [f"Bulk work {i:04d}" for i in range(299, -1, -1)]
    assert work_titles(response) == newest[40:60]
    assert "Page 3 of 15" in page_text(response)


# --- trust pages ---------------------------------------------------------------


BREAKDOWN = {
    "model_version": "2025.1",
    "score": 17,
    "label": "Unverified",
    "signals": [
        {
            "key": "imported",
            "group": "identity",
            "label": "Imported record",
            "value": 5,
            "cap": 5,
            "detail": "From OpenAlex (L1)",
        },
        {
            "key": "works",
            "group": "footprint",
            "label": "Works",
            "value": 8,
            "cap": 20,
            "detail": "4 works",
        },
        {
            "key": "network",
            "group": "network",
            "label": "Close collaborators",
            "value": 6,
            "cap": 15,
            "detail": "4 close collaborators",
        },
        {
            "key": "retracted",
            "group": "penalties",
            "label": "Retracted works",
            "value": -2,
            "cap": None,
            "detail": "1 retracted work",
        },
    ],
}


def test_trust_page_explains_each_signal_and_the_total(client):
    researcher = ResearcherFactory(
        display_name="Bingxuan Wang",
        trust_score=17,
        trust_label="Unverified",
        trust_breakdown=BREAKDOWN,
    )

    response = client.get(reverse("profiles:trust", args=[researcher.openalex_id]))

    assert response.status_code == 200
    text = page_text(response)
    assert "How this score is computed" in text
    assert "Trust 17 - Unverified Band 0–24: Unverified" in text
    assert "Identity Imported record From OpenAlex (L1) +5 of 5" in text
    assert "Footprint Works 4 works +8 of 20" in text
    assert "Penalties Retracted works 1 retracted work \u22122" in text
    assert "Score 17" in text
    assert "Sum of signals" not in text
    assert "Trust model 2025.1." in text
    assert 'href="/trust/"' in response.content.decode()


def test_trust_page_names_the_close_collaborators_strongest_first(
    client, django_assert_max_num_queries
):
    me = ResearcherFactory(display_name="Centre Person", close_collaborators_count=2)
    pair = ResearcherFactory(display_name="Pair <b>Coauthor</b>")
    trio = ResearcherFactory(display_name="Trio Coauthor")
    crowd = [ResearcherFactory(display_name=f"Crowd {n}") for n in range(7)]
    work_with_team(researchers=[me, pair])  # 1/(2-1) = 1.0
    work_with_team(researchers=[me, trio, crowd[0]])  # 1/2 each
    work_with_team(researchers=[me, *crowd])  # 1/7: below 0.2

    with django_assert_max_num_queries(4):
        response = client.get(reverse("profiles:trust", args=[me.openalex_id]))

    text = page_text(response)
    assert "Close collaborators Coauthors whose tie strength reaches 0.2" in text
    assert (
        "Strongest first. Pair <b>Coauthor</b> tie strength 1.00 "
        "Crowd 0 tie strength 0.64 Trio Coauthor tie strength 0.50 How trust"
    ) in text
    assert "Crowd 1" not in text
    html = response.content.decode()
    assert "Pair &lt;b&gt;Coauthor&lt;/b&gt;" in html
    assert f'href="/researchers/{trio.openalex_id}/"' in html


def test_trust_page_without_a_close_tie_says_so(client):
    loner = ResearcherFactory()
    work_with_team(researchers=[loner, *(ResearcherFactory() for _ in range(9))])

    text = page_text(client.get(reverse("profiles:trust", args=[loner.openalex_id])))

    assert "No coauthor reaches a tie strength of 0.2 yet." in text


def test_trust_page_shows_a_capped_sum(client):
    breakdown = {
        "model_version": "1",
        "score": 49,
        "label": "Emerging",
        "signals": [
            {"key": "works", "group": "footprint", "label": "Works", "value": 60},
        ],
    }
    researcher = ResearcherFactory(
        trust_score=49, trust_label="Emerging", trust_breakdown=breakdown
    )

    text = page_text(
        client.get(reverse("profiles:trust", args=[researcher.openalex_id]))
    )

    assert "Sum of signals 60" in text
    assert "an unclaimed record stays at or below 49) 49" in text


@pytest.mark.parametrize(
    "breakdown",
    [
        {},
        {"signals": "not a list"},
        {"signals": [None, "x", {"label": "No value"}, {"value": "many"}]},
    ],
)
def test_trust_page_without_a_usable_breakdown_says_not_computed(client, breakdown):
    researcher = ResearcherFactory(trust_breakdown=breakdown)

    response = client.get(reverse("profiles:trust", args=[researcher.openalex_id]))

    assert response.status_code == 200
    assert "Not computed yet." in page_text(response)


def test_the_general_trust_page_lists_levels_and_bands(client):
    response = client.get("/trust/")

    assert response.status_code == 200
    text = page_text(response)
    assert "L0 A record with no public source behind it." in text
    assert "L4 Verified by staff." in text
    assert "0–24 Unverified 25–49 Emerging 50–74 Established 75–100 Trusted" in text
    assert "An unclaimed record is capped at 49" in text


# --- home and layout ------------------------------------------------------------


def test_home_explains_the_site_and_lists_a_few_researchers(
    client, django_assert_max_num_queries
):
    for count in range(8):
        ResearcherFactory(
            display_name=f"Listed Person {count}", listed_works_count=count
        )

    with django_assert_max_num_queries(3):
        response = client.get("/")

    text = page_text(response)
    html = response.content.decode()
    assert "BZPEER builds public researcher profiles" in text
    assert '<form class="search-form search-form--hero" role="search"' in html
    assert '<label class="search-form__label" for="home-search">' in html
    assert "Listed Person 7" in text
    assert "Listed Person 2" in text
    assert "Listed Person 1" not in text  # six at most
    assert text.index("Listed Person 7") < text.index("Listed Person 6")


def test_layout_has_landmarks_skip_link_and_footer(client):
    html = client.get("/trust/").content.decode()

    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main id="main"' in html
    assert '<header class="site-header">' in html
    assert '<label class="visually-hidden" for="site-search">' in html
    assert 'href="/trust/">How trust is computed</a>' in html
    assert "CC0" in html
    assert "http://" not in html.split("<body")[0]  # no external resources
    assert "This site shows sample data" not in html


def test_the_sample_data_banner_shows_while_sample_rows_are_held(client):
    banner = (
        "This site shows sample data: apart from Bingxuan Wang, the people and "
        "institutions here are fictional."
    )
    sample = ResearcherFactory(is_sample=True)
    cache.clear()

    assert banner in page_text(client.get("/"))

    sample.delete()
    cache.clear()
    assert banner not in page_text(client.get("/"))


# --- escaping ---------------------------------------------------------------------


def test_imported_strings_are_escaped_everywhere(client):
    hostile = f"Eve {XSS_SCRIPT} {XSS_ATTRIBUTE}"
    researcher = ResearcherFactory(
        display_name=hostile,
        trust_score=5,
        trust_label="Unverified",
        trust_breakdown={
            "signals": [
                {
                    "group": hostile,
                    "label": hostile,
                    "detail": hostile,
                    "value": 5,
                }
            ]
        },
        affiliation=InstitutionFactory(display_name=hostile),
    )
    ResearcherTopicFactory(
        researcher=researcher, topic=TopicFactory(display_name=hostile)
    )
    work_with_team(researchers=[researcher], title=hostile, abstract=hostile)
    work_with_team(
        researchers=[researcher],
        title=hostile,
        abstract=(hostile + " filler") * 40,
        source=SourceFactory(display_name=hostile),
        type=XSS_SCRIPT,
    )
    AuthorshipFactory(
        work=Work.objects.first(),
        researcher=None,
        position=50,
        raw_author_name=hostile,
    )

    pages = [
        client.get(profile_url(researcher)),
        client.get(reverse("profiles:trust", args=[researcher.openalex_id])),
        client.get("/search", {"q": "eve"}),
        client.get("/"),
        client.get("/search", {"q": hostile}),
    ]

    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html
        assert "&quot;onmouseover=&quot;alert(1)" in html
        assert '"onmouseover="alert(1)' not in html
        # The one script is the page's own.
        assert html.count("<script") == html.count('<script src="/static/js/')
