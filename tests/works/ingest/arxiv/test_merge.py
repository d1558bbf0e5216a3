"""arXiv and OpenAlex describing one paper end as one work, in either order,
and arXiv never overwrites what OpenAlex owns: title, abstract, byline (with
its linked researchers), venue, type, topics."""

import threading
import time
from dataclasses import replace

import pytest
from django.db import connection, connections
from tqdm import tqdm

from bzpeer.db import AdvisoryLock
from tests.factories import (
    InstitutionFactory,
    ResearcherFactory,
    SourceFactory,
    TopicFactory,
)
from tests.helpers.arxiv import replay, run_arxiv
from tests.helpers.arxiv_server import recorded
from tests.helpers.snapshot import work_arxiv_preprint
from works.ingest.arxiv.queries import stored_work_record
from works.ingest.driver import ImportContext, caller_for
from works.ingest.openalex.normalize import normalize_source, normalize_work
from works.ingest.records import AuthorshipRecord, WorkRecord, WorkTopicLink
from works.ingest.runs import TimeBudget, import_run_create
from works.ingest.upsert import UpsertResult, upsert_sources, upsert_works
from works.models import ImportRun, Work

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_for_the_catalog_write_lock() -> bool:
    classid, objid = AdvisoryLock.CATALOG_WRITE.key()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND NOT granted AND classid = %s AND objid = %s AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            [classid, objid],
        )
        return cursor.fetchone()[0] > 0


PREPRINT_TITLE = (
    "Measuring prominence of scientific work in online news as a proxy for impact"
)
# The OpenAlex authors of W3045921891, as its authorships name them.
PREPRINT_AUTHORS = {
    "A5050444884": "James Ravenscroft",
    "A5072262751": "Amanda Clare",
    "A5007426895": "Maria Liakata",
}


def replay_preprint(mock) -> None:
    replay(
        mock,
        "constructed_id_2007.14454.atom.xml",
        id_list="2007.14454",
        start=0,
        max_results=1,
    )


def load_openalex_preprint() -> UpsertResult:
    preprint = work_arxiv_preprint()
    upsert_sources([normalize_source(preprint["primary_location"]["source"])])
    return upsert_works([normalize_work(preprint)])


def linked_byline(work: Work) -> list[tuple[str, str | None]]:
    return list(
        work.authorships.order_by("position").values_list(
            "raw_author_name", "researcher__openalex_id"
        )
    )


