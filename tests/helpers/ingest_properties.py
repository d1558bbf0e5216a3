"""Hypothesis strategies for broken source records, and the check that a
normalized record can be stored as it is, for the property tests of the
source adapters (``tests/works/ingest/**/test_*_properties.py``).

Records are broken the ways sources break them: a recorded OpenAlex record
with fields deleted, nulled, or replaced by any JSON value (wrong types,
huge strings and numbers, NUL bytes, lone surrogates, markup and LaTeX,
malformed ids and inverted indexes); snapshot lines that are not JSON at
all; arXiv Atom entries built from random parts.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.core.exceptions import FieldDoesNotExist
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from profiles.models import Researcher, ResearcherTopic
from tests.helpers.snapshot import (
    AUTHOR_2023_LINE,
    author_priem,
    record,
    work_arxiv_preprint,
    work_state_of_oa,
    work_with_arxiv_location,
)
from works.ingest.records import (
    AuthorRecord,
    AuthorshipRecord,
    InstitutionRecord,
    ResearcherTopicLink,
    SourceRecord,
    TopicRecord,
    WorkRecord,
    WorkTopicLink,
    YearCitations,
)
from works.models import Authorship, Institution, Source, Topic, Work, WorkTopic

# Steady in CI: the same examples on every run (no example database).
PURE = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DATABASE_BACKED = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- text -----------------------------------------------------------------------

# What breaks text columns and keys: NUL (PostgreSQL text refuses it), lone
# surrogates (JSON's "\ud800" escapes make them; UTF-8 cannot encode them),
# characters whose upper or lower case is longer ("ß", "İ", "ŉ"), digits
# that are not ASCII ("٢", "²"), invisible ones, markup and LaTeX, and the
# pieces identifiers are made of.
SPECIALS = [
    "\x00",
    "\ud800",
    "\udfff",
    "\ud83d",
    "é",
    "ß",
    "İ",
    "ŉ",
    "٢",
    "²",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\n",
    "\t",
    " ",
    "<i>",
    "</i>",
    "<sup>2</sup>",
    "<script>alert(1)</script>",
    "$\\alpha$",
    "\\textbf{",
    "}",
    "&amp;",
    "&",
    "https://openalex.org/",
    "W",
    "A",
    "I",
    "S",
    "T",
    "10.",
    "/",
    "0000-0002-1825-0097",
    "arXiv:",
    "2401.12345",
    "hep-th/9901001",
    "v2",
]

any_characters = st.characters(exclude_categories=[])
texts = st.one_of(
    st.text(any_characters, max_size=20),
    st.lists(
        st.one_of(st.sampled_from(SPECIALS), st.text(any_characters, max_size=4)),
        max_size=8,
    ).map("".join),
    # Huge: a column's length and more.
    st.builds(
        lambda piece, length: (piece * length)[:length],
        st.sampled_from(["x", "é ", "\x00", "<b>", "W1", "ß"]),
        st.sampled_from([501, 1001, 70_000]),
    ),
)

# Identifiers, malformed mostly: wrong letter, non-ASCII digits, too long,
# URLs of other entities, ids inside longer strings.
ids = st.one_of(
    st.sampled_from(
        [
            "",
            "W",
            "W0",
            "https://openalex.org/",
            "https://openalex.org/W",
            "https://openalex.org/works/W12",
            "https://api.openalex.org/W12",
            "W" + "9" * 30,
            "W" + "9" * 31,
            "W٢٣",
            "W²",
            "w12",
            " W12 ",
            "W12 ",
            "A12",
            "I12",
            "S12",
            "T12",
            "W-12",
            "W12.5",
            "evilW12",
            "https://example.org/W12",
        ]
    ),
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["", "https://openalex.org/", "http://openalex.org/"]),
        st.sampled_from("WAISTwaistX"),
        st.integers(0, 10**35).map(str),
    ),
    texts,
)

# --- JSON -----------------------------------------------------------------------

integers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([-1, 0, 1, 2**15, 2**31 - 1, 2**31, 2**63, 10**30, 10**400]),
)
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    integers,
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
    ids,
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(texts, st.sampled_from(["id", "display_name"])),
            children,
            max_size=4,
        ),
    ),
    max_leaves=10,
)
# OpenAlex's abstract form (word -> positions), broken: positions that are
# not lists, not integers, negative, booleans, huge; words that are markup,
# NUL, surrogates.
inverted_indexes = st.one_of(
    st.dictionaries(
        texts,
        st.one_of(
            st.lists(st.integers(0, 60), max_size=4),
            st.lists(
                st.one_of(integers, st.booleans(), st.floats(), texts), max_size=3
            ),
            json_values,
        ),
        max_size=6,
    ),
    json_values,
)


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """The path to every value inside ``value`` (dict keys, list indexes)."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        path = (*prefix, key)
        yield path
        yield from paths(child, path)


