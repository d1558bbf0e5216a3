"""The trust model (pure), its stored recompute, and the task around it."""

import dataclasses

import pytest

from profiles.models import Researcher, VerificationLevel
from profiles.services import researcher_trust_update
from profiles.tasks import researcher_trust_recompute
from profiles.trust import (
    BANDS,
    MODEL_VERSION,
    UNCLAIMED_SCORE_CAP,
    WEIGHTS,
    TrustInputs,
    trust_compute,
    trust_label,
)
from tests.factories import (
    ClaimedResearcherFactory,
    FollowFactory,
    InstitutionFactory,
    ResearcherFactory,
    WorkFactory,
    work_with_team,
)

# The reference page's researcher: imported (L1), unclaimed, no ORCID, no
# affiliation, 4 works, 0 followers, 4 close collaborators who are ordinary
# imported records; citations as in the bundled sample data.
REFERENCE = TrustInputs(
    verification_level=VerificationLevel.L1,
    is_claimed=False,
    has_public_source=True,
    record_has_orcid=False,
    has_affiliation=False,
    works_count=4,
    cited_by_count=3779,
    close_collaborators=4,
    close_collaborator_mean_trust=27.0,
    followers=0,
)

# Everything a claimed, well-documented record can show, no penalties.
EVERYTHING = TrustInputs(
    verification_level=VerificationLevel.L4,
    is_claimed=True,
    has_public_source=True,
    record_has_orcid=True,
    has_affiliation=True,
    works_count=250,
    cited_by_count=120_000,
    close_collaborators=40,
    close_collaborator_mean_trust=80.0,
    followers=5_000,
    has_orcid_sign_in=True,
    has_verified_institution_email=True,
    is_staff_verified=True,
)


def values(result) -> dict[str, int]:
    return {row.key: row.value for row in result.breakdown if row.value}


# --- the pure model ---------------------------------------------------------


def test_the_reference_researcher_scores_17_unverified():
    result = trust_compute(inputs=REFERENCE)

    assert (result.score, result.label, result.total) == (17, "Unverified", 17)
    assert values(result) == {
        "public_source": 5,
        "works": 4,
        "citations": 4,
        "close_collaborators": 4,
    }
    details = {row.key: row.detail for row in result.breakdown}
    assert details["works"] == "4 works × 1 point, capped at 10"
    assert details["citations"] == "3,779 citations: 4 digits × 1 point, capped at 4"


@pytest.mark.parametrize("cited_by_count", [1_000, 3_779, 48_210, 10_000_000])
@pytest.mark.parametrize("mean_trust", [None, 0.0, 14.0, 27.0, 49.0])
def test_the_reference_score_does_not_swing_with_citations_or_neighbours(
    cited_by_count, mean_trust
):
    inputs = dataclasses.replace(
        REFERENCE,
        cited_by_count=cited_by_count,
        close_collaborator_mean_trust=mean_trust,
    )

    result = trust_compute(inputs=inputs)

    assert (result.score, result.label) == (17, "Unverified")


def test_every_signal_is_listed_in_group_order_with_its_cap():
    result = trust_compute(inputs=REFERENCE)

    assert [(row.key, row.group, row.cap) for row in result.breakdown] == [
        ("claim", "identity", 15),
        ("orcid_sign_in", "identity", 15),
        ("institution_email", "identity", 10),
        ("staff_verified", "identity", 20),
        ("public_source", "record quality", 5),
        ("record_orcid", "record quality", 5),
        ("affiliation", "record quality", 5),
        ("works", "scholarly footprint", 10),
        ("citations", "scholarly footprint", 4),
        ("close_collaborators", "network", 5),
        ("collaborator_trust", "network", 5),
        ("followers", "community", 3),
        ("retracted_works", "penalties", -30),
        ("rejected_claims", "penalties", -15),
        ("disputed_claims", "penalties", -20),
    ]
    assert list(WEIGHTS) == [row.key for row in result.breakdown]


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0, "Unverified"),
        (24, "Unverified"),
        (25, "Emerging"),
        (49, "Emerging"),
        (50, "Established"),
        (74, "Established"),
        (75, "Trusted"),
        (100, "Trusted"),
    ],
)
def test_band_edges(score, label):
    assert trust_label(score=score) == label


def test_bands_cover_0_to_100_without_gaps():
    edges = [(low, high) for low, high, _ in BANDS]
    assert edges == [(0, 24), (25, 49), (50, 74), (75, 100)]


