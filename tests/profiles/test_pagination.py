"""Paginated lists: the page number parsed once, a pager with first, last and
nearby pages above and below the list, and a 404 with first and last links
for a page that is not there (never another page in its place)."""

import html
import re

import pytest
from django.core.paginator import Paginator

from profiles import popularity
from profiles.pagination import PageNotFound, page_get
from tests.factories import ResearcherFactory, researcher_with_works
from tests.helpers.pages import page_text, profile_url, work_titles

pytestmark = pytest.mark.django_db

PROFILE_QUERIES = 12  # as for any profile page (tests/profiles/test_pages.py)
NOT_PAGES = ["0", "101", "-1", "abc", "1e9", "2.0", " 2", "²", "1" * 40]


def pager_html(response) -> list[str]:
    return re.findall(r'<nav class="pager".*?</nav>', response.content.decode(), re.S)


def pager_links(response, which: int = 0) -> list[tuple[str, str, bool]]:
    """The links of the page's ``which``-th pager: (text, href, is current)."""
    return [
        (
            " ".join(re.sub("<[^>]*>", "", text).split()),
            html.unescape(href),
            bool(current),
        )
        for href, current, text in re.findall(
            r'<a class="pager__link[^"]*"(?: rel="\w+")? href="([^"]*)"'
            r'(?: aria-label="[^"]*")?( aria-current="page")?>(.*?)</a>',
            pager_html(response)[which],
        )
    ]


# --- page_get -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number"), [(None, 1), ("", 1), ("1", 1), ("07", 7), ("100", 100)]
)
def test_page_get_gives_the_page_named(raw, number):
    page = page_get(paginator=Paginator(range(2000), 20), number=raw)

    assert page.number == number
    assert page.object_list[0] == (number - 1) * 20


@pytest.mark.parametrize("raw", NOT_PAGES)
def test_page_get_refuses_what_is_not_a_page_of_the_list(raw):
    with pytest.raises(PageNotFound) as refused:
        page_get(paginator=Paginator(range(2000), 20), number=raw)

    assert refused.value.num_pages == 100
    assert refused.value.requested == raw


def test_an_empty_list_has_its_one_empty_page():
    page = page_get(paginator=Paginator([], 20), number=None)

    assert list(page.object_list) == []
    assert page.numbers == [1]
    with pytest.raises(PageNotFound):
        page_get(paginator=Paginator([], 20), number="2")


def test_the_page_numbers_are_the_ends_and_the_neighbours():
    paginator = Paginator(range(2000), 20)
    ellipsis = Paginator.ELLIPSIS

    def numbers(number: str) -> list:
        return page_get(paginator=paginator, number=number).numbers

    assert numbers("1") == [1, 2, ellipsis, 100]
    assert numbers("3") == [1, 2, 3, 4, ellipsis, 100]
    assert numbers("50") == [1, ellipsis, 49, 50, 51, ellipsis, 100]
    assert numbers("100") == [1, ellipsis, 99, 100]


# --- the profile's pager --------------------------------------------------------


def test_the_profile_pager_links_first_last_and_nearby_pages(
    client, django_assert_max_num_queries
):
    researcher = researcher_with_works(2000)
    client.get("/")  # the sample-data flag is cached from here on

    with django_assert_max_num_queries(PROFILE_QUERIES):
        response = client.get(profile_url(researcher, page=50))

    assert response.status_code == 200
    assert work_titles(response) == [f"Bulk work {i:04d}" for i in range(1019, 999, -1)]
    expected = [
        ("‹ Previous", "?page=49#works", False),
        ("1", "?#works", False),
        ("49", "?page=49#works", False),
        ("50", "?page=50#works", True),
        ("51", "?page=51#works", False),
        ("100", "?page=100#works", False),
        ("Next ›", "?page=51#works", False),
    ]
    # The same pager above the list, where the keyboard reaches it, and below.
    assert pager_links(response, 0) == expected
    assert pager_links(response, 1) == expected
    content = response.content.decode()
    assert '<nav class="pager" aria-label="Published work pages">' in content
    assert 'aria-label="Published work pages, end of list"' in content
    assert content.count('<li class="pager__gap">…</li>') == 4
    assert "Most cited Page 50 of 100 ‹ Previous 1 … 49" in page_text(response)


