"""Abstracts of synthetic works, as OpenAlex's inverted index keeps them
(punctuation on the word, capitals at the start of a sentence).

Drawn where a work is rendered, from the seed its plan carries (the words
feed no count), so plans stay small on their way to worker processes and an
article and its preprint, which share the seed, share the abstract.
"""

from __future__ import annotations

import itertools
import sys
from array import array
from bisect import bisect
from random import Random

from works.synthetic_snapshot.vocabulary import (
    ABSTRACT_COMMON,
    ABSTRACT_UNCOMMON,
    FIELDS,
    Field,
)

WORDS_MEAN, WORDS_SD, WORDS_MIN, WORDS_MAX = 200, 45, 60, 420
URN_SIZE = 1 << 12
URN_MASK = URN_SIZE - 1


class Abstracts:
    def __init__(self):
        self.rng = Random()  # noqa: S311 (reseeded per work: reproducible data)
        content = [
            word.lower()
            for subject in FIELDS
            for term in subject.terms
            for word in term.split()
        ]
        self.urns = [_urn(subject, content) for subject in FIELDS]

    def words(self, seed: int, field_index: int) -> list[str]:
        """About 200 words (normally spread, 60 to 420) drawn Zipf-like from
        the field's vocabulary, in sentences of 12 to 28 words."""
        rng = self.rng
        rng.seed(seed)
        urn = self.urns[field_index]
        length = max(WORDS_MIN, min(WORDS_MAX, round(rng.gauss(WORDS_MEAN, WORDS_SD))))
        # Two random bytes a word, read little-endian on any machine.
        slots = array("H", rng.randbytes(2 * length))
        if sys.byteorder == "big":
            slots.byteswap()
        drawn = [urn[slot & URN_MASK] for slot in slots]
        uniform = rng.random
        position = 0
        while position < length:
            end = min(length, position + 12 + int(uniform() * 17))
            drawn[position] = drawn[position].capitalize()
            if end - position > 8:
                comma = position + 3 + int(uniform() * (end - position - 5))
                drawn[comma] += ","
            drawn[end - 1] += "."
            position = end
        return drawn


def _urn(subject: Field, content_words: list[str]) -> list[str]:
    """A field's abstract words as an urn of ``URN_SIZE`` slots, each word in
    as many slots as its weight: half the words are common ones (Zipf-like,
    "the" about 7%), half content words, the field's own three times as
    often as the others. Drawing from an urn costs two random bytes a word."""
    common = ABSTRACT_COMMON.split()
    own = list(dict.fromkeys(w.lower() for t in subject.terms for w in t.split()))
    content = list(dict.fromkeys([*ABSTRACT_UNCOMMON.split(), *content_words]))
    content = [word for word in content if word not in own]
    ranked = [1 / rank**0.85 for rank in range(1, len(common) + 1)]
    flat = [3.0] * len(own) + [1.0] * len(content)
    weights = [0.5 * w / sum(ranked) for w in ranked]
    weights += [0.5 * w / sum(flat) for w in flat]
    words = [*common, *own, *content]
    cumulative = list(itertools.accumulate(weights))
    return [
        words[min(len(words) - 1, bisect(cumulative, (slot + 0.5) / URN_SIZE))]
        for slot in range(URN_SIZE)
    ]


def inverted_index(words: list[str]) -> dict[str, list[int]]:
    """Each word with its positions, in order of first appearance."""
    index: dict[str, list[int]] = {}
    for position, word in enumerate(words):
        positions = index.get(word)
        if positions is None:
            index[word] = [position]
        else:
            positions.append(position)
    return index
