"""``sample_data_remove`` (and ``manage.py remove_sample_data``): the bundled
sample goes, whatever real data was imported beside it stays."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from profiles.models import Researcher
from tests.factories import ResearcherFactory, WorkFactory
from tests.helpers.catalog import catalog_digest
from tests.helpers.paths import SAMPLE_SNAPSHOT
from works.models import Institution, Source, Topic, Work
from works.selectors import sample_data_was_removed, site_shows_sample_data
from works.services import sample_data_remove, snapshot_load

pytestmark = pytest.mark.django_db


def load_sample():
    run = snapshot_load(
        path=SAMPLE_SNAPSHOT, sample=True, progress=False, sync_trust=True
    )
    assert run.rejected_count == 0


def test_removing_the_sample_leaves_an_empty_catalog_and_no_banner():
    load_sample()
    assert site_shows_sample_data()

    out = StringIO()
    call_command("remove_sample_data", stdout=out)

    assert out.getvalue() == (
        "Sample data removed: 160 works, 91 researchers, 13 institutions, "
        "10 sources, 17 topics.\n"
    )
    assert Researcher.objects.count() == 0
    assert Work.objects.count() == 0
    assert Institution.objects.count() == Source.objects.count() == 0
    assert Topic.objects.count() == 0
    cache.clear()
    assert not site_shows_sample_data()


def test_real_data_beside_the_sample_stays():
    load_sample()
    sample_person = Researcher.objects.get(openalex_id="A5100000001")
    # A real import fetched a record sharing a sample id: it is real now.
    refetched = Researcher.objects.filter(is_sample=True).exclude(pk=sample_person.pk)[
        0
    ]
    Researcher.objects.filter(pk=refetched.pk).update(fetched_at=timezone.now())
    # A real researcher co-wrote one of the sample's works: the work stays.
    real = ResearcherFactory(display_name="Real Person")
    shared = Work.objects.filter(authorships__researcher=sample_person)[0]
    shared.authorships.create(researcher=real, position=99, raw_author_name="Real")
    unrelated = WorkFactory(title="Imported elsewhere")

    sample_data_remove()

    assert set(Researcher.objects.values_list("pk", flat=True)) == {
        refetched.pk,
        real.pk,
    }
    assert not Researcher.objects.get(pk=refetched.pk).is_sample
    assert Work.objects.filter(pk__in=[shared.pk, unrelated.pk]).count() == 2
    # Whatever the kept works point at stays too.
    assert shared.source_id is not None
    assert Source.objects.filter(pk=shared.source_id).exists()


def test_removing_twice_changes_nothing_the_second_time():
    load_sample()
    sample_data_remove()
    before = catalog_digest()

    assert sample_data_remove() == {
        "works": 0,
        "researchers": 0,
        "institutions": 0,
        "sources": 0,
        "topics": 0,
    }
    assert catalog_digest() == before


def test_make_run_knows_the_sample_was_removed_only_once_real_data_is_alone():
    assert not sample_data_was_removed()  # an empty catalog: load the sample
    load_sample()
    assert not sample_data_was_removed()
    ResearcherFactory()
    sample_data_remove()
    assert sample_data_was_removed()