def test_the_first_and_last_pages_show_no_disabled_control(client):
    researcher = researcher_with_works(45)

    first = client.get(profile_url(researcher, sort="citations"))
    last = client.get(profile_url(researcher, sort="citations", page=3))

    assert pager_links(first) == [
        ("1", "?sort=citations#works", True),
        ("2", "?sort=citations&page=2#works", False),
        ("3", "?sort=citations&page=3#works", False),
        ("Next ›", "?sort=citations&page=2#works", False),
    ]
    assert pager_links(last) == [
        ("‹ Previous", "?sort=citations&page=2#works", False),
        ("1", "?sort=citations#works", False),
        ("2", "?sort=citations&page=2#works", False),
        ("3", "?sort=citations&page=3#works", True),
    ]
    assert work_titles(last) == [f"Bulk work {i:04d}" for i in range(4, -1, -1)]
    for response in (first, last):
        pagers = "".join(pager_html(response))
        assert "disabled" not in pagers


def test_a_sort_change_goes_to_the_first_page_of_the_list(client):
    researcher = researcher_with_works(45)

    response = client.get(profile_url(researcher, page=3))

    content = response.content.decode()
    assert '<section class="works" id="works"' in content
    assert 'href="?#works" aria-current="true">Newest first</a>' in content
    assert 'href="?sort=citations#works">Most cited</a>' in content


def test_a_short_list_has_no_pager(client):
    researcher = researcher_with_works(20)

    response = client.get(profile_url(researcher))

    assert len(work_titles(response)) == 20
    assert 'class="pager"' not in response.content.decode()


# --- pages that are not there ---------------------------------------------------


@pytest.mark.parametrize("raw", ["0", "101", "-1", "abc", "1e9", "1000000000"])
def test_a_profile_page_out_of_the_list_is_a_404_with_first_and_last_links(
    client, django_assert_max_num_queries, raw
):
    researcher = researcher_with_works(2000)
    client.get("/")

    with django_assert_max_num_queries(PROFILE_QUERIES):
        response = client.get(profile_url(researcher, sort="citations", page=raw))

    assert response.status_code == 404
    text = page_text(response)
    assert "This list has no such page" in text
    assert "its pages are numbered 1 to 100." in text
    content = response.content.decode()
    assert '<a class="button" href="?sort=citations#works">First page</a>' in content
    assert (
        '<a class="button button--ghost" href="?sort=citations&amp;page=100#works">'
        "Last page (100)</a>"
    ) in content
    assert work_titles(response) == []
    # A page nobody could read counts no view of the profile.
    assert popularity.researcher_views_pending() == {}


def test_a_page_past_a_one_page_list_links_to_its_one_page(client):
    researcher = researcher_with_works(3)

    response = client.get(profile_url(researcher, page=2))

    assert response.status_code == 404
    assert "the list fits on one page." in page_text(response)
    assert 'href="?#works">First page</a>' in response.content.decode()
    assert "Last page" not in page_text(response)


# --- search results -------------------------------------------------------------


def test_search_results_page_with_the_same_pager(client, django_assert_max_num_queries):
    for index in range(45):
        ResearcherFactory(
            display_name=f"Pagina Person {index:02d}", listed_works_count=index
        )
    client.get("/")

    # Two capped counts (researchers, works), the page, and the savepoint
    # and statement timeout set and reset around them.
    with django_assert_max_num_queries(8):
        response = client.get("/search", {"q": "pagina", "page": 2})

    assert response.status_code == 200
    assert pager_links(response) == [
        ("‹ Previous", "?q=pagina#results", False),
        ("1", "?q=pagina#results", False),
        ("2", "?q=pagina&page=2#results", True),
        ("3", "?q=pagina&page=3#results", False),
        ("Next ›", "?q=pagina&page=3#results", False),
    ]
    assert pager_links(response, 1) == pager_links(response, 0)
    assert '<section class="section" id="results"' in response.content.decode()
    assert page_text(response).count("Pagina Person") == 20


@pytest.mark.parametrize("raw", ["0", "4", "-1", "abc", "1e9"])
def test_a_search_page_out_of_the_results_is_a_404_with_first_and_last_links(
    client, django_assert_max_num_queries, raw
):
    for index in range(45):
        ResearcherFactory(display_name=f"Pagina Person {index:02d}")
    client.get("/")

    with django_assert_max_num_queries(8):
        response = client.get("/search", {"q": "pagina", "page": raw})

    assert response.status_code == 404
    content = response.content.decode()
    assert 'href="?q=pagina#results">First page</a>' in content
    assert 'href="?q=pagina&amp;page=3#results">Last page (3)</a>' in content
    assert "Pagina Person" not in page_text(response)
