"""The arXiv importer run by the live-import driver, arXiv replayed at the
requests level: what it stores, how it pages and resumes, what it refuses,
and that a second identical run changes nothing."""

import runpy
from datetime import date

import pytest
import redis

import bzpeer.settings.base
from tests.factories import ResearcherFactory, WorkFactory, work_with_team
from tests.helpers.arxiv import replay, run_arxiv
from tests.helpers.arxiv_server import recorded
from tests.helpers.catalog import catalog_digest
from works.ingest.arxiv.client import parse_feed
from works.ingest.arxiv.queries import arxiv_page_entries, arxiv_page_records
from works.ingest.driver import caller_for, run_execute
from works.models import ImportRun, Source, Work

pytestmark = pytest.mark.django_db(transaction=True)

TWO_IDS = ["1605.08386", "astro-ph/0601001"]


def replay_ids(mock, name, ids, **extra):
    replay(mock, name, id_list=",".join(ids), start=0, max_results=len(ids), **extra)


def test_papers_by_id_are_stored_as_preprints_at_arxiv(arxiv_api):
    replay_ids(arxiv_api, "id_1605.08386_s0_m100.atom.xml", ["1605.08386"])
    replay_ids(arxiv_api, "id_astro-ph_0601001_s0_m100.atom.xml", ["astro-ph/0601001"])

    run = run_arxiv(ids=TWO_IDS, page_size=1)

    assert (run.status, run.error) == (ImportRun.Status.SUCCEEDED, "")
    assert run.counts == {
        "sources": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0},
        "works": {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0},
    }
    assert (run.checkpoint, run.calls) == ({"start": 2}, {"list": 2})
    assert (run.progress_done, run.progress_total) == (2, 2)
    heat_bath = Work.objects.select_related("source").get(arxiv_id="1605.08386")
    assert (
        heat_bath.openalex_id,
        heat_bath.doi,
        heat_bath.title,
        heat_bath.type,
        heat_bath.publication_date,
        heat_bath.publication_year,
        heat_bath.landing_page_url,
        heat_bath.pdf_url,
        heat_bath.author_count,
    ) == (
        None,
        "10.48550/arxiv.1605.08386",
        "Heat-bath random walks with Markov bases",
        "preprint",
        date(2016, 5, 26),
        2016,
        "https://arxiv.org/abs/1605.08386",
        "https://arxiv.org/pdf/1605.08386",
        2,
    )
    assert heat_bath.abstract.startswith("Graphs on lattice points are studied")
    assert (heat_bath.source.openalex_id, heat_bath.source.display_name) == (
        "S4306400194",
        "arXiv (Cornell University)",
    )
    gould = Work.objects.get(arxiv_id="astro-ph/0601001")
    assert list(
        gould.authorships.order_by("position").values_list(
            "raw_author_name", "raw_affiliation_strings", "researcher"
        )
    ) == [
        ("Andrew Gould", ["Ohio State"], None),
        ("Susan Dorsher", ["Ohio State"], None),
        ("B. Scott Gaudi", ["CfA"], None),
        ("Andrzej Udalski", ["Warsaw University Observatory"], None),
    ]


def test_ids_arxiv_does_not_know_are_named_in_a_warning(arxiv_api):
    ids = ["0808.05394", "1707.08567"]
    replay_ids(arxiv_api, "id_0808.05394_1707.08567_s0_m100.atom.xml", ids)

    run = run_arxiv(ids=ids)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.checkpoint["warnings"] == ["arXiv has no paper 0808.05394"]
    work = Work.objects.get()
    assert (work.arxiv_id, work.author_count, work.authorships.count()) == (
        "1707.08567",
        34,
        34,
    )


