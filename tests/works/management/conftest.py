"""Fixtures of the management command tests: a local arXiv server."""

import pytest

from tests.helpers.arxiv_server import ArxivServer


@pytest.fixture
def arxiv_server(settings):
    """A started ``ArxivServer`` that ``ARXIV_API_URL`` points at."""
    with ArxivServer() as server:
        settings.ARXIV_API_URL = server.url
        yield server
