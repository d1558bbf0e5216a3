"""A preprint and its published article as two OpenAlex records, built from
the recorded records in ``tests/fixtures/openalex`` (see its SOURCES.md)."""

from tests.helpers.snapshot import work_arxiv_preprint, work_with_arxiv_location

ARXIV_ID = "1503.05702"
ARTICLE = "W1996515099"
PREPRINT = "W9000000001"


def article_raw() -> dict:
    """The Scientometrics article, which OpenAlex lists with its arXiv
    location (``arxiv.org/abs/1503.05702``), as recorded."""
    return work_with_arxiv_location()


def preprint_raw() -> dict:
    """Its arXiv preprint as a record of its own, the way OpenAlex lists an
    arXiv-only work: the recorded arXiv preprint W3045921891, re-pointed at
    this paper (its arXiv DOI, title, year and first author)."""
    raw = work_arxiv_preprint()
    article = article_raw()
    raw["id"] = f"https://openalex.org/{PREPRINT}"
    raw["ids"] = {"openalex": raw["id"], "doi": f"10.48550/arxiv.{ARXIV_ID}"}
    raw["doi"] = f"https://doi.org/10.48550/arxiv.{ARXIV_ID}"
    raw["title"] = raw["display_name"] = article["title"]
    raw["publication_year"] = 2015
    raw["publication_date"] = "2015-03-20"
    raw["locations"] = raw["primary_location"] = None
    raw["authorships"] = article["authorships"]
    return raw
