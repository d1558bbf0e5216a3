"""Text normalisation shared by the loader (which stores it) and search (which
queries with it), so both sides agree."""

import unicodedata


def normalize_name(value: str) -> str:
    """Lower-case, accent-stripped, whitespace-folded form of a name:
    ``"  José  ÁLVAREZ"`` becomes ``"jose alvarez"``."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())
