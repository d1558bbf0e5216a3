"""The read endpoints: shapes, filters, pagination, and the hidden profiles
and works that no endpoint shows."""

import pytest

from profiles.models import HiddenWork
from tests.factories import (
    AuthorshipFactory,
    AuthorshipInstitutionFactory,
    ClaimedResearcherFactory,
    InstitutionFactory,
    ResearcherFactory,
    ResearcherTopicFactory,
    TopicFactory,
    UserFactory,
    WorkFactory,
    WorkTopicFactory,
    researcher_with_works,
)

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    return [row["openalex_id"] for row in response.json()["results"]]


def test_researchers_list_shows_cards_most_works_first(api):
    institution = InstitutionFactory(openalex_id="I100", display_name="Uni")
    many = ResearcherFactory(
        openalex_id="A1", listed_works_count=5, affiliation=institution
    )
    few = ResearcherFactory(openalex_id="A2", listed_works_count=1)
    ResearcherFactory(openalex_id="A3", listed_works_count=9, is_hidden=True)

    response = api.get("/api/researchers/")

    assert response.status_code == 200
    assert ids(response) == [many.openalex_id, few.openalex_id]
    card = response.json()["results"][0]
    assert card == {
        "openalex_id": "A1",
        "display_name": many.display_name,
        "orcid": None,
        "affiliation": {"openalex_id": "I100", "display_name": "Uni"},
        "works_count": 5,
        "cited_by_count": 0,
        "h_index": 0,
        "verification_level": 1,
        "is_claimed": False,
        "trust_score": 0,
        "trust_label": "",
    }
    assert response.json()["next"] is None


