"""Field readers for source records: each returns a field's stored form, or
raises ``RecordRejected`` naming the field when its value has the wrong type.

A null or missing field is "the source does not say" and reads as empty; a
value of the wrong type rejects the record rather than storing half of it.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from .identifiers import short_openalex_id
from .records import RecordRejected

INT_MAX = 2**31 - 1  # PostgreSQL integer, the type of every count column
SMALLINT_MAX = 2**15 - 1
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])", re.ASCII)
_ID_KINDS = {"A": "author", "I": "institution", "S": "source", "T": "topic"}


def clean_text(value: str) -> str:
    """PostgreSQL text holds neither NUL nor lone surrogates (which JSON's
    ``\\ud800`` escapes can produce); either would fail a whole COPY batch."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if value.isascii():  # a flag of the string's: no surrogate to look for
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def read_object(value: Any, label: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordRejected(f"{label} is not an object")
    return value


def read_optional_object(parent: dict, key: str, label: str) -> dict[str, Any] | None:
    value = parent.get(key)
    return None if value is None else read_object(value, label)


def read_string(parent: dict, key: str, label: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordRejected(f"{label} is not a string")
    return clean_text(value)


def read_text(
    parent: dict, key: str, label: str, *, max_length: int | None = None
) -> str:
    """Free text (names, titles): clipped to its column rather than lost."""
    value = (read_string(parent, key, label) or "").strip()
    return value[:max_length] if max_length else value


def read_code(parent: dict, key: str, label: str, *, max_length: int) -> str:
    """A code or URL: one that does not fit is wrong, and a clipped URL or
    code would be wrong too, so it is dropped."""
    value = (read_string(parent, key, label) or "").strip()
    return value if len(value) <= max_length else ""


def read_integer(
    parent: dict, key: str, label: str, *, maximum: int = INT_MAX
) -> int | None:
    value = parent.get(key)
    if value is None:
        return None
    # bool is an int in Python, and never a count in OpenAlex.
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordRejected(f"{label} is not an integer")
    if not 0 <= value <= maximum:
        raise RecordRejected(f"{label} is out of range: {value}")
    return value


def read_number(parent: dict, key: str, label: str) -> float:
    value = parent.get(key)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordRejected(f"{label} is not a number")
    try:
        number = float(value)  # an integer of 400 digits is no float
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise RecordRejected(f"{label} is not a finite number")
    return number


def read_boolean(parent: dict, key: str, label: str) -> bool:
    value = parent.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RecordRejected(f"{label} is not a boolean")
    return value


def read_date(parent: dict, key: str, label: str) -> date | None:
    """A date, or the date part of a timestamp (``2025-06-08T21:53:07.72``)."""
    value = read_string(parent, key, label)
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise RecordRejected(f"{label} is not a date: {value[:40]!r}") from None


def parse_date(value: str) -> date:
    """The date of ``2025-06-08`` or of a timestamp starting with it
    (``2025-06-08T21:53:07Z``); ``ValueError`` for anything else."""
    if (
        len(value) >= 10
        and value[4] == value[7] == "-"
        and (len(value) == 10 or value[10] in "T ")
        and value.isascii()
    ):
        # The shape OpenAlex writes, read by C: with its dashes in place, a
        # date fromisoformat takes is one the pattern below takes.
        return date.fromisoformat(value[:10])
    match = _DATE.match(value)
    if not match:
        raise ValueError(value)
    return date(*(int(part) for part in match.groups()))


def read_list(parent: dict, key: str, label: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordRejected(f"{label} is not a list")
    return value


def read_strings(
    parent: dict, key: str, label: str, *, max_length: int | None = None
) -> tuple[str, ...]:
    """A list of strings, cleaned, blanks and repeats dropped, order kept;
    with ``max_length`` (names) also trimmed and clipped to it."""
    values: dict[str, None] = {}
    for index, value in enumerate(read_list(parent, key, label)):
        if value is None:
            continue
        if not isinstance(value, str):
            raise RecordRejected(f"{label}[{index}] is not a string")
        value = clean_text(value)
        if max_length:
            value = value.strip()[:max_length]
        if value.strip():
            values[value] = None
    return tuple(values)


def read_own_id(record: dict, prefix: str) -> str:
    value = record.get("id")
    if value is None or value == "":
        raise RecordRejected("missing id")
    if not isinstance(value, str):
        raise RecordRejected("id is not a string")
    short = short_openalex_id(value, prefix=prefix)
    if short is None:
        raise RecordRejected(f"invalid id: {value[:80]!r}")
    return short


def read_reference(value: Any, prefix: str, label: str) -> str | None:
    """Another entity's id; absent is fine (an unknown reference is skipped
    by the upsert), malformed is not."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordRejected(f"{label} is not a string")
    short = short_openalex_id(value, prefix=prefix)
    if short is None:
        kind = _ID_KINDS[prefix]
        raise RecordRejected(f"{label} is not an OpenAlex {kind} id: {value[:80]!r}")
    return short


def read_record(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RecordRejected("record is not a JSON object")
    return raw


def read_name_of(parent: dict, key: str, label: str) -> str:
    """``display_name`` of a nested object such as a topic's ``field``."""
    nested = read_optional_object(parent, key, label)
    if nested is None:
        return ""
    return read_text(nested, "display_name", f"{label}.display_name", max_length=255)
