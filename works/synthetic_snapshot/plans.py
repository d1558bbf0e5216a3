"""What each work of a synthetic snapshot is, drawn one at a time: its team
and their institutions, topics, year, type, venue, identifiers and citations
(``WorkPlan``): everything the counts of authors, institutions, venues and
topics add up. ``records`` turns a plan into OpenAlex's JSON.

The shapes of the distributions:

- **team sizes**: mostly 2 to 8 authors (a tenth alone), a Pareto tail to
  99; one work in 500 (at least one per snapshot) has 101 to 1,000 authors
  and one in 50,000 has 1,000 to 3,162, drawn from a consortium block of
  authors as physics collaborations are;
- **bylines**: the lead author drawn by productivity; each coauthor either
  near the lead's index (lab mates: the same labs meet again) or by
  productivity; until every author has a work, each work takes one author
  in index order (never more than its team size);
- **citations**: lognormal, growing with age, zero for many recent works,
  with a rare Pareto blockbuster; spread over the years since publication;
- **arXiv**: per field (physics, mathematics, computer science most): a
  preprint known only from arXiv (DOI ``10.48550/arxiv.<id>``), of which a
  third is published later as a work of its own with the same title and
  byline (half of those carry the arXiv copy too), or a published article
  that carries an arXiv copy;
- **missing fields**: no abstract for about 30% of works, no DOI for about
  20%, no institution on about 12% of authorships (more for authors with
  none), no language for 1.6%, no venue for 4%.
"""

from __future__ import annotations

import calendar
import heapq
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from random import Random

from works.synthetic_snapshot.catalog import YEAR_FIRST, YEAR_LAST, Catalog
from works.synthetic_snapshot.identifiers import draw
from works.synthetic_snapshot.tally import CITATION_YEAR_FIRST
from works.synthetic_snapshot.vocabulary import (
    FIELDS,
    LANGUAGES,
    TITLE_ASPECTS,
    TITLE_METHODS,
    TITLE_PATTERNS,
    TITLE_STUDIES,
)

# The snapshot's date: no work is published after the month before it.
LAST_MONTH = 10
# Percent of works with 1..8 authors; the rest (13%) more, Pareto-like.
TEAM_SIZES = (1, 2, 3, 4, 5, 6, 7, 8)
TEAM_SIZE_WEIGHTS = (9, 14, 16, 15, 12, 9, 7, 5)
TEAM_TAIL_WEIGHT = 100 - sum(TEAM_SIZE_WEIGHTS)
TEAM_TAIL_MAX = 99
BIG_TEAM_SHARE = 0.002
HUGE_TEAM_EVERY = 50_000
CONSORTIUM_SIZE = 3200
# Coauthors drawn near the lead: within this many indices, this often.
LAB_WINDOW = 30
LAB_SHARE = 0.55
WORK_TYPES = (
    ("article", 80),
    ("book-chapter", 6),
    ("review", 4.5),
    ("letter", 1.5),
    ("editorial", 1.5),
    ("dissertation", 1.5),
    ("other", 1.2),
    ("dataset", 1),
    ("report", 1),
    ("book", 0.8),
)
ABSTRACT_SHARE = {
    "article": 0.73,
    "preprint": 0.95,
    "review": 0.8,
    "dataset": 0.6,
    "dissertation": 0.6,
    "book-chapter": 0.45,
    "book": 0.5,
    "report": 0.5,
}
DOI_SHARE = 0.78
PUBLISHED_LATER_SHARE = 0.35
PREPRINT_SHARE_OF_ARXIV = 0.6
MISSING_VENUE_SHARE = 0.04
# Authorships without an institution although their author has one.
MISSING_INSTITUTION_SHARE = 0.12
SECOND_INSTITUTION_SHARE = 0.04