@st.composite
def broken(draw: st.DrawFn, base: dict, *, id_prefix: str = "") -> Any:
    """``base`` (a recorded record) broken in one to six places: a value
    deleted, nulled, or replaced by any JSON value, text, id or inverted
    index. Now and then the whole record is replaced by any JSON value."""
    if draw(st.integers(0, 19)) == 0:
        return draw(json_values)
    raw = copy.deepcopy(base)
    if id_prefix:
        # A few ids, the recorded one among them: records of one id meet in a
        # batch, and one may be stored already.
        raw["id"] = draw(
            st.sampled_from(
                [
                    raw["id"],
                    *(f"https://openalex.org/{id_prefix}{n}" for n in (1, 2, 3)),
                ]
            )
        )
    if draw(st.integers(0, 9)) == 0:
        raw["id"] = draw(st.none() | ids)
    for _ in range(draw(st.integers(0, 6))):
        # Not the id, else (the first path, where hypothesis shrinks to)
        # most examples would test its absence only.
        found = [path for path in paths(raw) if path != ("id",)]
        if not found:
            break
        path = draw(st.sampled_from(found))
        parent = raw
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(
            st.sampled_from(["delete", "none", "value", "text", "id", "index"])
        )
        if action == "delete":
            del parent[key]
        elif action == "none":
            parent[key] = None
        elif action == "value":
            parent[key] = draw(json_values)
        elif action == "text":
            parent[key] = draw(texts)
        elif action == "id":
            parent[key] = draw(ids)
        else:
            raw["abstract_inverted_index"] = draw(inverted_indexes)
    return raw


def recorded_bases() -> dict[str, list[dict]]:
    """Recorded records of each entity, to break."""
    state_of_oa = work_state_of_oa()
    priem = author_priem()
    return {
        "works": [state_of_oa, work_arxiv_preprint(), work_with_arxiv_location()],
        "authors": [priem, json.loads(AUTHOR_2023_LINE)],
        "institutions": [
            record("I27837315.json"),
            state_of_oa["authorships"][0]["institutions"][0],
        ],
        "sources": [state_of_oa["primary_location"]["source"]],
        "topics": [record("T11636.json"), *state_of_oa["topics"]],
    }


def broken_records(entity: str, *, id_prefix: str = "") -> st.SearchStrategy[Any]:
    return st.sampled_from(recorded_bases()[entity]).flatmap(
        lambda base: broken(base, id_prefix=id_prefix)
    )


