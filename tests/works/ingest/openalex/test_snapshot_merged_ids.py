"""The snapshot loader applies ``merged_ids/authors`` and ``merged_ids/works``
to the records we hold, after the part files, resumably."""

import shutil

import pytest

from profiles.models import Researcher, ResearcherRedirect
from tests.factories import (
    ClaimedResearcherFactory,
    FollowFactory,
    ResearcherFactory,
    WorkFactory,
)
from tests.helpers.snapshot import AUTHORS, FIXTURES, author_priem, write_part
from works.models import ImportRun, RejectedRecord, Work, WorkRedirect
from works.services import snapshot_load

pytestmark = pytest.mark.django_db(transaction=True)

AUTHORS_2022 = "merged_ids/authors/2022-08-03.csv.gz"
AUTHORS_2023 = "merged_ids/authors/2023-04-13.csv"
WORKS_2024 = "merged_ids/works/2024-02-01.csv"
SURVIVOR = "A4317838346"


@pytest.fixture
def root(tmp_path):
    """A snapshot root with one author part and the two recorded
    merged-author files, placed as OpenAlex publishes them."""
    root = tmp_path / "snapshot"
    write_part(root, AUTHORS, [author_priem()])
    for relative, recorded in (
        (AUTHORS_2022, "merged_ids_authors_2022-08-03.csv.gz"),
        (AUTHORS_2023, "merged_ids_authors_2023-04-13.csv"),
    ):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / "snapshot" / recorded, root / relative)
    return root


@pytest.fixture
def held():
    """Three of the five merged-away author ids are ours, and one survivor."""
    followed = ResearcherFactory(openalex_id="A3125154712")
    follow = FollowFactory(researcher=followed)
    ClaimedResearcherFactory(openalex_id="A3124276209", headline="Owner's words")
    survivor = ResearcherFactory(openalex_id=SURVIVOR)
    renamed = ResearcherFactory(openalex_id="A3007116629")
    return survivor, renamed, follow


def redirects() -> dict[str, str]:
    return dict(
        ResearcherRedirect.objects.values_list(
            "old_openalex_id", "researcher__openalex_id"
        )
    )


def test_the_merged_authors_are_applied_to_the_records_we_hold(root, held, client):
    survivor, renamed, follow = held

    run = snapshot_load(path=root, progress=False, sync_trust=True)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.counts["merged_ids"] == {"authors": 3}
    assert run.checkpoint["merged_done"] == [AUTHORS_2022, AUTHORS_2023]
    assert redirects() == {
        "A3125154712": SURVIVOR,
        "A3124276209": SURVIVOR,
        "A3007116629": "A2090344885",
    }
    survivor.refresh_from_db()
    assert (survivor.is_claimed, survivor.headline) == (True, "Owner's words")
    assert list(survivor.follows.values_list("user", flat=True)) == [follow.user_id]
    renamed.refresh_from_db()
    assert renamed.openalex_id == "A2090344885"
    assert set(Researcher.objects.values_list("openalex_id", flat=True)) == {
        SURVIVOR,
        "A2090344885",
        "A5023888391",  # Jason Priem, from the part file
    }
    response = client.get("/researchers/A3124276209/")
    assert (response.status_code, response["Location"]) == (
        301,
        f"/researchers/{SURVIVOR}/",
    )


def test_loading_the_merged_ids_again_changes_nothing(root, held):
    snapshot_load(path=root, progress=False, sync_trust=True)
    before = (
        list(Researcher.objects.order_by("pk").values_list("pk", "updated_at")),
        redirects(),
    )

    again = snapshot_load(path=root, progress=False, sync_trust=True)

    assert again.status == ImportRun.Status.SUCCEEDED
    assert again.counts["merged_ids"] == {"authors": 0}
    assert (
        list(Researcher.objects.order_by("pk").values_list("pk", "updated_at")),
        redirects(),
    ) == before


def test_a_sliced_load_resumes_inside_a_merged_ids_file(root, held):
    run = snapshot_load(
        path=root, progress=False, sync_trust=True, batch_size=1, time_budget=0
    )
    slices = 1
    while run.status == ImportRun.Status.RUNNING:
        run = snapshot_load(
            path=root,
            run=run,
            progress=False,
            sync_trust=True,
            batch_size=1,
            time_budget=0,
        )
        slices += 1

    assert run.status == ImportRun.Status.SUCCEEDED
    assert slices > 5
    assert run.counts["merged_ids"] == {"authors": 3}
    assert len(redirects()) == 3


def test_merged_works_are_applied_and_a_malformed_line_is_rejected(root):
    old = WorkFactory(openalex_id="W5000000001", doi="10.5555/old", title="Old")
    survivor = WorkFactory(openalex_id="W5000000002", doi=None)
    path = root / WORKS_2024
    path.parent.mkdir(parents=True)
    path.write_text(
        "merge_date,id,merge_into_id\n"
        "2024-02-01,W5000000001,W5000000002\n"
        "2024-02-01,W5000000003,A5000000004\n"
        "2024-02-01,W5000000009,W5000000008\n"
    )

    run = snapshot_load(path=root, progress=False, sync_trust=True)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.counts["merged_ids"] == {"authors": 0, "works": 1}
    assert not Work.objects.filter(pk=old.pk).exists()
    survivor.refresh_from_db()
    assert survivor.doi == "10.5555/old"
    assert dict(WorkRedirect.objects.values_list("old_openalex_id", "work")) == {
        "W5000000001": survivor.pk
    }
    assert run.rejected_count == 1
    assert list(RejectedRecord.objects.values_list("entity", "locator", "reason")) == [
        (
            "merged_ids/works",
            f"{WORKS_2024}:3",
            "not two OpenAlex W ids: 'W5000000003', 'A5000000004'",
        )
    ]


def test_an_unexpected_header_fails_the_run_with_the_reason(root):
    (root / AUTHORS_2023).write_text("id,into\nA1,A2\n")

    run = snapshot_load(path=root, progress=False, sync_trust=True)

    assert run.status == ImportRun.Status.FAILED
    assert run.error == (
        f"ValueError: {AUTHORS_2023}: header ['id', 'into'], "
        "expected merge_date,id,merge_into_id"
    )
    assert "merged_done" in run.checkpoint  # the first file was applied
