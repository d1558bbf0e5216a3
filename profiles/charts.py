"""Per-year pictures of a profile, a topic, an institution or a work: works
per year, counted from the works the page lists (versions once, hidden works
out, as ``profiles.selectors.researcher_works`` and the catalog lists hold
them), and citations per year, summed from those works' ``counts_by_year``
(OpenAlex's counts, kept at import), so a chart agrees with the works shown.

A page's two series are one aggregate query whose answer is bounded by the
number of years, whatever the number of works; ``year_bar_chart_svg`` draws one as a
small SVG bar chart on the server: classes only (the site's Content Security
Policy allows no inline style), text escaped, the same series giving the
same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape

from django.db import connection
from django.db.models import QuerySet

from bzpeer.db import quoted_table
from works.models import Authorship, Institution, Topic, Work, WorkTopic

from .models import Researcher
from .selectors import listed_work_expression
from .visibility import authorships_shown

# A chart spans at most this many years, the latest ones; earlier years are
# summed into one "before" figure, so a 1950 paper does not thin every bar.
YEARS_SHOWN = 25


@dataclass(frozen=True)
class YearSeries:
    """Counts per year, oldest first, every year between the first and the
    last included (a year without any counts 0). ``earlier`` sums the years
    before ``points[0]`` that ``YEARS_SHOWN`` left out of the chart."""

    key: str  # "works" or "citations": the id stem and CSS modifier
    title: str  # "Works per year"
    noun: tuple[str, str]  # ("work", "works")
    points: tuple[tuple[int, int], ...]
    earlier: int = 0

    @property
    def total(self) -> int:
        return self.earlier + sum(count for _, count in self.points)

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    def counted(self, count: int) -> str:
        """``count`` with its noun: "1 work", "3 citations"."""
        return f"{count:,} {self.noun[0] if count == 1 else self.noun[1]}"


WORKS = ("works", "Works per year", ("work", "works"))
CITATIONS = ("citations", "Citations per year", ("citation", "citations"))


def _series(kind: tuple, counts: dict[int, int]) -> YearSeries:
    key, title, noun = kind
    counts = {year: count for year, count in counts.items() if count}
    if not counts:
        return YearSeries(key=key, title=title, noun=noun, points=())
    last = max(counts)
    first = max(min(counts), last - YEARS_SHOWN + 1)
    earlier = sum(count for year, count in counts.items() if year < first)
    points = tuple((year, counts.get(year, 0)) for year in range(first, last + 1))
    return YearSeries(key=key, title=title, noun=noun, points=points, earlier=earlier)


# --- the works a page lists --------------------------------------------------


def _researcher_listed_ids(researcher: Researcher) -> QuerySet:
    """The ids of the works the profile lists (``researcher_works``)."""
    return (
        authorships_shown(Authorship.objects.filter(researcher=researcher))
        .annotate(listed_id=listed_work_expression())
        .values("listed_id")
    )


def _topic_listed_ids(topic: Topic) -> QuerySet:
    return (
        WorkTopic.objects.filter(topic=topic)
        .annotate(listed_id=listed_work_expression())
        .values("listed_id")
    )


def _institution_listed_ids(institution: Institution) -> QuerySet:
    return (
        Authorship.objects.filter(institutions=institution)
        .annotate(listed_id=listed_work_expression())
        .values("listed_id")
    )


def _per_year(listed_ids: QuerySet) -> tuple[YearSeries, YearSeries]:
    """Works per publication year and citations per year (their
    ``counts_by_year`` summed, the JSON unnested in SQL) of the works
    ``listed_ids`` names: one query, answering one row a year and series.
    The listed ids are found once and each work's row is read once, for
    both series (a profile of thousands of works reads them a single time)."""
    subquery, params = listed_ids.query.sql_with_params()
    work = quoted_table(Work)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH listed AS MATERIALIZED ({subquery}),
            chosen AS MATERIALIZED (
                SELECT w.publication_year, w.counts_by_year
                FROM {work} w
                WHERE w.id IN (SELECT listed.listed_id FROM listed)
            )
            SELECT 'works', c.publication_year, COUNT(*)
            FROM chosen c
            WHERE c.publication_year IS NOT NULL
            GROUP BY 2
            UNION ALL
            SELECT 'citations', (entry->>'year')::int,
                   SUM((entry->>'cited_by_count')::bigint)
            FROM chosen c
            CROSS JOIN LATERAL jsonb_array_elements(
                CASE WHEN jsonb_typeof(c.counts_by_year) = 'array'
                     THEN c.counts_by_year ELSE '[]'::jsonb END
            ) AS entry
            WHERE jsonb_typeof(entry->'year') = 'number'
              AND jsonb_typeof(entry->'cited_by_count') = 'number'
            GROUP BY 2
            """,
            params,
        )
        counts: dict[str, dict[int, int]] = {"works": {}, "citations": {}}
        for key, year, count in cursor:
            counts[key][year] = int(count)
    return _series(WORKS, counts["works"]), _series(CITATIONS, counts["citations"])