def test_a_search_is_read_page_by_page_oldest_first(arxiv_api):
    replay(
        arxiv_api,
        "q_testing_s0_m10.atom.xml",
        search_query="all:testing",
        start=0,
        max_results=10,
    )
    # The result set is gone by the second page: the run ends there.
    replay(
        arxiv_api,
        "rsxiv/query_empty_2025-11-11.xml",
        search_query="all:testing",
        start=10,
        max_results=10,
    )

    run = run_arxiv(query="all:testing", page_size=10)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.counts["works"] == {
        "created": 10,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert (run.checkpoint, run.progress_done, run.progress_total) == (
        {"start": 10},
        1,
        1,
    )
    assert Work.objects.get(arxiv_id="2202.12139").doi == (
        "10.1109/icstw55395.2022.00035"
    )
    assert Work.objects.get(arxiv_id="2405.13786").authorships.get(
        position=2
    ).raw_author_name == ("José Raúl Romero")


def test_arxivs_error_feed_fails_the_run_with_arxivs_words(arxiv_api):
    replay_ids(arxiv_api, "id_abc_s0_m100.atom.xml", ["abc"], status=400)

    run = run_arxiv(ids=["abc"])

    assert (run.status, run.error) == (
        ImportRun.Status.FAILED,
        "arXiv refused ids 1-1 of 1: incorrect id format for abc",
    )
    assert Work.objects.count() == 0


def truncated(name: str) -> bytes:
    whole = recorded(name)
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            truncated("id_astro-ph_0601001_s0_m100.atom.xml"),
            "ill-formed XML (no element found",
        ),
        (
            recorded("constructed_billion_laughs.atom.xml"),
            "entity expansions (billion laughs)",
        ),
        (recorded("constructed_xxe.atom.xml"), "external entities (XXE)"),
    ],
    ids=["truncated", "billion-laughs", "xxe"],
)
def test_a_bad_page_fails_the_run_and_keeps_what_was_stored(arxiv_api, body, reason):
    earlier = WorkFactory(openalex_id="W1", arxiv_id="2401.00001")
    replay_ids(arxiv_api, "id_1605.08386_s0_m100.atom.xml", ["1605.08386"])
    replay_ids(arxiv_api, "", ["astro-ph/0601001"], body=body)

    run = run_arxiv(ids=TWO_IDS, page_size=1)

    assert run.status == ImportRun.Status.FAILED
    assert run.error.startswith("arXiv answered ids 2-2 of 2 with ")
    assert reason in run.error
    assert run.checkpoint == {"start": 1}
    assert set(Work.objects.values_list("arxiv_id", flat=True)) == {
        "2401.00001",
        "1605.08386",
    }
    stored = Work.objects.get(pk=earlier.pk)
    assert (stored.title, stored.updated_at) == (earlier.title, earlier.updated_at)

    # Resumed, the run asks for the second page only.
    arxiv_api.reset()
    replay_ids(arxiv_api, "id_astro-ph_0601001_s0_m100.atom.xml", ["astro-ph/0601001"])
    run = run_execute(run, progress=False, sync_trust=True)
    assert run.status == ImportRun.Status.SUCCEEDED
    assert len(arxiv_api.calls) == 1
    assert Work.objects.count() == 3


def test_a_second_identical_run_changes_nothing(arxiv_api):
    ids = ["1605.08386", "astro-ph/0601001", "quant-ph/0201082"]
    for _ in range(2):
        replay_ids(arxiv_api, "id_1605.08386_s0_m100.atom.xml", ids[:1])
        replay_ids(arxiv_api, "id_astro-ph_0601001_s0_m100.atom.xml", ids[1:2])
        replay_ids(arxiv_api, "id_quant-ph_0201082v1_s0_m100.atom.xml", ids[2:])
    first = run_arxiv(ids=ids, page_size=1)
    assert first.created_count == 4  # the venue and three works
    before = catalog_digest()

    second = run_arxiv(ids=ids, page_size=1)

    assert second.status == ImportRun.Status.SUCCEEDED
    assert (
        second.created_count,
        second.updated_count,
        second.unchanged_count,
        second.rejected_count,
    ) == (0, 0, 3, 0)
    assert catalog_digest() == before


