"""``manage.py import_arxiv`` against a real HTTP server on 127.0.0.1 that
serves recorded arXiv bytes (no ``responses`` here): ids, searches by query,
category and dates, paging, resuming, and the arguments it refuses."""

import re
import time
from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command

from tests.helpers.arxiv_server import (
    atom_feed,
    entries_with_distinct_ids,
    recorded_entries,
)
from works.models import ImportRun, Work

pytestmark = pytest.mark.django_db(transaction=True)


def import_arxiv(*arguments: str) -> str:
    out = StringIO()
    call_command("import_arxiv", *arguments, "--sync-trust", stdout=out)
    return out.getvalue()


def test_papers_by_id_come_from_the_server_arxiv_url_names(arxiv_server):
    arxiv_server.serve_entries(
        recorded_entries("id_1605.08386_s0_m100.atom.xml")
        + recorded_entries("id_astro-ph_0601001_s0_m100.atom.xml")
    )

    output = import_arxiv("--id", "1605.08386v2", "astro-ph/0601001", "0000.0000")

    run = ImportRun.objects.get()
    assert run.parameters == {
        "ids": ["1605.08386", "astro-ph/0601001", "0000.0000"],
        "page_size": 100,
    }
    assert [request["id_list"] for request in arxiv_server.requests] == [
        "1605.08386,astro-ph/0601001,0000.0000"
    ]
    assert arxiv_server.requests[0]["max_results"] == "3"
    assert sorted(Work.objects.values_list("arxiv_id", "title")) == [
        ("1605.08386", "Heat-bath random walks with Markov bases"),
        (
            "astro-ph/0601001",
            "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III "
            "Transit Surveys Toward the Galactic Bulge and Carina",
        ),
    ]
    lines = output.splitlines()
    assert lines[0] == f"Import run {run.pk} (arxiv): succeeded"
    assert lines[3].split() == ["works", "2", "0", "0", "0"]
    assert "warning: arXiv has no paper 0000.0000" in output


def test_a_search_is_stored_page_by_page_and_resumes_at_the_next_page(
    arxiv_server, settings
):
    arxiv_server.serve_entries(entries_with_distinct_ids(10))
    # The third page keeps failing until the run gives up on it.
    arxiv_server.fail(start=6, times=settings.IMPORT_MAX_ATTEMPTS)

    with pytest.raises(CommandError) as failed:
        import_arxiv("--query", "all:testing", "--page-size", "3")

    run = ImportRun.objects.get()
    assert str(failed.value) == (
        f"import run {run.pk} failed: {run.error}; continue it with --resume {run.pk}"
    )
    assert run.error.startswith(
        "arxiv did not answer results 7-9 of 'all:testing' after 3 attempts"
    )
    assert (run.checkpoint, run.progress_done, run.progress_total) == (
        {"start": 6},
        2,
        4,
    )
    assert Work.objects.count() == 6
    assert [request["start"] for request in arxiv_server.requests] == [
        "0",
        "3",
        "6",
        "6",
        "6",
    ]
    arxiv_server.requests.clear()

    output = import_arxiv("--resume", str(run.pk))

    assert [request["start"] for request in arxiv_server.requests] == ["6", "9"]
    assert {request["search_query"] for request in arxiv_server.requests} == {
        "all:testing"
    }
    run.refresh_from_db()
    assert (run.status, run.created_count, run.progress_done) == (
        ImportRun.Status.SUCCEEDED,
        11,  # the venue and ten works
        4,
    )
    assert sorted(Work.objects.values_list("arxiv_id", flat=True)) == [
        f"2501.{n:05d}" for n in range(1, 11)
    ]
    assert output.startswith(f"Import run {run.pk} (arxiv): succeeded")


def test_a_category_and_dates_become_a_submitted_date_query(arxiv_server):
    arxiv_server.serve_entries(entries_with_distinct_ids(2))

    import_arxiv("--category", "cs.CL", "--from", "2024-01-01", "--until", "2024-01-31")

    (request,) = arxiv_server.requests
    assert request == {
        "search_query": "cat:cs.CL AND submittedDate:[202401010000 TO 202401312359]",
        "start": "0",
        "max_results": "100",
        "sortBy": "submittedDate",
        "sortOrder": "ascending",
    }
    assert Work.objects.count() == 2


def test_the_server_delay_slows_every_answer(arxiv_server):
    arxiv_server.serve_entries(entries_with_distinct_ids(2))
    arxiv_server.delay = 0.3

    started = time.monotonic()
    import_arxiv("--query", "all:testing", "--page-size", "1")

    assert time.monotonic() - started >= 0.6
    assert Work.objects.count() == 2


