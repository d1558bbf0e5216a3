"""arXiv's bare author names are attached to researchers only on evidence
besides the name: a shared coauthor, or the affiliation arXiv states."""

import pytest

from tests.factories import InstitutionFactory, ResearcherFactory, work_with_team
from tests.helpers.arxiv import replay, run_arxiv
from tests.helpers.arxiv_server import recorded
from works.ingest.arxiv.authors import MAX_NAMESAKES, authors_attribute
from works.ingest.arxiv.client import parse_feed
from works.models import Work

pytestmark = pytest.mark.django_db(transaction=True)


def import_heat_bath(mock) -> Work:
    """arXiv 1605.08386, by Caprice Stanley and Tobias Windisch."""
    replay(
        mock,
        "id_1605.08386_s0_m100.atom.xml",
        id_list="1605.08386",
        start=0,
        max_results=1,
    )
    run_arxiv(ids=["1605.08386"])
    return Work.objects.get(arxiv_id="1605.08386")


def import_hot_jupiters(mock) -> Work:
    """arXiv astro-ph/0601001: Andrew Gould and Susan Dorsher ("Ohio State"),
    B. Scott Gaudi ("CfA"), Andrzej Udalski."""
    replay(
        mock,
        "id_astro-ph_0601001_s0_m100.atom.xml",
        id_list="astro-ph/0601001",
        start=0,
        max_results=1,
    )
    run_arxiv(ids=["astro-ph/0601001"])
    return Work.objects.get(arxiv_id="astro-ph/0601001")


def byline(work: Work) -> list[tuple[str, str | None]]:
    return list(
        work.authorships.order_by("position").values_list(
            "raw_author_name", "researcher__openalex_id"
        )
    )


def test_namesakes_who_wrote_together_are_both_attached(arxiv_api):
    stanley = ResearcherFactory(openalex_id="A1", display_name="Caprice Stanley")
    windisch = ResearcherFactory(openalex_id="A2", display_name="Tobias Windisch")
    work_with_team(researchers=[stanley, windisch])

    work = import_heat_bath(arxiv_api)

    assert byline(work) == [("Caprice Stanley", "A1"), ("Tobias Windisch", "A2")]


def test_a_name_alone_attaches_nobody(arxiv_api):
    ResearcherFactory(openalex_id="A1", display_name="Caprice Stanley")
    ResearcherFactory(openalex_id="A2", display_name="Tobias Windisch")

    work = import_heat_bath(arxiv_api)

    assert byline(work) == [("Caprice Stanley", None), ("Tobias Windisch", None)]


def test_of_two_namesakes_the_one_with_evidence_is_attached(arxiv_api):
    stanley = ResearcherFactory(openalex_id="A1", display_name="Caprice Stanley")
    ResearcherFactory(openalex_id="A3", display_name="Caprice  STANLEY")
    windisch = ResearcherFactory(openalex_id="A2", display_name="Tobias Windisch")
    work_with_team(researchers=[stanley, windisch])

    work = import_heat_bath(arxiv_api)

    assert byline(work) == [("Caprice Stanley", "A1"), ("Tobias Windisch", "A2")]


def test_two_namesakes_both_with_evidence_leave_the_name_unattached(arxiv_api):
    windisch = ResearcherFactory(openalex_id="A2", display_name="Tobias Windisch")
    for openalex_id in ("A1", "A3"):
        namesake = ResearcherFactory(
            openalex_id=openalex_id, display_name="Caprice Stanley"
        )
        work_with_team(researchers=[namesake, windisch])

    work = import_heat_bath(arxiv_api)

    assert byline(work) == [("Caprice Stanley", None), ("Tobias Windisch", "A2")]


def test_an_alternative_name_finds_the_researcher(arxiv_api):
    stanley = ResearcherFactory(
        openalex_id="A1",
        display_name="C. Stanley",
        display_name_alternatives=["Caprice Stanley", "C. E. Stanley"],
    )
    windisch = ResearcherFactory(openalex_id="A2", display_name="Tobias Windisch")
    work_with_team(researchers=[stanley, windisch])

    work = import_heat_bath(arxiv_api)

    assert byline(work) == [("Caprice Stanley", "A1"), ("Tobias Windisch", "A2")]


