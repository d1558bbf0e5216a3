"""OpenAlex records to normalized records: identifiers, defensive parsing,
and the exact reasons a record is rejected. No database."""

import json
from datetime import date

import pytest

from tests.helpers.snapshot import (
    AUTHOR_2023_LINE,
    author_priem,
    record,
    work_arxiv_preprint,
    work_state_of_oa,
    work_with_arxiv_location,
)
from works.ingest.identifiers import (
    arxiv_id_from_doi,
    arxiv_id_from_url,
    domain_from_url,
    normalize_arxiv_id,
    normalize_doi,
    normalize_orcid,
    normalize_ror,
    short_openalex_id,
)
from works.ingest.openalex.normalize import (
    normalize_author,
    normalize_institution,
    normalize_source,
    normalize_topic,
    normalize_work,
)
from works.ingest.openalex.snapshot import normalize_line
from works.ingest.records import (
    AuthorshipRecord,
    RecordRejected,
    ResearcherTopicLink,
    WorkTopicLink,
)


def test_identifiers_take_their_stored_form():
    assert short_openalex_id("https://openalex.org/W123", prefix="W") == "W123"
    assert short_openalex_id("w123", prefix="W") == "W123"
    assert short_openalex_id("https://openalex.org/A123", prefix="W") is None
    assert normalize_doi("https://doi.org/10.7717/PeerJ.4375") == "10.7717/peerj.4375"
    assert normalize_doi("doi:10.1000/XYZ") == "10.1000/xyz"
    assert normalize_doi("not a doi") is None
    assert normalize_orcid("https://orcid.org/0000-0002-1825-0097") == (
        "0000-0002-1825-0097"
    )
    assert normalize_orcid("0000-0002-1694-233x") == "0000-0002-1694-233X"
    # A wrong check digit is not an iD.
    assert normalize_orcid("0000-0002-1825-0098") is None
    assert normalize_orcid("http://orcid.org/0000-0002-1825-0097/") == (
        "0000-0002-1825-0097"
    )
    assert normalize_orcid("0000000218250097") == "0000-0002-1825-0097"
    # The whole value must be the iD: one found inside a longer string is not.
    for hostile in (
        "evil0000-0002-1825-0097",
        "https://example.org/0000-0002-1825-0097",
        "10000-0002-1825-0097",
        "0000-0002-1825-0097 and more",
        "orcid: 0000-0002-1825-0097x",
    ):
        assert normalize_orcid(hostile) is None, hostile
    assert normalize_ror("https://ror.org/05qghxh33") == "05qghxh33"
    assert domain_from_url("https://www.umich.edu/") == "umich.edu"
    assert domain_from_url("") == ""


def test_arxiv_ids_lose_prefix_and_version():
    assert normalize_arxiv_id("arXiv:2007.14454v2") == "2007.14454"
    assert normalize_arxiv_id("https://arxiv.org/abs/hep-th/9901001v1") == (
        "hep-th/9901001"
    )
    assert arxiv_id_from_doi("10.48550/arxiv.2007.14454") == "2007.14454"
    assert arxiv_id_from_url("http://arxiv.org/abs/1503.05702v3") == "1503.05702"
    assert arxiv_id_from_url("https://arxiv.org/pdf/1503.05702") is None


def test_a_full_work_normalizes():
    work = normalize_work(work_state_of_oa())
    assert work.openalex_id == "W2741809807"
    assert work.doi == "10.7717/peerj.4375"
    assert work.arxiv_id is None
    assert work.title == (
        "The state of OA: a large-scale analysis of the prevalence and impact "
        "of Open Access articles"
    )
    assert work.publication_year == 2018
    assert work.publication_date == date(2018, 2, 13)
    assert work.source_id == "S1983995261"
    assert work.pdf_url == "https://peerj.com/articles/4375.pdf"
    assert work.cited_by_count == 962
    assert work.author_count == 9 == len(work.authorships)
    assert work.source_updated_date == date(2025, 6, 11)  # from a timestamp
    assert work.authorships[1] == AuthorshipRecord(
        position=1,
        author_position="middle",
        raw_author_name="Jason Priem",
        raw_affiliation_strings=("Impactstory, Sanford, NC, USA",),
        is_corresponding=False,
        author_id="A5023888391",
        institution_ids=("I4210166736",),
    )
    assert work.topics == (
        WorkTopicLink("T10102", 0.9969, True),
        WorkTopicLink("T13607", 0.9807, False),
        WorkTopicLink("T11937", 0.9185, False),
    )


def test_the_abstract_is_rebuilt_from_the_inverted_index():
    raw = work_state_of_oa()
    abstract = normalize_work(raw).abstract
    assert abstract.startswith(
        "Despite growing interest in Open Access (OA) to scholarly literature, "
        "there is an unmet need for large-scale, up-to-date, and reproducible "
        "studies assessing the prevalence and characteristics of OA."
    )
    assert abstract.endswith(
        "We encourage further research using the free oaDOI service, as a way "
        "to inform OA policy and practice."
    )
    assert len(abstract.split(" ")) == 258
    raw["abstract_inverted_index"] = {"world": [1], "Hello": [0, 2], "again": [3]}
    assert normalize_work(raw).abstract == "Hello world Hello again"
    raw["abstract_inverted_index"] = None
    assert normalize_work(raw).abstract == ""


