"""The page of a snapshot run fanned out over workers in the admin: its part
files done of all, and each part's state, records and counts; the Resume
action sends its failed parts again."""

from __future__ import annotations

import html
import re

import pytest

from tests.factories import ImportRunFactory
from tests.helpers.brokers import purge, queued_tasks
from tests.helpers.fan_out import write_fan_out_snapshot
from works.fan_out import IMPORT_RUN_PART_TASK, snapshot_fan_out
from works.models import ImportRun, ImportRunPart

pytestmark = pytest.mark.django_db(transaction=True)

Status = ImportRunPart.Status


def page_of(client, run: ImportRun) -> str:
    response = client.get(f"/admin/works/importrun/{run.pk}/change/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def fanned_out(tmp_path) -> ImportRun:
    """A run fanned out on a queue no worker takes: one institutions part
    done, one failed, the rest of the first stage queued."""
    snapshot = write_fan_out_snapshot(tmp_path / "snapshot")
    run = snapshot_fan_out(path=snapshot.root, own_queue=True)
    purge(run.parameters["queue"])
    done, failed = run.parts.order_by("position")[:2]
    ImportRunPart.objects.filter(pk=done.pk).update(
        status=Status.SUCCEEDED, records_done=3, lines_done=3, created_count=3
    )
    ImportRunPart.objects.filter(pk=failed.pk).update(
        status=Status.FAILED, error="OperationalError: disk full"
    )
    ImportRun.objects.filter(pk=run.pk).update(progress_done=3, created_count=3)
    return run


def test_the_page_shows_the_parts_done_and_each_part(client, operator, fanned_out):
    page = page_of(client, fanned_out)

    assert "1 of 11 part files done (2 queued, 1 failed)" in page
    assert '<div class="readonly">3/90 (3%)</div>' in page
    assert 'id="parts-group"' in page
    # The failed part first, then the queued ones, then the waiting stages.
    rows = page[page.index("institutions/updated_date=2025-06-01/part_001") :]
    assert "OperationalError: disk full" in rows
    assert rows.index("part_001") < rows.index("sources/")
    assert "institutions/updated_date=2025-06-01/part_000.gz" in page
    assert "3/3" in page


def test_a_run_loaded_in_one_process_shows_no_parts(client, operator):
    page = page_of(client, ImportRunFactory())
    assert 'id="parts-group"' not in page
    label = r'<label>Part files:</label>\s*<div class="readonly">-</div>'
    assert re.search(label, page)


def test_resume_sends_the_failed_part_again(client, operator, fanned_out, task_queue):
    response = client.post(
        "/admin/works/importrun/",
        {"action": "resume_runs", "index": 0, "_selected_action": [fanned_out.pk]},
    )

    assert response.status_code == 302
    failed = fanned_out.parts.order_by("position")[1]
    failed.refresh_from_db()
    assert (failed.status, failed.error) == (Status.QUEUED, "")
    # No worker consumes the run's own queue any more: the deployment's
    # workers take the run on.
    fanned_out.refresh_from_db()
    assert "queue" not in fanned_out.parameters
    queued = fanned_out.parts.filter(stage=0).exclude(status=Status.SUCCEEDED)
    assert sorted(queued_tasks(task_queue)) == sorted(
        (IMPORT_RUN_PART_TASK, (part_id,), {})
        for part_id in queued.values_list("pk", flat=True)
    )
