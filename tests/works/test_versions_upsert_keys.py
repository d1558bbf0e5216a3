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


def test_a_preprint_loaded_after_its_article_takes_its_arxiv_id_from_it():
    assert upsert_works([article_record()]) == UpsertResult(created=1)
    assert keys(ARTICLE) == ("10.1007/s11192-015-1547-0", ARXIV_ID, "")
    before = Work.objects.get(openalex_id=ARTICLE).updated_at

    assert upsert_works([preprint_record()]) == UpsertResult(created=1)

    # The arXiv id is the preprint's own (its DOI is the arXiv DOI): the
    # article, which only lists an arXiv location, gives it up and relates
    # to it, as it would have had the preprint come first.
    assert keys(PREPRINT) == (f"10.48550/arxiv.{ARXIV_ID}", ARXIV_ID, "")
    assert keys(ARTICLE) == ("10.1007/s11192-015-1547-0", None, ARXIV_ID)
    assert Work.objects.get(openalex_id=ARTICLE).updated_at > before


def test_an_article_loaded_after_its_preprint_relates_to_the_arxiv_id():
    upsert_works([preprint_record()])
    upsert_works([article_record()])

    assert keys(PREPRINT) == (f"10.48550/arxiv.{ARXIV_ID}", ARXIV_ID, "")
    assert keys(ARTICLE) == ("10.1007/s11192-015-1547-0", None, ARXIV_ID)


@pytest.mark.parametrize("order", [1, -1])
def test_within_one_batch_the_preprint_holds_its_arxiv_id_in_either_order(order):
    records = [article_record(), preprint_record()][::order]
    assert upsert_works(records) == UpsertResult(created=2)

    assert keys(ARTICLE) == ("10.1007/s11192-015-1547-0", None, ARXIV_ID)
    assert keys(PREPRINT) == (f"10.48550/arxiv.{ARXIV_ID}", ARXIV_ID, "")


def location_only(record, openalex_id: str):
    """``record`` as another work that lists the arXiv id only as a location
    (no arXiv DOI of its own)."""
    return replace(record, openalex_id=openalex_id, doi=None)


@pytest.mark.parametrize("batches", [1, 2])
@pytest.mark.parametrize("order", [1, -1])
def test_between_two_location_claims_the_first_openalex_id_holds_it(batches, order):
    first = location_only(article_record(), "W100")
    second = location_only(article_record(), "W200")
    records = [first, second][::order]
    if batches == 1:
        upsert_works(records)
    else:
        for record in records:
            upsert_works([record])

    assert keys("W100") == (None, ARXIV_ID, "")
    assert keys("W200") == (None, None, ARXIV_ID)


def test_reloading_versions_writes_nothing():
    records = [article_record(), preprint_record()]
    upsert_works(records)
    before = catalog_digest()

    assert upsert_works(records) == UpsertResult(unchanged=2)
    assert upsert_works(records[::-1]) == UpsertResult(unchanged=2)
    assert upsert_works([records[1]]) == UpsertResult(unchanged=1)

    assert catalog_digest() == before


def test_the_related_arxiv_id_is_sticky_and_cleared_once_the_work_holds_it():
    # A later work listing the same arXiv location loses it to the article
    # (the OpenAlex id first in text order) and relates to it.
    later = location_only(article_record(), "W3000000001")
    upsert_works([article_record(), later])
    assert keys("W3000000001") == (None, None, ARXIV_ID)
    # A later state of it that no longer states the arXiv id.
    silent = replace(later, arxiv_id=None)
    assert upsert_works([silent]) == UpsertResult(unchanged=1)
    assert keys("W3000000001") == (None, None, ARXIV_ID)

    # The article gives the arXiv id up (its OpenAlex record lost the arXiv
    # location and it is gone from our row): the later work takes it.
    Work.objects.filter(openalex_id=ARTICLE).update(arxiv_id=None)
    assert upsert_works([later]) == UpsertResult(updated=1)

    assert keys("W3000000001") == (None, ARXIV_ID, "")
