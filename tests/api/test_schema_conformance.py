"""Schemathesis over the API's read operations on the sample data: no
server error, and every answer (status, content type, headers, body) as the
OpenAPI schema at /api/schema/ says.

Each operation is tried with 25 derandomized examples: half on a real id of
the sample data (so the bodies checked are full ones, not only 404s), half
on any id the schema allows. The requests go to the project's WSGI
application in this thread, so they read the test's transaction."""

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, strategies
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bzpeer.wsgi import application
from profiles.models import Researcher
from tests.helpers.paths import SAMPLE_SNAPSHOT
from works.models import Institution, Topic, Work
from works.services import snapshot_load

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = hypothesis.settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_in_test_transaction():
    """Django closes the connection around each WSGI request (it is not in
    autocommit inside a test); its test client disconnects that handler
    too, so the requests see the test's rows."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _sample_ids() -> dict[str, str]:
    """A real id of each kind, the busiest of each, for the path."""
    researcher = Researcher.objects.filter(is_hidden=False).order_by(
        "-listed_works_count", "pk"
    )[0]
    return {
        "/api/researchers/": researcher.openalex_id,
        "/api/works/": Work.objects.filter(authorships__researcher=researcher)
        .order_by("pk")[0]
        .openalex_id,
        "/api/topics/": Topic.objects.order_by("pk")[0].openalex_id,
        "/api/institutions/": Institution.objects.order_by("pk")[0].openalex_id,
    }


def test_the_read_endpoints_answer_as_the_schema_says(wsgi_in_test_transaction):
    snapshot_load(path=SAMPLE_SNAPSHOT, sample=True, progress=False, sync_trust=True)
    ids = _sample_ids()
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", wsgi_in_test_transaction
    ).include(method="GET")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:
        strategy = operation.as_strategy()
        if "{openalex_id}" in operation.path:
            real = next(v for k, v in ids.items() if operation.path.startswith(k))
            strategy = strategies.one_of(
                operation.as_strategy(path_parameters={"openalex_id": real}),
                strategy,
            )

        @EXAMPLES
        @hypothesis.given(case=strategy)
        def check(case):
            case.call_and_validate(checks=CHECKS)

        check()