@st.composite
def json_lines(draw: st.DrawFn, raws: st.SearchStrategy[Any]) -> bytes:
    """One snapshot line: a record as JSON (ASCII-escaped, or UTF-8 where a
    lone surrogate becomes bytes no UTF-8 reader takes), or a line that is
    not JSON, or JSON that is no object."""
    kind = draw(st.integers(0, 9))
    if kind <= 6:
        raw = draw(raws)
        if kind <= 3:
            return json.dumps(raw).encode("ascii")
        return json.dumps(raw, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if kind == 7:
        whole = json.dumps(draw(raws)).encode("ascii")
        return whole[: draw(st.integers(0, max(0, len(whole) - 1)))]
    return draw(
        st.sampled_from(
            [
                b"[]",
                b"null",
                b"1",
                b'"W1"',
                b"NaN",
                b"{}",
                b'{"id": null}',
                b"[" * 100_000,
                b'{"id": "W1", "cited_by_count": ' + b"9" * 5000 + b"}",
                b'{"id": "W1", "title": "\\ud800\\u0000"}',
                b"\xff\xfe{}",
                b'{"id": "W1"} trailing',
            ]
        )
        | st.binary(max_size=40).filter(lambda line: b"\n" not in line)
    )


# --- arXiv -------------------------------------------------------------------

# Characters XML 1.0 allows (no NUL, no other C0 control, no surrogate, no
# U+FFFE/U+FFFF), escaped as text.
xml_characters = st.characters(
    exclude_categories=["Cs"], exclude_characters=["\ufffe", "\uffff"]
).filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20)
xml_texts = st.one_of(
    st.text(xml_characters, max_size=30),
    st.lists(
        st.one_of(
            st.sampled_from([s for s in SPECIALS if s.isprintable() or s in "\n\t"]),
            st.text(xml_characters, max_size=4),
        ),
        max_size=8,
    ).map("".join),
    st.sampled_from(["x" * 100_000, "  \n  ", "Title\n   wrapped\n   here"]),
)
arxiv_ids = st.one_of(
    st.sampled_from(
        [
            "http://arxiv.org/abs/2401.12345v2",
            "https://arxiv.org/abs/2401.12345",
            "http://arxiv.org/abs/hep-th/9901001v1",
            "http://arxiv.org/abs/math.AG/0309136",
            "http://arxiv.org/abs/٢٤٠١.١٢٣٤٥",
            "http://arxiv.org/abs/2401.123",
            "http://arxiv.org/abs/",
            "http://arxiv.org/abs/2401.12345v2/extra",
            "http://example.org/abs/2401.12345",
            "2401.12345",
            "",
        ]
    ),
    st.builds(
        "http://arxiv.org/abs/{}.{}{}".format,
        st.integers(0, 99999).map("{:04d}".format),
        st.integers(0, 999999).map(str),
        st.sampled_from(["", "v1", "v12", "vx"]),
    ),
    xml_texts,
)
xml_dates = st.one_of(
    st.dates().map(lambda day: f"{day.isoformat()}T12:00:00Z"),
    st.sampled_from(["", "2024-02-30T00:00:00Z", "0000-01-01", "٢٠٢٤-٠١-٠١", "soon"]),
    xml_texts,
)


def _element(name: str, text: str | None) -> str:
    return "" if text is None else f"<{name}>{escape(text)}</{name}>"


@st.composite
def atom_entries(draw: st.DrawFn) -> str:
    """An Atom ``<entry>`` of random parts, any of them missing or wrong."""
    maybe = st.none() | st.just(True)
    parts = [
        _element("id", draw(st.none() | arxiv_ids)),
        _element("title", draw(st.none() | xml_texts)),
        _element("summary", draw(st.none() | xml_texts)),
        _element("published", draw(st.none() | xml_dates)),
        _element("updated", draw(st.none() | xml_dates)),
    ]
    if draw(maybe):
        parts.append(_element("arxiv:doi", draw(xml_texts)))
    for _ in range(draw(st.integers(0, 4))):
        affiliations = "".join(
            _element("arxiv:affiliation", text)
            for text in draw(st.lists(xml_texts, max_size=2))
        )
        name = _element("name", draw(st.none() | xml_texts))
        parts.append(f"<author>{name}{affiliations}</author>")
    for _ in range(draw(st.integers(0, 2))):
        href, title = draw(xml_texts), draw(st.sampled_from(["pdf", "doi", ""]))
        parts.append(f"<link href={quoteattr(href)} title={quoteattr(title)}/>")
    if draw(maybe):
        # Markup inside a text element: its text stops at the child.
        parts.append("<title>Before <b>bold</b> after</title>")
    parts = draw(st.permutations(parts))
    return f"<entry>{''.join(parts)}</entry>"


