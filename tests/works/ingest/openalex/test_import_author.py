"""``manage.py import_openalex --author``: one author, their works and
everything the works reference, from the replayed API, and their pages."""

from datetime import timedelta
from html import escape
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from pyalex import invert_abstract

from profiles.models import Researcher
from tests.factories import InstitutionFactory, ResearcherFactory
from tests.helpers.openalex import (
    PRIEM,
    PRIEM_WORKS_FILTER,
    Answer,
    catalog_state,
    priem,
    priem_pages,
    short,
)
from works.models import Authorship, ImportRun, Institution, Source, Topic, Work
from works.selectors import researchers_due_for_refresh

pytestmark = pytest.mark.django_db

STATE_OF_OA = "W2741809807"
HOTSPOTS = "W2162348455"
NEWS_PREPRINT = "W3045921891"
OA_ADVANTAGE = "W1996515099"


def import_openalex(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_openalex", *args, "--sync-trust", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def recorded_works() -> dict[str, dict]:
    pages = priem_pages()
    return {short(w["id"]): w for page in pages for w in page["results"]}


def recorded_coauthor_ids() -> set[str]:
    return {
        short(authorship["author"]["id"])
        for work in recorded_works().values()
        for authorship in work["authorships"]
    } - {PRIEM}


def test_an_author_is_imported_with_their_works_and_what_they_reference(
    priem_recorded,
):
    output, _ = import_openalex("--author", f"https://openalex.org/{PRIEM}")

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.parameters == {"authors": [PRIEM]}
    researcher = Researcher.objects.get(openalex_id=PRIEM)
    assert researcher.display_name == "Jason Priem"
    assert researcher.orcid == "0000-0001-6187-6610"
    assert researcher.works_count == 62
    assert researcher.affiliation.display_name == "OurResearch"
    assert researcher.topics.count() == len(priem()["topics"]) == 25
    assert researcher.fetched_at is not None

    works = {work.openalex_id: work for work in Work.objects.select_related("source")}
    assert set(works) == {STATE_OF_OA, HOTSPOTS, NEWS_PREPRINT, OA_ADVANTAGE}
    assert works[STATE_OF_OA].abstract.startswith(
        "Despite growing interest in Open Access (OA) to scholarly literature,"
    )
    assert works[NEWS_PREPRINT].abstract.startswith(
        "The impact made by a scientific paper on the work of other academics"
    )
    for key in (STATE_OF_OA, NEWS_PREPRINT):
        index = recorded_works()[key]["abstract_inverted_index"]
        assert works[key].abstract == invert_abstract(index)
    # OpenAlex lists no abstract for these two.
    assert works[HOTSPOTS].abstract == works[OA_ADVANTAGE].abstract == ""
    assert {key: work.source.display_name for key, work in works.items()} == {
        STATE_OF_OA: "PeerJ",
        HOTSPOTS: "Nature",
        NEWS_PREPRINT: "arXiv (Cornell University)",
        OA_ADVANTAGE: "Scientometrics",
    }
    assert works[NEWS_PREPRINT].arxiv_id == "2007.14454"  # from its DOI
    assert works[OA_ADVANTAGE].arxiv_id == "1503.05702"  # from its locations
    assert sorted(works[STATE_OF_OA].topics.values_list("openalex_id", flat=True)) == [
        "T10102",
        "T11937",
        "T13607",
    ]
    # Every authorship is linked to its researcher and its institutions.
    for key, recorded in recorded_works().items():
        authorships = Authorship.objects.filter(work=works[key]).order_by("position")
        assert [a.researcher.openalex_id for a in authorships] == [
            short(a["author"]["id"]) for a in recorded["authorships"]
        ]
        assert [
            sorted(a.institutions.values_list("openalex_id", flat=True))
            for a in authorships
        ] == [
            sorted(short(i["id"]) for i in a["institutions"])
            for a in recorded["authorships"]
        ]
    coauthors = Researcher.objects.exclude(openalex_id=PRIEM)
    assert set(coauthors.values_list("openalex_id", flat=True)) == (
        recorded_coauthor_ids()
    )
    assert not coauthors.filter(fetched_at__isnull=True).exists()
    assert Institution.objects.count() == 12
    assert Source.objects.count() == 4
    assert Topic.objects.count() == 28
    assert output.splitlines()[:8] == [
        f"Import run {run.pk} (openalex-api): succeeded",
        "entity        created  updated  unchanged  rejected",
        "institutions       12        0          0         0",
        "sources             4        0          0         0",
        "topics             28        0          0         0",
        "authors            18        0          0         0",
        "works               4        0          0         0",
        "total              66        0          0         0",
    ]


def test_calls_are_counted_single_and_list(priem_recorded):
    output, _ = import_openalex("--author", PRIEM)

    run = ImportRun.objects.get()
    made = priem_recorded.made()
    # The author look-up is single; everything else lists: the author's
    # institution and topics, then for each of the 2 pages the works, their
    # coauthors, institutions, venues and topics; then the empty last page.
    assert run.calls == {"single": 1, "list": 2 + 2 * 5 + 1}
    assert sum(1 for request in made if not request.is_list) == 1
    assert sum(1 for request in made if request.is_list) == 13
    assert "API calls: 14 (13 list, 1 single)" in output.splitlines()


def test_the_pages_of_the_author_and_a_coauthor_render_the_works(
    priem_recorded, client
):
    import_openalex("--author", PRIEM)

    page = client.get(f"/researchers/{PRIEM}/")
    assert page.status_code == 200
    html = page.content.decode()
    for work in recorded_works().values():
        assert escape(work["title"]) in html
    assert "PeerJ" in html and "Nature" in html and "OurResearch" in html
    coauthor = client.get("/researchers/A5048491430/")  # Heather Piwowar
    assert coauthor.status_code == 200
    assert "Heather Piwowar" in coauthor.content.decode()
    assert escape(recorded_works()[STATE_OF_OA]["title"]) in coauthor.content.decode()


def test_a_second_identical_import_changes_nothing(priem_recorded):
    import_openalex("--author", PRIEM)
    before = catalog_state()

    output, _ = import_openalex("--author", PRIEM)

    second = ImportRun.objects.order_by("pk").last()
    assert second.status == ImportRun.Status.SUCCEEDED
    assert (second.created_count, second.updated_count) == (0, 0)
    assert second.unchanged_count == 1 + 4  # the author and the works
    assert catalog_state() == before
    # Coauthors fetched minutes ago and everything referenced are not asked
    # for again: the look-up and the works pages only.
    assert second.calls == {"single": 1, "list": 3}
    assert "total               0        0          5         0" in output


def test_coauthors_are_fetched_again_only_when_stale(priem_recorded):
    import_openalex("--author", PRIEM)
    now = timezone.now()
    # Piwowar as a snapshot load leaves her; Larivière fetched 8 days ago,
    # Alperín 6 days ago (REFRESH_AFTER_DAYS is 7).
    fetched = {
        "A5048491430": None,
        "A5068542997": now - timedelta(days=8),
        "A5085171399": now - timedelta(days=6),
    }
    for openalex_id, fetched_at in fetched.items():
        Researcher.objects.filter(openalex_id=openalex_id).update(fetched_at=fetched_at)

    import_openalex("--author", PRIEM)

    last_batch = priem_recorded.made(by_ids="authors")[-1]
    assert last_batch.ids == ["A5048491430", "A5068542997"]
    refetched = Researcher.objects.filter(openalex_id__in=list(fetched))
    assert all(r.fetched_at > now for r in refetched if r.openalex_id != "A5085171399")
    assert refetched.get(openalex_id="A5085171399").fetched_at == fetched["A5085171399"]


def test_hostile_strings_from_the_api_are_shown_escaped(openalex, client):
    author = priem()
    author["display_name"] = '<script>alert("name")</script>'
    first, second, last = priem_pages()
    work = first["results"][0]
    work["title"] = '"onmouseover="alert(1)" <script>alert(1)</script>'
    work["abstract_inverted_index"] = {
        '<img src=x onerror="alert(2)">': [0],
        '"onmouseover=': [1],
    }
    openalex.single(f"authors/{PRIEM}", author)
    openalex.walk("works", [first, second, last], filter=PRIEM_WORKS_FILTER)

    import_openalex("--author", PRIEM)

    stored = Work.objects.get(openalex_id=STATE_OF_OA)
    # Stored verbatim: escaping is the template's job.
    assert stored.title == work["title"]
    assert stored.abstract == '<img src=x onerror="alert(2)"> "onmouseover='
    html = client.get(f"/researchers/{PRIEM}/").content.decode()
    for text in (author["display_name"], work["title"], stored.abstract):
        assert text not in html
        assert escape(text) in html
    assert "<script>alert" not in html


def test_without_an_api_key_the_import_warns(priem_recorded, settings):
    settings.OPENALEX_API_KEY = ""

    output, errors = import_openalex("--author", PRIEM)

    assert "OPENALEX_API_KEY is not set" in errors
    assert "only a few calls a day" in errors
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.checkpoint["warnings"] == [
        "OPENALEX_API_KEY is not set: without a key OpenAlex allows only a few "
        "calls a day, so this import may be refused part-way. Get a free key at "
        "https://openalex.org/settings/api and set OPENALEX_API_KEY."
    ]
    assert "warning: OPENALEX_API_KEY is not set" in output
    assert all("Authorization" not in r.headers for r in priem_recorded.made())


def test_requests_carry_the_key_the_email_and_a_timeout(priem_recorded, settings):
    settings.IMPORT_HTTP_TIMEOUT = 12.5

    _, errors = import_openalex("--author", PRIEM)

    assert errors == ""
    for request in priem_recorded.made():
        assert request.headers["Authorization"] == "Bearer test-api-key"
        assert request.headers["From"] == "operator@bzpeer.example"
    timeouts = {
        call.request.req_kwargs["timeout"] for call in priem_recorded.mock.calls
    }
    assert timeouts == {12.5}


def test_an_author_openalex_does_not_know_is_rejected_and_the_others_imported(
    priem_recorded,
):
    priem_recorded.single("authors/A1", Answer(status=404, body={"error": "Not found"}))

    output, _ = import_openalex("--author", "A1", PRIEM)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert list(run.rejected.values_list("locator", "reason")) == [
        ("author A1", "OpenAlex has no author A1")
    ]
    assert Work.objects.count() == 4
    assert "  author A1  OpenAlex has no author A1" in output


def test_a_held_author_openalex_no_longer_knows_is_not_refreshed_again(
    priem_recorded,
):
    gone = ResearcherFactory(openalex_id="A1", fetched_at=None)
    priem_recorded.single("authors/A1", Answer(status=404, body={"error": "Not found"}))

    import_openalex("--author", "A1")

    gone.refresh_from_db()
    assert gone.fetched_at is not None
    assert researchers_due_for_refresh(limit=10) == []


def test_a_held_institution_is_kept_and_not_fetched_again(priem_recorded):
    held = InstitutionFactory(
        openalex_id="I4210166736",
        display_name="Impactstory (kept as held)",
        homepage_url="https://impactstory.org",
        domain="impactstory.org",
    )

    import_openalex("--author", PRIEM)

    held.refresh_from_db()
    assert (held.display_name, held.domain) == (
        "Impactstory (kept as held)",
        "impactstory.org",
    )
    asked = {i for r in priem_recorded.made(by_ids="institutions") for i in r.ids}
    assert "I4210166736" not in asked
    assert "I70931966" in asked


def test_an_id_openalex_does_not_answer_is_stored_from_the_embedded_copy(
    priem_recorded,
):
    del priem_recorded.pools["sources"]["S1983995261"]  # PeerJ

    import_openalex("--author", PRIEM)

    peerj = Source.objects.get(openalex_id="S1983995261")
    assert peerj.display_name == "PeerJ"
    assert Work.objects.get(openalex_id=STATE_OF_OA).source == peerj
    asked = [r.ids for r in priem_recorded.made(by_ids="sources")]
    assert asked[0] == ["S1983995261", "S137773608"]
    # Asked once: not again on the next page.
    assert sum("S1983995261" in ids for ids in asked) == 1