def test_openalex_then_arxiv_is_one_work_with_openalexs_byline(arxiv_api):
    for openalex_id, name in PREPRINT_AUTHORS.items():
        ResearcherFactory(openalex_id=openalex_id, display_name=name)
    assert load_openalex_preprint() == UpsertResult(created=1)
    stored = Work.objects.get()
    replay_preprint(arxiv_api)

    run = run_arxiv(ids=["2007.14454"])

    assert run.status == ImportRun.Status.SUCCEEDED
    # OpenAlex already holds all arXiv could add: nothing to write.
    assert run.counts == {
        "works": {"created": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    }
    work = Work.objects.get()
    assert work.pk == stored.pk
    assert (work.openalex_id, work.doi, work.arxiv_id, work.updated_at) == (
        "W3045921891",
        "10.48550/arxiv.2007.14454",
        "2007.14454",
        stored.updated_at,
    )
    assert linked_byline(work) == [
        (name, openalex_id) for openalex_id, name in PREPRINT_AUTHORS.items()
    ]


def test_arxiv_then_openalex_is_one_work_taken_over_by_openalex(arxiv_api):
    replay_preprint(arxiv_api)
    run = run_arxiv(ids=["2007.14454"])
    assert run.counts["works"]["created"] == 1
    arxiv_only = Work.objects.get()
    assert (arxiv_only.openalex_id, arxiv_only.doi, arxiv_only.title) == (
        None,
        "10.48550/arxiv.2007.14454",
        PREPRINT_TITLE,
    )
    for openalex_id, name in PREPRINT_AUTHORS.items():
        ResearcherFactory(openalex_id=openalex_id, display_name=name)

    assert load_openalex_preprint() == UpsertResult(updated=1)

    work = Work.objects.get()
    assert (work.pk, work.openalex_id, work.arxiv_id, work.language) == (
        arxiv_only.pk,
        "W3045921891",
        "2007.14454",
        "en",
    )
    assert linked_byline(work) == [
        (name, openalex_id) for openalex_id, name in PREPRINT_AUTHORS.items()
    ]


def test_a_later_arxiv_run_leaves_the_openalex_work_alone(arxiv_api):
    replay_preprint(arxiv_api)
    replay_preprint(arxiv_api)
    run_arxiv(ids=["2007.14454"])
    for openalex_id, name in PREPRINT_AUTHORS.items():
        ResearcherFactory(openalex_id=openalex_id, display_name=name)
    load_openalex_preprint()
    before = Work.objects.get()

    run = run_arxiv(ids=["2007.14454"])

    assert run.counts["works"]["unchanged"] == 1
    after = Work.objects.get()
    assert (after.openalex_id, after.landing_page_url, after.updated_at) == (
        "W3045921891",
        "http://arxiv.org/abs/2007.14454",
        before.updated_at,
    )
    assert linked_byline(after)[0] == ("James Ravenscroft", "A5050444884")


HEAT_BATH_BYLINE = (
    AuthorshipRecord(
        position=0,
        author_position="first",
        raw_author_name="C. Stanley",
        raw_affiliation_strings=("Somewhere",),
        author_id="A1",
        institution_ids=("I1",),
    ),
    AuthorshipRecord(
        position=1,
        author_position="last",
        raw_author_name="T. Windisch",
        author_id="A2",
    ),
)


def openalex_article_of_heat_bath(**identifiers) -> Work:
    """An OpenAlex work for arXiv 1605.08386 as a journal prints it, stored
    through the upsert path: its own title and venue, no abstract or PDF, two
    linked authors (one with an institution) and a topic."""
    SourceFactory(openalex_id="S1", display_name="Journal of Walks")
    ResearcherFactory(openalex_id="A1", display_name="C. Stanley")
    ResearcherFactory(openalex_id="A2", display_name="T. Windisch")
    InstitutionFactory(openalex_id="I1")
    TopicFactory(openalex_id="T1")
    record = WorkRecord(
        openalex_id="W1",
        title="Heat-bath random walks with Markov bases (journal version)",
        type="article",
        source_id="S1",
        author_count=2,
        authorships=HEAT_BATH_BYLINE,
        topics=(WorkTopicLink(topic_id="T1", score=0.5),),
        **identifiers,
    )
    assert upsert_works([record]) == UpsertResult(created=1)
    return Work.objects.get(openalex_id="W1")


@pytest.mark.parametrize(
    "identifiers",
    [
        {"arxiv_id": "1605.08386", "doi": "10.1000/walks.1"},
        # Matched by arXiv's DataCite DOI alone.
        {"doi": "10.48550/arxiv.1605.08386"},
    ],
    ids=["by-arxiv-id", "by-arxiv-doi"],
)
def test_arxiv_only_fills_what_the_openalex_work_lacks(arxiv_api, identifiers):
    stored = openalex_article_of_heat_bath(**identifiers)
    for _ in range(2):
        replay(
            arxiv_api,
            "id_1605.08386_s0_m100.atom.xml",
            id_list="1605.08386",
            start=0,
            max_results=1,
        )

    run = run_arxiv(ids=["1605.08386"])

    assert run.counts == {
        "works": {"created": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    }
    work = Work.objects.select_related("source").get()
    assert work.pk == stored.pk
    assert (
        work.openalex_id,
        work.doi,
        work.arxiv_id,
        work.title,
        work.type,
        work.source.openalex_id,
        work.pdf_url,
        work.landing_page_url,
        work.publication_year,
    ) == (
        "W1",
        identifiers["doi"],
        "1605.08386",
        "Heat-bath random walks with Markov bases (journal version)",
        "article",
        "S1",
        "https://arxiv.org/pdf/1605.08386",
        "https://arxiv.org/abs/1605.08386",
        2016,
    )
    assert work.abstract.startswith("Graphs on lattice points are studied")
    assert linked_byline(work) == [("C. Stanley", "A1"), ("T. Windisch", "A2")]
    first = work.authorships.get(position=0)
    assert first.raw_affiliation_strings == ["Somewhere"]
    assert list(first.institutions.values_list("openalex_id", flat=True)) == ["I1"]
    assert list(work.topics.values_list("openalex_id", flat=True)) == ["T1"]

    again = run_arxiv(ids=["1605.08386"])
    assert again.counts["works"]["unchanged"] == 1


def test_a_stored_work_rebuilt_as_a_record_upserts_to_itself():
    for openalex_id, name in PREPRINT_AUTHORS.items():
        ResearcherFactory(openalex_id=openalex_id, display_name=name)
    load_openalex_preprint()
    openalex_article_of_heat_bath(arxiv_id="1605.08386")
    works = list(
        Work.objects.select_related("source").prefetch_related(
            "authorships__researcher",
            "authorships__institutions",
            "worktopic_set__topic",
        )
    )

    assert upsert_works([stored_work_record(work) for work in works]) == (
        UpsertResult(unchanged=2)
    )


def test_a_doi_row_holding_another_arxiv_id_is_another_paper(arxiv_api):
    other = openalex_article_of_heat_bath(
        arxiv_id="1605.09999", doi="10.48550/arxiv.1605.08386"
    )
    replay(
        arxiv_api,
        "id_1605.08386_s0_m100.atom.xml",
        id_list="1605.08386",
        start=0,
        max_results=1,
    )

    run = run_arxiv(ids=["1605.08386"])

    assert run.counts["works"]["created"] == 1
    other.refresh_from_db()
    assert (other.arxiv_id, other.title) == (
        "1605.09999",
        "Heat-bath random walks with Markov bases (journal version)",
    )
    preprint = Work.objects.get(arxiv_id="1605.08386")
    # The DataCite DOI stays with the row that holds it.
    assert (preprint.openalex_id, preprint.doi) == (None, None)


def test_two_papers_stating_one_doi_do_not_share_its_work(arxiv_api):
    journal_doi = "10.1109/icstw55395.2022.00035"
    article = openalex_article_of_heat_bath(doi=journal_doi)
    # The second entry of the recorded search page made to state the DOI of
    # the first.
    body = recorded("q_testing_s0_m10.atom.xml").replace(
        b"<arxiv:doi>10.1109/ICSTW58534.2023.00023</arxiv:doi>",
        b"<arxiv:doi>10.1109/ICSTW55395.2022.00035</arxiv:doi>",
    )
    replay(
        arxiv_api, "", body=body, search_query="all:testing", start=0, max_results=10
    )
    replay(
        arxiv_api,
        "rsxiv/query_empty_2025-11-11.xml",
        search_query="all:testing",
        start=10,
        max_results=10,
    )

    run = run_arxiv(query="all:testing", page_size=10)

    assert run.counts["works"] == {
        "created": 9,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    article.refresh_from_db()
    assert (article.arxiv_id, article.doi) == ("2202.12139", journal_doi)
    second = Work.objects.get(arxiv_id="2405.13786")
    assert (second.openalex_id, second.doi) == (None, "10.48550/arxiv.2405.13786")


def test_an_openalex_page_committed_while_arxiv_waits_to_write_survives(arxiv_api):
    stored = openalex_article_of_heat_bath(arxiv_id="1605.08386")
    ResearcherFactory(openalex_id="A3", display_name="R. Third")
    replay(
        arxiv_api,
        "id_1605.08386_s0_m100.atom.xml",
        id_list="1605.08386",
        start=0,
        max_results=1,
    )
    # OpenAlex's newer view of the work: a new title, more citations, a third
    # author.
    openalex_update = replace(
        stored_work_record(Work.objects.select_related("source").get(pk=stored.pk)),
        title="Heat-bath random walks with Markov bases, revised",
        cited_by_count=12,
        author_count=3,
        authorships=(
            *HEAT_BATH_BYLINE[:1],
            replace(HEAT_BATH_BYLINE[1], author_position="middle"),
            AuthorshipRecord(
                position=2,
                author_position="last",
                raw_author_name="R. Third",
                author_id="A3",
            ),
        ),
    )
    openalex = ImportContext(
        run=import_run_create(source="openalex-api", parameters={}),
        caller=caller_for("openalex-api"),
        bar=tqdm(disable=True),
        budget=TimeBudget(None),
    )
    finished: dict[str, ImportRun] = {}

    def import_arxiv():
        try:
            finished["run"] = run_arxiv(ids=["1605.08386"])
        finally:
            connections.close_all()

    arxiv = threading.Thread(target=import_arxiv)

    def hold_the_page_until_arxiv_waits_to_write():
        # The OpenAlex page is written, not committed, and holds the catalog
        # write lock: the arXiv import fetches its page meanwhile and waits
        # for the lock to write it. Only then does the OpenAlex page commit.
        arxiv.start()
        deadline = time.monotonic() + 20
        while not _waiting_for_the_catalog_write_lock():
            assert time.monotonic() < deadline, "arXiv never waited to write"
            time.sleep(0.02)

    openalex.store(
        [openalex_update],
        checkpoint={},
        locator="OpenAlex",
        after=hold_the_page_until_arxiv_waits_to_write,
    )
    arxiv.join(30)
    run = finished["run"]

    assert run.counts["works"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    work = Work.objects.get()
    assert (work.pk, work.title, work.cited_by_count, work.author_count) == (
        stored.pk,
        "Heat-bath random walks with Markov bases, revised",
        12,
        3,
    )
    assert linked_byline(work) == [
        ("C. Stanley", "A1"),
        ("T. Windisch", "A2"),
        ("R. Third", "A3"),
    ]
    # arXiv's additions are there all the same.
    assert (work.arxiv_id, work.pdf_url) == (
        "1605.08386",
        "https://arxiv.org/pdf/1605.08386",
    )
    assert work.abstract.startswith("Graphs on lattice points are studied")
