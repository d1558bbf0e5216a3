"""Trust is recomputed by a real Celery worker process, through Redis."""

import pytest

from profiles.models import Researcher
from profiles.tasks import researcher_trust_recompute
from tests.factories import ResearcherFactory, work_with_team


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recomputes_trust_and_close_collaborators(
    celery_worker_process,
):
    author, coauthor, distant = (ResearcherFactory() for _ in range(3))
    work_with_team(researchers=[author, coauthor])
    work_with_team(researchers=[author, distant, *ResearcherFactory.create_batch(9)])

    result = researcher_trust_recompute.delay([author.id, coauthor.id])

    assert result.get(timeout=60) == 2
    author.refresh_from_db()
    coauthor.refresh_from_db()
    # 1/(2-1) = 1.0 passes the 0.2 threshold; 1/(11-1) = 0.1 does not.
    assert author.close_collaborators_count == 1
    assert coauthor.close_collaborators_count == 1
    assert author.trust_computed_at is not None
    assert author.trust_breakdown["score"] == author.trust_score
    untouched = Researcher.objects.get(pk=distant.pk)
    assert untouched.trust_computed_at is None


@pytest.mark.django_db(transaction=True)
def test_a_task_for_researchers_that_are_gone_returns_quietly(celery_worker_process):
    result = researcher_trust_recompute.delay([987654321])
    assert result.get(timeout=60) == 0
