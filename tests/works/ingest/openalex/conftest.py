"""Fixtures of the OpenAlex importer tests: api.openalex.org replayed (see
``tests.helpers.openalex``)."""

import pytest
import responses

from tests.helpers.openalex import (
    PRIEM,
    PRIEM_WORKS_FILTER,
    OpenAlexReplay,
    priem,
    priem_pages,
)


@pytest.fixture
def openalex(settings):
    """The replayed API, with an API key and contact e-mail configured."""
    settings.OPENALEX_API_KEY = "test-api-key"
    settings.OPENALEX_EMAIL = "operator@bzpeer.example"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        replay = OpenAlexReplay(mock)
        yield replay
    assert replay.unrecorded == []


@pytest.fixture
def priem_recorded(openalex) -> OpenAlexReplay:
    """Jason Priem's author record and his works walk, recorded."""
    openalex.single(f"authors/{PRIEM}", priem())
    openalex.walk("works", priem_pages(), filter=PRIEM_WORKS_FILTER)
    return openalex
