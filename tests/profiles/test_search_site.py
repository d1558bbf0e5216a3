"""The site's search (/search) on the sample data: the reference researcher
found by every form of her name, by ORCID, topic and institution; works by
their abstracts, with facets; bounded cost asserted on the queries."""

import re
import socket

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from bzpeer.middleware import StatementTimeoutMiddleware, with_statement_timeout
from profiles import search
from profiles.models import Researcher, ResearcherTopic
from profiles.search import researcher_search, search_terms, work_search
from profiles.services import researcher_trust_update
from tests.factories import InstitutionFactory, TopicFactory
from tests.helpers.pages import page_text
from tests.helpers.paths import SAMPLE_SNAPSHOT
from works.models import Work
from works.services import snapshot_load

pytestmark = pytest.mark.django_db

REFERENCE = "Bingxuan Wang"
# From the abstract of W5100000001 (works/sample_data), not its title.
ABSTRACT_PHRASE = "lack a native primitive for knowledge lookup"
SEARCH_SQL = re.compile(r" LIKE | ~ | @@ ")


@pytest.fixture
def sample():
    run = snapshot_load(
        path=SAMPLE_SNAPSHOT, sample=True, progress=False, sync_trust=True
    )
    assert run.rejected_count == 0
    researcher_trust_update()
    return Researcher.objects.get(openalex_id="A5100000001")


def first_found(query: str) -> str:
    return researcher_search(query=query).first().display_name


def search_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if SEARCH_SQL.search(q["sql"])]


def test_every_form_of_her_name_finds_the_reference_researcher_first(sample):
    for query in ("Wang Bingxuan", "B. Wang", "bingxuan wang", "BINGXUAN WÁNG"):
        assert first_found(query) == REFERENCE, query
    # An exact name ranks above a fuller one, whatever their works count.
    assert researcher_search(query="wang bingxuan").first().match_quality == 0
    assert researcher_search(query="b wang").first().match_quality == 1


def test_her_orcid_topic_and_institution_find_her_first(sample):
    # The sample gives her no ORCID iD, no affiliation, and only topics she
    # shares with more prolific people; give her what her real record has.
    sample.orcid = "0000-0002-1825-0097"
    sample.affiliation = InstitutionFactory(display_name="DeepSeek-AI Hangzhou")
    sample.save(update_fields=["orcid", "affiliation"])
    ResearcherTopic.objects.create(
        researcher=sample,
        topic=TopicFactory(display_name="Sparse Mixture-of-Experts Models"),
        count=2,
    )

    assert first_found("0000-0002-1825-0097") == REFERENCE
    assert first_found("https://orcid.org/0000-0002-1825-0097") == REFERENCE
    assert first_found("A5100000001") == REFERENCE
    assert first_found("mixture of experts") == REFERENCE  # her topic
    assert first_found("deepseek hangzhou") == REFERENCE  # her institution
    # A topic others share lists them too, after no name match, by works.
    found = list(researcher_search(query="Topic Modeling"))
    assert REFERENCE in [r.display_name for r in found]
    assert {r.match_quality for r in found} == {3}
    counts = [r.listed_works_count for r in found]
    assert counts == sorted(counts, reverse=True)


def test_institutions_are_found_without_their_accents(sample):
    found = researcher_search(query="osterlund university")
    assert found.exists()
    assert all(
        r.affiliation.display_name == "Österlund University of Applied Sciences"
        for r in found
    )


def test_a_phrase_from_an_abstract_finds_its_work_first(sample, client):
    assert [w.openalex_id for w in work_search(terms=search_terms(ABSTRACT_PHRASE))][
        :1
    ] == ["W5100000001"]
    quoted = work_search(terms=search_terms(f'"{ABSTRACT_PHRASE}"'))
    assert [w.openalex_id for w in quoted] == ["W5100000001"]

    response = client.get("/search", {"q": ABSTRACT_PHRASE, "in": "works"})
    text = page_text(response)
    assert response.status_code == 200
    assert "Conditional Memory via Scalable Lookup" in text
    assert 'href="/researchers/A5100000001/">Bingxuan Wang</a>' in (
        response.content.decode()
    )


def test_the_search_page_shows_both_sections_with_their_counts(sample, client):
    text = page_text(client.get("/search", {"q": "B. Wang"}))
    assert "Researchers 1 Works 0" in text
    assert "1 researcher matching “B. Wang”" in text
    assert "Bingxuan Wang" in text


def test_facets_narrow_the_works_and_say_what_they_count(sample, client):
    everything = client.get("/search", {"q": "language models", "in": "works"})
    total = search.count_capped(work_search(terms=search_terms("language models")))
    preprints = client.get(
        "/search", {"q": "language models", "in": "works", "type": "preprint"}
    )
    in_2026 = client.get(
        "/search", {"q": "language models", "in": "works", "year": "2026"}
    )

    expected = Work.objects.filter(
        pk__in=[w.pk for w in work_search(terms=search_terms("language models"))]
    )
    n_preprints = expected.filter(type="preprint").count()
    n_2026 = expected.filter(publication_year=2026).count()
    assert 0 < n_preprints < total and 0 < n_2026 < total
    assert f"{total} works matching" in page_text(everything)
    assert "Counts over the matching works." in page_text(everything)
    assert f"{n_preprints} works matching" in page_text(preprints)
    assert page_text(preprints).count("Article ·") == 0
    assert f"{n_2026} work" in page_text(in_2026)
    html = everything.content.decode()
    assert "type=preprint" in html and "year=2026" in html


