"""An author id OpenAlex merged into another: its look-up answers 301 to the
surviving record, and the import merges what we hold under the old id into
the survivor (``profiles.services.researcher_merge``)."""

from io import StringIO

import pytest
from django.core.management import call_command

from profiles.models import Follow, Researcher, ResearcherRedirect
from tests.factories import FollowFactory, ResearcherFactory
from tests.helpers.openalex import PRIEM, PRIEM_ORCID, Answer
from works.models import ImportRun, Work

pytestmark = pytest.mark.django_db

# An id OpenAlex merged into Jason Priem's record (the 301 is constructed:
# OpenAlex answers a merged id by redirecting to the survivor's look-up).
MERGED = "A9000000001"


def import_openalex(*args) -> str:
    out = StringIO()
    call_command("import_openalex", *args, "--sync-trust", stdout=out)
    return out.getvalue()


@pytest.fixture
def merged_recorded(priem_recorded):
    location = f"https://api.openalex.org/authors/{PRIEM}"
    priem_recorded.single(
        f"authors/{MERGED}", Answer(status=301, headers={"Location": location})
    )
    return priem_recorded


def test_importing_a_merged_id_merges_the_old_record_into_the_survivor(
    merged_recorded, client
):
    import_openalex("--author", PRIEM)  # we hold the survivor already
    old = ResearcherFactory(openalex_id=MERGED, display_name="J. Priem")
    follow = FollowFactory(researcher=old)

    import_openalex("--author", MERGED)

    run = ImportRun.objects.order_by("pk").last()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.rejected_count == 0
    survivor = Researcher.objects.get(openalex_id=PRIEM)
    assert not Researcher.objects.filter(openalex_id=MERGED).exists()
    assert Follow.objects.get(pk=follow.pk).researcher == survivor
    assert ResearcherRedirect.objects.get(old_openalex_id=MERGED).researcher == (
        survivor
    )
    page = client.get(f"/researchers/{MERGED}/")
    assert page.status_code == 301
    assert page["Location"] == f"/researchers/{PRIEM}/"
    assert client.get(f"/researchers/{PRIEM}/").status_code == 200
    # The works walk went on under the survivor's id.
    assert run.checkpoint["position"] == 1
    assert Work.objects.count() == 4


def test_an_old_record_holding_the_survivor_s_orcid_does_not_refuse_it(
    merged_recorded, client
):
    old = ResearcherFactory(openalex_id=MERGED, orcid=PRIEM_ORCID)
    follow = FollowFactory(researcher=old)

    import_openalex("--author", MERGED)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.rejected_count == 0
    survivor = Researcher.objects.get(openalex_id=PRIEM)
    assert survivor.orcid == PRIEM_ORCID
    assert survivor.display_name == "Jason Priem"
    assert survivor.fetched_at is not None
    assert Follow.objects.get(pk=follow.pk).researcher == survivor
    assert client.get(f"/researchers/{MERGED}/")["Location"] == (
        f"/researchers/{PRIEM}/"
    )
