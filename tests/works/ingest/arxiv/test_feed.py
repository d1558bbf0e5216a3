"""The arXiv client and Atom parser: requests as arXiv documents them, entries
as records, and every kind of answer we refuse, with its reason."""

from datetime import date

import pytest

from tests.helpers.arxiv import replay
from tests.helpers.arxiv_server import recorded
from works.ingest.arxiv.client import (
    arxiv_fetch,
    arxiv_search_query,
    parse_feed,
)
from works.ingest.http import SourceCaller, SourceMalformed, SourceRefused
from works.ingest.records import AuthorshipRecord, WorkRecord
from works.models import Source


def fetch(**kwargs):
    caller = SourceCaller("arxiv", interval=0)
    return arxiv_fetch(
        call=lambda request, **_: caller.call(request, what="t"), **kwargs
    )


def test_an_id_request_states_what_arxiv_documents_and_reads_the_entry(
    arxiv_api, settings
):
    settings.IMPORT_HTTP_TIMEOUT = 7.5
    replay(
        arxiv_api,
        "id_1605.08386_s0_m100.atom.xml",
        id_list="1605.08386",
        start=0,
        max_results=1,
    )

    feed = fetch(what="ids", id_list=["1605.08386"], max_results=1)

    assert (feed.total, feed.start, feed.rejected) == (1, 0, ())
    assert feed.records == (
        WorkRecord(
            title="Heat-bath random walks with Markov bases",
            arxiv_id="1605.08386",
            doi="10.48550/arxiv.1605.08386",
            abstract=recorded("id_1605.08386_s0_m100.atom.xml")
            .decode()
            .split("<summary>")[1]
            .split("</summary>")[0],
            publication_year=2016,
            publication_date=date(2016, 5, 26),
            type="preprint",
            source_id=Source.ARXIV_OPENALEX_ID,
            landing_page_url="https://arxiv.org/abs/1605.08386",
            pdf_url="https://arxiv.org/pdf/1605.08386",
            author_count=2,
            authorships=(
                AuthorshipRecord(
                    position=0,
                    author_position="first",
                    raw_author_name="Caprice Stanley",
                ),
                AuthorshipRecord(
                    position=1,
                    author_position="last",
                    raw_author_name="Tobias Windisch",
                ),
            ),
            source_updated_date=date(2016, 5, 26),
        ),
    )
    request = arxiv_api.calls[0].request
    assert request.headers["User-Agent"].startswith("BZPEER")
    assert request.req_kwargs["timeout"] == 7.5


def test_an_old_style_id_keeps_its_archive_and_its_affiliations():
    feed = parse_feed(recorded("id_astro-ph_0601001_s0_m100.atom.xml"), what="t")

    (record,) = feed.records
    assert (record.arxiv_id, record.doi) == (
        "astro-ph/0601001",
        "10.48550/arxiv.astro-ph/0601001",
    )
    assert record.landing_page_url == "https://arxiv.org/abs/astro-ph/0601001"
    assert [
        (a.raw_author_name, a.raw_affiliation_strings, a.author_position)
        for a in record.authorships
    ] == [
        ("Andrew Gould", ("Ohio State",), "first"),
        ("Susan Dorsher", ("Ohio State",), "middle"),
        ("B. Scott Gaudi", ("CfA",), "middle"),
        ("Andrzej Udalski", ("Warsaw University Observatory",), "last"),
    ]
    # The recorded summary starts with two spaces; the abstract does not.
    assert record.abstract.startswith("We derive the frequencies of hot Jupiters")


def test_a_search_page_reads_its_total_and_the_dois_arxiv_states():
    feed = parse_feed(recorded("q_testing_s0_m10.atom.xml"), what="t")

    assert (feed.total, len(feed.records)) == (214881, 10)
    first = feed.records[0]
    assert (first.arxiv_id, first.doi) == (
        "2202.12139",
        "10.1109/icstw55395.2022.00035",
    )
    names = [a.raw_author_name for a in feed.records[1].authorships]
    assert names == [
        "Aurora Ramírez",
        "Mario Berrios",
        "José Raúl Romero",
        "Robert Feldt",
    ]


def test_the_legacy_format_is_read_with_its_wrapped_lines_folded():
    feed = parse_feed(recorded("rsxiv/query_2025-08-20_legacy-format.xml"), what="t")

    assert (feed.total, len(feed.records)) == (7370, 10)
    record = feed.records[1]
    assert record.arxiv_id == "hep-ph/9411242"
    assert record.title == (
        "Proton-ring and Electron-linac Collider (PRELC) as a (first) "
        "TeV-rangeelectron-proton or photon-proton collider"
    )
    assert "\n" not in record.abstract
    assert record.authorships[0].raw_affiliation_strings == ("SEFT, Univ. Helsinki",)
    assert feed.records[2].doi == "10.1063/1.4996038"


def test_links_without_rel_still_give_the_pdf():
    feed = parse_feed(recorded("rsxiv/query_2025-11-11_new-format.xml"), what="t")

    assert feed.records[0].pdf_url == "https://arxiv.org/pdf/nucl-ex/0408020"
    assert all(record.pdf_url for record in feed.records)


def test_an_unknown_id_is_an_empty_page():
    feed = parse_feed(recorded("id_0000.0000_s0_m100.atom.xml"), what="t")

    assert (feed.total, feed.records, feed.rejected) == (0, (), ())


