"""Fixtures of the arXiv importer tests: the API replayed with ``responses``
at the requests level (``tests.helpers.arxiv.replay`` registers answers)."""

import pytest
import responses

from tests.helpers.arxiv import ARXIV_URL


@pytest.fixture
def arxiv_api(settings):
    """``responses`` answering ``ARXIV_URL``; every request not registered
    fails the test."""
    settings.ARXIV_API_URL = ARXIV_URL
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
