"""Properties of the snapshot loader (hypothesis) against the real
PostgreSQL: a part file of broken lines (recorded records broken in random
places, lines that are no JSON, a few ids that meet in one batch and one
already stored) loaded through ``snapshot_load`` never fails the run and
never stores half a record. Every line is counted once (created, updated,
unchanged or rejected), every rejected line is listed with its reason, and
every work stored has its byline exactly as its record said.

Each example loads on top of the standard snapshot inside a savepoint that
is rolled back, so examples do not see each other's rows."""

import uuid
from collections.abc import Iterator

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from profiles.models import Researcher
from tests.helpers.ingest_properties import (
    DATABASE_BACKED,
    broken_records,
    json_lines,
)
from tests.helpers.snapshot import build_standard_snapshot, write_part
from works.ingest.openalex.snapshot import normalize_line
from works.ingest.records import Record, RecordRejected
from works.models import ImportRun, Institution, RejectedRecord, Source, Topic, Work
from works.services import snapshot_load

pytestmark = pytest.mark.django_db

BATCH = 4
PARTS = {
    "works": "works/updated_date=2025-07-01/part_000.gz",
    "authors": "authors/updated_date=2025-07-01/part_000",
    "institutions": "institutions/updated_date=2025-07-01/part_000.gz",
    "sources": "sources/updated_date=2025-07-01/part_000",
    "topics": "topics/updated_date=2025-07-01/part_000.gz",
}
MODELS = {"institutions": Institution, "sources": Source, "topics": Topic}
PREFIXES = {"institutions": "I", "sources": "S", "topics": "T"}


@pytest.fixture
def catalog(tmp_path):
    """The standard snapshot, loaded: what the broken records reference and
    update."""
    run = snapshot_load(
        path=build_standard_snapshot(tmp_path / "standard"),
        progress=False,
        sync_trust=True,
    )
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    return tmp_path


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Expected:
    """What loading ``lines`` of ``entity`` must do, from the normalizer
    alone: the lines it rejects, the lines a later line of the same id in
    the same batch supersedes, and the record each id ends with."""

    def __init__(self, entity: str, lines: list[bytes]):
        self.lines = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
        self.rejected: set[int] = set()
        self.final: dict[str, Record] = {}
        self.final_line: dict[str, int] = {}
        outcomes: list[tuple[int, Record | None]] = []
        for number, line in self.lines:
            try:
                outcomes.append((number, normalize_line(entity, line)))
            except RecordRejected:
                outcomes.append((number, None))
                self.rejected.add(number)
        self.normalize_rejected = set(self.rejected)
        for batch in chunks(outcomes, BATCH):
            last: dict[str, int] = {}
            for number, record in batch:
                if record is None:
                    continue
                if record.openalex_id in last:
                    self.rejected.add(last[record.openalex_id])
                last[record.openalex_id] = number
                self.final[record.openalex_id] = record
                self.final_line[record.openalex_id] = number


def load(root, entity: str, lines: list[bytes]) -> ImportRun:
    write_part(root, PARTS[entity], lines)
    return snapshot_load(path=root, progress=False, sync_trust=True, batch_size=BATCH)


def assert_counted(run: ImportRun, entity: str, expected: Expected) -> set[int]:
    """Every line counted once, every rejection listed with its reason;
    returns the rejected line numbers."""
    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    counts = run.counts.get(entity, dict.fromkeys(("created", "rejected"), 0))
    assert sum(counts.values()) == len(expected.lines)
    listed = RejectedRecord.objects.filter(run=run)
    assert all(rejection.reason.strip() for rejection in listed)
    assert {rejection.entity for rejection in listed} <= {entity}
    numbers = [int(r.locator.removeprefix(f"{PARTS[entity]}:")) for r in listed]
    assert len(numbers) == len(set(numbers)) == counts["rejected"] == run.rejected_count
    return set(numbers)


