"""Stored URLs (a work's landing page and PDF, an institution's homepage, a
claim's homepage) reach an href only when they are http(s): a
``javascript:`` or ``data:`` URL from an import or a row written another way
is shown as text or not linked on the pages, and is null in the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.models import Claim
from tests.factories import (
    AuthorshipFactory,
    AuthorshipInstitutionFactory,
    ClaimFactory,
    InstitutionFactory,
    ResearcherFactory,
    UserFactory,
    WorkFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = [
    "javascript:alert(document.domain)",
    " JavaScript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
]


def assert_no_hostile_href(content: bytes) -> None:
    page = content.decode().lower()
    for scheme in ("javascript:", "data:", "vbscript:"):
        assert f'href="{scheme}' not in page
        assert f'href=" {scheme}' not in page
    assert 'href="&#x20;javascript' not in page


@pytest.fixture(params=HOSTILE)
def hostile(request):
    """A work, its author and its institution, every stored URL hostile."""
    url = request.param
    institution = InstitutionFactory(homepage_url=url)
    researcher = ResearcherFactory(affiliation=institution)
    # No DOI or arXiv id, so the work page would offer the landing page.
    work = WorkFactory(doi=None, landing_page_url=url, pdf_url=url)
    authorship = AuthorshipFactory(work=work, researcher=researcher)
    AuthorshipInstitutionFactory(authorship=authorship, institution=institution)
    return url, work, researcher, institution


def test_the_work_page_does_not_link_a_hostile_landing_page(client, hostile):
    _, work, _, _ = hostile

    response = client.get(reverse("catalog:work", args=[work.openalex_id]))

    assert response.status_code == 200
    assert_no_hostile_href(response.content)
    assert b"Publisher page" not in response.content


def test_the_work_page_links_an_http_landing_page(client):
    work = WorkFactory(doi=None, landing_page_url="https://publisher.example/a/1")

    response = client.get(reverse("catalog:work", args=[work.openalex_id]))

    assert b'href="https://publisher.example/a/1"' in response.content


def test_the_institution_page_does_not_link_a_hostile_homepage(client, hostile):
    _, _, _, institution = hostile

    response = client.get(
        reverse("catalog:institution", args=[institution.openalex_id])
    )

    assert response.status_code == 200
    assert_no_hostile_href(response.content)


def test_the_institution_page_links_an_http_homepage(client):
    institution = InstitutionFactory(homepage_url="https://uni.example.edu")

    response = client.get(
        reverse("catalog:institution", args=[institution.openalex_id])
    )

    assert b'href="https://uni.example.edu"' in response.content


def test_the_profile_page_does_not_link_hostile_urls(client, hostile):
    _, _, researcher, _ = hostile

    response = client.get(reverse("profiles:detail", args=[researcher.openalex_id]))

    assert response.status_code == 200
    assert_no_hostile_href(response.content)


@pytest.mark.parametrize("url", HOSTILE)
def test_the_claim_admin_page_shows_a_hostile_homepage_as_text(admin_client, url):
    # Claims validate http(s) on submission; this row is written directly,
    # as an older import or a shell session could.
    claim = ClaimFactory(homepage_url="https://ok.example")
    Claim.objects.filter(pk=claim.pk).update(homepage_url=url)

    response = admin_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))

    assert response.status_code == 200
    assert_no_hostile_href(response.content)


def test_the_claim_admin_page_links_an_http_homepage(admin_client):
    claim = ClaimFactory(homepage_url="https://me.example.org")

    response = admin_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))

    assert b'href="https://me.example.org"' in response.content


def test_the_api_nulls_hostile_urls(client, hostile):
    url, work, researcher, institution = hostile
    client.force_login(UserFactory())
    bodies = []
    for name, key in [
        ("api:work", work.openalex_id),
        ("api:institution", institution.openalex_id),
        ("api:researcher", researcher.openalex_id),
    ]:
        response = client.get(reverse(name, args=[key]))
        assert response.status_code == 200, name
        bodies.append(response)

    work_body, institution_body, _ = (r.json() for r in bodies)
    assert work_body["landing_page_url"] is None
    assert work_body["pdf_url"] is None
    assert institution_body["homepage_url"] is None
    for response in bodies:
        assert url.strip().split(":")[1][:10] not in response.content.decode()


def test_the_api_keeps_http_urls_and_empty_ones(client):
    work = WorkFactory(landing_page_url="https://publisher.example/a/1", pdf_url="")
    client.force_login(UserFactory())

    body = client.get(reverse("api:work", args=[work.openalex_id])).json()

    assert body["landing_page_url"] == "https://publisher.example/a/1"
    assert body["pdf_url"] == ""
