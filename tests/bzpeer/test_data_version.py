"""The one data version: it moves on every change that derived pages show,
after the commit, and its absence (Redis down) is an answer, not an error."""

import pytest

from bzpeer.data_version import data_version_bump, data_version_get
from claims.services import claim_approve, claim_submit
from profiles import curation
from profiles.services import researcher_owner_add
from tests.factories import ResearcherFactory, UserFactory, researcher_with_works
from works.merges import researcher_merge
from works.models import Work

pytestmark = pytest.mark.django_db


def test_the_version_starts_and_moves_forward():
    first = data_version_get()
    assert isinstance(first, int)
    data_version_bump()
    assert data_version_get() == first + 1


@pytest.mark.parametrize("change", ["curation", "claim decision", "merge"])
def test_each_change_moves_the_version_after_its_commit(
    change, django_capture_on_commit_callbacks
):
    researcher = researcher_with_works(2)
    before = data_version_get()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        if change == "curation":
            owner = UserFactory()
            researcher_owner_add(
                researcher=researcher, user=owner, verification_level=2
            )
            curation.work_hide(
                researcher=researcher, user=owner, work=Work.objects.first()
            )
        elif change == "claim decision":
            claim = claim_submit(user=UserFactory(), researcher=researcher)
            claim_approve(claim=claim, moderator=UserFactory(), reason="Checked.")
        else:
            survivor = ResearcherFactory()
            researcher_merge(
                old_openalex_id=researcher.openalex_id,
                new_openalex_id=survivor.openalex_id,
            )
        assert data_version_get() == before  # not before the commit
    assert callbacks
    assert data_version_get() > before


def test_without_redis_there_is_no_version_and_no_error(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            # Nothing listens on port 1.
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    # Django's own setting_changed handler rebuilds the cache connections.
    assert data_version_get() is None
    data_version_bump()  # logged, never raised
