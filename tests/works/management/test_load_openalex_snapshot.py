"""The faces of the loader: ``manage.py load_openalex_snapshot``, the Celery
task, the trust recompute they trigger, and the admin pages of import runs
and the catalog."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from profiles.models import Researcher
from profiles.tasks import import_run_trust_refresh, researcher_trust_recompute
from tests.factories import UserFactory
from tests.helpers.brokers import purge, queued_tasks
from tests.helpers.snapshot import WORKS, work_state_of_oa, write_part
from works import tasks
from works.ingest.runs import import_run_create
from works.models import ImportRun, Work
from works.selectors import import_run_touched_researcher_ids
from works.services import snapshot_load

pytestmark = pytest.mark.django_db(transaction=True)


def run_command(*args) -> str:
    out = StringIO()
    call_command("load_openalex_snapshot", *map(str, args), stdout=out)
    return out.getvalue()


def researcher_ids() -> list[int]:
    return sorted(Researcher.objects.values_list("id", flat=True))


def test_the_command_prints_a_summary_and_queues_trust(snapshot_root, trust_enqueued):
    output = run_command(snapshot_root)

    run = ImportRun.objects.get()
    assert output.splitlines() == [
        f"Import run {run.pk} (openalex-snapshot): succeeded",
        "entity        created  updated  unchanged  rejected",
        "institutions        3        0          0         0",
        "sources             2        0          0         0",
        "topics              4        0          0         0",
        "authors             2        0          0         0",
        "works               3        0          0         0",
        "total              14        0          0         0",
        "Trust queued for recompute for the researchers the run touched.",
    ]
    assert trust_enqueued() == [researcher_ids()]


def test_the_command_lists_the_first_rejections(snapshot_root, trust_enqueued):
    write_part(snapshot_root, WORKS, [work_state_of_oa(), "{bad json", "[]"])
    output = run_command(snapshot_root / WORKS)
    assert "works               1        0          0         2" in output
    assert output.splitlines()[-4:] == [
        "First rejected records (of 2):",
        f"  {WORKS}:2  invalid JSON: Expecting property name enclosed in double quotes",
        f"  {WORKS}:3  record is not a JSON object",
        "Trust queued for recompute for the researchers the run touched.",
    ]
    assert trust_enqueued() == []


def test_the_command_refuses_a_missing_path(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run_command(tmp_path / "nowhere")
    assert ImportRun.objects.count() == 0


def test_the_command_refuses_an_unknown_run(snapshot_root):
    with pytest.raises(CommandError, match="there is no import run 999"):
        run_command(snapshot_root, "--resume", 999)


def test_the_command_resumes_a_run(snapshot_root, trust_enqueued):
    run = snapshot_load(path=snapshot_root, progress=False, time_budget=0)
    assert run.status == ImportRun.Status.RUNNING
    output = run_command(snapshot_root, "--resume", run.pk)
    first_line = output.splitlines()[0]
    assert first_line == f"Import run {run.pk} (openalex-snapshot): succeeded"
    run.refresh_from_db()
    assert run.created_count == 14
    assert trust_enqueued() == [researcher_ids()]


def test_the_command_recomputes_trust_in_process_on_request(
    snapshot_root, trust_enqueued
):
    output = run_command(snapshot_root, "--sync-trust")
    assert "Trust recomputed for the researchers the run touched." in output
    assert trust_enqueued() == []
    assert not Researcher.objects.filter(trust_computed_at__isnull=True).exists()


def test_one_entity_of_a_root_and_the_sample_flag(snapshot_root, trust_enqueued):
    output = run_command(snapshot_root, "--entity", "topics", "--sample")
    assert "topics              4        0          0         0" in output
    run = ImportRun.objects.get()
    assert run.parameters == {
        "path": str(snapshot_root.resolve()),
        "sample": True,
        "entity": "topics",
    }
    assert trust_enqueued() == []


def test_trust_is_queued_for_touched_researchers_in_chunks(
    snapshot_root, trust_enqueued
):
    first = snapshot_load(path=snapshot_root, progress=False)
    # The after-run step queued the two researchers the load touched.
    assert trust_enqueued() == [researcher_ids()]
    assert import_run_trust_refresh(first, chunk_size=1) == 2
    assert trust_enqueued()[1:] == [
        [researcher_id] for researcher_id in researcher_ids()
    ]

    unchanged = snapshot_load(path=snapshot_root, progress=False)
    assert list(import_run_touched_researcher_ids(run=unchanged)) == []

    cited = work_state_of_oa()
    cited["cited_by_count"] = 1000
    write_part(snapshot_root, WORKS, [cited])
    changed = snapshot_load(path=snapshot_root / WORKS, progress=False)
    # Only Jason Priem, of the PeerJ article's nine authors, is a researcher.
    priem = Researcher.objects.get(openalex_id="A5023888391")
    assert list(import_run_touched_researcher_ids(run=changed)) == [[priem.pk]]


def test_the_task_loads_in_slices_and_then_queues_trust(
    snapshot_root, task_queue, settings
):
    # No time: each slice writes one batch, then re-enqueues the next slice.
    settings.IMPORT_TASK_TIME_BUDGET = 0

    run_id = import_run_create(
        source=ImportRun.Source.OPENALEX_SNAPSHOT,
        parameters={"path": str(snapshot_root.resolve()), "sample": False},
    ).pk
    assert tasks.import_run_task(run_id) == run_id

    assert ImportRun.objects.get(pk=run_id).status == ImportRun.Status.RUNNING
    next_slice = (tasks.import_run_task.name, (run_id,), {})
    assert queued_tasks(task_queue) == [next_slice]
    # Act as the worker: take each re-enqueued message and run it, until the
    # run is done and no slice is left in the queue.
    slices = 1
    while (queued := queued_tasks(task_queue)) == [next_slice]:
        purge(task_queue)
        assert slices < 50, "the slices never end"
        _, args, kwargs = queued[0]
        assert tasks.import_run_task(*args, **kwargs) == run_id
        slices += 1
    run = ImportRun.objects.get(pk=run_id)
    assert (run.status, run.created_count) == (ImportRun.Status.SUCCEEDED, 14)
    assert slices > 1
    # The last slice queued the trust recompute, and nothing else.
    trust = (researcher_trust_recompute.name, (researcher_ids(),), {})
    assert queued_tasks(task_queue) == [trust]
    # A redelivered message for the finished run does nothing.
    assert tasks.import_run_task(run_id) == run_id
    assert ImportRun.objects.count() == 1
    assert tasks.import_run_task(999) == 999
    assert queued_tasks(task_queue) == [trust]


@pytest.fixture
def admin_client_logged_in(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_the_admin_shows_runs_their_rejections_and_the_catalog(
    snapshot_root, admin_client_logged_in
):
    write_part(snapshot_root, WORKS, [work_state_of_oa(), *["{bad json"] * 60])
    run = snapshot_load(path=snapshot_root, progress=False, sync_trust=True)
    client = admin_client_logged_in

    listing = client.get("/admin/works/importrun/")
    assert listing.status_code == 200
    assert '<td class="field-progress">72/72 (100%)</td>' in listing.text
    detail = client.get(f"/admin/works/importrun/{run.pk}/change/")
    assert detail.status_code == 200
    # The first 50 of 60 rejections inline, and a link to all of them.
    assert detail.text.count('<td class="field-locator">') == 50
    assert "all 60 rejected records" in detail.text
    for page in ("work", "authorship", "institution", "source", "topic"):
        assert client.get(f"/admin/works/{page}/").status_code == 200
    found = client.get(
        "/admin/works/work/", {"q": "https://doi.org/10.7717/PEERJ.4375"}
    )
    assert "The state of OA" in found.text
    work = Work.objects.get(openalex_id="W2741809807")
    assert client.get(f"/admin/works/work/{work.pk}/change/").status_code == 200