@DATABASE_BACKED
@given(lines=st.lists(json_lines(broken_records("works", id_prefix="W")), max_size=10))
def test_broken_works_are_stored_whole_or_rejected_with_their_reason(catalog, lines):
    with transaction.atomic():
        held = set(Work.objects.values_list("openalex_id", flat=True))
        expected = Expected("works", lines)

        run = load(catalog / uuid.uuid4().hex, "works", lines)

        assert assert_counted(run, "works", expected) == expected.rejected
        assert run.counts.get("works", {}).get("created", 0) == len(
            set(expected.final) - held
        )
        assert Work.objects.count() == len(held | set(expected.final))
        for openalex_id, record in expected.final.items():
            work = Work.objects.get(openalex_id=openalex_id)
            assert (work.title, work.abstract, work.author_count) == (
                record.title,
                record.abstract,
                record.author_count,
            )
            byline = work.authorships.order_by("position").values_list(
                "position",
                "raw_author_name",
                "author_position",
                "is_corresponding",
                "raw_affiliation_strings",
            )
            assert list(byline) == [
                (
                    a.position,
                    a.raw_author_name,
                    a.author_position,
                    a.is_corresponding,
                    list(a.raw_affiliation_strings),
                )
                for a in record.authorships
            ]
        transaction.set_rollback(True)


@DATABASE_BACKED
@given(
    lines=st.lists(json_lines(broken_records("authors", id_prefix="A")), max_size=10)
)
def test_broken_authors_are_stored_whole_or_rejected_with_their_reason(catalog, lines):
    with transaction.atomic():
        expected = Expected("authors", lines)

        run = load(catalog / uuid.uuid4().hex, "authors", lines)

        rejected = assert_counted(run, "authors", expected)
        # The upsert may refuse more (an ORCID iD another researcher holds),
        # never fewer.
        assert rejected >= expected.rejected
        for openalex_id, record in expected.final.items():
            if expected.final_line[openalex_id] in rejected:
                continue  # refused whole: an earlier state stands
            researcher = Researcher.objects.get(openalex_id=openalex_id)
            assert researcher.display_name == record.display_name
            assert record.orcid is None or researcher.orcid == record.orcid
        transaction.set_rollback(True)


@pytest.mark.parametrize("entity", sorted(MODELS))
@DATABASE_BACKED
@given(data=st.data())
def test_broken_institutions_sources_and_topics_are_stored_whole_or_rejected(
    catalog, entity, data
):
    raws = broken_records(entity, id_prefix=PREFIXES[entity])
    lines = data.draw(st.lists(json_lines(raws), max_size=8))
    with transaction.atomic():
        expected = Expected(entity, lines)

        run = load(catalog / uuid.uuid4().hex, entity, lines)

        assert assert_counted(run, entity, expected) == expected.rejected
        for openalex_id, record in expected.final.items():
            stored = MODELS[entity].objects.get(openalex_id=openalex_id)
            assert stored.display_name == record.display_name
        transaction.set_rollback(True)


def test_a_code_longer_in_upper_case_no_longer_fails_its_batch(catalog):
    """Found by the properties: "ß".upper() is "SS", so the country code
    "ßx" became "SSX", which the column (two characters) refused, failing
    the whole batch's COPY and the run with it."""
    lines = [
        b'{"id": "https://openalex.org/I1", "display_name": "One", '
        b'"country_code": "\xc3\x9fx"}',
        b'{"id": "https://openalex.org/I2", "display_name": "Two", '
        b'"country_code": "gb"}',
    ]

    run = load(catalog / "found", "institutions", lines)

    assert (run.status, run.counts["institutions"]["created"]) == (
        ImportRun.Status.SUCCEEDED,
        2,
    )
    codes = Institution.objects.filter(openalex_id__in=["I1", "I2"])
    assert sorted(codes.values_list("openalex_id", "country_code")) == [
        ("I1", ""),
        ("I2", "GB"),
    ]
