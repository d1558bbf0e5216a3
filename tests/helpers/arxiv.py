"""The arXiv API replayed with ``responses`` at the requests level (the
``arxiv_api`` fixture of the arXiv importer tests registers the mock), and an
arXiv run executed in the test's own process."""

from __future__ import annotations

import responses
from responses import matchers

from tests.helpers.arxiv_server import recorded
from works.ingest.driver import run_execute
from works.ingest.runs import import_run_create
from works.models import ImportRun

ARXIV_URL = "https://export.arxiv.org/api/query"


def replay(
    mock: responses.RequestsMock,
    name: str,
    *,
    status: int = 200,
    body: bytes | None = None,
    **params: str | int,
) -> None:
    """Answer the request with exactly ``params`` (besides the sort order
    every importer request states) with the recorded file ``name``."""
    expected = {"sortBy": "submittedDate", "sortOrder": "ascending", **params}
    mock.get(
        ARXIV_URL,
        body=recorded(name) if body is None else body,
        status=status,
        content_type="application/atom+xml; charset=UTF-8",
        match=[matchers.query_param_matcher({k: str(v) for k, v in expected.items()})],
    )


def run_arxiv(**parameters) -> ImportRun:
    """A new arXiv run with ``parameters``, executed here to its end (trust
    recomputed in this process)."""
    run = import_run_create(source=ImportRun.Source.ARXIV, parameters=parameters)
    return run_execute(run, progress=False, sync_trust=True)
