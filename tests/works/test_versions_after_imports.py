"""Versions are grouped after every import (snapshot load, live import), and
counted once by trust and tie strength."""

import pytest
from django.utils import timezone

from profiles.models import Researcher
from profiles.services import researcher_trust_update
from profiles.ties import close_collaborator_summaries, tie_strengths
from tests.factories import ResearcherFactory, work_with_team
from tests.helpers.catalog import catalog_digest
from tests.helpers.snapshot import write_part
from tests.helpers.versions import ARTICLE, PREPRINT, article_raw, preprint_raw
from works.ingest.driver import IMPORTED, run_execute
from works.ingest.openalex.normalize import normalize_work
from works.ingest.upsert import upsert_works
from works.models import ImportRun, Work
from works.services import snapshot_load
from works.versions import versions_group

WORKS = "works/updated_date=2025-06-11/part_000.gz"


def canonical_of(openalex_id: str) -> str | None:
    work = Work.objects.select_related("canonical").get(openalex_id=openalex_id)
    return work.canonical.openalex_id if work.canonical else None


@pytest.mark.django_db(transaction=True)
def test_the_snapshot_loader_groups_what_it_loaded_and_a_reload_writes_nothing(
    tmp_path,
):
    root = tmp_path / "snapshot"
    write_part(root, WORKS, [preprint_raw(), article_raw()])

    run = snapshot_load(path=root, progress=False, sync_trust=True)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert (canonical_of(PREPRINT), canonical_of(ARTICLE)) == (ARTICLE, None)
    assert run.checkpoint == {"files_done": [WORKS]}
    before = catalog_digest()

    again = snapshot_load(path=root, progress=False, sync_trust=True)

    assert again.unchanged_count == 2
    assert catalog_digest() == before


@pytest.mark.django_db(transaction=True)
def test_a_sliced_snapshot_load_groups_in_its_last_slice(tmp_path):
    root = tmp_path / "snapshot"
    write_part(root, WORKS, [preprint_raw(), article_raw()])

    run = snapshot_load(
        path=root, progress=False, sync_trust=True, batch_size=1, time_budget=0
    )
    while run.status == ImportRun.Status.RUNNING:
        run = snapshot_load(
            path=root,
            run=run,
            progress=False,
            sync_trust=True,
            batch_size=1,
            time_budget=0,
        )

    assert run.status == ImportRun.Status.SUCCEEDED
    assert (canonical_of(PREPRINT), canonical_of(ARTICLE)) == (ARTICLE, None)


@pytest.mark.django_db(transaction=True)
def test_a_live_import_groups_the_works_it_changed_before_trust():
    first_author = ResearcherFactory(openalex_id="A5050011696")
    # A run whose importer is done (its pages stored these works): executing
    # it again is its after-run step alone.
    run = ImportRun.objects.create(
        source=ImportRun.Source.OPENALEX_API,
        status=ImportRun.Status.RUNNING,
        started_at=timezone.now(),
        checkpoint={IMPORTED: True},
    )
    upsert_works([normalize_work(article_raw()), normalize_work(preprint_raw())])

    run = run_execute(run, progress=False, sync_trust=True)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert (canonical_of(PREPRINT), canonical_of(ARTICLE)) == (ARTICLE, None)
    first_author.refresh_from_db()
    works_signal = next(
        s for s in first_author.trust_breakdown["signals"] if s["key"] == "works"
    )
    assert works_signal["detail"] == "1 work × 1 point, capped at 10"


@pytest.mark.django_db
def test_a_pair_on_a_preprint_and_its_article_is_tied_once():
    author, coauthor, third = ResearcherFactory.create_batch(3)
    preprint = work_with_team(
        researchers=[author, coauthor, third],
        type="preprint",
        arxiv_id="2601.07372",
        cited_by_count=2,
    )
    # The article lists a fourth, unlinked author: the larger team counts.
    article = work_with_team(
        researchers=[author, coauthor, third, None],
        type="article",
        related_arxiv_id="2601.07372",
        cited_by_count=5,
    )
    versions_group(work_ids=[preprint.pk])
    assert Work.objects.get(pk=preprint.pk).canonical_id == article.pk

    assert tie_strengths(researcher_id=author.pk) == [
        (coauthor.pk, pytest.approx(1 / 3)),
        (third.pk, pytest.approx(1 / 3)),
    ]
    summary = close_collaborator_summaries(researcher_ids=[author.pk], threshold=0.4)
    assert summary[author.pk].count == 0  # twice 1/3 would have passed 0.4

    researcher_trust_update(researcher_ids=[author.pk])
    signals = {
        s["key"]: s["detail"]
        for s in Researcher.objects.get(pk=author.pk).trust_breakdown["signals"]
    }
    assert signals["works"] == "1 work × 1 point, capped at 10"
    # OpenAlex counts each version's citations on its own record.
    assert signals["citations"].startswith("7 citations")
