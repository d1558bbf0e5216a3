"""The key figures of a synthetic snapshot's distributions, counted while the
works are written (without keeping them): what ``generate_snapshot`` prints
and the tests check."""

from __future__ import annotations

import statistics

from works.synthetic_snapshot.plans import WorkPlan
from works.synthetic_snapshot.tally import Tally


class Figures:
    def __init__(self):
        self.team_sizes: dict[int, int] = {}
        self.citations: dict[int, int] = {}
        self.works = self.no_abstract = self.no_doi = self.arxiv = 0
        self.preprints = self.published_versions = 0
        self.authorships = self.authorships_without_institution = 0

    def add(self, plan: WorkPlan) -> None:
        size = len(plan.team)
        self.team_sizes[size] = self.team_sizes.get(size, 0) + 1
        self.citations[plan.cited] = self.citations.get(plan.cited, 0) + 1
        self.works += 1
        self.no_abstract += plan.abstract_seed is None
        self.no_doi += plan.doi is None
        self.arxiv += plan.arxiv_id is not None
        self.preprints += plan.type == "preprint"
        self.published_versions += plan.preprint_of is not None
        self.authorships += size
        self.authorships_without_institution += sum(
            not row for row in plan.institutions
        )

    def summary(self, authors: Tally) -> dict[str, float | int]:
        works = max(1, self.works)
        per_author = sorted(authors.works)
        return {
            "works": self.works,
            "authorships": self.authorships,
            "team_size_median": _median(self.team_sizes),
            "team_size_mean": round(self.authorships / works, 2),
            "team_size_max": max(self.team_sizes, default=0),
            "teams_over_100": sum(n for s, n in self.team_sizes.items() if s > 100),
            "teams_over_1000": sum(n for s, n in self.team_sizes.items() if s > 1000),
            "works_per_author_median": statistics.median(per_author),
            "works_per_author_p99": per_author[int(0.99 * (len(per_author) - 1))],
            "works_per_author_max": per_author[-1],
            "authors_over_1000_works": sum(n > 1000 for n in per_author),
            "authors_without_works": sum(n == 0 for n in per_author),
            "citations_median": _median(self.citations),
            "citations_mean": round(
                sum(c * n for c, n in self.citations.items()) / works, 2
            ),
            "citations_max": max(self.citations, default=0),
            "uncited_share": round(self.citations.get(0, 0) / works, 3),
            "no_abstract_share": round(self.no_abstract / works, 3),
            "no_doi_share": round(self.no_doi / works, 3),
            "authorships_without_institution_share": round(
                self.authorships_without_institution / max(1, self.authorships), 3
            ),
            "arxiv_share": round(self.arxiv / works, 3),
            "arxiv_preprints": self.preprints,
            "published_versions_of_preprints": self.published_versions,
        }


def _median(histogram: dict[int, int]) -> int:
    middle, seen = (sum(histogram.values()) + 1) // 2, 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= middle:
            return value
    return 0
