"""The per-year charts of a page: ``{% load chart_tags %}`` then
``{% per_year_charts researcher %}`` on a profile (also a topic or an
institution: works and citations per year, in one query) or
``{% per_year_charts work %}`` on a work's page (citations only, no query).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from works.models import Institution, Topic, Work

from .. import charts
from ..models import Researcher

register = template.Library()


def _series_for(subject) -> list[charts.YearSeries]:
    if isinstance(subject, Researcher):
        return list(charts.researcher_per_year(researcher=subject))
    if isinstance(subject, Topic):
        return list(charts.topic_per_year(topic=subject))
    if isinstance(subject, Institution):
        return list(charts.institution_per_year(institution=subject))
    if isinstance(subject, Work):
        return [charts.work_citations_per_year(work=subject)]
    raise TypeError(f"no per-year charts for {type(subject).__name__}")


@register.inclusion_tag("profiles/_chart.html")
def per_year_charts(subject):
    """The "Over the years" section: per series, its SVG bar chart and the
    same numbers in a table, or a sentence when it has none."""
    scope = f"{type(subject).__name__.lower()}-{subject.pk}"
    figures = []
    for series in _series_for(subject):
        figures.append(
            {
                "series": series,
                "svg": None
                if series.is_empty
                else mark_safe(  # noqa: S308 - every value in it is escaped
                    charts.year_bar_chart_svg(series, scope=scope)
                ),
                # Numbers written as the chart's titles write them.
                "rows": [(year, f"{count:,}") for year, count in series.points],
                "earlier": f"{series.earlier:,}",
                "empty_text": "No works with a year yet"
                if series.key == "works"
                else "No citations counted by year yet",
            }
        )
    return {
        "figures": figures,
        "is_work": isinstance(subject, Work),
        "scope": scope,
    }