@dataclass(slots=True)
class WorkPlan:
    index: int
    title: str
    year: int
    date: str
    type: str
    topics: list[int]
    team: list[int]
    # Each authorship's institutions (indices into ``Catalog.institutions``).
    institutions: list[list[int]]
    language: str | None
    # Index into ``Catalog.venues``, None when OpenAlex knows no venue.
    venue: int | None
    doi: str | None
    # An arXiv-only preprint (``type`` preprint) or a published work
    # carrying an arXiv copy (``arxiv_copy``).
    arxiv_id: str | None
    arxiv_copy: bool
    # Seeds the abstract's words (``abstracts``); None: the work has none.
    abstract_seed: int | None
    cited: int
    # Citations per year as listed (from CITATION_YEAR_FIRST), newest first.
    counts_by_year: list[tuple[int, int]]
    pmid: int | None
    has_pmcid: bool
    # Seeds the draws of details no count depends on (``records``), so a
    # work renders the same in any process.
    render_seed: int = 0
    # Version of an earlier preprint of the snapshot (its index), if it is.
    preprint_of: int | None = None


class WorkPlanner:
    """The plans of works 0..works-1 in order, from one random stream."""

    def __init__(self, catalog: Catalog, rng: Random):
        self.catalog = catalog
        self.rng = rng
        self.total = catalog.work_count
        self.next_uncovered = 0
        self.arxiv_numbers: dict[str, int] = {}
        self.pending: list[tuple[int, int, WorkPlan]] = []
        self.year_cumulative = list(
            itertools.accumulate(
                1.07 ** (year - YEAR_FIRST)
                * (LAST_MONTH / 12 if year == YEAR_LAST else 1)
                for year in range(YEAR_FIRST, YEAR_LAST + 1)
            )
        )
        self.type_cumulative = list(itertools.accumulate(w for _, w in WORK_TYPES))
        self.language_cumulative = list(itertools.accumulate(w for _, w in LANGUAGES))
        self.team_cumulative = list(
            itertools.accumulate((*TEAM_SIZE_WEIGHTS, TEAM_TAIL_WEIGHT))
        )
        self.big_teams = self._big_teams()

    def _big_teams(self) -> dict[int, int]:
        """Which works have more than 100 authors, and how many each."""
        rng, authors = self.rng, self.catalog.people.count
        huge = self.total // HUGE_TEAM_EVERY
        big = max(1, round(self.total * BIG_TEAM_SHARE))
        chosen = rng.sample(range(self.total), min(self.total, big + huge))
        sizes = {}
        for place, index in enumerate(chosen):
            low, high = (3.0, 3.5) if place < huge else (2.0, 3.0)
            sizes[index] = min(authors, max(101, round(10 ** rng.uniform(low, high))))
        return sizes

    def plans(self) -> Iterator[WorkPlan]:
        for index in range(self.total):
            if self.pending and self.pending[0][0] <= index:
                yield self._published_version(index, heapq.heappop(self.pending)[2])
            else:
                yield self._new_work(index)

    # --- one work ---------------------------------------------------------

    def _new_work(self, index: int) -> WorkPlan:
        rng, catalog = self.rng, self.catalog
        big = self.big_teams.get(index)
        if big:
            start = rng.randrange(min(catalog.people.count, CONSORTIUM_SIZE))
            block = min(catalog.people.count, CONSORTIUM_SIZE)
            lead = start
        else:
            lead = catalog.people.draw(rng)
        topics = self._topics(lead)
        subject = catalog.topics[topics[0]].field
        field_index = catalog.field_index[subject.id]
        year, date = self._date()
        arxiv_id, arxiv_copy = None, False
        roll = rng.random()
        if year >= 2008 and roll < subject.arxiv_share:
            arxiv_id = self._arxiv_id(date)
            arxiv_copy = roll >= subject.arxiv_share * PREPRINT_SHARE_OF_ARXIV
        is_preprint = arxiv_id is not None and not arxiv_copy
        work_type = (
            "preprint"
            if is_preprint
            else WORK_TYPES[draw(rng, self.type_cumulative)][0]
        )
        if big:
            team = [(start + offset) % block for offset in range(big)]
        else:
            size = 1 if work_type == "dissertation" else self._team_size()
            team = self._team(index, lead, min(size, catalog.people.count))
        venue = self._venue(work_type, field_index)
        if is_preprint:
            doi = f"10.48550/arxiv.{arxiv_id}"
        elif rng.random() < DOI_SHARE or work_type == "dataset":
            doi = f"10.5555/bzpeer-bench.{year}.{index:07d}"
        else:
            doi = None
        pmid = None
        if rng.random() < subject.pubmed_share and not is_preprint:
            pmid = 90_000_000 + index
        plan = WorkPlan(
            index=index,
            title=self._title(topics[0]),
            year=year,
            date=date,
            type=work_type,
            topics=topics,
            team=team,
            institutions=self._institutions(team, year),
            language=LANGUAGES[draw(rng, self.language_cumulative)][0],
            venue=venue,
            doi=doi,
            arxiv_id=arxiv_id,
            arxiv_copy=arxiv_copy,
            abstract_seed=rng.getrandbits(64)
            if rng.random() < ABSTRACT_SHARE.get(work_type, 0.2)
            else None,
            cited=0,
            counts_by_year=[],
            pmid=pmid,
            has_pmcid=pmid is not None and rng.random() < 0.35,
            render_seed=rng.getrandbits(64),
        )
        self._cite(plan)
        if is_preprint and rng.random() < PUBLISHED_LATER_SHARE:
            # Published some works later (a few hundred at most).
            due = index + rng.randint(1, max(1, min(400, self.total // 20)))
            if due < self.total:
                heapq.heappush(self.pending, (due, index, plan))
        return plan

    def _published_version(self, index: int, preprint: WorkPlan) -> WorkPlan:
        """The journal version of an earlier preprint: same title, byline,
        topics and abstract, published up to two years later."""
        rng = self.rng
        year, date = self._date(
            min(YEAR_LAST, preprint.year + rng.choice((0, 0, 1, 1, 2)))
        )
        field_index = self.catalog.field_index[
            self.catalog.topics[preprint.topics[0]].field.id
        ]
        carries_copy = rng.random() < 0.5
        plan = replace(
            preprint,
            index=index,
            year=year,
            date=max(date, preprint.date),
            type="article",
            institutions=self._institutions(preprint.team, year),
            venue=self._venue("article", field_index),
            doi=f"10.5555/bzpeer-bench.{year}.{index:07d}",
            arxiv_id=preprint.arxiv_id if carries_copy else None,
            arxiv_copy=carries_copy,
            cited=0,
            counts_by_year=[],
            render_seed=rng.getrandbits(64),
            preprint_of=preprint.index,
        )
        self._cite(plan)
        return plan

    def _topics(self, lead: int) -> list[int]:
        """The primary topic (the lead's own, one near it, or any) and up to
        two more of its field."""
        rng, catalog = self.rng, self.catalog
        home = catalog.people.home_topic[lead]
        roll = rng.random()
        primary = (
            home
            if roll < 0.65
            else catalog.topic_near(rng, home)
            if roll < 0.85
            else catalog.topic_draw(rng)
        )
        topics = [primary]
        wanted = 3 if roll < 0.75 else 2 if roll < 0.9 else 1
        for _ in range(wanted - 1):
            other = catalog.topic_near(rng, primary)
            if other not in topics:
                topics.append(other)
        return topics

    def _date(self, year: int | None = None) -> tuple[int, str]:
        rng = self.rng
        if year is None:
            year = YEAR_FIRST + draw(rng, self.year_cumulative)
        month = rng.randint(1, LAST_MONTH if year == YEAR_LAST else 12)
        day = rng.randint(1, calendar.monthrange(year, month)[1])
        return year, f"{year}-{month:02d}-{day:02d}"

    def _arxiv_id(self, date: str) -> str | None:
        """A new-style arXiv id in a number range arXiv has not issued
        (8NNNN, or 9NNN before 2015), None when the month's range is full."""
        month = date[2:4] + date[5:7]
        number = self.arxiv_numbers.get(month, 0)
        self.arxiv_numbers[month] = number + 1
        if date < "2015":
            return f"{month}.9{number:03d}" if number < 1000 else None
        return f"{month}.8{number:04d}" if number < 10_000 else None

    def _team_size(self) -> int:
        rng = self.rng
        pick = draw(rng, self.team_cumulative)
        if pick < len(TEAM_SIZES):
            return TEAM_SIZES[pick]
        return min(TEAM_TAIL_MAX, 8 + int(rng.paretovariate(1.1)))

    def _team(self, index: int, lead: int, size: int) -> list[int]:
        rng, catalog = self.rng, self.catalog
        authors = catalog.people.count
        team = {lead: None}
        uncovered = authors - self.next_uncovered
        if uncovered > 0:
            # Spread the authors without a work yet over the works left.
            due = -(-uncovered // (self.total - index))
            if size == 1:
                team = {self.next_uncovered: None}
                self.next_uncovered += 1
            else:
                for _ in range(min(due, size - 1)):
                    team[self.next_uncovered] = None
                    self.next_uncovered += 1
        misses = 0
        while len(team) < size:
            if rng.random() < LAB_SHARE:
                offset = int(rng.random() * (2 * LAB_WINDOW + 1)) - LAB_WINDOW
                candidate = (lead + offset) % authors
            else:
                candidate = catalog.people.draw(rng)
            if candidate in team:
                misses += 1
                if misses <= 8:
                    continue
                while candidate in team:
                    candidate = (candidate + 1) % authors
            team[candidate] = None
            misses = 0
        return list(team)

    def _venue(self, work_type: str, field_index: int) -> int | None:
        rng, catalog = self.rng, self.catalog
        if work_type == "preprint":
            return catalog.repositories["arxiv"].index
        if work_type == "dataset":
            return catalog.repositories["data"].index
        if work_type == "dissertation" or rng.random() < MISSING_VENUE_SHARE:
            return None
        if work_type in ("book", "book-chapter"):
            kind = "book series"
        elif rng.random() < (0.35 if FIELDS[field_index].id in (17, 22) else 0.05):
            kind = "conference"
        else:
            kind = "journal"
        return catalog.venue_draw(rng, field_index=field_index, kind=kind).index

    def _institutions(self, team: list[int], year: int) -> list[list[int]]:
        """Each authorship's institutions: the author's of that year, but
        missing on some, and a second one on a few."""
        rng, catalog = self.rng, self.catalog
        rows = []
        for author in team:
            institution = catalog.people.institution_at(author, year)
            if institution < 0 or rng.random() < MISSING_INSTITUTION_SHARE:
                rows.append([])
                continue
            row = [institution]
            if rng.random() < SECOND_INSTITUTION_SHARE:
                other = catalog.institution_draw(rng)
                if other != institution:
                    row.append(other)
            rows.append(row)
        return rows

    def _title(self, topic_index: int) -> str:
        rng = self.rng
        topic = self.catalog.topics[topic_index]
        first = rng.choice(topic.terms)
        second = rng.choice(topic.field.terms)
        if second == first:
            second = topic.terms[1] if first == topic.terms[0] else topic.terms[0]
        return rng.choice(TITLE_PATTERNS).format(
            a=first,
            b=second,
            method=rng.choice(TITLE_METHODS),
            aspect=rng.choice(TITLE_ASPECTS),
            study=rng.choice(TITLE_STUDIES),
        )

    def _cite(self, plan: WorkPlan) -> None:
        """Citations (lognormal, older works more, many recent ones none, a
        rare blockbuster) and their spread over the years since."""
        rng = self.rng
        age = YEAR_LAST - plan.year
        uncited = 0.6 if age == 0 else 0.3 if age == 1 else 0.12
        if rng.random() < uncited:
            cited = 0
        else:
            cited = int(rng.lognormvariate(0.8 + 0.5 * math.log1p(age), 1.3))
            if plan.type == "preprint":
                cited //= 2
            if rng.random() < 0.002:
                cited = 50 + int(cited * 5 * rng.paretovariate(1.2))
        plan.cited = cited
        if not cited:
            return
        years = range(plan.year, YEAR_LAST + 1)
        weights = [
            (offset + 1)
            * math.exp(-offset / 5)
            * (LAST_MONTH / 12 if year == YEAR_LAST else 1)
            for offset, year in enumerate(years)
        ]
        total = sum(weights)
        # Rounded at random (up with the fraction's odds), so a small count
        # still spreads over the years; then trimmed or topped up to the sum.
        uniform = rng.random
        counts = [int(cited * weight / total + uniform()) for weight in weights]
        missing = cited - sum(counts)
        if missing >= 0:
            counts[weights.index(max(weights))] += missing
        for _ in range(-missing):
            counts[counts.index(max(counts))] -= 1
        plan.counts_by_year = [
            (year, count)
            for year, count in zip(reversed(years), reversed(counts), strict=True)
            if count and year >= CITATION_YEAR_FIRST
        ]
