"""The loader's fast readings agree with the plain ones they replaced: a line
read with orjson (the standard library deciding whenever orjson refuses it
or the record is rejected), the abstract rebuilt in one pass, OpenAlex ids,
dates and DOIs read without their patterns. Each plain reading is kept here,
as it was, for the comparison. No database."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.ingest_properties import (
    PURE,
    broken_records,
    ids,
    inverted_indexes,
    json_lines,
    texts,
)
from works.ingest.fields import clean_text, parse_date
from works.ingest.identifiers import normalize_doi, short_openalex_id
from works.ingest.openalex.normalize import NORMALIZERS, normalize_work
from works.ingest.openalex.snapshot import normalize_line
from works.ingest.records import RecordRejected

# --- the plain readings ----------------------------------------------------


def plain_normalize_line(entity: str, line: bytes) -> Any:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordRejected(f"invalid UTF-8 at byte {exc.start}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordRejected(f"invalid JSON: {exc.msg}") from None
    except ValueError as exc:
        raise RecordRejected(f"invalid JSON: {str(exc).split(';')[0]}") from None
    except RecursionError:
        raise RecordRejected("invalid JSON: nested too deeply") from None
    return NORMALIZERS[entity](raw)


def plain_abstract(index: Any) -> str:
    placed = []
    for word, positions in index.items():
        if not isinstance(positions, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in positions
        ):
            raise RecordRejected(
                "abstract_inverted_index positions are not lists of integers"
            )
        placed.extend((position, word) for position in positions)
    placed.sort()
    return clean_text(" ".join(word for _, word in placed))


PLAIN_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])", re.ASCII)


def plain_parse_date(value: str) -> date:
    match = PLAIN_DATE.match(value)
    if not match:
        raise ValueError(value)
    return date(*(int(part) for part in match.groups()))


PLAIN_OPENALEX_ID = re.compile(
    r"^(?:https?://(?:api\.)?openalex\.org/)?(?:[a-z]+/)?([A-Za-z])(\d{1,30})$",
    re.ASCII,
)


def plain_short_openalex_id(value: str | None, prefix: str) -> str | None:
    if not value:
        return None
    match = PLAIN_OPENALEX_ID.match(value.strip())
    if not match or match.group(1).upper() != prefix:
        return None
    return f"{prefix}{match.group(2)}"


PLAIN_DOI_PREFIXES = re.compile(
    r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE
)


def plain_normalize_doi(value: str | None) -> str | None:
    if not value:
        return None
    doi = PLAIN_DOI_PREFIXES.sub("", value.strip()).lower()
    if not doi.startswith("10.") or "/" not in doi or len(doi) > 255:
        return None
    if any(character.isspace() for character in doi):
        return None
    return doi


def outcome(read, *args) -> tuple[str, Any]:
    try:
        return ("record", read(*args))
    except RecordRejected as exc:
        return ("rejected", exc.reason)
    except ValueError:
        return ("ValueError", None)


# --- lines -------------------------------------------------------------------


@pytest.mark.parametrize("entity", sorted(NORMALIZERS))
@PURE
@given(data=st.data())
def test_any_line_reads_as_the_standard_library_reads_it(entity, data):
    line = data.draw(json_lines(broken_records(entity)))
    assert outcome(normalize_line, entity, line) == outcome(
        plain_normalize_line, entity, line
    )


DEEP = b'{"id": "W1", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}"
LINES = [
    # orjson reads integers past 64 bits as floats: "not an integer" would
    # be the reason instead of "out of range".
    (b'{"id": "W1", "cited_by_count": 100000000000000000000}', "out of range"),
    (b'{"id": "W1", "cited_by_count": -9223372036854775809}', "out of range"),
    (
        b'{"id": "W1", "abstract_inverted_index": {"a": [0], "b": [1e30]}}',
        "not lists of integers",
    ),
    # orjson refuses what the standard library reads.
    (b'{"id": "W1", "topics": [{"id": "T1", "score": NaN}]}', "finite"),
    (b'{"id": "W1", "topics": [{"id": "T1", "score": 1e400}]}', "finite"),
    (b'{"id": "W1", "title": "\\ud800x"}', None),
    (b'{"id": "W1", "title": 1}x', "Extra data"),
    (b'\xef\xbb\xbf{"id": "W1"}', "BOM"),
    (b'{"id": "W1", "title": "\xed\xa0\x80"}', "invalid UTF-8"),
    (DEEP, "nested too deeply"),
    (b'{"id": "W1", "id": "W2"}', None),
]


@pytest.mark.parametrize(("line", "reason"), LINES)
def test_lines_orjson_reads_otherwise_read_as_before(line, reason):
    fast = outcome(normalize_line, "works", line)
    assert fast == outcome(plain_normalize_line, "works", line)
    if reason is None:
        assert fast[0] == "record"
    else:
        assert fast[0] == "rejected" and reason in fast[1]


# --- abstracts ---------------------------------------------------------------

words = st.text(max_size=6) | st.sampled_from(["a", "the", "\x00", "\ud800", ""])


@st.composite
def written_indexes(draw) -> dict:
    """An index as OpenAlex writes one (each position once, from 0, no gap),
    sometimes broken in one place."""
    text = draw(st.lists(words, min_size=1, max_size=40))
    index: dict[str, list] = {}
    for position, word in enumerate(text):
        index.setdefault(word, []).append(position)
    breaking = draw(st.sampled_from([None, "twice", "gap", "negative", "type"]))
    word = draw(st.sampled_from(sorted(index)))
    if breaking == "twice":
        index[word].append(draw(st.integers(0, len(text) - 1)))
    elif breaking == "gap":
        index[word].append(len(text) + draw(st.integers(0, 3)))
    elif breaking == "negative":
        index[word].append(-1)
    elif breaking == "type":
        index[word].append(draw(st.sampled_from([True, 1.0, "1", None, 2**70])))
    return dict(draw(st.permutations(list(index.items()))))


@PURE
@given(index=written_indexes() | inverted_indexes)
def test_an_abstract_is_rebuilt_as_the_sorted_words_were(index):
    def fast(index):
        return normalize_work({"id": "W1", "abstract_inverted_index": index}).abstract

    def plain(index):
        if index is not None and not isinstance(index, dict):
            raise RecordRejected("abstract_inverted_index is not an object")
        return plain_abstract(index) if index else ""

    assert outcome(fast, index) == outcome(plain, index)


# --- fields and identifiers -------------------------------------------------

date_texts = st.one_of(
    st.text(st.sampled_from("0123456789-T :Z+.W٢"), max_size=14),
    st.dates().map(str),
    st.builds(
        "{}{}".format,
        st.dates().map(str),
        st.sampled_from(["T00:00:00", " 1", "\n", "Z", "x", "T"]),
    ),
    texts,
)


@PURE
@given(value=date_texts)
def test_a_date_parses_as_the_pattern_read_it(value):
    assert outcome(parse_date, value) == outcome(plain_parse_date, value)


@PURE
@given(value=ids | st.none(), prefix=st.sampled_from("WAIST"))
def test_an_openalex_id_reads_as_the_pattern_read_it(value, prefix):
    assert short_openalex_id(value, prefix=prefix) == plain_short_openalex_id(
        value, prefix
    )


@PURE
@given(value=st.builds("{}{}".format, st.sampled_from(["10.1/", "doi: 10.1/"]), texts))
def test_a_doi_reads_as_before(value):
    assert normalize_doi(value) == plain_normalize_doi(value)
