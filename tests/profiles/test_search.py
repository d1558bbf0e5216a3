"""Searching researchers by name: accents, case and word order don't matter."""

import pytest
from django.db import connection

from profiles.models import Researcher, ResearcherRedirect
from profiles.selectors import researcher_profile, researcher_search
from profiles.services import researcher_trust_update
from tests.factories import InstitutionFactory, ResearcherFactory, work_with_team
from tests.helpers.pages import page_text

pytestmark = pytest.mark.django_db


def found(query: str) -> list[str]:
    return [r.display_name for r in researcher_search(query=query)]


def test_search_ignores_accents_and_case():
    ResearcherFactory(display_name="José Álvarez")
    ResearcherFactory(display_name="Bingxuan Wang")
    ResearcherFactory(display_name="Jane Doe")

    assert found("jose alvarez") == ["José Álvarez"]
    assert found("JOSÉ ÁLVAREZ") == ["José Álvarez"]
    assert found("BINGXUAN") == ["Bingxuan Wang"]
    assert found("  bingXuan   WANG ") == ["Bingxuan Wang"]


def test_search_matches_all_words_in_any_order():
    ResearcherFactory(display_name="Bingxuan Wang")
    ResearcherFactory(display_name="Wang Li")

    assert found("wang bingxuan") == ["Bingxuan Wang"]
    assert sorted(found("wang")) == ["Bingxuan Wang", "Wang Li"]
    assert found("wang zhang") == []


def test_search_puts_the_exact_name_first_then_the_most_prolific():
    # Prolific by the works the cards show, not by OpenAlex's own count.
    ResearcherFactory(display_name="Ann Lee Smith", listed_works_count=90)
    ResearcherFactory(display_name="Ann Lee", listed_works_count=1)
    ResearcherFactory(display_name="Ann Leeds", listed_works_count=50, works_count=9000)

    assert found("ann lee") == ["Ann Lee", "Ann Lee Smith", "Ann Leeds"]


def test_an_empty_or_wildcard_query_matches_nobody():
    ResearcherFactory(display_name="Bingxuan Wang")

    assert found("") == []
    assert found("   ") == []
    assert found("%") == []
    assert found("_") == []


def test_each_word_is_a_like_filter_the_trigram_index_answers():
    ResearcherFactory(display_name="Bingxuan Wang")
    sql = str(researcher_search(query="Wang BINGXUAN").query)

    # Case is folded in Python (works.text), so the SQL is a plain LIKE per
    # word: UPPER(...) LIKE, as __icontains writes it, could not use the index.
    assert sql.count('U0."search_name"::text LIKE') == 2
    assert "UPPER" not in sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Researcher.objects.filter(search_name__contains="wang").explain()
    assert "researcher_search_trgm" in plan


def test_search_page_lists_results_with_affiliation_works_and_trust(client):
    researcher = ResearcherFactory(
        display_name="José Álvarez",
        affiliation=InstitutionFactory(display_name="Universidad de Prueba"),
        trust_score=31,
        trust_label="Emerging",
        listed_works_count=2,
    )
    ResearcherFactory(display_name="José Unaffiliated")

    response = client.get("/search", {"q": "jose"})

    assert response.status_code == 200
    text = page_text(response)
    html = response.content.decode()
    assert "2 researchers matching “jose”" in text
    assert "José Álvarez Universidad de Prueba 2 works Trust 31 - Emerging" in text
    assert (
        "José Unaffiliated Affiliation not imported 0 works Trust not computed yet"
        in text
    )
    assert f'href="/researchers/{researcher.openalex_id}/">José Álvarez</a>' in html
    assert 'value="jose"' in html


def test_search_page_without_a_query_shows_only_the_form(client):
    ResearcherFactory(display_name="Bingxuan Wang")

    response = client.get("/search")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'for="search-q">Researchers and works</label>' in html
    assert "Bingxuan Wang" not in html
    assert "matching" not in html


def test_search_page_says_when_nothing_matches(client):
    ResearcherFactory(display_name="Bingxuan Wang")

    text = page_text(client.get("/search", {"q": "nobody here"}))

    assert "No researchers match “nobody here”" in text


def test_search_results_paginate_twenty_a_page(client, django_assert_max_num_queries):
    for index in range(25):
        ResearcherFactory(
            display_name=f"Pagina Person {index:02d}", listed_works_count=index
        )

    client.get("/")  # the sample-data flag is cached from here on
    # Two capped counts (researchers, works) and the page, plus the
    # transaction and the statement timeout around them.
    with django_assert_max_num_queries(8):
        first = client.get("/search", {"q": "pagina"})
    second = client.get("/search", {"q": "pagina", "page": 2})

    first_text = page_text(first)
    second_text = page_text(second)
    assert "25 researchers matching “pagina”" in first_text
    assert first_text.count("Pagina Person") == 20
    assert second_text.count("Pagina Person") == 5
    assert "Page 1 of 2" in first_text
    assert 'rel="next" href="?q=pagina&amp;page=2#results">' in first.content.decode()
    assert "Pagina Person 24" in first_text  # most prolific first
    assert "Pagina Person 00" in second_text


def test_home_and_search_order_by_the_works_count_their_cards_show(client):
    # OpenAlex credits this one with 5,000 works; the profile lists one.
    elsewhere = ResearcherFactory(display_name="Many Elsewhere", works_count=5000)
    work_with_team(researchers=[elsewhere])
    here = ResearcherFactory(display_name="Many Here", works_count=3)
    for _ in range(3):
        work_with_team(researchers=[here])
    researcher_trust_update()  # stores what each profile lists
    ResearcherFactory(display_name="Many Thousands", listed_works_count=2000)

    for page in (client.get("/"), client.get("/search", {"q": "many"})):
        text = page_text(page)
        names = [text.index(name) for name in ("Thousands", "Here", "Elsewhere")]
        assert names == sorted(names)
        assert "2,000 works" in text
        assert "3 works" in text
        assert "1 work " in text
    assert researcher_profile(openalex_id=here.openalex_id).works_count == 3


def test_an_openalex_id_or_an_orcid_finds_its_researcher():
    researcher = ResearcherFactory(
        display_name="Jason Priem",
        openalex_id="A5023888391",
        orcid="0000-0001-6187-6610",
    )
    ResearcherRedirect.objects.create(
        old_openalex_id="A1111111111", researcher=researcher
    )
    ResearcherFactory(display_name="Someone Else")

    for query in (
        "A5023888391",
        "https://openalex.org/A5023888391",
        "a5023888391",
        "0000-0001-6187-6610",
        "https://orcid.org/0000-0001-6187-6610",
        "A1111111111",  # merged into Jason Priem's record
    ):
        assert found(query) == ["Jason Priem"], query
    assert found("A9999999999") == []
    assert found("0000-0001-6187-6611") == []  # check digit wrong
