"""What the works stream adds up for the records written after it: for each
author, institution, source and topic its works and citations (in all and
per year), h-index, i10-index, two-year citedness and topics, so every
entity's counts agree with the works files.

Memory grows with the number of entities, not of works: flat arrays of
counts, an h-index heap never longer than the h-index, and at most
``TOPIC_SLOTS`` topics per entity (a space-saving summary: exact for an
entity with that many topics or fewer, the top ones estimated beyond).
"""

from __future__ import annotations

import heapq
from array import array

from works.synthetic_snapshot.catalog import YEAR_FIRST, YEAR_LAST

YEARS = YEAR_LAST - YEAR_FIRST + 1
# OpenAlex's counts_by_year cover the last years only.
CITATION_YEAR_FIRST = 2013
TOPIC_SLOTS = 40


class Tally:
    """The sums of one kind of entity, indexed 0..size-1."""

    def __init__(self, size: int):
        self.size = size
        self.works = array("I", bytes(4 * size))
        self.cited = array("Q", bytes(8 * size))
        self.i10 = array("I", bytes(4 * size))
        self.h_index = array("I", bytes(4 * size))
        self._above_h: dict[int, list[int]] = {}
        self.works_by_year = array("I", bytes(4 * size * YEARS))
        self.cited_by_year = array("I", bytes(4 * size * YEARS))
        # Works of the two years before the last, and their citations in it.
        self.recent_works = array("I", bytes(4 * size))
        self.recent_cited = array("I", bytes(4 * size))
        self.topics: dict[int, dict[int, int]] = {}

    def add(
        self,
        indices,
        *,
        year: int,
        cited: int,
        counts_by_year: list[tuple[int, int]],
        topics,
    ) -> None:
        """One work in the sums of each of ``indices`` (its authors, its
        institutions...), counting ``topics`` for each."""
        works, works_by_year, cited_by_year = (
            self.works,
            self.works_by_year,
            self.cited_by_year,
        )
        recent = YEAR_LAST - 2 <= year < YEAR_LAST
        recent_cited = 0
        if recent and counts_by_year and counts_by_year[0][0] == YEAR_LAST:
            recent_cited = counts_by_year[0][1]
        all_topics = self.topics
        for index in indices:
            works[index] += 1
            base = index * YEARS - YEAR_FIRST
            works_by_year[base + year] += 1
            if cited:
                self.cited[index] += cited
                for cited_year, count in counts_by_year:
                    cited_by_year[base + cited_year] += count
                if cited >= 10:
                    self.i10[index] += 1
                if cited > self.h_index[index]:
                    self._add_h(index, cited)
            if recent:
                self.recent_works[index] += 1
                self.recent_cited[index] += recent_cited
            if topics:
                summary = all_topics.get(index)
                if summary is None:
                    summary = all_topics[index] = {}
                for topic in topics:
                    if topic in summary:
                        summary[topic] += 1
                    elif len(summary) < TOPIC_SLOTS:
                        summary[topic] = 1
                    else:
                        _replace_smallest(summary, topic)

    def _add_h(self, index: int, cited: int) -> None:
        """Keep the h-index as works come: the heap holds the citation counts
        above it (at most h of them); one more work above h + 1 raises it."""
        h = self.h_index[index]
        heap = self._above_h.get(index)
        if heap is None:
            heap = self._above_h[index] = []
        heapq.heappush(heap, cited)
        if len(heap) > h:
            h += 1
            self.h_index[index] = h
            while heap and heap[0] <= h:
                heapq.heappop(heap)

    def years(self, index: int) -> list[tuple[int, int, int]]:
        """(year, works, citations) of every year with either, newest first."""
        base = index * YEARS
        rows = []
        for offset in range(YEARS - 1, -1, -1):
            works = self.works_by_year[base + offset]
            cited = self.cited_by_year[base + offset]
            if works or cited:
                rows.append((YEAR_FIRST + offset, works, cited))
        return rows

    def top_topics(self, index: int, limit: int) -> list[tuple[int, int]]:
        """(topic, count), most counted first, ties by topic."""
        summary = self.topics.get(index, {})
        return sorted(summary.items(), key=lambda item: (-item[1], item[0]))[:limit]

    def mean_citedness(self, index: int) -> float:
        works = self.recent_works[index]
        return round(self.recent_cited[index] / works, 4) if works else 0.0


def _replace_smallest(summary: dict[int, int], key: int) -> None:
    """Space-saving: the least counted entry makes room, its count kept."""
    smallest = min(summary, key=summary.__getitem__)
    summary[key] = summary.pop(smallest) + 1