@pytest.mark.parametrize(
    ("changes", "score", "label"),
    [
        # Nothing at all: an L0 record.
        (
            dict(
                verification_level=VerificationLevel.L0,
                has_public_source=False,
                works_count=0,
                cited_by_count=0,
                close_collaborators=0,
                close_collaborator_mean_trust=None,
            ),
            0,
            "Unverified",
        ),
        # 17 + ORCID iD 5 + affiliation 5 = 27.
        (dict(record_has_orcid=True, has_affiliation=True), 27, "Emerging"),
        # Claimed (L2): 17 + claim 15 + ORCID iD 5 + affiliation 5
        # + 6 more works 6 + collaborators' trust 5 = 53.
        (
            dict(
                verification_level=VerificationLevel.L2,
                is_claimed=True,
                record_has_orcid=True,
                has_affiliation=True,
                works_count=10,
                close_collaborator_mean_trust=55.0,
            ),
            53,
            "Established",
        ),
        # Claimed with ORCID sign-in (L3): the 53 above + 15 + followers
        # (12: 2 digits) 2 + a fifth close collaborator 1 = 71.
        (
            dict(
                verification_level=VerificationLevel.L3,
                is_claimed=True,
                has_orcid_sign_in=True,
                record_has_orcid=True,
                has_affiliation=True,
                works_count=10,
                close_collaborators=5,
                close_collaborator_mean_trust=55.0,
                followers=12,
            ),
            71,
            "Established",
        ),
        # The same with a verified institutional e-mail: 71 + 10 = 81.
        (
            dict(
                verification_level=VerificationLevel.L3,
                is_claimed=True,
                has_orcid_sign_in=True,
                has_verified_institution_email=True,
                record_has_orcid=True,
                has_affiliation=True,
                works_count=10,
                close_collaborators=5,
                close_collaborator_mean_trust=55.0,
                followers=12,
            ),
            81,
            "Trusted",
        ),
    ],
)
def test_each_band_is_reachable_with_the_documented_arithmetic(changes, score, label):
    result = trust_compute(inputs=dataclasses.replace(REFERENCE, **changes))

    assert (result.score, result.label) == (score, label)
    assert sum(row.value for row in result.breakdown) == result.score


def test_a_claimed_record_with_everything_is_held_at_100():
    result = trust_compute(inputs=EVERYTHING)

    # 60 identity + 15 record quality + 14 footprint + 10 network + 3 community.
    assert (result.total, result.score, result.label) == (102, 100, "Trusted")


def test_an_unclaimed_record_never_leaves_emerging():
    huge_unclaimed = dataclasses.replace(
        EVERYTHING, verification_level=VerificationLevel.L1, is_claimed=False
    )

    result = trust_compute(inputs=huge_unclaimed)

    assert result.total == 87
    assert (result.score, result.label) == (UNCLAIMED_SCORE_CAP, "Emerging")
    assert UNCLAIMED_SCORE_CAP == 49


def test_penalties_lower_the_score_within_their_caps():
    result = trust_compute(
        inputs=dataclasses.replace(
            EVERYTHING, retracted_works=2, rejected_claims=1, disputed_claims=7
        )
    )

    penalties = {
        row.key: row.value for row in result.breakdown if row.group == "penalties"
    }
    assert penalties == {
        "retracted_works": -20,
        "rejected_claims": -5,
        "disputed_claims": -20,
    }
    # 102 - 45 = 57.
    assert (result.total, result.score, result.label) == (57, 57, "Established")
    assert sum(row.value for row in result.breakdown) == result.score


def test_penalties_never_take_the_score_below_zero():
    result = trust_compute(
        inputs=dataclasses.replace(
            REFERENCE, retracted_works=9, rejected_claims=4, disputed_claims=3
        )
    )

    # 17 - 30 - 15 - 20 = -48, kept at 0.
    assert result.total == -48
    assert (result.score, result.label) == (0, "Unverified")
    retracted = next(r for r in result.breakdown if r.key == "retracted_works")
    assert retracted.detail == "9 retracted works × -10 points, capped at -30"


