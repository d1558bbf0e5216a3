"""The catalog pages behind a profile's lists: a work, a topic, an
institution, a researcher's topics and close collaborators, and the profile's
links to them."""

import re

import pytest
from django.urls import reverse

from profiles.selectors import researcher_close_collaborators
from tests.factories import (
    AuthorshipFactory,
    AuthorshipInstitutionFactory,
    InstitutionFactory,
    ResearcherFactory,
    ResearcherTopicFactory,
    SourceFactory,
    TopicFactory,
    WorkFactory,
    WorkTopicFactory,
    work_with_team,
)
from tests.helpers.pages import page_text, profile_url
from works.models import Authorship, Work, WorkRedirect, WorkTopic

pytestmark = pytest.mark.django_db

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTRIBUTE = '"onmouseover="alert(1)'
HOSTILE = f"Eve {XSS_SCRIPT} {XSS_ATTRIBUTE}"


def work_url(work) -> str:
    return reverse("catalog:work", args=[work.openalex_id])


def topic_url(topic, **query) -> str:
    url = reverse("catalog:topic", args=[topic.openalex_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def institution_url(institution, **query) -> str:
    url = reverse("catalog:institution", args=[institution.openalex_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def author_names(response) -> list[str]:
    """The names of the author list of a work page, in order."""
    html = response.content.decode()
    listed = html.split('class="catalog-authors"')[1].split("</ol>")[0]
    return re.findall(r'class="catalog-author__name[^"]*"[^>]*>([^<]*)<', listed)


def listed_work_titles(response) -> list[str]:
    return re.findall(
        r'<a class="catalog-title-link" href="[^"]*">([^<]*)</a>',
        response.content.decode(),
    )


def card_names(response) -> list[str]:
    return re.findall(
        r'<h3 class="researcher-card__name"><a href="[^"]*">([^<]*)</a>',
        response.content.decode(),
    )


def collaborator_rows(response) -> list[str]:
    """Each row of a close-collaborator table: name, tie strength, shared."""
    rows = re.findall(
        r'<th scope="row"><a href="[^"]*">([^<]*)</a></th>\s*'
        r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>',
        response.content.decode(),
    )
    return [" ".join(row) for row in rows]


def big_work(size: int, *, researchers=(), **fields) -> Work:
    """A work with ``size`` authorships, the first ones attached to
    ``researchers``, the rest bare names "Author <position>"."""
    work = WorkFactory(author_count=size, **fields)
    researchers = list(researchers)
    Authorship.objects.bulk_create(
        Authorship(
            work=work,
            researcher=researchers[position] if position < len(researchers) else None,
            position=position,
            raw_author_name=(
                researchers[position].display_name
                if position < len(researchers)
                else f"Author {position + 1}"
            ),
        )
        for position in range(size)
    )
    return work


def queries_of(client, url, assert_queries, expected):
    """Loads ``url`` within ``expected`` queries (the site banner's flag
    cached first, as on any page after the first) and answers the count."""
    client.get("/")
    with assert_queries(expected) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# --- a work -------------------------------------------------------------------


def test_a_work_page_shows_the_whole_record(client, django_assert_max_num_queries):
    venue = SourceFactory(display_name="Journal of Lookup Studies")
    first = ResearcherFactory(display_name="Ada First")
    third = ResearcherFactory(display_name="Cy Third", openalex_id=None)
    work = WorkFactory(
        openalex_id="W4400000001",
        doi="10.5555/lookup.1",
        arxiv_id="2601.07372",
        title="Memory of CO<sub>2</sub> in <i>E. coli</i>",
        abstract="We look things up.\nThen we write them down.",
        publication_year=2026,
        type="book-chapter",
        source=venue,
        cited_by_count=1234,
        author_count=3,
    )
    first_slot = AuthorshipFactory(work=work, researcher=first, position=0)
    AuthorshipFactory(
        work=work, researcher=None, position=1, raw_author_name="Bare Name"
    )
    AuthorshipFactory(work=work, researcher=third, position=2)
    institution = InstitutionFactory(
        openalex_id="I4400000001", display_name="Lookup Institute"
    )
    AuthorshipInstitutionFactory(authorship=first_slot, institution=institution)
    primary = TopicFactory(openalex_id="T4401", display_name="Memory Systems")
    other = TopicFactory(openalex_id="T4402", display_name="Alpha Topic")
    WorkTopicFactory(work=work, topic=other, score=0.99)
    WorkTopicFactory(work=work, topic=primary, score=0.5, is_primary=True)

    queries_of(client, work_url(work), django_assert_max_num_queries, 6)
    response = client.get("/works/W4400000001/")

    html = response.content.decode()
    text = page_text(response)
    assert (
        '<h1 id="work-title" class="page-title catalog-header__title">'
        "Memory of CO<sub>2</sub> in <i>E. coli</i></h1>"
    ) in html
    assert (
        "Book chapter 2026 Journal of Lookup Studies 1,234 citations 3 authors "
        "Memory of CO 2 in E. coli DOI"
    ) in text
    assert '<p class="catalog-abstract">We look things up.\nThen we write them' in html
    assert author_names(response) == ["Ada First", "Bare Name", "Cy Third"]
    assert f'href="{profile_url(first)}">Ada First</a>' in html
    assert '<span class="catalog-author__name author--unlinked">Bare Name</span>' in (
        html
    )
    # A researcher without an OpenAlex id has no profile page to link to.
    assert '<span class="catalog-author__name">Cy Third</span>' in html
    assert '<a href="/institutions/I4400000001/">Lookup Institute</a>' in html
    assert "Topics Memory Systems Alpha Topic" in text  # primary topic first
    assert '<a class="chip catalog-chip" href="/topics/T4401/">' in html
    assert '<a href="https://doi.org/10.5555/lookup.1">DOI 10.5555/lookup.1</a>' in html
    assert '<a href="https://arxiv.org/abs/2601.07372">arXiv 2601.07372</a>' in html
    assert '<a href="https://openalex.org/W4400000001">OpenAlex W4400000001</a>' in (
        html
    )
    assert "3 authors, in byline order." in text
    assert 'class="pager"' not in html
    assert "Other versions" not in text


def test_a_work_with_sixty_authors_shows_every_one_on_its_page(client):
    team = ResearcherFactory.create_batch(10)
    work = big_work(60, researchers=team)

    response = client.get(work_url(work))

    names = author_names(response)
    assert len(names) == 60
    assert names[:10] == [researcher.display_name for researcher in team]
    assert names[10:] == [f"Author {n}" for n in range(11, 61)]
    assert "60 authors, in byline order." in page_text(response)
    assert 'class="pager"' not in response.content.decode()


def test_a_large_team_pages_its_authors_and_every_one_is_reachable(client):
    work = big_work(250)

    first = client.get(work_url(work))
    second = client.get(work_url(work), {"page": 2})
    last = client.get(work_url(work), {"page": 3})

    assert author_names(first) == [f"Author {n}" for n in range(1, 101)]
    assert author_names(second) == [f"Author {n}" for n in range(101, 201)]
    assert author_names(last) == [f"Author {n}" for n in range(201, 251)]
    assert "250 authors, in byline order; 1–100 here." in page_text(first)
    assert "250 authors, in byline order; 201–250 here." in page_text(last)
    html = first.content.decode()
    assert '<ol class="catalog-authors" start="1">' in html
    assert '<ol class="catalog-authors" start="201">' in last.content.decode()
    assert 'rel="next" href="?page=2#authors"' in html
    assert client.get(work_url(work), {"page": 4}).status_code == 404
    assert client.get(work_url(work), {"page": "x"}).status_code == 404


def test_a_work_page_costs_the_same_queries_for_3_or_3000_authors(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    institution = InstitutionFactory()
    topics = TopicFactory.create_batch(3)
    small, large = big_work(3), big_work(3000)
    for work in (small, large):
        for topic in topics:
            WorkTopicFactory(work=work, topic=topic)
        for authorship in work.authorships.all()[:150]:
            AuthorshipInstitutionFactory(authorship=authorship, institution=institution)
        WorkFactory(canonical=work, type="preprint")

    small_count = queries_of(client, work_url(small), django_assert_max_num_queries, 6)
    queries_of(client, work_url(large), django_assert_num_queries, small_count)
    queries_of(
        client, work_url(large) + "?page=30", django_assert_num_queries, small_count
    )


def test_a_work_is_addressed_by_openalex_id_else_arxiv_id_else_our_id(client):
    full = WorkFactory(openalex_id="W4400000002", arxiv_id="2601.00002")
    arxiv_only = WorkFactory(openalex_id=None, arxiv_id="hep-th/9901001")
    bare = WorkFactory(openalex_id=None, arxiv_id=None, title="Only a DOI")

    assert client.get("/works/W4400000002/").status_code == 200
    by_pk = client.get(f"/works/{full.pk}/?page=1")
    assert by_pk.status_code == 301
    assert by_pk["Location"] == "/works/W4400000002/?page=1"
    assert client.get("/works/arxiv/2601.00002/")["Location"] == "/works/W4400000002/"
    assert client.get("/works/arxiv/hep-th/9901001/").status_code == 200
    assert (
        client.get(f"/works/{arxiv_only.pk}/")["Location"]
        == "/works/arxiv/hep-th/9901001/"
    )
    response = client.get(f"/works/{bare.pk}/")
    assert response.status_code == 200
    assert "Only a DOI" in page_text(response)


def test_a_merged_openalex_work_id_redirects_and_an_unknown_one_is_404(client):
    survivor = WorkFactory(openalex_id="W4400000003")
    WorkRedirect.objects.create(old_openalex_id="W4400000009", work=survivor)

    merged = client.get("/works/W4400000009/")

    assert merged.status_code == 301
    assert merged["Location"] == "/works/W4400000003/"
    for unknown in (
        "/works/W4499999999/",
        "/works/999999/",
        "/works/arxiv/2601.99999/",
        "/works/w4400000003/",
    ):
        response = client.get(unknown)
        assert response.status_code == 404, unknown
        assert "We couldn’t find that page" in page_text(response)


def test_a_listed_work_names_its_versions_and_a_version_names_its_listed_one(
    client,
):
    article = WorkFactory(
        openalex_id="W4400000010",
        title="The Published Article",
        type="article",
        publication_year=2025,
        source=SourceFactory(display_name="Journal of Versions"),
    )
    preprint = WorkFactory(
        openalex_id=None,
        doi=None,
        arxiv_id="2401.00010",
        title="The Preprint",
        type="preprint",
        publication_year=2024,
        canonical=article,
        source=SourceFactory(
            openalex_id="S4306400194", display_name="arXiv (Cornell University)"
        ),
    )
    second = WorkFactory(
        openalex_id="W4400000012",
        title="Another Preprint",
        type="preprint",
        publication_year=2023,
        canonical=article,
    )

    listed = client.get(work_url(article))
    version = client.get("/works/arxiv/2401.00010/")

    listed_text = page_text(listed)
    assert (
        "Other versions The same work as another record: a preprint and its "
        "published article are listed once, under the published one. "
        "Preprint 2023"
    ) in listed_text
    assert listed_text.index("Another Preprint") < listed_text.index("The Preprint")
    listed_html = listed.content.decode()
    assert '<a href="/works/arxiv/2401.00010/">The Preprint</a>' in listed_html
    assert (
        '<a href="https://arxiv.org/abs/2401.00010" aria-label="The preprint on '
        'arXiv">arXiv</a>'
    ) in listed_html
    version_text = page_text(version)
    assert (
        "This is a version of The Published Article (2025); profiles list the "
        "work under that version."
    ) in version_text
    version_html = version.content.decode()
    assert '<a href="/works/W4400000010/">The Published Article</a>' in version_html
    # Its siblings: the listed article first, then the other preprint.
    assert version_text.index("Listed version") < version_text.index("Another Preprint")
    assert f'href="{work_url(second)}">Another Preprint</a>' in version_html
    assert "Preprint 2024 arXiv" in version_text
    assert preprint.title not in version_text.split("Other versions")[1]


def test_only_http_addresses_reach_an_href(client):
    work = WorkFactory(
        openalex_id="W4400000020",
        doi=None,
        arxiv_id=None,
        landing_page_url="javascript:alert(1)",
    )
    plain = WorkFactory(
        openalex_id="W4400000021",
        doi=None,
        arxiv_id=None,
        landing_page_url="https://publisher.example.org/paper/21",
    )
    institution = InstitutionFactory(homepage_url="javascript:alert(2)")
    safe = InstitutionFactory(homepage_url="http://safe.example.edu")

    html = client.get(work_url(work)).content.decode()
    plain_html = client.get(work_url(plain)).content.decode()
    institution_html = client.get(institution_url(institution)).content.decode()
    safe_html = client.get(institution_url(safe)).content.decode()

    assert "javascript:" not in html
    assert "Publisher page" not in html
    assert (
        '<a href="https://publisher.example.org/paper/21">Publisher page</a>'
        in plain_html
    )
    assert "javascript:" not in institution_html
    assert "Homepage" not in institution_html
    assert '<a href="http://safe.example.edu">http://safe.example.edu</a>' in safe_html


# --- a topic -------------------------------------------------------------------


def test_a_topic_page_lists_its_researchers_most_works_first(
    client, django_assert_max_num_queries
):
    topic = TopicFactory(
        openalex_id="T4410",
        display_name="Scholarly Lookup",
        description="Papers about looking things up.",
        subfield_name="Information Systems",
        field_name="Computer Science",
        domain_name="Physical Sciences",
    )
    for count, name in [(3, "Middle"), (9, "Most"), (1, "Least")]:
        ResearcherTopicFactory(
            topic=topic,
            researcher=ResearcherFactory(display_name=name, listed_works_count=count),
        )
    ResearcherTopicFactory(researcher=ResearcherFactory(display_name="Elsewhere"))
    WorkTopicFactory(topic=topic)

    queries_of(client, topic_url(topic), django_assert_max_num_queries, 5)
    response = client.get(topic_url(topic))

    text = page_text(response)
    assert (
        "Topic Scholarly Lookup Papers about looking things up. Subfield "
        "Information Systems Field Computer Science Domain Physical Sciences "
        "OpenAlex T4410"
    ) in text
    assert "Researchers 3 researchers, most works first Researchers 3 Recent " in text
    assert card_names(response) == ["Most", "Middle", "Least"]
    assert "9 works" in text
    html = response.content.decode()
    assert 'href="?list=works#list">Recent works <span class="catalog-count">1' in html


def test_a_topic_lists_its_recent_works_newest_first_versions_once(
    client, django_assert_max_num_queries
):
    topic = TopicFactory()
    for title, year in [("Old", 2001), ("New", 2025), ("Undated", None)]:
        WorkTopicFactory(
            topic=topic, work=WorkFactory(title=title, publication_year=year)
        )
    article = WorkFactory(title="Article", publication_year=2020)
    # Both versions in the topic: listed once; a preprint alone in the topic
    # brings its listed article.
    WorkTopicFactory(topic=topic, work=article)
    WorkTopicFactory(
        topic=topic, work=WorkFactory(title="Its preprint", canonical=article)
    )
    lonely = WorkFactory(title="Article of a preprint", publication_year=2019)
    WorkTopicFactory(
        topic=topic, work=WorkFactory(title="Preprint in topic", canonical=lonely)
    )
    WorkTopicFactory(work=WorkFactory(title="Other topic"))

    queries_of(client, topic_url(topic, list="works"), django_assert_max_num_queries, 6)
    response = client.get(topic_url(topic, list="works"))

    assert listed_work_titles(response) == [
        "New",
        "Article",
        "Article of a preprint",
        "Old",
        "Undated",
    ]
    assert "Recent works 5 works, newest first" in page_text(response)


def test_topic_lists_paginate_at_a_constant_query_cost(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    small, large = TopicFactory(), TopicFactory()
    for topic, size in ((small, 2), (large, 45)):
        for index in range(size):
            ResearcherTopicFactory(
                topic=topic,
                researcher=ResearcherFactory(
                    display_name=f"Person {index:02d}", listed_works_count=index
                ),
            )
            work = work_with_team(
                researchers=ResearcherFactory.create_batch(2),
                title=f"Work {index:02d}",
                publication_year=1950 + index,
            )
            WorkTopic.objects.create(work=work, topic=topic)

    for query in ({}, {"list": "works"}):
        expected = queries_of(
            client, topic_url(small, **query), django_assert_max_num_queries, 6
        )
        queries_of(
            client,
            topic_url(large, page=3, **query),
            django_assert_num_queries,
            expected,
        )

    third = client.get(topic_url(large, page=3))
    assert card_names(third) == [f"Person {i:02d}" for i in range(4, -1, -1)]
    works = client.get(topic_url(large, list="works", page=2))
    assert listed_work_titles(works) == [f"Work {i:02d}" for i in range(24, 4, -1)]
    assert 'href="?list=works&amp;page=3#list"' in works.content.decode()
    assert client.get(topic_url(large, page=4)).status_code == 404


def test_an_unknown_topic_or_institution_is_404(client):
    TopicFactory(openalex_id="T4420")
    InstitutionFactory(openalex_id="I4420")

    assert client.get("/topics/T4499/").status_code == 404
    assert client.get("/institutions/I4499/").status_code == 404


def test_an_empty_topic_says_so(client):
    topic = TopicFactory()

    researchers = page_text(client.get(topic_url(topic)))
    works = page_text(client.get(topic_url(topic, list="works")))

    assert "No researcher with this topic has been imported yet." in researchers
    assert "No work in this topic has been imported yet." in works


# --- an institution ----------------------------------------------------------------


def test_an_institution_page_shows_its_facts_researchers_and_works(
    client, django_assert_max_num_queries
):
    institution = InstitutionFactory(
        openalex_id="I4430",
        ror="0abcde123",
        display_name="Lookup Institute",
        country_code="NL",
        type="education",
        homepage_url="https://lookup.example.edu",
    )
    for count, name in [(2, "Second"), (5, "First")]:
        ResearcherFactory(
            display_name=name, listed_works_count=count, affiliation=institution
        )
    ResearcherFactory(display_name="Elsewhere")
    article = WorkFactory(title="Institutional Article", publication_year=2024)
    preprint = WorkFactory(title="Its Preprint", canonical=article)
    for work in (article, preprint):
        for position in range(2):  # two authors there: still one work
            AuthorshipInstitutionFactory(
                institution=institution,
                authorship=AuthorshipFactory(work=work, position=position),
            )
    AuthorshipInstitutionFactory(
        institution=institution,
        authorship=AuthorshipFactory(
            work=WorkFactory(title="Older", publication_year=1999)
        ),
    )

    queries_of(client, institution_url(institution), django_assert_max_num_queries, 5)
    people = client.get(institution_url(institution))
    queries_of(
        client,
        institution_url(institution, list="works"),
        django_assert_max_num_queries,
        6,
    )
    works = client.get(institution_url(institution, list="works"))

    text = page_text(people)
    assert (
        "Institution Lookup Institute Country NL Type Education Homepage "
        "https://lookup.example.edu OpenAlex I4430 ROR 0abcde123"
    ) in text
    html = people.content.decode()
    assert '<a href="https://ror.org/0abcde123">ROR 0abcde123</a>' in html
    assert card_names(people) == ["First", "Second"]
    assert listed_work_titles(works) == ["Institutional Article", "Older"]


# --- the lists behind a profile's counts ----------------------------------------------


def test_a_profiles_topics_list_each_with_its_works_count(
    client, django_assert_max_num_queries
):
    researcher = ResearcherFactory(display_name="Ada Topical")
    for count, openalex_id, name in [
        (2, "T4441", "Second Topic"),
        (7, "T4442", "First Topic"),
        (2, "T4443", "A Tied Topic"),
    ]:
        ResearcherTopicFactory(
            researcher=researcher,
            count=count,
            topic=TopicFactory(
                openalex_id=openalex_id,
                display_name=name,
                subfield_name="Sub",
                field_name="Field",
            ),
        )
    ResearcherTopicFactory(topic=TopicFactory(display_name="Not Hers"))
    url = reverse("profiles:topics", args=[researcher.openalex_id])

    queries_of(client, url, django_assert_max_num_queries, 3)
    response = client.get(url)

    text = page_text(response)
    assert "‹ Ada Topical" in text
    assert (
        "Topic Subfield · field Works First Topic Sub · Field 7 works "
        "A Tied Topic Sub · Field 2 works Second Topic Sub · Field 2 works"
    ) in text
    assert "Not Hers" not in text
    assert '<a href="/topics/T4442/">First Topic</a>' in response.content.decode()


def test_a_profiles_topics_paginate_and_unknown_or_merged_ids_answer(client):
    researcher = ResearcherFactory()
    for index in range(55):
        ResearcherTopicFactory(researcher=researcher, count=100 - index)
    url = reverse("profiles:topics", args=[researcher.openalex_id])
    researcher.redirects.create(old_openalex_id="A4400000099")

    second = client.get(url, {"page": 2})

    counts = re.findall(r'<td class="num">(\d+) <span', second.content.decode())
    assert counts == ["50", "49", "48", "47", "46"]
    assert "55 topics" in page_text(second)
    assert client.get(url, {"page": 3}).status_code == 404
    assert client.get("/researchers/A4499999999/topics/").status_code == 404
    merged = client.get("/researchers/A4400000099/topics/")
    assert merged.status_code == 301
    assert merged["Location"] == url


def test_close_collaborators_list_tie_strength_and_shared_works(
    client, django_assert_max_num_queries
):
    me = ResearcherFactory(display_name="Centre Person")
    pair = ResearcherFactory(display_name="Pair Coauthor")
    trio = ResearcherFactory(display_name="Trio Coauthor")
    crowd = ResearcherFactory.create_batch(7)
    work_with_team(researchers=[me, pair])  # 1.0
    work_with_team(researchers=[me, trio, crowd[0]])  # 0.5 each
    work_with_team(researchers=[me, *crowd])  # 1/7: below 0.2 alone
    # A preprint of the pair's work: one shared work, not two.
    article = Work.objects.filter(authorships__researcher=pair).get()
    work_with_team(researchers=[me, pair], canonical=article)
    # A consortium paper: shared, but it adds no tie strength.
    big_work(150, researchers=[me, trio])
    url = reverse("profiles:collaborators", args=[me.openalex_id])

    queries_of(client, url, django_assert_max_num_queries, 4)
    response = client.get(url)

    text = page_text(response)
    assert "3 close collaborators." in text
    assert collaborator_rows(response) == [
        "Pair Coauthor 1.00 1",
        f"{crowd[0].display_name} 0.64 2",
        "Trio Coauthor 0.50 2",
    ]
    assert crowd[1].display_name not in text
    assert f'href="{profile_url(trio)}">Trio Coauthor</a>' in (
        response.content.decode()
    )


def test_close_collaborators_paginate_fifty_a_page_at_a_constant_cost(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    small, large = ResearcherFactory(), ResearcherFactory()
    for researcher, size in ((small, 2), (large, 55)):
        for index in range(size):
            coauthor = ResearcherFactory(display_name=f"Partner {index:02d}")
            for _ in range(1 + index % 3):
                work_with_team(researchers=[researcher, coauthor])
    small_url = reverse("profiles:collaborators", args=[small.openalex_id])
    large_url = reverse("profiles:collaborators", args=[large.openalex_id])

    expected = queries_of(client, small_url, django_assert_max_num_queries, 4)
    queries_of(client, large_url, django_assert_num_queries, expected)
    queries_of(client, large_url + "?page=2", django_assert_num_queries, expected)

    first = client.get(large_url)
    second = client.get(large_url, {"page": 2})
    assert "55 close collaborators." in page_text(first)
    assert "Page 1 of 2" in page_text(first)
    # Strongest first (3 shared works, then 2, then 1), then by record:
    # partners 2, 5, ... 53 have three, 1, 4, ... 52 two, the rest one.
    by_three = [f"Partner {i:02d} 3.00 3" for i in range(2, 55, 3)]
    by_two = [f"Partner {i:02d} 2.00 2" for i in range(1, 55, 3)]
    by_one = [f"Partner {i:02d} 1.00 1" for i in range(0, 55, 3)]
    assert collaborator_rows(first) == by_three + by_two + by_one[:14]
    assert collaborator_rows(second) == by_one[14:]
    assert client.get(large_url, {"page": 3}).status_code == 404


def test_a_researcher_without_close_collaborators_says_so(client):
    loner = ResearcherFactory()

    response = client.get(reverse("profiles:collaborators", args=[loner.openalex_id]))

    assert "No coauthor reaches a tie strength of 0.2 yet." in page_text(response)


def test_close_collaborators_keep_the_trust_page_call_and_add_an_offset():
    me = ResearcherFactory()
    partners = [ResearcherFactory() for _ in range(4)]
    for weight, partner in enumerate(partners, start=1):
        for _ in range(weight):
            work_with_team(researchers=[me, partner])

    everyone = researcher_close_collaborators(researcher=me)
    after_one = researcher_close_collaborators(researcher=me, limit=2, offset=1)

    assert [c.researcher for c in everyone] == partners[::-1]
    assert [c.shared_works_count for c in everyone] == [4, 3, 2, 1]
    assert [c.tie_strength for c in everyone] == [4.0, 3.0, 2.0, 1.0]
    assert [c.researcher for c in after_one] == [partners[2], partners[1]]


# --- the profile's links ------------------------------------------------------------


def test_the_profile_links_titles_overflow_and_counts_to_their_pages(client):
    researcher = ResearcherFactory(close_collaborators_count=2)
    ResearcherTopicFactory(researcher=researcher)
    big_work(12, researchers=[researcher], openalex_id="W4400000050", title="Big Team")
    work_with_team(researchers=[researcher], openalex_id=None, arxiv_id="2401.00051")

    html = client.get(profile_url(researcher)).content.decode()

    assert (
        '<a class="work__title-link" href="/works/W4400000050/">'
        '<h3 class="work__title">Big Team</h3></a>'
    ) in html
    assert '<a class="work__title-link" href="/works/arxiv/2401.00051/">' in html
    assert '<a class="author-more" href="/works/W4400000050/#authors">+4 more</a>' in (
        html
    )
    topics = reverse("profiles:topics", args=[researcher.openalex_id])
    collaborators = reverse("profiles:collaborators", args=[researcher.openalex_id])
    assert f'<a class="stat__link" href="{topics}">' in html
    assert f'<a class="stat__link" href="{collaborators}">' in html


def test_zero_counts_on_the_profile_are_not_links(client):
    researcher = ResearcherFactory(close_collaborators_count=0)

    html = client.get(profile_url(researcher)).content.decode()

    assert "stat__link" not in html


def test_the_trust_page_links_to_all_close_collaborators_beyond_twelve(client):
    me = ResearcherFactory(close_collaborators_count=13)
    for _ in range(13):
        work_with_team(researchers=[me, ResearcherFactory()])

    response = client.get(reverse("profiles:trust", args=[me.openalex_id]))

    assert "The 12 strongest of 13: see them all, with their shared works." in (
        page_text(response)
    )
    assert (
        f'href="{reverse("profiles:collaborators", args=[me.openalex_id])}"'
        in response.content.decode()
    )


# --- escaping -------------------------------------------------------------------------


def test_imported_strings_are_escaped_on_every_catalog_page(client):
    institution = InstitutionFactory(display_name=HOSTILE, type=XSS_SCRIPT)
    topic = TopicFactory(
        display_name=HOSTILE,
        description=HOSTILE,
        subfield_name=HOSTILE,
        field_name=HOSTILE,
        domain_name=HOSTILE,
    )
    me = ResearcherFactory(display_name=HOSTILE, affiliation=institution)
    coauthor = ResearcherFactory(display_name=HOSTILE, affiliation=institution)
    ResearcherTopicFactory(researcher=me, topic=topic)
    ResearcherTopicFactory(researcher=coauthor, topic=topic)
    work = work_with_team(
        researchers=[me, coauthor],
        title=HOSTILE,
        abstract=HOSTILE,
        type=XSS_SCRIPT,
        source=SourceFactory(display_name=HOSTILE),
    )
    AuthorshipFactory(work=work, researcher=None, position=9, raw_author_name=HOSTILE)
    AuthorshipInstitutionFactory(
        authorship=work.authorships.first(), institution=institution
    )
    WorkTopicFactory(work=work, topic=topic)
    WorkFactory(canonical=work, title=HOSTILE, type=XSS_SCRIPT)

    pages = [
        client.get(work_url(work)),
        client.get(topic_url(topic)),
        client.get(topic_url(topic, list="works")),
        client.get(institution_url(institution)),
        client.get(institution_url(institution, list="works")),
        client.get(reverse("profiles:topics", args=[me.openalex_id])),
        client.get(reverse("profiles:collaborators", args=[me.openalex_id])),
    ]

    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html
        assert "&quot;onmouseover=&quot;alert(1)" in html
        assert '"onmouseover="alert(1)' not in html


@pytest.mark.parametrize(
    "path",
    [
        "/works/arxiv/%00/",
        "/works/arxiv/a%00b/",
        "/topics/%00/",
        "/institutions/%00/",
        "/researchers/%00/",
        "/researchers/A1%00/topics/",
        "/topics/T1%27%20OR%201=1/",
    ],
)
def test_an_id_that_is_no_id_answers_404_before_any_query(
    client, path, django_assert_max_num_queries
):
    client.get("/")  # the sample-data flag is cached from here on
    with django_assert_max_num_queries(0):
        assert client.get(path).status_code == 404
