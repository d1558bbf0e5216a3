"""Citations per year (OpenAlex's ``counts_by_year``) kept at import: read
and checked by the normalizer, written by the one upsert path, left alone
when a record does not state them."""

from dataclasses import replace

import pytest

from tests.helpers.snapshot import work_state_of_oa
from works.ingest.openalex.normalize import normalize_work
from works.ingest.records import YearCitations
from works.ingest.upsert import UpsertResult, upsert_works
from works.models import Work

pytestmark = pytest.mark.django_db(transaction=True)

# The recorded W2741809807 ("The state of OA"), as OpenAlex served it.
RECORDED_COUNTS = [
    {"year": 2025, "cited_by_count": 30},
    {"year": 2024, "cited_by_count": 118},
    {"year": 2023, "cited_by_count": 142},
]


def _recorded_counts(raw: dict) -> list[dict]:
    return [
        {"year": entry["year"], "cited_by_count": entry["cited_by_count"]}
        for entry in sorted(raw["counts_by_year"], key=lambda e: -e["year"])
    ]


def test_the_recorded_counts_are_stored_through_the_upsert_path():
    raw = work_state_of_oa()

    result = upsert_works([normalize_work(raw)])

    assert result == UpsertResult(created=1)
    stored = Work.objects.get(openalex_id="W2741809807").counts_by_year
    assert stored == _recorded_counts(raw)
    assert stored[:3] == RECORDED_COUNTS
    assert len(stored) == len(raw["counts_by_year"]) > 3


def test_a_reload_with_the_same_counts_leaves_the_row_unchanged():
    record = normalize_work(work_state_of_oa())
    upsert_works([record])
    before = Work.objects.get(openalex_id="W2741809807").updated_at

    assert upsert_works([record]) == UpsertResult(unchanged=1)
    assert Work.objects.get(openalex_id="W2741809807").updated_at == before


def test_changed_counts_update_the_row():
    raw = work_state_of_oa()
    upsert_works([normalize_work(raw)])
    raw["counts_by_year"] = [{"year": 2026, "cited_by_count": 7}]

    assert upsert_works([normalize_work(raw)]) == UpsertResult(updated=1)
    assert Work.objects.get(openalex_id="W2741809807").counts_by_year == [
        {"year": 2026, "cited_by_count": 7}
    ]


def test_a_record_that_does_not_state_counts_keeps_the_stored_ones():
    record = normalize_work(work_state_of_oa())
    upsert_works([record])

    result = upsert_works([replace(record, counts_by_year=None)])

    assert result == UpsertResult(unchanged=1)
    stored = Work.objects.get(openalex_id="W2741809807").counts_by_year
    assert stored[:3] == RECORDED_COUNTS


def test_a_new_work_without_counts_stores_an_empty_list():
    raw = work_state_of_oa()
    del raw["counts_by_year"]

    upsert_works([normalize_work(raw)])

    assert Work.objects.get(openalex_id="W2741809807").counts_by_year == []


def test_malformed_entries_are_dropped_and_the_record_kept():
    raw = work_state_of_oa()
    raw["counts_by_year"] = [
        {"year": 2024, "cited_by_count": 3},
        {"year": "2023", "cited_by_count": 1},
        {"year": 2022, "cited_by_count": -1},
        {"year": 2021, "cited_by_count": True},
        {"year": 2020},
        "2019: 4",
        None,
        {"year": 2024, "cited_by_count": 99},  # a second 2024: the first wins
        {"year": 2018, "cited_by_count": 0},
    ]

    record = normalize_work(raw)

    assert record.counts_by_year == (
        YearCitations(year=2024, cited_by_count=3),
        YearCitations(year=2018, cited_by_count=0),
    )
    assert upsert_works([record]) == UpsertResult(created=1)
    assert Work.objects.get(openalex_id="W2741809807").counts_by_year == [
        {"year": 2024, "cited_by_count": 3},
        {"year": 2018, "cited_by_count": 0},
    ]


@pytest.mark.parametrize("value", [None, "many", {"year": 2024}, 3])
def test_counts_that_are_no_list_say_nothing(value):
    raw = work_state_of_oa()
    raw["counts_by_year"] = value

    assert normalize_work(raw).counts_by_year is None