# --- the check --------------------------------------------------------------------

INT_MAX = 2**31 - 1
_ARXIV_ID = r"[0-9]{4}\.[0-9]{4,5}|[a-z][a-z\-]*(?:\.[A-Za-z\-]{2,})?/[0-9]{7}"
_MODELS: dict[type, tuple[type, ...]] = {
    InstitutionRecord: (Institution,),
    SourceRecord: (Source,),
    TopicRecord: (Topic,),
    AuthorRecord: (Researcher,),
    WorkRecord: (Work,),
    AuthorshipRecord: (Authorship,),
    WorkTopicLink: (WorkTopic,),
    ResearcherTopicLink: (ResearcherTopic,),
    YearCitations: (),
}
_ID_PREFIX = {
    "author_id": "A",
    "source_id": "S",
    "topic_id": "T",
    "institution_ids": "I",
    "last_known_institution_ids": "I",
}
_OWN_PREFIX = {
    InstitutionRecord: "I",
    SourceRecord: "S",
    TopicRecord: "T",
    AuthorRecord: "A",
    WorkRecord: "W",
}


def _check_text(value: str, where: str) -> None:
    assert "\x00" not in value, f"{where} holds a NUL"
    value.encode("utf-8")  # raises on a lone surrogate


def _max_length(models: tuple[type, ...], name: str) -> int | None:
    for model in models:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        base = getattr(field, "base_field", field)
        return getattr(base, "max_length", None)
    return None


def assert_storable(value: Any, where: str = "record") -> None:
    """``value`` (a normalized record) fits the columns it is written to:
    no NUL or lone surrogate in any string, no string longer than its
    column, counts within their integer columns, every id in its stored,
    ASCII form; nested records checked the same way."""
    kind = type(value)
    models = _MODELS[kind]
    for item in dataclasses.fields(value):
        name, field_value = item.name, getattr(value, item.name)
        label = f"{where}.{name}"
        values = field_value if isinstance(field_value, tuple) else (field_value,)
        for element in values:
            if element is None:
                continue
            if dataclasses.is_dataclass(element):
                assert_storable(element, label)
                continue
            if isinstance(element, str):
                _check_text(element, label)
                limit = _max_length(models, name)
                assert limit is None or len(element) <= limit, (
                    f"{label} is {len(element)} long, its column {limit}"
                )
                prefix = _ID_PREFIX.get(name)
                if name == "openalex_id":
                    prefix = _OWN_PREFIX[kind]
                if prefix:
                    assert re.fullmatch(rf"{prefix}[0-9]{{1,30}}", element), label
            elif isinstance(element, bool):
                pass
            elif isinstance(element, int):
                assert 0 <= element <= INT_MAX, f"{label} = {element}"
            elif isinstance(element, float):
                assert element == element and abs(element) != float("inf"), label
            elif isinstance(element, date):
                assert 1 <= element.year <= 9999, label
    if kind is WorkRecord:
        assert value.author_count == len(value.authorships)
        assert [a.position for a in value.authorships] == list(
            range(len(value.authorships))
        )
        assert value.publication_year is None or value.publication_year <= 2**15 - 1
        assert value.arxiv_id is None or re.fullmatch(_ARXIV_ID, value.arxiv_id)
        assert value.doi is None or (
            value.doi.startswith("10.") and not re.search(r"\s", value.doi)
        )
    if kind is AuthorRecord and value.orcid is not None:
        assert re.fullmatch(r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]", value.orcid)
    if kind is InstitutionRecord:
        assert value.ror is None or re.fullmatch(r"0[0-9a-z]{6}[0-9]{2}", value.ror)
