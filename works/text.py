"""Text keys of the catalog, shared by the upsert path (which stores them)
and their readers (version grouping matches titles, search matches names),
so both sides agree."""

from __future__ import annotations

import re
import unicodedata

TITLE_KEY_MAX_LENGTH = 300

# OpenAlex keeps inline markup in titles ("<i>In vivo</i> imaging"), which
# the arXiv record of the same paper does not have.
_MARKUP = re.compile(r"<[^>]{1,40}>")
# An apostrophe joins ("Newton's" and "Newtons" are one key); every other
# character that is not a letter or a digit separates words ("open-source"
# and "open source" are one key too).
_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_SEPARATORS = re.compile(r"[\W_]+")


def title_key(title: str | None) -> str:
    """The key under which versions of one work are found: ``title`` lower
    case, without markup, accents or punctuation, words separated by single
    spaces, at most ``TITLE_KEY_MAX_LENGTH`` characters.
    ``"<i>Über</i> Open-Source LLMs: a Survey"`` becomes
    ``"uber open source llms a survey"``; an empty title gives ``""``."""
    text = _MARKUP.sub(" ", title or "")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _SEPARATORS.sub(" ", _APOSTROPHES.sub("", stripped.casefold()))
    return " ".join(words.split())[:TITLE_KEY_MAX_LENGTH].rstrip()


def normalize_name(value: str) -> str:
    """Lower-case, accent-stripped, whitespace-folded form of a name:
    ``"  José  ÁLVAREZ"`` becomes ``"jose alvarez"``."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())
