"""Per-year charts: works per year counted from the works a page lists,
citations per year summed from their ``counts_by_year``; the SVG bars and the
table beside them say the same numbers; a fixed number of queries."""

import re
from html import unescape

import pytest
from django.urls import reverse

from profiles import charts
from profiles.models import HiddenWork, Researcher
from tests.factories import (
    AuthorshipFactory,
    AuthorshipInstitutionFactory,
    InstitutionFactory,
    ResearcherFactory,
    TopicFactory,
    WorkFactory,
    WorkTopicFactory,
)
from tests.helpers.paths import SAMPLE_SNAPSHOT
from works.models import Authorship, Work
from works.services import snapshot_load

pytestmark = pytest.mark.django_db

BAR_TITLE = re.compile(r'<rect class="chart-bar"[^>]*><title>([^<]*)</title></rect>')


def _figures(html: str) -> dict[str, str]:
    """Each chart figure's HTML by its series key (works, citations)."""
    return dict(
        re.findall(
            r'<figure class="chart chart--(\w+)">(.*?)</figure>', html, flags=re.S
        )
    )


def _bars(figure: str) -> dict[int, int]:
    counts = {}
    for title in BAR_TITLE.findall(figure):
        year, count = re.fullmatch(r"(\d{4}): ([\d,]+) \w+", unescape(title)).groups()
        counts[int(year)] = int(count.replace(",", ""))
    return counts


def _table(figure: str) -> dict[int, int]:
    rows = re.findall(r'<tr><th scope="row">(\d{4})</th><td>([\d,]+)</td></tr>', figure)
    return {int(year): int(count.replace(",", "")) for year, count in rows}


def _nonzero(counts: dict[int, int]) -> dict[int, int]:
    return {year: count for year, count in counts.items() if count}


@pytest.fixture
def sample_reference():
    run = snapshot_load(
        path=SAMPLE_SNAPSHOT, sample=True, progress=False, sync_trust=True
    )
    assert run.rejected_count == 0
    return Researcher.objects.get(display_name="Bingxuan Wang")


def test_the_reference_profile_chart_and_table_show_its_works_per_year(
    client, sample_reference
):
    html = client.get(
        reverse("profiles:detail", args=[sample_reference.openalex_id])
    ).content.decode()

    figures = _figures(html)
    works_bars, works_table = _bars(figures["works"]), _table(figures["works"])
    assert _nonzero(works_bars) == {2020: 1, 2024: 1, 2026: 2}
    assert works_bars == works_table
    assert list(works_table) == list(range(2020, 2027))
    assert "<title>2024: 1 work</title>" in figures["works"]
    assert "<title>2026: 2 works</title>" in figures["works"]
    assert "<caption" in figures["works"] and 'scope="col">Year<' in figures["works"]
    assert 'role="img"' in figures["works"]
    assert re.search(r"<desc [^>]*>Works per year from 2020 to 2026", figures["works"])


def test_citations_per_year_are_the_sum_of_the_listed_works_counts(
    client, sample_reference
):
    listed = Work.objects.filter(
        pk__in=Authorship.objects.filter(researcher=sample_reference).values(
            "work__canonical_id"
        )
    ) | Work.objects.filter(
        authorships__researcher=sample_reference, canonical__isnull=True
    )
    expected: dict[int, int] = {}
    for work in listed.distinct():
        for entry in work.counts_by_year:
            year = entry["year"]
            expected[year] = expected.get(year, 0) + entry["cited_by_count"]
    assert expected  # the sample records carry counts_by_year

    html = client.get(
        reverse("profiles:detail", args=[sample_reference.openalex_id])
    ).content.decode()

    figure = _figures(html)["citations"]
    assert _nonzero(_bars(figure)) == _nonzero(expected)
    assert _bars(figure) == _table(figure)
    _, series = charts.researcher_per_year(researcher=sample_reference)
    assert series.total == sum(expected.values())


def _researcher_with_works(years_and_counts, *, canonical_of=None):
    researcher = ResearcherFactory()
    works = []
    for year, counts in years_and_counts:
        work = WorkFactory(publication_year=year, counts_by_year=counts)
        AuthorshipFactory(work=work, researcher=researcher, position=0)
        works.append(work)
    return researcher, works


