import pytest

from claims.services import claim_approve, claim_submit
from tests.factories import ResearcherFactory, UserFactory


@pytest.fixture
def enqueued(monkeypatch):
    """The researcher ids handed to the trust recompute task (not sent)."""
    calls = []
    monkeypatch.setattr(
        "profiles.tasks.researcher_trust_recompute.delay",
        lambda ids: calls.append(ids),
    )
    return calls


@pytest.fixture
def moderator():
    return UserFactory(username="moderator", is_staff=True)


def approved_claim(*, user=None, researcher=None, moderator):
    claim = claim_submit(
        user=user or UserFactory(), researcher=researcher or ResearcherFactory()
    )
    return claim_approve(claim=claim, moderator=moderator, reason="ORCID matches")