def test_arxivs_error_feed_is_a_refusal_in_arxivs_words(arxiv_api):
    replay(
        arxiv_api,
        "id_abc_s0_m100.atom.xml",
        status=400,
        id_list="abc",
        start=0,
        max_results=1,
    )

    with pytest.raises(SourceRefused) as refused:
        fetch(what="ids 1-1 of 1", id_list=["abc"], max_results=1)

    assert refused.value.reason == (
        "arXiv refused ids 1-1 of 1: incorrect id format for abc"
    )


def test_the_error_feed_is_refused_even_when_answered_200():
    with pytest.raises(SourceRefused, match="incorrect id format for abc"):
        parse_feed(recorded("id_abc_s0_m100.atom.xml"), what="t")


@pytest.mark.parametrize(
    "name", ["constructed_billion_laughs.atom.xml", "constructed_xxe.atom.xml"]
)
def test_entity_declarations_are_refused_before_any_expansion(name):
    with pytest.raises(SourceMalformed) as malformed:
        parse_feed(recorded(name), what="page 1")

    assert malformed.value.reason == (
        "arXiv answered page 1 with a document type declaration (<!DOCTYPE feed>), "
        "refused: Atom needs none, and a DTD declares entity expansions "
        "(billion laughs) and external entities (XXE)"
    )


def test_an_external_dtd_is_refused_without_being_fetched():
    # Built from the recorded feed: its prolog, then a DOCTYPE naming a DTD
    # on a host that pytest-socket would refuse to reach.
    head, rest = recorded("id_1605.08386_s0_m100.atom.xml").split(b"\n", 1)
    body = head + b'\n<!DOCTYPE feed SYSTEM "http://203.0.113.9/evil.dtd">\n' + rest

    with pytest.raises(SourceMalformed, match="entity"):
        parse_feed(body, what="page 1")


def test_a_truncated_feed_is_refused_with_the_place_it_breaks():
    whole = recorded("q_testing_s0_m10.atom.xml")

    with pytest.raises(SourceMalformed) as malformed:
        parse_feed(whole[: len(whole) // 2], what="page 1")

    assert malformed.value.reason.startswith(
        "arXiv answered page 1 with ill-formed XML ("
    )
    assert malformed.value.reason.endswith(
        "): a truncated or damaged feed, not imported"
    )


def test_a_page_that_is_not_atom_is_refused():
    with pytest.raises(SourceMalformed) as malformed:
        parse_feed(b"<feeds><feed/></feeds>", what="page 1")

    assert malformed.value.reason == (
        "arXiv answered page 1 with <feeds>, not an Atom feed"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Service Unavailable</body></html>",
        # Its doctype is no DTD of a feed, nor its <br> a damaged one.
        b"\n<!DOCTYPE html>\n<html><head><title>Service Unavailable</title>"
        b"<body>Back soon<br></body></html>",
    ],
)
def test_an_html_page_is_refused_as_what_it_is(body):
    with pytest.raises(SourceMalformed) as malformed:
        parse_feed(body, what="page 1")

    assert malformed.value.reason == (
        "arXiv answered page 1 with an HTML page, not an Atom feed "
        "(Service Unavailable)"
    )


def test_a_feed_without_a_result_count_is_refused():
    body = recorded("id_1605.08386_s0_m100.atom.xml").replace(
        b"<opensearch:totalResults>1</opensearch:totalResults>", b""
    )

    with pytest.raises(SourceMalformed, match="opensearch:totalResults is ''"):
        parse_feed(body, what="page 1")


def test_an_unusable_entry_is_rejected_and_the_rest_of_the_page_stands():
    body = recorded("q_testing_s0_m10.atom.xml")
    body = body.replace(
        b"<id>http://arxiv.org/abs/2202.12139v1</id>",
        b"<id>http://example.org/not-arxiv</id>",
    )
    body = body.replace(
        b"<published>2024-05-22T16:11:45Z</published>",
        b"<published>yesterday</published>",
    )

    feed = parse_feed(body, what="page 1")

    assert len(feed.records) == 8
    assert [(e.position, e.reason, e.arxiv_id) for e in feed.rejected] == [
        (0, "entry id 'http://example.org/not-arxiv' is not an arXiv paper", None),
        (1, "arXiv 2405.13786: published is not a date: 'yesterday'", "2405.13786"),
    ]
    assert feed.rejected[0].excerpt.startswith("<ns0:entry")


@pytest.mark.parametrize(
    ("arguments", "query"),
    [
        ({"query": "au:Windisch AND ti:Markov"}, "au:Windisch AND ti:Markov"),
        (
            {
                "category": "cs.CL",
                "submitted_from": date(2024, 1, 1),
                "submitted_until": date(2024, 1, 31),
            },
            "cat:cs.CL AND submittedDate:[202401010000 TO 202401312359]",
        ),
        (
            {"query": "ti:graph OR ti:network", "category": "hep-th"},
            "(ti:graph OR ti:network) AND cat:hep-th",
        ),
        (
            {"query": "au:Windisch", "submitted_until": date(2024, 1, 31)},
            "(au:Windisch) AND submittedDate:[199101010000 TO 202401312359]",
        ),
    ],
)
def test_search_queries_are_written_in_arxivs_syntax(arguments, query):
    assert arxiv_search_query(**arguments) == query


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"category": "cs CL"}, "'cs CL' is not an arXiv category"),
        (
            {
                "category": "cs.CL",
                "submitted_from": date(2024, 2, 1),
                "submitted_until": date(2024, 1, 1),
            },
            "the range ends",
        ),
    ],
)
def test_a_wrong_search_is_refused_before_asking_arxiv(arguments, message):
    with pytest.raises(ValueError, match=message):
        arxiv_search_query(**arguments)