@pytest.mark.parametrize(
    ("field", "count", "points"),
    [
        ("cited_by_count", 0, 0),
        ("cited_by_count", 1, 1),
        ("cited_by_count", 9, 1),
        ("cited_by_count", 10, 2),
        ("cited_by_count", 999, 3),
        ("cited_by_count", 1_000, 4),
        ("cited_by_count", 99_999, 4),
        ("followers", 1, 1),
        ("followers", 99, 2),
        ("followers", 100, 3),
        ("followers", 1_000_000, 3),
    ],
)
def test_citations_and_followers_count_on_a_log_scale(field, count, points):
    key = "citations" if field == "cited_by_count" else "followers"

    result = trust_compute(inputs=dataclasses.replace(REFERENCE, **{field: count}))

    assert next(r.value for r in result.breakdown if r.key == key) == points


def test_collaborators_trust_counts_only_at_established():
    def bonus(mean_trust, close_collaborators=4):
        inputs = dataclasses.replace(
            REFERENCE,
            close_collaborators=close_collaborators,
            close_collaborator_mean_trust=mean_trust,
        )
        result = trust_compute(inputs=inputs)
        return next(r.value for r in result.breakdown if r.key == "collaborator_trust")

    assert [bonus(None), bonus(49.9), bonus(50.0), bonus(93.0)] == [0, 0, 5, 5]
    assert bonus(80.0, close_collaborators=0) == 0


def test_stored_form_of_the_result():
    stored = trust_compute(inputs=REFERENCE).as_json()

    assert stored["model_version"] == MODEL_VERSION
    assert (stored["score"], stored["label"], stored["total"]) == (17, "Unverified", 17)
    assert stored["signals"][4] == {
        "key": "public_source",
        "group": "record quality",
        "label": "Public scholarly source",
        "value": 5,
        "cap": 5,
        "detail": "Imported from a public scholarly source (OpenAlex, arXiv)",
    }


# --- stored by the service --------------------------------------------------


def reference_shape():
    """The reference researcher's neighbourhood as the sample builds it: 4
    works of 5, 12, 30 and 60 authors (3,779 citations), her four 2020
    coauthors each at tie 1/4, everyone else tied far more loosely."""
    reference = ResearcherFactory(orcid=None, affiliation=None)
    lab = InstitutionFactory()
    close = [
        ResearcherFactory(affiliation=lab, orcid=f"0000-0002-0000-000{i}")
        for i in range(4)
    ]
    work_with_team(researchers=[reference, *close], cited_by_count=50)
    work_with_team(
        researchers=[reference, *ResearcherFactory.create_batch(11)],
        cited_by_count=9,
    )
    work_with_team(
        researchers=[reference, *ResearcherFactory.create_batch(29)],
        cited_by_count=600,
    )
    work_with_team(
        researchers=[reference, *ResearcherFactory.create_batch(59)],
        cited_by_count=3120,
    )
    return reference, close


@pytest.mark.django_db
def test_the_update_stores_score_label_breakdown_and_close_collaborators():
    reference, close = reference_shape()

    updated = researcher_trust_update()

    assert updated == Researcher.objects.count() == 1 + 4 + 11 + 29 + 59
    reference.refresh_from_db()
    assert (reference.trust_score, reference.trust_label) == (17, "Unverified")
    assert reference.close_collaborators_count == 4
    assert reference.trust_computed_at is not None
    breakdown = reference.trust_breakdown
    assert breakdown["model_version"] == MODEL_VERSION
    assert (breakdown["score"], breakdown["label"]) == (17, "Unverified")
    assert {s["key"]: s["value"] for s in breakdown["signals"] if s["value"]} == {
        "public_source": 5,
        "works": 4,
        "citations": 4,
        "close_collaborators": 4,
    }
    assert sum(s["value"] for s in breakdown["signals"]) == 17
    # A 2020 coauthor: public source 5, ORCID iD 5, affiliation 5, 1 work,
    # 50 citations 2, close collaborators 4 (everyone on that paper) = 22.
    coauthor = Researcher.objects.get(pk=close[0].pk)
    assert (coauthor.trust_score, coauthor.close_collaborators_count) == (22, 4)


@pytest.mark.django_db
def test_a_second_run_changes_nothing_but_the_time():
    reference_shape()
    researcher_trust_update()
    first = {
        r.pk: (r.trust_score, r.trust_label, r.trust_breakdown, r.trust_computed_at)
        for r in Researcher.objects.all()
    }

    # Neighbours now have stored trust; no score moves (all are unclaimed,
    # so no neighbourhood reaches the collaborators' trust bonus).
    assert researcher_trust_update() == len(first)

    for researcher in Researcher.objects.all():
        score, label, breakdown, computed_at = first[researcher.pk]
        assert researcher.trust_score == score
        assert researcher.trust_label == label
        # The detail of the collaborators' trust now names their mean.
        assert [
            s
            for s in researcher.trust_breakdown["signals"]
            if s["key"] != "collaborator_trust"
        ] == [s for s in breakdown["signals"] if s["key"] != "collaborator_trust"]
        assert researcher.trust_computed_at > computed_at