def test_an_empty_page_inside_the_result_set_is_asked_for_again(arxiv_server):
    arxiv_server.serve_entries(entries_with_distinct_ids(10))
    arxiv_server.empty(start=3, times=2)

    import_arxiv("--query", "all:testing", "--page-size", "3")

    run = ImportRun.objects.get()
    assert (run.status, run.calls, run.checkpoint) == (
        ImportRun.Status.SUCCEEDED,
        {"list": 6},
        {"start": 10},
    )
    assert [request["start"] for request in arxiv_server.requests] == [
        "0",
        "3",
        "3",
        "3",
        "6",
        "9",
    ]
    assert Work.objects.count() == 10


def test_empty_pages_inside_the_result_set_fail_the_run_resumably(
    arxiv_server, settings
):
    arxiv_server.serve_entries(entries_with_distinct_ids(10))
    arxiv_server.empty(start=3, times=settings.IMPORT_MAX_ATTEMPTS)

    with pytest.raises(CommandError):
        import_arxiv("--query", "all:testing", "--page-size", "3")

    run = ImportRun.objects.get()
    assert (run.status, run.error, run.checkpoint) == (
        ImportRun.Status.FAILED,
        "arXiv answered results 4-6 of 'all:testing' with no entries 3 times "
        "while counting 10 results; resume the run later",
        {"start": 3},
    )
    assert [request["start"] for request in arxiv_server.requests] == [
        "0",
        "3",
        "3",
        "3",
    ]
    assert Work.objects.count() == 3
    arxiv_server.requests.clear()

    import_arxiv("--resume", str(run.pk))

    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert [request["start"] for request in arxiv_server.requests] == [
        "3",
        "6",
        "9",
    ]
    assert Work.objects.count() == 10


def test_a_server_answering_the_same_page_for_every_start_fails_the_run(
    arxiv_server,
):
    # A static server: the first three papers, counted among a thousand,
    # whatever ``start`` asks for.
    arxiv_server.respond_with(atom_feed(entries_with_distinct_ids(3), total=1000))

    with pytest.raises(CommandError):
        import_arxiv("--query", "all:testing", "--page-size", "3")

    run = ImportRun.objects.get()
    assert (run.status, run.error, run.checkpoint) == (
        ImportRun.Status.FAILED,
        "arXiv answered the same page twice: results 4-6 of 'all:testing' "
        "holds only papers of results 1-3 (2501.00001, 2501.00002, "
        "2501.00003); its paging is broken, nothing more is imported; resume "
        "the run later",
        {"start": 3},
    )
    assert [request["start"] for request in arxiv_server.requests] == ["0", "3"]
    assert sorted(Work.objects.values_list("arxiv_id", flat=True)) == [
        "2501.00001",
        "2501.00002",
        "2501.00003",
    ]


def test_a_page_at_or_past_the_total_ends_the_run(arxiv_server):
    # The server counts fewer results than it serves: the run trusts the count.
    arxiv_server.respond_with(atom_feed(entries_with_distinct_ids(3), total=2))

    import_arxiv("--query", "all:testing", "--page-size", "3")

    run = ImportRun.objects.get()
    assert (run.status, run.checkpoint) == (
        ImportRun.Status.SUCCEEDED,
        {"start": 3},
    )
    assert len(arxiv_server.requests) == 1


def test_a_client_that_hangs_up_leaves_the_server_quiet(arxiv_server, capfd):
    arxiv_server.serve_entries(entries_with_distinct_ids(50))
    arxiv_server.delay = 0.2
    for _ in range(2):
        with pytest.raises(requests.Timeout):
            requests.get(
                arxiv_server.url,
                params={"search_query": "all:testing", "max_results": 50},
                timeout=0.05,
            )

    time.sleep(0.5)  # the server answers the clients that left

    assert len(arxiv_server.requests) == 2
    assert "BrokenPipeError" not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--id", "abc", "1605.08386"], "not arXiv ids: abc"),
        (["--id", "1605.08386", "--query", "au:x"], "give either --id or a search"),
        ([], "give --id, --query, or --category (with dates)"),
        (["--from", "2024-01-01"], "--from/--until need --category or --query"),
        (["--category", "cs.CL", "--from", "2024-13-01"], "is not a date"),
        (["--category", "cs CL"], "'cs CL' is not an arXiv category"),
        (["--id", "1605.08386", "--page-size", "5000"], "--page-size must be 1"),
        (["--resume", "999999"], "there is no import run 999999"),
    ],
)
def test_wrong_arguments_are_refused_before_any_request(
    arxiv_server, arguments, message
):
    with pytest.raises(CommandError, match=re.escape(message)):
        import_arxiv(*arguments)

    assert arxiv_server.requests == []
    assert ImportRun.objects.count() == 0
