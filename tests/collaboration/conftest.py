"""Fixtures of the collaboration tests: limits raised for every test that is
not about them, and a claimed profile open to collaborate with its owner
(helpers.py holds the invitation helper and the digest of the tables)."""

from dataclasses import dataclass

import pytest

from profiles.models import Researcher
from tests.factories import ResearcherFactory, UserFactory, approved_claim


@pytest.fixture(autouse=True)
def _roomy_limits(settings):
    """Tests about limits set their own."""
    settings.INVITATION_RATE_PER_USER = "1000/h"
    settings.INVITATIONS_OPEN_MAX = 100
    settings.MESSAGE_RATE_PER_USER = "1000/h"


@dataclass
class Profile:
    """A claimed record open to collaborate and the account that owns it."""

    owner: object
    researcher: Researcher

    def refresh(self) -> Researcher:
        self.researcher.refresh_from_db()
        return self.researcher


@pytest.fixture
def make_profile(moderator):
    """``make_profile(**researcher_fields)``: a new record (or
    ``researcher``) claimed through the claims services by a new owner (or
    ``owner``)."""

    def make(owner=None, researcher=None, **fields) -> Profile:
        owner = owner or UserFactory()
        researcher = researcher or ResearcherFactory(**fields)
        approved_claim(user=owner, researcher=researcher, moderator=moderator)
        researcher.refresh_from_db()
        return Profile(owner=owner, researcher=researcher)

    return make


@pytest.fixture
def profile(make_profile):
    return make_profile(
        owner=UserFactory(username="bea", email="bea@example.org"),
        display_name="Bea Owner",
    )


@pytest.fixture
def visitor():
    return UserFactory(username="ada", email="ada@example.org")
