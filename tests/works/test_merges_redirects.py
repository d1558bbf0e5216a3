"""The profile URL of a record OpenAlex merged away answers with a permanent
redirect to the survivor's."""

import pytest

from tests.factories import ResearcherFactory, work_with_team
from tests.helpers.pages import page_text
from works.merges import researcher_merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def survivor():
    ResearcherFactory(openalex_id="A5000000001")
    survivor = ResearcherFactory(openalex_id="A5000000002", display_name="Survivor")
    researcher_merge(old_openalex_id="A5000000001", new_openalex_id="A5000000002")
    return survivor


def test_the_old_profile_url_redirects_permanently_to_the_survivor(client, survivor):
    response = client.get("/researchers/A5000000001/")

    assert response.status_code == 301
    assert response["Location"] == "/researchers/A5000000002/"
    assert "Survivor" in page_text(client.get(response["Location"]))


def test_the_redirect_keeps_the_query_string(client, survivor):
    for _ in range(21):
        work_with_team(researchers=[survivor])

    response = client.get("/researchers/A5000000001/?sort=citations&page=2")

    assert response.status_code == 301
    assert response["Location"] == "/researchers/A5000000002/?sort=citations&page=2"
    assert "Page 2 of 2" in page_text(client.get(response["Location"]))


def test_the_old_trust_page_redirects_to_the_survivors(client, survivor):
    response = client.get("/researchers/A5000000001/trust/?from=search")

    assert response.status_code == 301
    assert response["Location"] == "/researchers/A5000000002/trust/?from=search"


def test_an_id_never_held_is_still_404(client, survivor):
    assert client.get("/researchers/A5000000003/").status_code == 404
    assert client.get("/researchers/A5000000003/trust/").status_code == 404


def test_a_chain_of_merges_redirects_in_one_step(client, survivor):
    final = ResearcherFactory(openalex_id="A5000000004")
    researcher_merge(old_openalex_id="A5000000002", new_openalex_id="A5000000004")

    for old in ("A5000000001", "A5000000002"):
        response = client.get(f"/researchers/{old}/")
        assert response.status_code == 301
        assert response["Location"] == f"/researchers/{final.openalex_id}/"
