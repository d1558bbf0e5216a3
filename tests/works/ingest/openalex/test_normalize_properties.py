"""Properties of the OpenAlex normalizers (hypothesis): whatever a record
holds (recorded records broken in random places, any JSON value, lines that
are no JSON), a normalizer returns a record that fits its columns, or
rejects it with a reason; it never raises anything else. No database."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.ingest_properties import (
    PURE,
    assert_storable,
    broken_records,
    inverted_indexes,
    json_lines,
    json_values,
    texts,
)
from works.ingest.fields import clean_text
from works.ingest.openalex.normalize import NORMALIZERS, normalize_work
from works.ingest.openalex.snapshot import normalize_line
from works.ingest.records import RecordRejected

ENTITIES = sorted(NORMALIZERS)


def normalized_or_rejected(entity: str, raw) -> object | None:
    """The record, checked storable; None when rejected with a reason."""
    try:
        record = NORMALIZERS[entity](raw)
    except RecordRejected as exc:
        assert isinstance(exc.reason, str) and exc.reason.strip()
        return None
    assert_storable(record)
    return record


@pytest.mark.parametrize("entity", ENTITIES)
@PURE
@given(data=st.data())
def test_a_broken_record_is_normalized_or_rejected(entity, data):
    normalized_or_rejected(entity, data.draw(broken_records(entity)))


@pytest.mark.parametrize("entity", ENTITIES)
@PURE
@given(raw=json_values)
def test_any_json_value_is_normalized_or_rejected(entity, raw):
    normalized_or_rejected(entity, raw)


@pytest.mark.parametrize("entity", ENTITIES)
@PURE
@given(data=st.data())
def test_any_snapshot_line_is_normalized_or_rejected(entity, data):
    line = data.draw(json_lines(broken_records(entity)))
    try:
        record = normalize_line(entity, line)
    except RecordRejected as exc:
        assert exc.reason.strip()
    else:
        assert_storable(record)


@PURE
@given(title=texts, abstract_words=st.lists(texts, max_size=5))
def test_titles_and_abstracts_are_kept_verbatim_markup_and_latex_included(
    title, abstract_words
):
    index: dict[str, list[int]] = {}
    for position, word in enumerate(abstract_words):
        index.setdefault(word, []).append(position)
    raw = {"id": "W1", "title": title, "abstract_inverted_index": index}

    record = normalize_work(raw)

    assert_storable(record)
    # Only what PostgreSQL cannot hold goes: NUL, lone surrogates.
    assert record.title == clean_text(title).strip()
    assert record.abstract == clean_text(" ".join(abstract_words))


@PURE
@given(index=inverted_indexes)
def test_a_broken_inverted_index_rejects_the_work_with_its_reason(index):
    try:
        record = normalize_work({"id": "W1", "abstract_inverted_index": index})
    except RecordRejected as exc:
        assert exc.reason in (
            "abstract_inverted_index is not an object",
            "abstract_inverted_index positions are not lists of integers",
        )
    else:
        assert_storable(record)
        # Every word it places is in the abstract, in position order.
        placed = sorted(
            (position, word)
            for word, positions in (index or {}).items()
            for position in positions
        )
        assert record.abstract == clean_text(" ".join(word for _, word in placed))


@PURE
@given(
    authorships=st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "author": json_values
                    | st.fixed_dictionaries({"id": texts, "display_name": texts}),
                    "raw_author_name": json_values | texts,
                    "author_position": texts,
                    "is_corresponding": json_values,
                    "institutions": st.lists(
                        st.fixed_dictionaries({"id": texts}) | json_values, max_size=3
                    )
                    | json_values,
                    "raw_affiliation_strings": st.lists(texts, max_size=3)
                    | json_values,
                },
            ),
        ),
        max_size=6,
    )
)
def test_malformed_authorships_reject_the_work_or_keep_every_slot(authorships):
    record = normalized_or_rejected(
        "works", {"id": "W1", "title": "t", "authorships": authorships}
    )
    if record is not None:
        # No slot dropped, none added: the byline is the record's.
        assert len(record.authorships) == len(authorships) == record.author_count


def test_the_recorded_records_themselves_normalize():
    """The bases the properties break are valid as recorded (else every
    broken one would only test the first rejection)."""
    from tests.helpers.ingest_properties import recorded_bases

    for entity, raws in recorded_bases().items():
        for raw in raws:
            assert normalized_or_rejected(entity, json.loads(json.dumps(raw)))


# What the properties found, kept as examples: each crashed a normalizer, or
# made a record its columns refuse (the whole batch's COPY failing with it),
# or took a malformed id for a unique key.
FOUND = [
    # "ß".upper() is "SS": a code of two characters became three.
    (
        "institutions",
        {"id": "I1", "display_name": "x", "country_code": "ßx"},
        {"country_code": ""},
    ),
    ("institutions", {"id": "I1", "country_code": "gb"}, {"country_code": "GB"}),
    # Digits that are not ASCII are digits to re's \d and to int().
    ("works", {"id": "W٢٣"}, "invalid id: 'W٢٣'"),
    (
        "works",
        {"id": "W1", "publication_date": "٢٠٢٥-٠١-٠١"},
        "publication_date is not a date: '٢٠٢٥-٠١-٠١'",
    ),
    (
        "works",
        {"id": "W1", "authorships": [{"author": {"id": "A١"}}]},
        "authorships[0].author.id is not an OpenAlex author id: 'A١'",
    ),
    # An integer of 401 digits is no float: OverflowError, not a rejection.
    (
        "works",
        {"id": "W1", "topics": [{"id": "T1", "score": 10**400}]},
        "topics[0].score is not a finite number",
    ),
]


@pytest.mark.parametrize(("entity", "raw", "expected"), FOUND)
def test_records_the_properties_found(entity, raw, expected):
    if isinstance(expected, str):
        with pytest.raises(RecordRejected) as rejected:
            NORMALIZERS[entity](raw)
        assert rejected.value.reason == expected
    else:
        record = normalized_or_rejected(entity, raw)
        assert {name: getattr(record, name) for name in expected} == expected


def test_a_line_with_a_number_python_will_not_read_is_rejected():
    line = b'{"id": "W1", "cited_by_count": ' + b"9" * 5000 + b"}"

    with pytest.raises(RecordRejected) as rejected:
        normalize_line("works", line)

    assert rejected.value.reason == (
        "invalid JSON: Exceeds the limit (4300 digits) for integer string "
        "conversion: value has 5000 digits"
    )
