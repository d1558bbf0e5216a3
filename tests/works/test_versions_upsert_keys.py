"""The upsert path fills the keys version grouping reads: ``title_key`` on
every work, and ``related_arxiv_id`` where a work cannot hold the arXiv id
its source states because another row holds it."""

from dataclasses import replace

import pytest

from tests.helpers.catalog import catalog_digest
from tests.helpers.snapshot import work_state_of_oa
from tests.helpers.versions import (
    ARTICLE,
    ARXIV_ID,
    PREPRINT,
    article_raw,
    preprint_raw,
)
from works.ingest.openalex.normalize import normalize_work
from works.ingest.upsert import UpsertResult, upsert_works
from works.models import Work
from works.text import TITLE_KEY_MAX_LENGTH, title_key

pytestmark = pytest.mark.django_db(transaction=True)


def article_record():
    return normalize_work(article_raw())


def preprint_record():
    return normalize_work(preprint_raw())


def keys(openalex_id: str) -> tuple:
    work = Work.objects.get(openalex_id=openalex_id)
    return work.doi, work.arxiv_id, work.related_arxiv_id


@pytest.mark.parametrize(
    ("title", "key"),
    [
        (
            "The state of OA: a large-scale analysis of the prevalence",
            "the state of oa a large scale analysis of the prevalence",
        ),
        (
            "<i>Über</i>   Open-Source LLMs — a Survey.",
            "uber open source llms a survey",
        ),
        ("Newton’s Laws, Revisited!", "newtons laws revisited"),
        ("深度学习 (Deep Learning)", "深度学习 deep learning"),
        ("", ""),
        (None, ""),
    ],
)
def test_the_title_key_ignores_case_accents_markup_and_punctuation(title, key):
    assert title_key(title) == key


def test_the_title_key_is_cut_at_the_column_length_without_a_trailing_space():
    key = title_key("word " * 100)
    assert len(key) <= TITLE_KEY_MAX_LENGTH
    assert key == ("word " * 60).strip()


def test_every_stored_work_gets_its_title_key():
    upsert_works([normalize_work(work_state_of_oa())])

    work = Work.objects.get()
    assert work.title_key == (
        "the state of oa a large scale analysis of the prevalence and impact of "
        "open access articles"
    )
    assert work.related_arxiv_id == ""


def test_a_preprint_loaded_after_its_article_relates_to_the_arxiv_id():
    assert upsert_works([article_record()]) == UpsertResult(created=1)
    assert upsert_works([preprint_record()]) == UpsertResult(created=1)

    assert keys(ARTICLE) == ("10.1007/s11192-015-1547-0", ARXIV_ID, "")
    # It keeps its arXiv DOI (nobody else holds it), not the arXiv id.
    assert keys(PREPRINT) == (f"10.48550/arxiv.{ARXIV_ID}", None, ARXIV_ID)


def test_an_article_loaded_after_its_preprint_relates_to_the_arxiv_id():
    upsert_works([preprint_record()])
    upsert_works([article_record()])

    assert keys(PREPRINT) == (f"10.48550/arxiv.{ARXIV_ID}", ARXIV_ID, "")
    assert keys(ARTICLE) == ("10.1007/s11192-015-1547-0", None, ARXIV_ID)


def test_within_one_batch_the_second_work_relates_to_the_first_ones_arxiv_id():
    assert upsert_works([article_record(), preprint_record()]) == UpsertResult(
        created=2
    )

    assert keys(ARTICLE) == ("10.1007/s11192-015-1547-0", ARXIV_ID, "")
    assert keys(PREPRINT) == (f"10.48550/arxiv.{ARXIV_ID}", None, ARXIV_ID)


def test_reloading_versions_writes_nothing():
    records = [article_record(), preprint_record()]
    upsert_works(records)
    before = catalog_digest()

    assert upsert_works(records) == UpsertResult(unchanged=2)
    assert upsert_works(records[::-1]) == UpsertResult(unchanged=2)
    assert upsert_works([records[1]]) == UpsertResult(unchanged=1)

    assert catalog_digest() == before


def test_the_related_arxiv_id_is_sticky_and_cleared_once_the_work_holds_it():
    upsert_works([article_record(), preprint_record()])
    # A later state of the preprint that no longer states the arXiv DOI.
    silent = replace(preprint_record(), doi=None, arxiv_id=None)
    assert upsert_works([silent]) == UpsertResult(unchanged=1)
    assert keys(PREPRINT) == (f"10.48550/arxiv.{ARXIV_ID}", None, ARXIV_ID)

    # The article gives the arXiv id up (its OpenAlex record lost the arXiv
    # location and it is gone from our row): the preprint takes it as its own.
    Work.objects.filter(openalex_id=ARTICLE).update(arxiv_id=None)
    assert upsert_works([preprint_record()]) == UpsertResult(updated=1)

    assert keys(PREPRINT) == (f"10.48550/arxiv.{ARXIV_ID}", ARXIV_ID, "")
