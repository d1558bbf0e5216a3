"""Identifiers of synthetic records, and the few draws every part of the
generator shares.

The identifiers are well-formed (check digits right) but in ranges the real
registries have not issued, and depend on a record's index only.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from bisect import bisect
from random import Random

# OpenAlex ids of the synthetic records: a number range OpenAlex has not
# issued (its ids stay below 6 * 10**9), the same for every seed.
ID_BASE = 9_000_000_000
TOPIC_ID_BASE = 9_000_000
# OpenAlex's real records of arXiv, PubMed and their hosts (reduced).
ARXIV_SOURCE_ID = "S4306400194"
PUBMED_SOURCE_ID = "S4306525036"
CORNELL_ID = "I205783295"
NIH_ID = "I1299303238"
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def zipf_cumulative(count: int, exponent: float = 1.0) -> list[float]:
    """Cumulative Zipf weights of ranks 1..count, for ``bisect`` draws."""
    return list(
        itertools.accumulate(1 / rank**exponent for rank in range(1, count + 1))
    )


def draw(rng: Random, cumulative) -> int:
    """An index drawn with the weights whose running sums are ``cumulative``."""
    return bisect(cumulative, rng.random() * cumulative[-1])


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")


def ror_url(number: int) -> str:
    """A well-formed ROR id (ISO 7064 mod 97-10 check digits) in a block of
    its own: ``0by`` and four base-32 characters."""
    body = "by" + "".join(CROCKFORD[(number >> shift) & 31] for shift in (15, 10, 5, 0))
    value = 0
    for character in body:
        value = value * 32 + CROCKFORD.index(character)
    return f"https://ror.org/0{body}{98 - (value * 100) % 97:02d}"


def orcid_url(number: int) -> str:
    """A well-formed ORCID iD (ISO 7064 11-2 check digit) in the block
    ``0000-0000-…``, which ORCID never issues."""
    digits = f"00000000{number:07d}"
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    full = digits + ("X" if check == 10 else str(check))
    return f"https://orcid.org/{full[:4]}-{full[4:8]}-{full[8:12]}-{full[12:]}"


def issn(seven: str) -> str:
    weights = range(8, 1, -1)
    check = (
        11 - sum(int(d) * w for d, w in zip(seven, weights, strict=True)) % 11
    ) % 11
    return f"{seven[:4]}-{seven[4:]}{'X' if check == 10 else check}"