@pytest.mark.django_db
def test_only_the_given_researchers_are_updated():
    author, coauthor, other = (ResearcherFactory() for _ in range(3))
    work_with_team(researchers=[author, coauthor])

    assert researcher_trust_update(researcher_ids=[author.id, 987654321]) == 1

    author.refresh_from_db()
    other.refresh_from_db()
    coauthor.refresh_from_db()
    assert (author.trust_score, author.close_collaborators_count) == (7, 1)
    assert coauthor.trust_computed_at is None
    assert coauthor.close_collaborators_count == 0
    assert (other.trust_score, other.trust_computed_at) == (0, None)


@pytest.mark.django_db
def test_followers_retractions_and_claims_reach_the_stored_score():
    claimed = ClaimedResearcherFactory(
        orcid="0000-0002-1825-0097", affiliation=InstitutionFactory()
    )
    FollowFactory.create_batch(12, researcher=claimed)
    for _ in range(3):
        work_with_team(researchers=[claimed], cited_by_count=40)
    # A retracted work nobody on the record wrote must change nothing.
    WorkFactory(is_retracted=True)
    work_with_team(researchers=[claimed], is_retracted=True, cited_by_count=0)

    researcher_trust_update(researcher_ids=[claimed.id])

    claimed.refresh_from_db()
    by_key = {s["key"]: s for s in claimed.trust_breakdown["signals"]}
    # claim 15 + public source 5 + ORCID iD 5 + affiliation 5 + 4 works
    # + 120 citations 3 + 12 followers 2 - 1 retraction 10 = 29.
    assert claimed.trust_score == 29
    assert claimed.trust_label == "Emerging"
    assert by_key["followers"]["value"] == 2
    assert (
        by_key["followers"]["detail"] == "12 followers: 2 digits × 1 point, capped at 3"
    )
    assert by_key["retracted_works"]["value"] == -10
    assert by_key["works"]["value"] == 4


def researchers_with_data(count):
    """``count`` researchers, each with a work, a coauthor and a follower."""
    researchers = ResearcherFactory.create_batch(count)
    for researcher in researchers:
        work_with_team(researchers=[researcher, ResearcherFactory()])
        FollowFactory(researcher=researcher)
    return [r.id for r in researchers]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 50])
def test_a_batch_costs_six_queries_whatever_its_size(count, django_assert_num_queries):
    ids = researchers_with_data(count)

    # Rows, work totals, followers, close collaborators, the claims' evidence
    # (profiles.hooks, answered by claims), the update.
    with django_assert_num_queries(6):
        assert researcher_trust_update(researcher_ids=ids) == count


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 50])
def test_all_researchers_cost_six_queries_per_batch(count, django_assert_num_queries):
    researchers_with_data(count)

    # 2 * count researchers (each with a coauthor) in batches of ``count``:
    # two full batches, then the empty page that ends the walk.
    with django_assert_num_queries(2 * 6 + 1):
        assert researcher_trust_update(batch_size=count) == 2 * count


@pytest.mark.django_db
def test_researchers_that_are_gone_cost_one_query_and_update_nothing(
    django_assert_num_queries,
):
    with django_assert_num_queries(1):
        assert researcher_trust_update(researcher_ids=[987654321]) == 0


# --- the task ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_recomputes_and_returns_the_count():
    author, coauthor = ResearcherFactory(), ResearcherFactory()
    work_with_team(researchers=[author, coauthor])

    result = researcher_trust_recompute.apply(args=[[author.id, coauthor.id]])

    assert result.get() == 2
    author.refresh_from_db()
    assert (author.trust_score, author.close_collaborators_count) == (7, 1)


@pytest.mark.django_db
def test_the_task_without_ids_recomputes_everyone():
    ResearcherFactory.create_batch(3)

    assert researcher_trust_recompute.apply().get() == 3
    assert not Researcher.objects.filter(trust_computed_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_task_for_researchers_that_are_gone_returns_quietly():
    assert researcher_trust_recompute.apply(args=[[987654321]]).get() == 0
