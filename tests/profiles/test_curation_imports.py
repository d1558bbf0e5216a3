"""Curation against the imports: what the owner hid is not brought back by
loading the same snapshot again, and stays out of search."""

import pytest
from django.test import Client
from django.urls import reverse

from profiles import curation
from profiles.models import HiddenWork, Researcher
from profiles.services import researcher_owner_add, researcher_trust_update
from tests.factories import verified_user
from tests.helpers.paths import SAMPLE_SNAPSHOT
from works.models import Authorship
from works.services import snapshot_load

pytestmark = pytest.mark.django_db


def load_sample():
    run = snapshot_load(
        path=SAMPLE_SNAPSHOT, sample=True, progress=False, sync_trust=True
    )
    assert run.rejected_count == 0
    researcher_trust_update()


def test_a_hidden_work_stays_hidden_after_the_same_snapshot_is_loaded_again():
    load_sample()
    reference = Researcher.objects.get(display_name="Bingxuan Wang")
    owner = verified_user()
    researcher_owner_add(researcher=reference, user=owner, verification_level=2)
    before = reference.listed_works_count
    work = Authorship.objects.filter(researcher=reference).order_by("work_id")[0].work
    curation.work_hide(researcher=reference, user=owner, work=work)

    load_sample()

    assert HiddenWork.objects.filter(researcher=reference, work=work).exists()
    reference.refresh_from_db()
    assert reference.listed_works_count == before - 1
    page = Client().get(reverse("profiles:detail", args=[reference.openalex_id]))
    assert work.title not in page.content.decode()
    # Search shows the count the profile shows, the hidden work left out.
    search = Client().get(reverse("search"), {"q": "Bingxuan Wang"})
    assert f"{before - 1} work" in search.content.decode()
    assert f"{before} work" not in search.content.decode()


def test_a_hidden_profile_stays_hidden_after_the_same_snapshot_is_loaded_again():
    load_sample()
    reference = Researcher.objects.get(display_name="Bingxuan Wang")
    owner = verified_user()
    researcher_owner_add(researcher=reference, user=owner, verification_level=2)
    curation.profile_visibility_set(researcher=reference, user=owner, hidden=True)

    load_sample()

    reference.refresh_from_db()
    assert reference.is_hidden
    search = Client().get(reverse("search"), {"q": "Bingxuan Wang"})
    profile_url = reverse("profiles:detail", args=[reference.openalex_id])
    assert profile_url not in search.content.decode()
    assert Client().get(profile_url).status_code == 404
