"""Tie strength (Newman's collaboration weight) and close collaborator counts."""

import pytest

from profiles.ties import (
    LARGE_TEAM_AUTHOR_CAP,
    CloseCollaboratorSummary,
    close_collaborator_summaries,
    tie_strengths,
)
from tests.factories import (
    AuthorshipFactory,
    ResearcherFactory,
    WorkFactory,
    work_with_team,
)

pytestmark = pytest.mark.django_db

THRESHOLD = 0.2


def close_collaborator_counts_of(researcher_ids: list[int]) -> dict[int, int]:
    summaries = close_collaborator_summaries(
        researcher_ids=researcher_ids, threshold=THRESHOLD
    )
    return {
        researcher_id: summary.count for researcher_id, summary in summaries.items()
    }


def shared_works(*, researchers, author_count, count=1):
    """``count`` works of ``author_count`` authors as the source states it, of
    which only ``researchers`` are attached to records (the rest are bare
    names the import could not match)."""
    works = []
    for _ in range(count):
        work = WorkFactory(author_count=author_count)
        for position, researcher in enumerate(researchers):
            AuthorshipFactory(work=work, researcher=researcher, position=position)
        works.append(work)
    return works


def test_tie_strength_sums_one_over_team_size_minus_one():
    me, close, small_only = (ResearcherFactory() for _ in range(3))
    crowd = ResearcherFactory.create_batch(198)
    work_with_team(researchers=[me, close, small_only])
    work_with_team(researchers=[me, close, *crowd])

    strengths = tie_strengths(researcher_id=me.id)

    assert len(strengths) == 200
    assert strengths[0] == (close.id, pytest.approx(1 / 2 + 1 / 199, abs=1e-12))
    assert strengths[1] == (small_only.id, pytest.approx(1 / 2, abs=1e-12))
    # The crowd ties by 1/199 each, in id order.
    assert [coauthor_id for coauthor_id, _ in strengths[2:]] == sorted(
        r.id for r in crowd
    )
    assert [strength for _, strength in strengths[2:]] == [
        pytest.approx(1 / 199, abs=1e-12)
    ] * 198


def test_tie_strengths_limit_keeps_the_strongest():
    me, first, second, third = (ResearcherFactory() for _ in range(4))
    work_with_team(researchers=[me, first])
    work_with_team(researchers=[me, second, third])
    work_with_team(researchers=[me, second, *ResearcherFactory.create_batch(3)])

    assert tie_strengths(researcher_id=me.id, limit=2) == [
        (first.id, pytest.approx(1.0)),
        (second.id, pytest.approx(1 / 2 + 1 / 4)),
    ]


def test_single_author_works_bare_names_and_duplicate_slots_tie_nobody_twice():
    me, coauthor = ResearcherFactory(), ResearcherFactory()
    work_with_team(researchers=[me])
    # A bare name (no researcher record) on a 3-author work.
    work = work_with_team(researchers=[me, coauthor])
    work.author_count = 3
    work.save(update_fields=["author_count"])
    AuthorshipFactory(work=work, researcher=None, position=2)
    # The source listed the coauthor twice on one work: it is one shared work.
    AuthorshipFactory(work=work, researcher=coauthor, position=3)
    # A work whose stated team size is below two ties nobody, rows or not.
    broken = WorkFactory(author_count=1)
    AuthorshipFactory(work=broken, researcher=me, position=0)
    AuthorshipFactory(work=broken, researcher=coauthor, position=1)

    assert tie_strengths(researcher_id=me.id) == [
        (coauthor.id, pytest.approx(1 / 2, abs=1e-12))
    ]


def test_tie_strengths_of_a_researcher_without_coauthors_is_empty():
    loner = ResearcherFactory()
    work_with_team(researchers=[loner])

    assert tie_strengths(researcher_id=loner.id) == []


def test_close_collaborators_pass_the_threshold_and_exactly_threshold_counts():
    me = ResearcherFactory()
    six_team, seven_team, two_elevens, six_thirty_ones, pair = (
        ResearcherFactory() for _ in range(5)
    )
    # 1/(6-1) = 0.2 exactly: counts.
    shared_works(researchers=[me, six_team], author_count=6)
    # 1/(7-1) = 0.1667: does not.
    shared_works(researchers=[me, seven_team], author_count=7)
    # 2 x 1/10 = 0.2: counts.
    shared_works(researchers=[me, two_elevens], author_count=11, count=2)
    # 6 x 1/30 = 0.2 on paper, 0.19999999999999998 summed in floating point:
    # counts.
    shared_works(researchers=[me, six_thirty_ones], author_count=31, count=6)
    # 1/(2-1) = 1.0: counts.
    shared_works(researchers=[me, pair], author_count=2)

    counts = close_collaborator_counts_of([me.id, six_team.id, seven_team.id])

    assert counts == {me.id: 4, six_team.id: 1, seven_team.id: 0}


def test_close_collaborators_answer_every_requested_id_in_one_query(
    django_assert_num_queries,
):
    alone, first, second = (ResearcherFactory() for _ in range(3))
    work_with_team(researchers=[first, second])

    with django_assert_num_queries(1):
        counts = close_collaborator_counts_of(
            [alone.id, first.id, second.id, 987654321]
        )

    assert counts == {alone.id: 0, first.id: 1, second.id: 1, 987654321: 0}


def test_close_collaborators_of_no_researchers_is_empty_without_a_query(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        assert (
            close_collaborator_summaries(researcher_ids=[], threshold=THRESHOLD) == {}
        )


def test_works_above_the_large_team_cap_never_make_a_close_tie():
    me, consortium_peer, at_the_cap = (ResearcherFactory() for _ in range(3))
    # 25 works of 101 authors: an exact tie of 25 x 1/100 = 0.25, left out.
    shared_works(
        researchers=[me, consortium_peer],
        author_count=LARGE_TEAM_AUTHOR_CAP + 1,
        count=25,
    )
    # 20 works of exactly 100 authors: 20 x 1/99 = 0.202, kept.
    shared_works(
        researchers=[me, at_the_cap], author_count=LARGE_TEAM_AUTHOR_CAP, count=20
    )

    exact = dict(tie_strengths(researcher_id=me.id))
    capped = dict(
        tie_strengths(researcher_id=me.id, max_author_count=LARGE_TEAM_AUTHOR_CAP)
    )
    counts = close_collaborator_counts_of([me.id, consortium_peer.id, at_the_cap.id])

    assert exact == {
        consortium_peer.id: pytest.approx(25 / 100, abs=1e-12),
        at_the_cap.id: pytest.approx(20 / 99, abs=1e-12),
    }
    assert capped == {at_the_cap.id: pytest.approx(20 / 99, abs=1e-12)}
    assert counts == {me.id: 1, consortium_peer.id: 0, at_the_cap.id: 1}


def test_close_collaborator_summaries_average_the_computed_trust_only():
    me = ResearcherFactory()
    computed_high = ResearcherFactory(trust_score=60)
    computed_low = ResearcherFactory(trust_score=30)
    never_computed = ResearcherFactory()
    for coauthor in (computed_high, computed_low, never_computed):
        work_with_team(researchers=[me, coauthor])
    for coauthor in (computed_high, computed_low):
        coauthor.trust_computed_at = coauthor.created_at
        coauthor.save(update_fields=["trust_computed_at"])

    summaries = close_collaborator_summaries(
        researcher_ids=[me.id, never_computed.id], threshold=THRESHOLD
    )

    assert summaries == {
        me.id: CloseCollaboratorSummary(count=3, mean_trust=45.0),
        never_computed.id: CloseCollaboratorSummary(count=1, mean_trust=None),
    }
