"""Researcher records in the admin: found by name, ORCID or OpenAlex id, shown
with their works and close collaborators, and never edited by hand (nor are
the works the sources own)."""

import pytest

from profiles.models import Researcher
from tests.factories import ResearcherFactory, UserFactory, work_with_team
from works.models import Work

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/profiles/researcher/"


@pytest.fixture
def moderator(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def listed(client, query: str) -> str:
    return client.get(CHANGELIST, {"q": query}).content.decode()


def test_a_record_is_found_by_name_orcid_or_openalex_id(moderator):
    ResearcherFactory(
        display_name="José Álvarez",
        openalex_id="A5000000111",
        orcid="0000-0002-1825-0097",
    )
    ResearcherFactory(display_name="Someone Else", openalex_id="A5000000222")

    for query in (
        "alvarez jose",
        "0000-0002-1825-0097",
        "https://orcid.org/0000-0002-1825-0097",
        "A5000000111",
        "https://openalex.org/A5000000111",
    ):
        page = listed(moderator, query)
        assert "José Álvarez" in page, query
        assert "Someone Else" not in page, query


def test_the_record_shows_its_works_and_close_collaborators(moderator):
    me = ResearcherFactory(display_name="Centre Person")
    pair = ResearcherFactory(display_name="Pair <b>Coauthor</b>")
    work_with_team(
        researchers=[me, pair], title="A Shared Paper", publication_year=2024
    )

    page = moderator.get(f"{CHANGELIST}{me.pk}/change/").content.decode()

    assert "2024 · A Shared Paper" in page
    assert "Pair &lt;b&gt;Coauthor&lt;/b&gt;</a> · tie strength 1.00" in page
    assert f"?researcher__id__exact={me.pk}" in page
    assert f'href="/researchers/{me.openalex_id}/"' in page
    assert 'name="_save"' not in page  # read-only: nothing to save


def test_hand_edits_of_source_owned_rows_are_refused(moderator):
    researcher = ResearcherFactory(display_name="Imported Name")
    work = work_with_team(researchers=[researcher], title="Imported Title")

    refused = [
        moderator.post(
            f"{CHANGELIST}{researcher.pk}/change/", {"display_name": "Hand Edit"}
        ),
        moderator.post(f"/admin/works/work/{work.pk}/change/", {"title": "Hand Edit"}),
        moderator.post(f"/admin/works/work/{work.pk}/delete/", {"post": "yes"}),
        moderator.get("/admin/works/work/add/"),
        moderator.get(f"{CHANGELIST}add/"),
    ]

    assert [response.status_code for response in refused] == [403] * 5
    assert Researcher.objects.get(pk=researcher.pk).display_name == "Imported Name"
    assert Work.objects.get(pk=work.pk).title == "Imported Title"


def test_every_authorship_of_a_record_is_one_click_away(moderator):
    researcher = ResearcherFactory()
    work_with_team(researchers=[researcher], title="Listed Authorship")

    response = moderator.get(
        "/admin/works/authorship/", {"researcher__id__exact": researcher.pk}
    )

    assert response.status_code == 200
    assert "Listed Authorship" in response.content.decode()