def test_the_stated_affiliation_names_the_researchers_institution(arxiv_api):
    ohio_state = InstitutionFactory(display_name="The Ohio State University")
    ohio = InstitutionFactory(display_name="Ohio University")
    ResearcherFactory(openalex_id="A1", display_name="Andrew Gould", affiliation=ohio)
    ResearcherFactory(
        openalex_id="A2", display_name="Andrew Gould", affiliation=ohio_state
    )
    ResearcherFactory(openalex_id="A3", display_name="Susan Dorsher", affiliation=ohio)
    cfa = InstitutionFactory(display_name="CfA")
    ResearcherFactory(openalex_id="A4", display_name="B. Scott Gaudi", affiliation=cfa)
    # One word in common ("Observatory") says too little.
    observatory = InstitutionFactory(display_name="Observatory")
    ResearcherFactory(
        openalex_id="A5", display_name="Andrzej Udalski", affiliation=observatory
    )

    work = import_hot_jupiters(arxiv_api)

    assert byline(work) == [
        ("Andrew Gould", "A2"),
        ("Susan Dorsher", None),
        ("B. Scott Gaudi", "A4"),
        ("Andrzej Udalski", None),
    ]


def test_a_byline_is_not_evidence_for_itself(arxiv_api):
    stanley = ResearcherFactory(openalex_id="A1", display_name="Caprice Stanley")
    windisch = ResearcherFactory(openalex_id="A2", display_name="Tobias Windisch")
    earlier = work_with_team(researchers=[stanley, windisch])
    assert byline(import_heat_bath(arxiv_api))[0] == ("Caprice Stanley", "A1")
    earlier.delete()

    work = import_heat_bath(arxiv_api)

    # Their only shared work left is this one, which proves nothing about it.
    assert byline(work) == [("Caprice Stanley", None), ("Tobias Windisch", None)]


def test_one_researcher_is_not_attached_to_two_names_of_one_byline():
    feed = parse_feed(recorded("id_astro-ph_0601001_s0_m100.atom.xml"), what="t")
    (record,) = feed.records
    # Evidence for both "Ohio State" names of the byline points at one record.
    ResearcherFactory(
        openalex_id="A1",
        display_name="Andrew Gould",
        display_name_alternatives=["Susan Dorsher"],
        affiliation=InstitutionFactory(display_name="The Ohio State University"),
    )

    (attributed,) = authors_attribute([record])

    assert [a.author_id for a in attributed.authorships] == [None] * 4


def test_a_name_with_more_namesakes_than_the_cap_attaches_nobody(arxiv_api):
    windisch = ResearcherFactory(openalex_id="A2", display_name="Tobias Windisch")
    stanleys = ResearcherFactory.create_batch(30, display_name="Caprice Stanley")
    work_with_team(researchers=[stanleys[0], windisch])

    work = import_heat_bath(arxiv_api)

    # A shared coauthor singles out one of thirty namesakes, but with that many
    # the name says too little to be worth the evidence; and through a name
    # left ambiguous, Windisch has no evidence either.
    assert byline(work) == [("Caprice Stanley", None), ("Tobias Windisch", None)]


@pytest.mark.parametrize(
    ("namesakes", "queries"),
    [(MAX_NAMESAKES, 2), (MAX_NAMESAKES + 1, 1), (300, 1)],
    ids=["at-the-cap", "one-over", "many-over"],
)
def test_namesakes_are_counted_up_to_the_cap_and_no_further(
    django_assert_num_queries, namesakes, queries
):
    (record,) = parse_feed(recorded("id_1605.08386_s0_m100.atom.xml"), what="t").records
    windisch = ResearcherFactory(display_name="Tobias Windisch")
    # Half of them answer to the name, half to an alternative name.
    stanleys = [
        ResearcherFactory(display_name="Caprice Stanley")
        if n % 2
        else ResearcherFactory(
            display_name="C. Stanley", display_name_alternatives=["Caprice Stanley"]
        )
        for n in range(namesakes)
    ]
    work_with_team(researchers=[stanleys[0], windisch])

    # Over the cap, the coauthorships of the namesakes are not even looked up.
    with django_assert_num_queries(queries):
        (attributed,) = authors_attribute([record])

    linked = [a.author_id for a in attributed.authorships]
    if namesakes <= MAX_NAMESAKES:
        assert linked == [stanleys[0].openalex_id, windisch.openalex_id]
    else:
        assert linked == [None, None]


def test_attribution_costs_two_queries_whatever_the_byline(
    django_assert_num_queries, django_assert_max_num_queries
):
    big = parse_feed(
        recorded("id_0808.05394_1707.08567_s0_m100.atom.xml"), what="t"
    ).records
    small = parse_feed(recorded("id_1605.08386_s0_m100.atom.xml"), what="t").records
    researchers = [
        ResearcherFactory(display_name=authorship.raw_author_name)
        for authorship in big[0].authorships
    ]
    work_with_team(researchers=researchers[:10])

    with django_assert_num_queries(2):
        (attributed,) = authors_attribute(big)
    with django_assert_max_num_queries(2):
        authors_attribute(small)

    linked = [a.author_id for a in attributed.authorships]
    assert linked[:10] == [r.openalex_id for r in researchers[:10]]
    assert linked[10:] == [None] * 24
