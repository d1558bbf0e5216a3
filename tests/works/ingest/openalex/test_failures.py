"""What OpenAlex answers when it does not answer well: rate limits and server
errors are retried, a run that cannot go on fails with the reason and keeps
what it stored, ``--resume`` completes it; refused and malformed answers are
not retried."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.helpers.openalex import (
    PRIEM,
    PRIEM_WORKS_FILTER,
    Answer,
    priem,
    priem_pages,
    recorded,
)
from works.ingest.driver import run_execute
from works.ingest.runs import import_run_create
from works.models import Authorship, ImportRun, Work

pytestmark = pytest.mark.django_db

PAGE_2_CURSOR = priem_pages()[0]["meta"]["next_cursor"]


def import_openalex(*args) -> str:
    out = StringIO()
    call_command("import_openalex", *args, "--sync-trust", stdout=out)
    return out.getvalue()


def test_a_429_is_retried_after_retry_after_and_the_import_succeeds(priem_recorded):
    first, *_ = priem_pages()
    priem_recorded.page(
        "works",
        Answer(status=429, headers={"Retry-After": "0"}, body={"error": "slow down"}),
        first,
        filter=PRIEM_WORKS_FILTER,
    )

    import_openalex("--author", PRIEM)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert Work.objects.count() == 4
    # The 429 counts: OpenAlex saw the call.
    assert run.calls == {"single": 1, "list": 14}
    first_pages = [
        r
        for r in priem_recorded.made()
        if r.path == "/works" and r.params["cursor"] == "*"
    ]
    assert len(first_pages) == 2


def test_a_server_failing_three_times_fails_the_run_and_resume_completes_it(
    priem_recorded,
):
    _, second, _ = priem_pages()
    priem_recorded.page(
        "works",
        *[Answer(status=500, body="upstream exploded")] * 3,
        second,
        filter=PRIEM_WORKS_FILTER,
        cursor=PAGE_2_CURSOR,
    )

    with pytest.raises(CommandError, match="continue it with --resume"):
        import_openalex("--author", PRIEM)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.error == (
        "openalex-api did not answer works page 2 of author A5023888391 after 3 "
        "attempts (last: HTTP 500: upstream exploded)"
    )
    # Page 1 stays, whole: its works with all their authorships.
    assert sorted(Work.objects.values_list("openalex_id", flat=True)) == [
        "W2162348455",
        "W2741809807",
    ]
    assert Authorship.objects.count() == 9 + 5
    assert run.checkpoint["cursor"] == PAGE_2_CURSOR
    assert run.checkpoint["page"] == 2
    assert run.calls["list"] == 2 + 5 + 3

    output = import_openalex("--resume", run.pk)

    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert output.splitlines()[0] == f"Import run {run.pk} (openalex-api): succeeded"
    assert Work.objects.count() == 4
    assert Authorship.objects.count() == 9 + 5 + 3 + 4
    assert run.counts["works"] == {
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    # The resumed execution started at page 2: the author and page 1 were
    # not asked for again.
    assert [r.path for r in priem_recorded.made()].count(f"/authors/{PRIEM}") == 1
    works_pages = [
        r.params["cursor"] for r in priem_recorded.made() if r.path == "/works"
    ]
    assert works_pages.count("*") == 1


def test_a_page_that_is_not_json_fails_the_run_with_the_reason(priem_recorded):
    priem_recorded.page(
        "works",
        Answer(body="<html><body>Service temporarily unavailable</body></html>"),
        filter=PRIEM_WORKS_FILTER,
    )

    with pytest.raises(CommandError):
        import_openalex("--author", PRIEM)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.error.startswith(
        "OpenAlex answered works page 1 of author A5023888391 with a page that "
        "is not JSON (Expecting value: line 1 column 1"
    )
    # Not retried: the same request would get the same page.
    assert run.calls == {"single": 1, "list": 3}
    assert Work.objects.count() == 0


def test_json_that_is_not_an_openalex_answer_fails_the_run_with_the_reason(
    priem_recorded,
):
    priem_recorded.page(
        "works", Answer(body={"message": "maintenance"}), filter=PRIEM_WORKS_FILTER
    )

    with pytest.raises(CommandError):
        import_openalex("--author", PRIEM)

    run = ImportRun.objects.get()
    assert run.error == (
        "OpenAlex answered works page 1 of author A5023888391 with JSON that is "
        "not an OpenAlex answer (ValueError: Unknown response format)"
    )


def test_an_invalid_filter_is_refused_with_openalex_s_reason(openalex):
    refusal = recorded("error_400_invalid_filter.json")
    openalex.page("works", Answer(status=400, body=refusal), filter="DOESNTEXIST:1")

    with pytest.raises(CommandError):
        import_openalex("--works-filter", "DOESNTEXIST:1")

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.error.startswith(
        "OpenAlex refused works page 1 of the works filter: DOESNTEXIST is not a "
        "valid field. Valid fields are"
    )
    assert run.calls == {"list": 1}


def test_a_bad_api_key_is_refused_and_not_retried(openalex):
    openalex.single(
        f"authors/{PRIEM}",
        Answer(status=401, body=recorded("error_401_invalid_api_key.json")),
        priem(),
    )

    with pytest.raises(CommandError):
        import_openalex("--author", PRIEM)

    run = ImportRun.objects.get()
    assert run.error == (
        "OpenAlex refused author A5023888391: Invalid or missing API key. Did you "
        "configure a valid API key?"
    )
    assert run.calls == {"single": 1}


def test_a_run_cut_after_every_page_resumes_exactly_where_it_stopped(
    priem_recorded,
):
    run = import_run_create(source="openalex-api", parameters={"authors": [PRIEM]})

    executions = 0
    while run.status != ImportRun.Status.SUCCEEDED:
        # A zero time budget stops each execution after the page it stored,
        # as a Celery time slice (or a kill between pages) does.
        run = run_execute(run, progress=False, time_budget=0, sync_trust=True)
        executions += 1
        assert executions <= 10

    # The look-up, two pages, the empty last page, the held works the walk
    # did not list (none: no call), then nothing left.
    assert executions == 6
    assert Work.objects.count() == 4
    assert (run.created_count, run.updated_count, run.unchanged_count) == (66, 0, 0)
    # No request was made twice.
    made = [(r.path, tuple(sorted(r.params.items()))) for r in priem_recorded.made()]
    assert len(made) == len(set(made)) == 14