def researcher_per_year(*, researcher: Researcher) -> tuple[YearSeries, YearSeries]:
    """(works, citations) per year of the works the profile lists. One
    query."""
    return _per_year(_researcher_listed_ids(researcher))


def topic_per_year(*, topic: Topic) -> tuple[YearSeries, YearSeries]:
    """(works, citations) per year of the works the topic page lists. One
    query."""
    return _per_year(_topic_listed_ids(topic))


def institution_per_year(*, institution: Institution) -> tuple[YearSeries, YearSeries]:
    """(works, citations) per year of the works the institution page lists.
    One query."""
    return _per_year(_institution_listed_ids(institution))


def work_citations_per_year(*, work: Work) -> YearSeries:
    """The work's own ``counts_by_year``; no query (the page loaded it)."""
    counts: dict[int, int] = {}
    for entry in work.counts_by_year if isinstance(work.counts_by_year, list) else []:
        if isinstance(entry, dict):
            year, cited = entry.get("year"), entry.get("cited_by_count")
            if isinstance(year, int) and isinstance(cited, int) and cited >= 0:
                counts[year] = counts.get(year, 0) + cited
    return _series(CITATIONS, counts)


# --- the picture -------------------------------------------------------------


def _text(value) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def bar_title(series: YearSeries, year: int, count: int) -> str:
    """What a bar's tooltip says: "2024: 1 work"."""
    return f"{year}: {series.counted(count)}"


def series_description(series: YearSeries) -> str:
    """One sentence for the chart's ``<desc>`` and readers who do not see it."""
    if series.is_empty:
        return f"{series.title}: none yet."
    first, last = series.points[0][0], series.points[-1][0]
    peak_year, peak = max(series.points, key=lambda point: (point[1], point[0]))
    text = (
        f"{series.title} from {first} to {last}, {series.counted(series.total)} "
        f"in all; the most in {peak_year} ({series.counted(peak)})."
    )
    if series.earlier:
        text += f" Before {first}: {series.counted(series.earlier)}."
    return text


def _ticks(years: list[int]) -> list[int]:
    """The years labelled under the bars: the first, the last, and about
    four between."""
    if len(years) <= 6:
        return years
    step = -(-len(years) // 5)
    picked = years[::step]
    if years[-1] - picked[-1] < step // 2 + 1 and len(picked) > 1:
        picked = picked[:-1]
    return [*picked, years[-1]]


def year_bar_chart_svg(
    series: YearSeries, *, scope: str, width: int = 360, height: int = 150
) -> str:
    """``series`` as an ``<svg>`` bar chart (a string to put in a page as it
    is), one bar a year, each with a ``<title>`` ("2024: 1 work"); the
    element is an image named by its ``<title>`` and ``<desc>``. ``scope``
    (the page's subject, an id) keeps element ids unique on the page."""
    width, height = max(int(width), 120), max(int(height), 80)
    pad_left, pad_right, pad_top, pad_bottom = 30, 6, 10, 22
    plot_width = width - pad_left - pad_right
    plot_height = height - pad_top - pad_bottom
    digest = hashlib.sha256(
        f"{scope}|{series.key}|{series.points}|{series.earlier}".encode()
    ).hexdigest()[:10]
    title_id = f"chart-{series.key}-title-{digest}"
    desc_id = f"chart-{series.key}-desc-{digest}"
    top = max((count for _, count in series.points), default=0) or 1
    slot = plot_width / max(len(series.points), 1)
    # A few years give wide slots; a bar stays a bar, not a block.
    bar_width = min(max(slot * 0.72, 1.0), 28.0)
    baseline = pad_top + plot_height
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" '
        f'class="chart-svg chart-svg--{_text(series.key)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{_text(series.title)}</title>',
        f'<desc id="{desc_id}">{_text(series_description(series))}</desc>',
        f'<line class="chart-axis" x1="{pad_left}" y1="{_number(baseline)}" '
        f'x2="{width - pad_right}" y2="{_number(baseline)}"/>',
        f'<text class="chart-label chart-label--value" x="{pad_left - 4}" '
        f'y="{pad_top + 4}" text-anchor="end">{top:,}</text>',
        f'<text class="chart-label chart-label--value" x="{pad_left - 4}" '
        f'y="{_number(baseline)}" text-anchor="end">0</text>',
        '<g class="chart-bars">',
    ]
    for index, (year, count) in enumerate(series.points):
        bar_height = plot_height * count / top
        x = pad_left + index * slot + (slot - bar_width) / 2
        lines.append(
            f'<rect class="chart-bar" x="{_number(x)}" '
            f'y="{_number(baseline - bar_height)}" width="{_number(bar_width)}" '
            f'height="{_number(bar_height)}" data-year="{year}" '
            f'data-count="{count}"><title>'
            f"{_text(bar_title(series, year, count))}</title></rect>"
        )
    lines.append("</g>")
    years = [year for year, _ in series.points]
    lines.append('<g class="chart-years">')
    for year in _ticks(years):
        index = years.index(year)
        x = pad_left + index * slot + slot / 2
        lines.append(
            f'<text class="chart-label" x="{_number(x)}" y="{height - 6}" '
            f'text-anchor="middle">{year}</text>'
        )
    lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines)