def test_a_query_without_a_searchable_word_runs_no_query(client):
    client.get("/")  # the sample-data flag is cached from here on
    for query in ("a", "B.", "li x", "%", "_"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/search", {"q": query})
        assert response.status_code == 200
        assert "Type at least 3 letters" in page_text(response)
        assert search_queries(captured) == [], query


def test_a_page_far_past_the_cap_answers_without_reading_the_matches(sample, client):
    client.get("/")
    for page in ("1000000000", "51", "999999999"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/search", {"q": "wang", "page": page})
        assert response.status_code == 404
        text = page_text(response)
        assert f"There is no page “{page}” here" in text
        assert "First page" in text
        queries = search_queries(captured)
        # Two capped counts and nothing else: no page is read.
        assert len(queries) == 2, queries
        assert all("LIMIT 1001" in sql for sql in queries), queries


def test_counts_stop_at_the_cap(sample, client, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    response = client.get("/search", {"q": "topic modeling", "page": "1"})
    text = page_text(response)
    assert "more than 2 researchers matching “topic modeling”" in text
    assert "Page 1 of 1" not in text  # 2 shown at most: one page
    with CaptureQueriesContext(connection) as captured:
        client.get("/search", {"q": "neural networks"})
    for sql in search_queries(captured):
        assert "LIMIT" in sql, sql


def test_every_search_query_is_bounded_by_a_limit(sample, client):
    for params in ({"q": "wang"}, {"q": "language models", "in": "works"}):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/search", params).status_code == 200
        queries = search_queries(captured)
        assert queries
        for sql in queries:
            assert "LIMIT" in sql, sql


def test_the_old_address_answers_301_with_its_query(client):
    response = client.get("/researchers/", {"q": "wang", "page": "2"})
    assert response.status_code == 301
    assert response["Location"] == "/search?q=wang&page=2"
    bare = client.get("/researchers/")
    assert bare.status_code == 301
    assert bare["Location"] == "/search"


def test_the_header_form_searches_the_site(sample, client):
    html = client.get("/researchers/A5100000001/").content.decode()
    assert '<form class="header-search" role="search" action="/search"' in html
    assert 'name="q"' in html


def test_hidden_profiles_are_absent_and_unlinked(sample, client):
    Researcher.objects.filter(pk=sample.pk).update(is_hidden=True)

    assert not researcher_search(query=REFERENCE).exists()
    assert not researcher_search(query="A5100000001").exists()
    people = client.get("/search", {"q": REFERENCE})
    assert "No researchers match" in page_text(people)
    works = client.get("/search", {"q": ABSTRACT_PHRASE, "in": "works"})
    html = works.content.decode()
    # The work stays in the catalog; its author line names her, unlinked.
    assert "Conditional Memory via Scalable Lookup" in page_text(works)
    assert "/researchers/A5100000001/" not in html
    assert '<span class="author">Bingxuan Wang</span>' in html


@pytest.mark.parametrize(
    "query",
    [
        "%",
        "_",
        "%wang%",
        "wang_",
        "o'brien",
        "'; DROP TABLE works_work; --",
        "<script>alert(1)</script>",
        "wang\x00bingxuan",
        "\x00",
        "x" * 10_000,
        "wang " * 2_000,
        '"unclosed phrase',
        "-wang -bingxuan",
        "(((",
        "A5100000001 0000-0000-0000-0000",
    ],
)
def test_hostile_queries_never_error_and_are_shown_escaped(client, query):
    response = client.get("/search", {"q": query})
    works = client.get("/search", {"q": query, "in": "works", "year": "x'1"})
    for answer in (response, works):
        assert answer.status_code == 200, query
        html = answer.content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "\x00" not in html
    if "<script>" in query:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode()


def test_the_indexes_answer_the_searches():
    """The sample tables are too small for the planner to pick an index on
    its own: with sequential scans off, the plans name them."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    by_name = researcher_search(query="bingxuan wang").explain()
    works = work_search(terms=search_terms("knowledge lookup")).explain()
    assert "researcher_search_trgm" in by_name
    assert "topic_name_trgm" in by_name
    assert "institution_name_trgm" in by_name
    assert "work_search_fts" in works
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = on")


def test_a_second_identical_search_comes_from_the_cache(sample, client):
    client.get("/")
    client.get("/search", {"q": "wang"})
    with CaptureQueriesContext(connection) as captured:
        cached = client.get("/search", {"q": "wang"})
    assert search_queries(captured) == []
    assert "Bingxuan Wang" in page_text(cached)


def test_without_redis_search_still_answers(sample, client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    with override_settings(CACHES=unreachable):
        response = client.get("/search", {"q": "bingxuan"})
    assert response.status_code == 200
    assert "Bingxuan Wang" in page_text(response)


def test_the_search_runs_under_a_statement_timeout(client):
    with CaptureQueriesContext(connection) as captured:
        client.get("/search", {"q": "wang"})
    sql = [q["sql"] for q in captured.captured_queries]
    assert any("statement_timeout" in s and "3000ms" in s for s in sql), sql


def test_a_statement_cancelled_by_the_timeout_answers_503():
    @with_statement_timeout(
        setting="SEARCH_STATEMENT_TIMEOUT_MS", template="profiles/_search_busy.html"
    )
    def slow(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")
        return HttpResponse("done")

    request = RequestFactory().get("/search", {"q": "wang"})
    request.user = None
    middleware = StatementTimeoutMiddleware(lambda request: HttpResponse())
    with override_settings(SEARCH_STATEMENT_TIMEOUT_MS=50):
        response = middleware.process_view(request, slow, (), {})
    assert response.status_code == 503
    assert "This search took too long" in response.content.decode()
    # The connection is usable afterwards, without the timeout.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


def test_views_not_marked_get_no_timeout_or_transaction(client):
    with CaptureQueriesContext(connection) as captured:
        client.get("/")
    assert not any("statement_timeout" in q["sql"] for q in captured.captured_queries)
