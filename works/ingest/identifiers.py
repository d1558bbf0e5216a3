"""Identifiers in their stored form, shared by every source adapter.

Each function takes what a source wrote (full URL, prefixed or bare) and
returns the stored form, or ``None`` when the value is absent or is not a
well-formed identifier of its kind: a malformed identifier must never become a
unique key that a later, correct record collides with.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Every pattern is ASCII: ``\d`` would otherwise take any Unicode digit, and
# "W٢٣" would become a unique key no source ever writes again.
_OPENALEX_ID = re.compile(
    r"^(?:https?://(?:api\.)?openalex\.org/)?(?:[a-z]+/)?([A-Za-z])(\d{1,30})$",
    re.ASCII,
)
_OPENALEX_URL = "https://openalex.org/"
# What str.isspace() calls whitespace (Unicode's), in one search.
_WHITESPACE = re.compile(r"\s")
_DOI_PREFIXES = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
# The whole value is the iD, bare or as its orcid.org URL: an iD found inside
# a longer string ("evil0000-…", "https://example.org/0000-…") is not one,
# since an ORCID iD is identity evidence for claims.
_ORCID = re.compile(
    r"^(?:HTTPS?://(?:WWW\.|SANDBOX\.)?ORCID\.ORG/)?"
    r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])/?$",
    re.ASCII,
)
# An ORCID iD as a person writes it: bare or as its URL, in groups of four.
_ORCID_WRITTEN = re.compile(
    r"^(?:https?://(?:www\.)?orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]$",
    re.IGNORECASE | re.ASCII,
)
# ROR ids: a zero, six Crockford base-32 characters, two check digits.
_ROR = re.compile(r"^(?:https?://ror\.org/)?(0[0-9a-hjkmnp-tv-z]{6}\d{2})$", re.ASCII)
# New-style arXiv ids (0704.0001 onwards) and old-style ones (hep-th/9901001,
# math.AG/0309136), each with an optional version suffix that we drop: the
# stored id names the paper, not one of its versions.
_ARXIV_ID = re.compile(
    r"^(\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Za-z\-]{2,})?/\d{7})(?:v\d+)?$",
    re.ASCII,
)
# arXiv's DataCite DOIs: the prefix, then the id.
ARXIV_DOI_PREFIX = "10.48550/arxiv."
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$")
_ARXIV_URL = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/abs/([^?#]+?)/?$")
_ARXIV_PREFIX = re.compile(r"^(?:https?://(?:www\.)?arxiv\.org/abs/|arxiv:)", re.I)


def short_openalex_id(value: str | None, *, prefix: str) -> str | None:
    """``"https://openalex.org/W123"`` (or ``"W123"``, ``"w123"``) as
    ``"W123"`` when its letter is ``prefix``; otherwise ``None``."""
    if not value:
        return None
    # The common spellings, "https://openalex.org/W123" and "W123", read
    # without the pattern (which takes them too).
    short = value.removeprefix(_OPENALEX_URL)
    digits = short[1:]
    if short[:1] == prefix and digits.isascii() and digits.isdigit():
        return short if len(digits) <= 30 else None
    match = _OPENALEX_ID.match(value.strip())
    if not match or match.group(1).upper() != prefix:
        return None
    return f"{prefix}{match.group(2)}"


def normalize_doi(value: str | None) -> str | None:
    """A DOI lower-cased, without ``https://doi.org/`` or ``doi:``. DOIs are
    case-insensitive by definition, so the lower-cased form is the key."""
    if not value:
        return None
    doi = _DOI_PREFIXES.sub("", value.strip()).lower()
    if not doi.startswith("10.") or "/" not in doi or len(doi) > 255:
        return None
    if _WHITESPACE.search(doi):
        return None
    return doi


def normalize_orcid(value: str | None) -> str | None:
    """An ORCID iD as ``0000-0002-1825-0097``, only when its ISO 7064 11-2
    check digit is right: the iD is identity evidence for claims."""
    if not value:
        return None
    match = _ORCID.match(value.strip().upper())
    if not match:
        return None
    digits = "".join(match.groups())
    total = 0
    for digit in digits[:-1]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    if digits[-1] != ("X" if check == 10 else str(check)):
        return None
    return "-".join(match.groups())


def is_orcid_written(value: str) -> bool:
    """True when ``value`` is written as an ORCID iD (``0000-0002-1825-0097``
    or its ``https://orcid.org/`` URL), check digit aside: a form tells a
    mistyped iD apart from one whose check digit is wrong
    (``normalize_orcid`` is None for both)."""
    return bool(_ORCID_WRITTEN.match(value.strip()))


def normalize_ror(value: str | None) -> str | None:
    """A ROR id without ``https://ror.org/``: ``05qghxh33``."""
    if not value:
        return None
    match = _ROR.match(value.strip().lower())
    return match.group(1) if match else None


def normalize_arxiv_id(value: str | None) -> str | None:
    """An arXiv id as arXiv names the paper, without ``arXiv:``, URL or
    version: ``"arXiv:2007.14454v2"`` becomes ``"2007.14454"``."""
    if not value:
        return None
    candidate = _ARXIV_PREFIX.sub("", value.strip()).strip("/")
    match = _ARXIV_ID.match(candidate)
    if not match or len(match.group(1)) > 64:
        return None
    return match.group(1)


def arxiv_id_from_doi(doi: str | None) -> str | None:
    """The arXiv id inside an arXiv DataCite DOI (``10.48550/arxiv.<id>``)."""
    match = _ARXIV_DOI.match(doi or "")
    return normalize_arxiv_id(match.group(1)) if match else None


def arxiv_id_from_url(url: str | None) -> str | None:
    """The arXiv id of an ``arxiv.org/abs/<id>`` landing page."""
    match = _ARXIV_URL.match((url or "").strip())
    return normalize_arxiv_id(match.group(1)) if match else None


def domain_from_url(url: str | None) -> str:
    """The host of a homepage without a leading ``www.``: the e-mail domain
    that claim verification compares with."""
    if not url:
        return ""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host if len(host) <= 255 else ""