def test_hidden_works_and_versions_are_counted_as_the_profile_lists_them():
    researcher, (kept, hidden, article) = _researcher_with_works(
        [
            (2021, [{"year": 2022, "cited_by_count": 4}]),
            (2022, [{"year": 2022, "cited_by_count": 100}]),
            (2023, [{"year": 2023, "cited_by_count": 5}]),
        ]
    )
    # A preprint of the article, held too: listed once, under the article.
    preprint = WorkFactory(
        publication_year=2019,
        canonical=article,
        counts_by_year=[{"year": 2023, "cited_by_count": 50}],
    )
    AuthorshipFactory(work=preprint, researcher=researcher, position=0)
    HiddenWork.objects.create(researcher=researcher, work=hidden)

    works, citations = charts.researcher_per_year(researcher=researcher)

    assert works.points == ((2021, 1), (2022, 0), (2023, 1))
    assert citations.points == ((2022, 4), (2023, 5))


def test_topic_and_institution_charts_count_their_listed_works():
    topic, institution = TopicFactory(), InstitutionFactory()
    for year in (2020, 2020, 2022):
        work = WorkFactory(
            publication_year=year,
            counts_by_year=[{"year": 2024, "cited_by_count": 2}],
        )
        WorkTopicFactory(work=work, topic=topic)
        AuthorshipInstitutionFactory(
            authorship=AuthorshipFactory(work=work), institution=institution
        )

    for works, citations in (
        charts.topic_per_year(topic=topic),
        charts.institution_per_year(institution=institution),
    ):
        assert works.points == ((2020, 2), (2021, 0), (2022, 1))
        assert citations.points == ((2024, 6),)


def test_an_empty_series_says_so_instead_of_drawing(client):
    researcher = ResearcherFactory()
    AuthorshipFactory(
        work=WorkFactory(publication_year=None, counts_by_year=[]),
        researcher=researcher,
    )

    html = client.get(
        reverse("profiles:detail", args=[researcher.openalex_id])
    ).content.decode()

    assert "No works with a year yet." in html
    assert "No citations counted by year yet." in html
    assert 'class="chart-svg' not in html


def test_the_work_page_shows_its_own_citations_per_year(client):
    work = WorkFactory(
        counts_by_year=[
            {"year": 2025, "cited_by_count": 3},
            {"year": 2023, "cited_by_count": 1},
        ]
    )

    html = client.get(reverse("catalog:work", args=[work.openalex_id])).content
    figures = _figures(html.decode())

    assert list(figures) == ["citations"]
    assert _bars(figures["citations"]) == {2023: 1, 2024: 0, 2025: 3}
    assert _table(figures["citations"]) == {2023: 1, 2024: 0, 2025: 3}


def test_the_svg_is_deterministic_escaped_and_has_no_inline_style():
    series = charts.YearSeries(
        key="works",
        title='Works per year <script>alert("x")</script>',
        noun=("work", "works"),
        points=((2024, 1), (2025, 0), (2026, 12)),
    )

    svg = charts.year_bar_chart_svg(series, scope="researcher-1")

    assert svg == charts.year_bar_chart_svg(series, scope="researcher-1")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg
    assert BAR_TITLE.findall(svg) == ["2024: 1 work", "2025: 0 works", "2026: 12 works"]


def test_a_long_career_keeps_the_latest_years_and_sums_the_earlier():
    counts = {1950: 1, 1990: 2, 2026: 1}
    series = charts._series(charts.WORKS, counts)

    assert series.points[0][0] == 2026 - charts.YEARS_SHOWN + 1
    assert series.earlier == 3
    assert series.total == 4


def _chart_queries(subject, django_assert_num_queries, expected):
    from django.template import Context, Template

    template = Template("{% load chart_tags %}{% per_year_charts subject %}")
    with django_assert_num_queries(expected):
        template.render(Context({"subject": subject}))


def test_the_charts_cost_one_query_for_3_or_500_works(django_assert_num_queries):
    small, _ = _researcher_with_works(
        [(2020 + i, [{"year": 2024, "cited_by_count": i}]) for i in range(3)]
    )
    large = ResearcherFactory()
    works = Work.objects.bulk_create(
        WorkFactory.build(
            publication_year=1990 + i % 37,
            counts_by_year=[{"year": 2020 + i % 7, "cited_by_count": i}],
            source=None,
        )
        for i in range(500)
    )
    Authorship.objects.bulk_create(
        Authorship(work=work, researcher=large, position=0) for work in works
    )

    _chart_queries(small, django_assert_num_queries, 1)
    _chart_queries(large, django_assert_num_queries, 1)
    assert charts.researcher_per_year(researcher=large)[0].total == 500


def test_the_work_chart_costs_no_query(django_assert_num_queries):
    work = WorkFactory(counts_by_year=[{"year": 2025, "cited_by_count": 3}])
    work = Work.objects.get(pk=work.pk)

    _chart_queries(work, django_assert_num_queries, 0)
