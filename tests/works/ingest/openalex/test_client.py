"""The pyalex client's contract with the normalizers and the operator's input:
``select`` asks for every field the normalizers read, filter strings and
author ids parse, and id lists stay within what OpenAlex takes."""

import pytest

from tests.helpers.openalex import (
    many_authors_pages,
    many_authors_work,
    priem,
    priem_pages,
    recorded,
    recorded_pools,
    snowball_pages,
)
from works.ingest.openalex.client import (
    FIELDS,
    MAX_IDS_PER_CALL,
    FilterSyntaxError,
    OpenAlexClient,
    author_key,
    parse_filter,
)
from works.ingest.openalex.normalize import NORMALIZERS


class ReadLog(dict):
    """A record that notes which of its top-level fields are read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def full_records() -> dict[str, list[dict]]:
    """Recorded objects of each entity, full where we have them."""
    pools = recorded_pools()
    pages = [*priem_pages(), *snowball_pages(), *many_authors_pages()]
    works = [page["results"] for page in pages]
    return {
        "works": [work for results in works for work in results]
        + [many_authors_work()],
        "authors": [priem()],
        "institutions": [recorded("I27837315.json")],
        "sources": list(pools["sources"].values()),
        "topics": [recorded("T11636.json")],
    }


@pytest.mark.parametrize("entity", list(FIELDS))
def test_select_asks_for_every_field_the_normalizer_reads(entity):
    for raw in full_records()[entity]:
        logged = ReadLog(raw)
        normalized = NORMALIZERS[entity](logged)
        assert logged.read <= set(FIELDS[entity]), raw["id"]
        selected = {key: value for key, value in raw.items() if key in FIELDS[entity]}
        assert NORMALIZERS[entity](selected) == normalized


def test_filter_strings_parse_into_their_pairs():
    assert parse_filter("authorships.author.id:A1|A2, publication_year:>2020") == [
        ("authorships.author.id", "A1|A2"),
        ("publication_year", ">2020"),
    ]
    assert parse_filter("doi:https://doi.org/10.7717/peerj.4375") == [
        ("doi", "https://doi.org/10.7717/peerj.4375")
    ]


@pytest.mark.parametrize("text", ["", "publication_year", "a:1,", ":2024", "a b:1"])
def test_malformed_filter_strings_are_refused(text):
    with pytest.raises(FilterSyntaxError):
        parse_filter(text)


def test_authors_are_looked_up_by_openalex_id_or_orcid():
    assert author_key("https://openalex.org/A5023888391") == "A5023888391"
    assert author_key("a5023888391") == "A5023888391"
    assert author_key("0000-0001-6187-6610") == "https://orcid.org/0000-0001-6187-6610"
    assert author_key("W2741809807") is None
    assert author_key("0000-0001-6187-6611") is None  # wrong check digit


def test_more_ids_than_openalex_takes_in_one_filter_are_refused_before_a_call():
    client = OpenAlexClient()
    ids = [f"A{n}" for n in range(MAX_IDS_PER_CALL + 1)]
    with pytest.raises(ValueError, match="1 to 100 ids per call, not 101"):
        client.by_ids("authors", ids)
