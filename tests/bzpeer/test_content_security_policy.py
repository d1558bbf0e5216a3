"""Every page is sent with a Content-Security-Policy that allows no inline
script (nor inline style, plugins or framing), and the pages need none."""

import pytest
from django.urls import reverse

from tests.factories import ResearcherFactory

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_pages_forbid_inline_script_style_plugins_and_framing(client):
    researcher = ResearcherFactory()
    for path in (
        "/",
        reverse("profiles:detail", args=[researcher.openalex_id]),
        "/accounts/login/",
        "/researchers/A0000000000/",  # the 404 page too
    ):
        policy = directives(client.get(path))
        assert policy["script-src"] == ["'self'"], path
        assert policy["style-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert "'unsafe-inline'" not in str(policy), path