def test_an_entry_arxiv_cannot_give_whole_is_rejected_and_the_page_stored(arxiv_api):
    body = recorded("id_0808.05394_1707.08567_s0_m100.atom.xml").replace(
        b"<published>", b"<published>not-a-date "
    )
    replay_ids(arxiv_api, "", ["1707.08567"], body=body)

    run = run_arxiv(ids=["1707.08567"])

    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.counts["works"]["rejected"] == 1
    rejected = run.rejected.get()
    assert (rejected.entity, rejected.locator, rejected.reason) == (
        "works",
        "arXiv ids 1-1 of 1 entry #1",
        "arXiv 1707.08567: published is not a date: 'not-a-date 2017-07-27T08:18:33Z'",
    )
    assert run.checkpoint.get("warnings") is None
    assert Work.objects.count() == 0


def test_arxiv_requests_are_booked_three_seconds_apart_by_default(
    arxiv_api, settings, monkeypatch
):
    monkeypatch.delenv("ARXIV_MIN_INTERVAL", raising=False)
    defaults = runpy.run_path(bzpeer.settings.base.__file__)
    assert defaults["ARXIV_MIN_INTERVAL"] == 3.0
    settings.ARXIV_MIN_INTERVAL = defaults["ARXIV_MIN_INTERVAL"]
    assert caller_for("arxiv").limiter.interval == 3.0
    # The schedule lives in the test Redis, not the development server's.
    settings.REDIS_URL = settings.CACHES["default"]["LOCATION"]
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = "bzpeer:ratelimit:arxiv"
    client.delete(key)
    replay_ids(arxiv_api, "id_1605.08386_s0_m100.atom.xml", ["1605.08386"])

    run = run_arxiv(ids=["1605.08386"])

    assert run.status == ImportRun.Status.SUCCEEDED
    seconds, micros = client.time()
    # Redis's Lua writes the booked microsecond as a float ("1.79e+15").
    booked_ahead = (float(client.get(key)) - (seconds * 1_000_000 + micros)) / 1e6
    # The one request took the free slot at once and booked the next one
    # three seconds after it.
    assert 2.0 < booked_ahead <= 3.0
    client.delete(key)


def test_the_arxiv_venue_is_not_rewritten_once_stored(arxiv_api):
    Source.objects.create(
        openalex_id="S4306400194",
        display_name="arXiv (Cornell University)",
        type="repository",
        homepage_url="https://arxiv.org",
        source_updated_date=date(2026, 11, 1),
    )
    replay_ids(arxiv_api, "id_1605.08386_s0_m100.atom.xml", ["1605.08386"])

    run = run_arxiv(ids=["1605.08386"])

    assert "sources" not in run.counts
    assert Source.objects.get().source_updated_date == date(2026, 11, 1)
    assert Work.objects.get().source.openalex_id == "S4306400194"


def test_preparing_a_page_costs_the_same_few_queries_whatever_it_holds(
    django_assert_max_num_queries,
):
    feed = parse_feed(recorded("q_testing_s0_m10.atom.xml"), what="t")
    # Stored already: an OpenAlex work with a linked byline and a topic, and
    # namesakes of every author who wrote together.
    team = [
        ResearcherFactory(display_name=authorship.raw_author_name)
        for record in feed.records
        for authorship in record.authorships
    ]
    work_with_team(researchers=team[:5], arxiv_id="2202.12139")
    work_with_team(researchers=team[5:12])

    entries, rejections = arxiv_page_entries(feed, locator="page")

    with django_assert_max_num_queries(7):
        records = arxiv_page_records(entries)

    assert (len(records), rejections) == (11, [])  # the venue and ten works
    # The OpenAlex work keeps its byline; the four authors of the second
    # entry each have a coauthor among the others.
    assert records[1].openalex_id is not None
    assert [a.author_id for a in records[1].authorships] == [
        r.openalex_id for r in team[:5]
    ]
    assert [a.author_id for a in records[2].authorships] == [
        r.openalex_id for r in team[3:7]
    ]
