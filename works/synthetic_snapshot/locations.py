"""The locations of a synthetic work, as JSON: where OpenAlex says it can be
read (the publisher's copy, PubMed and PubMed Central, arXiv, a repository),
each embedding its venue, and the work's open-access summary they make.
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as quote
from random import Random

from works.synthetic_snapshot.catalog import Catalog
from works.synthetic_snapshot.files import encode
from works.synthetic_snapshot.plans import WorkPlan
from works.synthetic_snapshot.vocabulary import LICENSES, OPENALEX

GREEN_COPY_SHARE = 0.08


def json_bool(value: bool) -> str:
    return "true" if value else "false"


def json_url(value: str | None) -> str:
    """A URL or identifier made here (nothing to escape), or null."""
    return f'"{value}"' if value else "null"


class Location:
    """A location's JSON and what the work's open-access fields read."""

    __slots__ = ("text", "is_oa", "pdf_url", "landing_page_url", "status")

    def __init__(self, text, *, is_oa, pdf_url, landing_page_url, status):
        self.text = text
        self.is_oa = is_oa
        self.pdf_url = pdf_url
        self.landing_page_url = landing_page_url
        # The work's open-access status when this is its best OA location.
        self.status = status


class Locations:
    """Renders a plan's locations, drawing with the work's ``rng``."""

    def __init__(self, catalog: Catalog, rng: Random):
        self.catalog = catalog
        self.rng = rng
        self.venue_json = [encode(venue.dehydrated) for venue in catalog.venues]

    def _location(
        self,
        *,
        identifier: str,
        venue: int | None,
        landing: str,
        pdf: str | None,
        is_oa: bool,
        version: str | None,
        raw_type: str | None,
        license_name: str | None = None,
        status: str = "green",
    ) -> Location:
        published = version == "publishedVersion"
        source_json = "null" if venue is None else self.venue_json[venue]
        raw_source_name = (
            quote(self.catalog.venues[venue].display_name)
            if venue is not None and published
            else "null"
        )
        license_id = f"{OPENALEX}licenses/{license_name}" if license_name else None
        text = (
            f'{{"id": "{identifier}", "is_oa": {json_bool(is_oa)}, '
            f'"landing_page_url": "{landing}", "pdf_url": {json_url(pdf)}, '
            f'"source": {source_json}, "license": {json_url(license_name)}, '
            f'"license_id": {json_url(license_id)}, "version": {json_url(version)}, '
            f'"is_accepted": {json_bool(published or version == "acceptedVersion")}, '
            f'"is_published": {json_bool(published) if version else "null"}, '
            f'"raw_source_name": {raw_source_name}, "raw_type": {json_url(raw_type)}}}'
        )
        return Location(
            text, is_oa=is_oa, pdf_url=pdf, landing_page_url=landing, status=status
        )

    def _arxiv_locations(self, arxiv_id: str, *, with_doi: bool) -> list[Location]:
        arxiv = self.catalog.repositories["arxiv"].index
        copy = self._location(
            identifier=f"pmh:oai:arXiv.org:{arxiv_id}",
            venue=arxiv,
            landing=f"http://arxiv.org/abs/{arxiv_id}",
            pdf=f"https://arxiv.org/pdf/{arxiv_id}",
            is_oa=True,
            version="submittedVersion",
            raw_type="text",
        )
        if not with_doi:
            return [copy]
        doi = f"10.48550/arxiv.{arxiv_id}"
        by_doi = self._location(
            identifier=f"doi:{doi}",
            venue=arxiv,
            landing=f"https://doi.org/{doi}",
            pdf=None,
            is_oa=True,
            version=None,
            raw_type="article",
        )
        return [copy, by_doi]

    def of(self, plan: WorkPlan, identifier: str) -> list[Location]:
        """The publisher's copy first, then PubMed's, PubMed Central's, the
        arXiv copy and a repository's; an arXiv-only preprint has arXiv's
        two, as OpenAlex lists them."""
        rng, catalog = self.rng, self.catalog
        if plan.type == "preprint":
            return self._arxiv_locations(plan.arxiv_id, with_doi=True)
        source = None if plan.venue is None else catalog.venues[plan.venue]
        short = identifier[len(OPENALEX) :]
        if plan.doi:
            landing = f"https://doi.org/{plan.doi}"
        elif source is not None:
            landing = f"{source.homepage_url}/article/{short}"
        else:
            landing = f"https://www.example.org/works/{short}"
        gold = source is not None and source.is_oa
        hybrid = not gold and source is not None and rng.random() < 0.1
        is_oa = gold or hybrid
        pdf = None
        if is_oa and rng.random() < 0.6:
            pdf = f"{source.homepage_url}/article/{short}.pdf"
        locations = [
            self._location(
                identifier=f"doi:{plan.doi}" if plan.doi else f"url:{landing}",
                venue=plan.venue,
                landing=landing,
                pdf=pdf,
                is_oa=is_oa,
                version="publishedVersion",
                raw_type="journal-article" if plan.type == "article" else plan.type,
                license_name=rng.choice(LICENSES) if is_oa else None,
                status="gold" if gold else "hybrid",
            )
        ]
        pubmed = catalog.repositories["pubmed"].index
        if plan.pmid:
            locations.append(
                self._location(
                    identifier=f"pmid:{plan.pmid}",
                    venue=pubmed,
                    landing=f"https://pubmed.ncbi.nlm.nih.gov/{plan.pmid}",
                    pdf=None,
                    is_oa=False,
                    version="publishedVersion",
                    raw_type=None,
                )
            )
        if plan.has_pmcid:
            locations.append(
                self._location(
                    identifier=f"pmcid:{plan.pmid}",
                    venue=pubmed,
                    landing=f"https://www.ncbi.nlm.nih.gov/pmc/articles/{plan.pmid}",
                    pdf=None,
                    is_oa=True,
                    version="publishedVersion",
                    raw_type=None,
                    license_name="cc-by",
                )
            )
        if plan.arxiv_copy and plan.arxiv_id:
            locations += self._arxiv_locations(plan.arxiv_id, with_doi=False)
        if rng.random() < GREEN_COPY_SHARE:
            green = catalog.repositories["green"]
            locations.append(
                self._location(
                    identifier=f"pmh:oai:repository.example.org:{short}",
                    venue=green.index,
                    landing=f"{green.homepage_url}/record/{short}",
                    pdf=f"{green.homepage_url}/record/{short}/files/paper.pdf",
                    is_oa=True,
                    version="acceptedVersion",
                    raw_type="article",
                )
            )
        return locations

    def open_access(self, primary: Location, best, locations) -> str:
        if best is None:
            status, url = "closed", None
        else:
            status, url = best.status, best.pdf_url or best.landing_page_url
        repository_pdf = any(
            location.pdf_url for location in locations[1:] if location.is_oa
        )
        return (
            f'{{"is_oa": {json_bool(best is not None)}, "oa_status": "{status}", '
            f'"oa_url": {json_url(url)}, '
            f'"any_repository_has_fulltext": {json_bool(repository_pdf)}}}'
        )
