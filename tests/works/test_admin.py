"""The import runs in the admin: the list and a run's page, starting an
OpenAlex import from a form, and the Resume and Re-run actions, for staff
with the right permission only."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from bzpeer.db import AdvisoryLock
from tests.factories import ImportRunFactory, UserFactory, staff_user
from tests.helpers.snapshot import STANDARD_COUNTS, build_standard_snapshot
from works.models import ImportRun, RejectedRecord
from works.services import snapshot_load
from works.tasks import import_run_task

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/works/importrun/"
START = "/admin/works/importrun/start/"


def change_url(run: ImportRun) -> str:
    return f"/admin/works/importrun/{run.pk}/change/"


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client, action: str, *runs: ImportRun):
    return client.post(
        CHANGELIST,
        {"action": action, "index": 0, "_selected_action": [run.pk for run in runs]},
    )


# --- list and page ------------------------------------------------------------


def test_the_list_shows_source_parameters_status_progress_counts_and_calls(
    client, operator
):
    run = ImportRunFactory(
        started_at=datetime(2026, 11, 29, 16, 20, 5, tzinfo=UTC),
        finished_at=datetime(2026, 11, 29, 16, 42, 0, tzinfo=UTC),
    )

    page = text_of(client.get(CHANGELIST))

    row = page[page.index(f">{run.pk}</a>") :]
    assert '<td class="field-source">OpenAlex API</td>' in row
    assert '<td class="field-short_parameters">{"authors": ["A5023888391"]}' in row
    assert '<td class="field-status">Failed</td>' in row
    assert '<td class="field-progress">2/3 (66%)</td>' in row
    assert '<td class="field-created">4</td>' in row
    assert '<td class="field-updated">1</td>' in row
    assert '<td class="field-unchanged">2</td>' in row
    assert '<td class="field-rejected">1</td>' in row
    assert '<td class="field-api_calls">3 (2 list, 1 single)</td>' in row
    assert '<td class="field-started">2026-11-29 16:20:05</td>' in row
    assert '<td class="field-finished">2026-11-29 16:42:00</td>' in row


def test_long_parameters_are_cut_and_an_unknown_total_shows_a_question_mark(
    client, operator
):
    authors = [f"A{n:010d}" for n in range(20)]
    ImportRunFactory(parameters={"authors": authors}, progress_total=None, calls={})

    page = text_of(client.get(CHANGELIST))

    assert (
        '<td class="field-short_parameters">'
        '{"authors": ["A0000000000", "A0000000001", "A0000000002", "…</td>'
    ) in page
    assert '<td class="field-progress">2/?</td>' in page
    assert '<td class="field-api_calls">-</td>' in page


def test_progress_reaches_100_percent_only_when_done(client, operator):
    ImportRunFactory(progress_done=1999, progress_total=2000)
    ImportRunFactory(progress_done=0, progress_total=0)

    page = text_of(client.get(CHANGELIST))

    assert '<td class="field-progress">1,999/2,000 (99%)</td>' in page
    assert '<td class="field-progress">0/0</td>' in page


def test_a_runs_page_shows_its_rejections_checkpoint_and_error(client, operator):
    run = ImportRunFactory()
    RejectedRecord.objects.create(
        run=run,
        entity="works",
        locator="works page 2 #7",
        reason="no title",
        excerpt="WorkRecord(openalex_id='W1')",
    )

    page = text_of(client.get(change_url(run)))

    assert "works page 2 #7" in page
    assert "no title" in page
    assert '"cursor": "IlsxNjA5"' in page
    assert "openalex-api did not answer works page 3 after 3 attempts" in page
    assert "all 1 rejected records" in page


# --- starting an import -------------------------------------------------------


def test_the_list_links_to_the_start_form_for_those_who_may_start(client, operator):
    assert "Start an OpenAlex import" in text_of(client.get(CHANGELIST))
    form = text_of(client.get(START))
    assert 'name="openalex_ids"' in form
    assert 'name="orcids"' in form
    assert 'name="csrfmiddlewaretoken"' in form

    client.force_login(staff_user("view_importrun"))
    assert "Start an OpenAlex import" not in text_of(client.get(CHANGELIST))


@pytest.mark.parametrize(
    ("data", "parameters"),
    [
        ({"openalex_ids": "A5023888391"}, {"authors": ["A5023888391"]}),
        (
            {"openalex_ids": "https://openalex.org/A5023888391, a123 A5023888391"},
            {"authors": ["A5023888391", "A123"]},
        ),
        ({"orcids": "0000-0002-1825-0097"}, {"orcids": ["0000-0002-1825-0097"]}),
        (
            {"orcids": "https://orcid.org/0000-0002-1694-233x"},
            {"orcids": ["0000-0002-1694-233X"]},
        ),
        (
            {"openalex_ids": "A123", "orcids": "0000-0002-1825-0097"},
            {"authors": ["A123"], "orcids": ["0000-0002-1825-0097"]},
        ),
    ],
)
def test_starting_an_import_makes_a_pending_run_and_enqueues_it(
    client, operator, enqueued, django_capture_on_commit_callbacks, data, parameters
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, data)

    run = ImportRun.objects.get()
    assert (run.source, run.parameters, run.status) == (
        "openalex-api",
        parameters,
        ImportRun.Status.PENDING,
    )
    assert enqueued() == [("works.import_run", (run.pk,), {})]
    assert response.status_code == 302
    assert response["Location"] == change_url(run)
    assert messages_of(response) == [
        f"Import run {run.pk} queued: "
        f"{', '.join(value for values in parameters.values() for value in values)}."
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Give an OpenAlex author id or an ORCID."),
        (
            {"openalex_ids": " ", "orcids": ""},
            "Give an OpenAlex author id or an ORCID.",
        ),
        (
            {"openalex_ids": "A1 A2", "orcids": "0000-0002-1825-0098"},
            "'0000-0002-1825-0098' is not a valid ORCID iD",
        ),
        (
            {"openalex_ids": "W2741809807"},
            "'W2741809807' is not an OpenAlex author id (A followed by digits).",
        ),
        (
            {"openalex_ids": "https://evil.example/A1"},
            "'https://evil.example/A1' is not an OpenAlex author id",
        ),
        (
            {"openalex_ids": "A1 <script>alert(1)</script>"},
            "'<script>alert(1)</script>' is not an OpenAlex author id",
        ),
        (
            {"orcids": "0000-0002-1825-0098"},
            "'0000-0002-1825-0098' is not a valid ORCID iD: its check digit is wrong.",
        ),
        (
            {"orcids": "x0000-0002-1825-0097"},
            "'x0000-0002-1825-0097' is not an ORCID iD (0000-0000-0000-000X).",
        ),
        (
            {"orcids": "0000000218250097"},
            "'0000000218250097' is not an ORCID iD (0000-0000-0000-000X).",
        ),
        (
            {"openalex_ids": " ".join(f"A{n}" for n in range(1, 27))},
            "At most 25 authors per import from here",
        ),
        (
            {
                "openalex_ids": " ".join(f"A{n}" for n in range(1, 25)),
                "orcids": "0000-0002-1825-0097 0000-0002-1694-233X",
            },
            "At most 25 authors per import from here",
        ),
    ],
)
def test_invalid_input_is_a_form_error_and_starts_nothing(
    client, operator, enqueued, django_capture_on_commit_callbacks, data, error
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, data)

    assert response.status_code == 200
    page = text_of(response)
    assert error in page
    assert 'class="errornote"' in page
    assert "<script>" not in response.content.decode()
    assert ImportRun.objects.count() == 0
    assert enqueued() == []


def test_a_non_staff_user_is_sent_to_the_admin_login(client, enqueued):
    client.force_login(UserFactory())

    for response in (
        client.get(START),
        client.post(START, {"openalex_ids": "A5023888391"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert ImportRun.objects.count() == 0
    assert enqueued() == []


def test_staff_without_the_add_permission_may_not_start(client, enqueued):
    client.force_login(staff_user("view_importrun", "change_importrun"))

    assert client.get(START).status_code == 403
    assert client.post(START, {"openalex_ids": "A5023888391"}).status_code == 403
    assert ImportRun.objects.count() == 0
    assert enqueued() == []


def test_a_post_without_the_csrf_token_is_refused(operator, enqueued):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)

    response = client.post(START, {"openalex_ids": "A5023888391"})

    assert response.status_code == 403
    assert ImportRun.objects.count() == 0
    assert enqueued() == []


# --- resume and re-run --------------------------------------------------------


def test_resume_enqueues_a_failed_run_from_its_checkpoint(
    client, operator, enqueued, django_capture_on_commit_callbacks
):
    run = ImportRunFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "resume_runs", run)

    assert enqueued() == [("works.import_run", (run.pk,), {})]
    assert response["Location"] == change_url(run)
    assert messages_of(response) == [f"Import run {run.pk} queued to resume."]
    # The run itself is the worker's to change.
    assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.FAILED


def test_resume_enqueues_a_snapshot_run_with_its_path(
    client, operator, enqueued, django_capture_on_commit_callbacks
):
    run = ImportRunFactory(
        source="openalex-snapshot",
        parameters={"path": "/data/openalex", "sample": False, "entity": "works"},
        status=ImportRun.Status.RUNNING,
    )

    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, "resume_runs", run)

    assert enqueued() == [("works.import_run", (run.pk,), {})]


def test_the_snapshot_task_resumes_a_run_limited_to_one_entity(
    tmp_path, trust_enqueued
):
    root = build_standard_snapshot(tmp_path / "snapshot")
    run = snapshot_load(
        path=root, entity="authors", batch_size=1, time_budget=0, progress=False
    )
    assert run.status == ImportRun.Status.RUNNING  # one batch, then out of time

    # What Resume enqueues for it (see the test above).
    assert import_run_task(run.pk) == run.pk

    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.counts["authors"]["created"] == STANDARD_COUNTS["authors"]
    assert list(run.counts) == ["authors"]


def test_resume_refuses_succeeded_runs_and_runs_loading_now(
    client, operator, enqueued, django_capture_on_commit_callbacks, other_session
):
    done = ImportRunFactory(status=ImportRun.Status.SUCCEEDED)
    loading = ImportRunFactory(status=ImportRun.Status.RUNNING)
    stale = ImportRunFactory(status=ImportRun.Status.RUNNING)
    # Another process loading the run holds its advisory lock.
    other_session.execute(
        "SELECT pg_advisory_lock(%s, %s)", AdvisoryLock.IMPORT_RUN.key(loading.pk)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "resume_runs", done, loading, stale)

    assert enqueued() == [("works.import_run", (stale.pk,), {})]
    assert messages_of(response) == [
        f"Not resumed: run {done.pk} has already succeeded.",
        f"Not resumed: run {loading.pk} is being loaded right now.",
        f"Import run {stale.pk} queued to resume.",
    ]


def test_rerun_makes_a_new_pending_run_with_the_same_parameters(
    client, operator, enqueued, django_capture_on_commit_callbacks
):
    run = ImportRunFactory(status=ImportRun.Status.SUCCEEDED)

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "rerun_runs", run)

    new_run = ImportRun.objects.exclude(pk=run.pk).get()
    assert (new_run.source, new_run.parameters, new_run.status) == (
        "openalex-api",
        {"authors": ["A5023888391"]},
        ImportRun.Status.PENDING,
    )
    assert (new_run.created_count, new_run.checkpoint) == (0, {})
    assert enqueued() == [("works.import_run", (new_run.pk,), {})]
    assert response["Location"] == change_url(new_run)


def test_a_snapshot_run_is_not_re_run(
    client, operator, enqueued, django_capture_on_commit_callbacks
):
    run = ImportRunFactory(source="openalex-snapshot", parameters={"path": "/x"})

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "rerun_runs", run)

    assert ImportRun.objects.count() == 1
    assert enqueued() == []
    assert messages_of(response) == [
        f"Not re-run: run {run.pk} is a openalex-snapshot run; "
        "only live imports re-run."
    ]


def test_a_runs_page_has_resume_and_re_run_buttons_for_operators(client, operator):
    run = ImportRunFactory()

    page = text_of(client.get(change_url(run)))

    assert 'value="resume_runs"' in page
    assert 'value="rerun_runs"' in page

    client.force_login(staff_user("view_importrun"))
    page = text_of(client.get(change_url(run)))
    assert 'value="resume_runs"' not in page
    assert 'value="rerun_runs"' not in page


@pytest.mark.parametrize(
    ("permissions", "action", "refusal"),
    [
        # No action at all to offer: the list is shown again.
        (("view_importrun",), "resume_runs", []),
        (("view_importrun",), "rerun_runs", []),
        # Only the other action is offered: this one is not a choice.
        (("view_importrun", "add_importrun"), "resume_runs", ["No action selected."]),
        (("view_importrun", "change_importrun"), "rerun_runs", ["No action selected."]),
    ],
)
def test_actions_need_their_permission(
    client, enqueued, django_capture_on_commit_callbacks, permissions, action, refusal
):
    run = ImportRunFactory()
    client.force_login(staff_user(*permissions))

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, action, run)

    assert response.status_code == (302 if refusal else 200)
    assert messages_of(response) == refusal
    assert list(ImportRun.objects.values_list("id", "status")) == [
        (run.pk, ImportRun.Status.FAILED)
    ]
    assert enqueued() == []


def test_a_non_staff_user_cannot_run_actions(client, enqueued):
    run = ImportRunFactory()
    client.force_login(UserFactory())

    response = run_action(client, "resume_runs", run)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert enqueued() == []


def test_the_admin_login_is_branded(client):
    html = client.get("/admin/login/").content.decode()

    assert "BZPEER administration" in html
    assert "Django administration" not in html
