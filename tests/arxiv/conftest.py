"""Fixtures of the arXiv importer tests: the API replayed with ``responses``
at the requests level, or served for real by a local ``ArxivServer``."""

from __future__ import annotations

import pytest
import responses
from responses import matchers

from works.importers.base import live_import_create, live_import_execute
from works.models import ImportRun

from .server import ArxivServer, recorded

ARXIV_URL = "https://export.arxiv.org/api/query"


@pytest.fixture
def arxiv_api(settings):
    """``responses`` answering ``ARXIV_URL``; every request not registered
    fails the test."""
    settings.ARXIV_API_URL = ARXIV_URL
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


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


@pytest.fixture
def arxiv_server(settings):
    """A started ``ArxivServer`` that ``ARXIV_API_URL`` points at."""
    with ArxivServer() as server:
        settings.ARXIV_API_URL = server.url
        yield server


def run_arxiv(**parameters) -> ImportRun:
    """A new arXiv run with ``parameters``, executed here to its end (trust
    recomputed in this process)."""
    run = live_import_create(source="arxiv", parameters=parameters)
    return live_import_execute(run, progress=False, sync_trust=True)