def test_arxiv_id_comes_from_ids_doi_or_landing_page():
    assert normalize_work(work_arxiv_preprint()).arxiv_id == "2007.14454"
    assert normalize_work(work_with_arxiv_location()).arxiv_id == "1503.05702"
    raw = work_state_of_oa()
    raw["ids"]["arxiv"] = "https://arxiv.org/abs/1707.01234v4"
    assert normalize_work(raw).arxiv_id == "1707.01234"


def test_a_location_without_source_and_missing_fields_are_tolerated():
    raw = work_with_arxiv_location()
    raw["primary_location"]["source"] = None
    for key in ("language", "type", "cited_by_count", "topics", "primary_topic"):
        raw.pop(key, None)
    work = normalize_work(raw)
    assert work.source_id is None
    assert (work.language, work.type, work.cited_by_count, work.topics) == (
        "",
        "",
        0,
        (),
    )


def test_hostile_strings_are_kept_verbatim():
    raw = work_state_of_oa()
    raw["title"] = '<script>alert("x")</script> & <b>bold</b>'
    assert normalize_work(raw).title == '<script>alert("x")</script> & <b>bold</b>'


def test_a_current_author_normalizes():
    author = normalize_author(author_priem())
    assert author.openalex_id == "A5023888391"
    assert author.orcid == "0000-0001-6187-6610"
    assert author.search_name == "jason priem"
    assert author.display_name_alternatives == ("Priem Jason", "Jason Priem")
    assert author.last_known_institution_ids == ("I4200000001",)
    assert (author.works_count, author.cited_by_count, author.h_index) == (62, 3890, 17)
    assert author.topics[0] == ResearcherTopicLink("T10102", 23)
    assert len(author.topics) == 25


def test_a_2023_schema_author_line_normalizes():
    author = normalize_line("authors", AUTHOR_2023_LINE)
    assert author.openalex_id == "A4347464006"
    assert author.display_name == "Lucero Molina"
    assert author.orcid is None
    assert author.last_known_institution_ids == ("I59553526",)
    assert author.source_updated_date == date(2023, 4, 21)


def test_institution_source_and_topic_normalize():
    institution = normalize_institution(record("I27837315.json"))
    assert (institution.openalex_id, institution.ror, institution.domain) == (
        "I27837315",
        "00jmfr291",
        "umich.edu",
    )
    assert institution.country_code == "US"
    topic = normalize_topic(record("T11636.json"))
    assert (topic.openalex_id, topic.field_name, topic.domain_name) == (
        "T11636",
        "Medicine",
        "Health Sciences",
    )
    source = normalize_source(work_state_of_oa()["primary_location"]["source"])
    assert (source.openalex_id, source.issn_l, source.type) == (
        "S1983995261",
        "2167-8359",
        "journal",
    )


def _reason(entity: str, line: bytes | str) -> str:
    with pytest.raises(RecordRejected) as caught:
        normalize_line(entity, line if isinstance(line, bytes) else line.encode())
    return caught.value.reason


def _work_line(**changes) -> str:
    raw = work_state_of_oa()
    raw.update(changes)
    return json.dumps(raw)


def test_malformed_records_are_rejected_with_their_reason():
    assert _reason("works", "{bad json") == (
        "invalid JSON: Expecting property name enclosed in double quotes"
    )
    assert _reason("works", "[1, 2]") == "record is not a JSON object"
    assert _reason("works", '{"title": "no id"}') == "missing id"
    assert _reason("works", '{"id": "https://openalex.org/A1"}') == (
        "invalid id: 'https://openalex.org/A1'"
    )
    assert _reason("works", _work_line(title=42)) == "title is not a string"
    assert _reason("works", _work_line(publication_year="2018")) == (
        "publication_year is not an integer"
    )
    assert _reason("works", _work_line(authorships="nope")) == (
        "authorships is not a list"
    )
    assert _reason("works", _work_line(authorships=["x"])) == (
        "authorships[0] is not an object"
    )
    assert _reason("works", _work_line(publication_date="13/02/2018")) == (
        "publication_date is not a date: '13/02/2018'"
    )
    assert _reason("works", _work_line(cited_by_count=-1)) == (
        "cited_by_count is out of range: -1"
    )
    assert _reason("authors", b'{"id": "https://openalex.org/A1", "x": "\xff"}') == (
        "invalid UTF-8 at byte 40"
    )


def test_nul_characters_never_reach_the_database():
    raw = work_state_of_oa()
    raw["title"] = "Nul\u0000led"
    assert normalize_work(raw).title == "Nulled"