def test_researchers_search_and_filters(api):
    topic = TopicFactory(openalex_id="T55")
    wang = ResearcherFactory(openalex_id="A10", display_name="Bingxuan Wang")
    claimed = ClaimedResearcherFactory(openalex_id="A11", display_name="Ada Wang")
    ResearcherFactory(openalex_id="A12", display_name="Bingxuan Hidden", is_hidden=True)
    ResearcherTopicFactory(researcher=wang, topic=topic)

    assert ids(api.get("/api/researchers/", {"q": "wang bingxuan"})) == ["A10"]
    assert ids(api.get("/api/researchers/", {"q": "bingxuan"})) == ["A10"]
    assert ids(api.get("/api/researchers/", {"is_claimed": "true"})) == ["A11"]
    assert ids(api.get("/api/researchers/", {"verification_level": 2})) == [
        claimed.openalex_id
    ]
    assert ids(api.get("/api/researchers/", {"topic": "T55"})) == ["A10"]
    bad = api.get("/api/researchers/", {"verification_level": "nine"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"
    assert "verification_level" in bad.json()["error"]["fields"]


def test_researcher_detail_has_trust_breakdown_and_verification(api):
    researcher = ResearcherFactory(
        openalex_id="A20",
        trust_score=17,
        trust_label="Unverified",
        trust_breakdown={
            "model_version": "1",
            "signals": [
                {
                    "key": "works",
                    "group": "record",
                    "label": "Works",
                    "value": 17,
                    "cap": 30,
                    "detail": "4 works",
                }
            ],
        },
    )

    body = api.get(f"/api/researchers/{researcher.openalex_id}/").json()

    assert body["trust"] == {
        "is_computed": True,
        "score": 17,
        "label": "Unverified",
        "model_version": "1",
        "signals": [
            {
                "key": "works",
                "group": "record",
                "label": "Works",
                "detail": "4 works",
                "value": 17.0,
                "cap": 30.0,
            }
        ],
        "signals_total": 17.0,
    }
    assert body["verification"] == {
        "level": 1,
        "code": "L1",
        "label": "L1 - imported from a public scholarly source",
    }
    assert body["is_claimed"] is False


def test_a_hidden_researcher_is_absent_everywhere(api):
    hidden = ResearcherFactory(openalex_id="A30", is_hidden=True)
    shown = ResearcherFactory(openalex_id="A31")
    work = WorkFactory(openalex_id="W30")
    AuthorshipFactory(work=work, researcher=hidden, position=0)
    AuthorshipFactory(work=work, researcher=shown, position=1)

    for suffix in ("", "works/", "graph/", "citations/"):
        response = api.get(f"/api/researchers/A30/{suffix}")
        assert response.status_code == 404, suffix
        assert response.json() == {
            "error": {"code": "not_found", "message": "Not found."}
        }
    assert ids(api.get("/api/researchers/")) == ["A31"]
    assert ids(api.get("/api/works/", {"researcher": "A30"})) == []
    authors = api.get("/api/works/W30/").json()["authors"]
    assert [a["researcher"] for a in authors] == [
        None,
        {"openalex_id": "A31", "display_name": shown.display_name},
    ]


def test_a_hidden_work_leaves_its_researchers_lists(api):
    researcher = ResearcherFactory(openalex_id="A40")
    kept, hidden = WorkFactory(openalex_id="W41"), WorkFactory(openalex_id="W42")
    AuthorshipFactory(work=kept, researcher=researcher)
    AuthorshipFactory(work=hidden, researcher=researcher)
    HiddenWork.objects.create(researcher=researcher, work=hidden)

    assert ids(api.get("/api/researchers/A40/works/")) == ["W41"]
    assert ids(api.get("/api/works/", {"researcher": "A40"})) == ["W41"]
    # The work stays in the catalog, its author line unlinked.
    work = api.get("/api/works/W42/").json()
    assert work["authors"][0]["researcher"] is None


def test_works_list_filters_and_detail(api):
    topic = TopicFactory(openalex_id="T60", display_name="Graphs")
    institution = InstitutionFactory(openalex_id="I60")
    old = WorkFactory(openalex_id="W60", publication_year=2020, cited_by_count=3)
    new = WorkFactory(
        openalex_id="W61", publication_year=2024, type="preprint", cited_by_count=1
    )
    WorkTopicFactory(work=old, topic=topic, is_primary=True)
    AuthorshipInstitutionFactory(
        authorship=AuthorshipFactory(work=new), institution=institution
    )

    assert ids(api.get("/api/works/")) == ["W60", "W61"]
    assert ids(api.get("/api/works/", {"year": 2024})) == ["W61"]
    assert ids(api.get("/api/works/", {"type": "preprint"})) == ["W61"]
    assert ids(api.get("/api/works/", {"topic": "T60"})) == ["W60"]
    assert ids(api.get("/api/works/", {"institution": "I60"})) == ["W61"]
    assert api.get("/api/works/", {"year": "1e300"}).status_code == 400

    detail = api.get("/api/works/W60/").json()
    assert detail["title"] == old.title
    assert detail["venue"] == old.source.display_name
    assert detail["topics"] == [{"openalex_id": "T60", "display_name": "Graphs"}]
    assert detail["abstract"] == "We test things."
    assert api.get("/api/works/W999/").status_code == 404


def test_works_search_by_abstract(api):
    WorkFactory(openalex_id="W70", abstract="Spectral clustering of citation graphs")
    WorkFactory(openalex_id="W71", abstract="Protein folding")

    assert ids(api.get("/api/works/", {"q": "spectral clustering"})) == ["W70"]


def test_topics_and_institutions(api):
    topic = TopicFactory(openalex_id="T80", display_name="Graphs")
    InstitutionFactory(openalex_id="I80", ror="0abc12345")

    assert ids(api.get("/api/topics/")) == ["T80"]
    assert api.get("/api/topics/T80/").json()["display_name"] == topic.display_name
    assert ids(api.get("/api/institutions/")) == ["I80"]
    body = api.get("/api/institutions/I80/").json()
    assert (body["ror"], body["country_code"]) == ("0abc12345", "NL")
    assert api.get("/api/topics/T81/").status_code == 404


def test_pages_follow_the_cursor_and_cap_their_size(api):
    researcher = researcher_with_works(120, openalex_id="A90")

    first = api.get(f"/api/researchers/{researcher.openalex_id}/works/").json()
    assert len(first["results"]) == 20
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 20
    assert not {r["openalex_id"] for r in first["results"]} & {
        r["openalex_id"] for r in second["results"]
    }
    assert first["results"][0]["title"] == "Bulk work 0119"

    capped = api.get("/api/researchers/A90/works/", {"page_size": 1000}).json()
    assert len(capped["results"]) == 100
    assert api.get("/api/works/", {"cursor": "garbage"}).status_code == 404


def test_errors_share_one_body(api):
    missing = api.get("/api/nothing/here/")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not found."}}

    api.force_authenticate(UserFactory())
    not_allowed = api.put("/api/researchers/")
    assert not_allowed.status_code == 405
    assert not_allowed.json()["error"]["code"] == "method_not_allowed"
