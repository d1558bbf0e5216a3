"""The authors of a synthetic snapshot, as arrays of small integers drawn up
front (productivity, lab, names, institutions over time), so that works can
be streamed and only these grow with the number of authors.

Productivity is a Pareto draw, so a few authors write thousands of works at
100,000 works. Authors come in labs of ``LAB_SIZE`` consecutive indices
sharing a topic and an institution: drawing coauthors near the lead
author's index gives a byline its lab mates. A quarter of the authors moved
once, from a previous institution.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable
from random import Random

from works.synthetic_snapshot.identifiers import ID_BASE, draw, orcid_url
from works.synthetic_snapshot.vocabulary import (
    DEPARTMENTS,
    FAMILY_NAMES,
    FREQUENT_FAMILY_NAMES,
    GIVEN_NAMES,
    OPENALEX,
)

LAB_SIZE = 12
# Pareto shape of authors' productivity: smaller is heavier-tailed.
PRODUCTIVITY_SHAPE = 1.6


class People:
    """Authors 0..count-1."""

    def __init__(
        self,
        rng: Random,
        count: int,
        *,
        topic_draw: Callable[[Random], int],
        institution_draw: Callable[[Random], int],
    ):
        self.count = count
        given = list(dict.fromkeys(GIVEN_NAMES.split()))
        family = list(dict.fromkeys(FAMILY_NAMES.split()))
        family_cumulative = list(
            itertools.accumulate(
                5.0 if rank < FREQUENT_FAMILY_NAMES else 1.0
                for rank in range(len(family))
            )
        )
        self.given_names, self.family_names = given, family
        labs = -(-count // LAB_SIZE)
        lab_topic = [topic_draw(rng) for _ in range(labs)]
        lab_institution = [
            -1 if rng.random() < 0.06 else institution_draw(rng) for _ in range(labs)
        ]
        lab_department = [rng.randrange(len(DEPARTMENTS)) for _ in range(labs)]
        self.lab_department = lab_department
        # Running sums of the productivities, for draws.
        self.productivity = array("d")
        self.home_topic = array("i")
        self.home_institution = array("i")
        self.previous_institution = array("i")
        self.switch_year = array("H")
        self.given_index = array("H")
        self.family_index = array("H")
        self.initial_index = array("b")
        self.has_orcid = bytearray(count)
        running = 0.0
        for author in range(count):
            lab = author // LAB_SIZE
            running += rng.paretovariate(PRODUCTIVITY_SHAPE)
            self.productivity.append(running)
            self.home_topic.append(
                lab_topic[lab] if rng.random() < 0.75 else topic_draw(rng)
            )
            roll = rng.random()
            self.home_institution.append(
                lab_institution[lab]
                if roll < 0.85
                else institution_draw(rng)
                if roll < 0.95
                else -1
            )
            has_previous = rng.random() < 0.25
            self.previous_institution.append(
                institution_draw(rng) if has_previous else -1
            )
            self.switch_year.append(rng.randint(2008, 2025))
            self.given_index.append(rng.randrange(len(given)))
            self.family_index.append(draw(rng, family_cumulative))
            self.initial_index.append(rng.randrange(26) if rng.random() < 0.25 else -1)
            self.has_orcid[author] = rng.random() < 0.3

    def draw(self, rng: Random) -> int:
        """An author, drawn by productivity."""
        return draw(rng, self.productivity)

    def openalex_id(self, author: int) -> str:
        return f"{OPENALEX}A{ID_BASE + author + 1}"

    def names(self, author: int) -> tuple[str, str, str]:
        """Given name, middle initial ("" when none) and family name."""
        initial = self.initial_index[author]
        return (
            self.given_names[self.given_index[author]],
            "" if initial < 0 else chr(65 + initial),
            self.family_names[self.family_index[author]],
        )

    def display_name(self, author: int) -> str:
        given, initial, family = self.names(author)
        return f"{given} {initial}. {family}" if initial else f"{given} {family}"

    def orcid(self, author: int) -> str | None:
        return orcid_url(author) if self.has_orcid[author] else None

    def embedded(self, author: int) -> dict:
        """The author as works embed them."""
        return {
            "id": self.openalex_id(author),
            "display_name": self.display_name(author),
            "orcid": self.orcid(author),
        }

    def raw_name(self, author: int, variant: int) -> str:
        """The name as one work prints it: mostly the display name, one in
        ten times abbreviated, one in ten family name first."""
        given, _, family = self.names(author)
        if variant == 7:
            return f"{given[0]}. {family}"
        if variant == 8:
            return f"{family}, {given}"
        return self.display_name(author)

    def institution_at(self, author: int, year: int) -> int:
        """The author's institution in ``year`` (-1: none)."""
        previous = self.previous_institution[author]
        if previous >= 0 and year < self.switch_year[author]:
            return previous
        return self.home_institution[author]

    def department(self, author: int) -> str:
        return DEPARTMENTS[self.lab_department[author // LAB_SIZE]]
