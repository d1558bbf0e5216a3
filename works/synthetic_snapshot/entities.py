"""The records of authors, institutions, sources and topics, written after
the works from what the works added up (``Tally``), so that an author's
``works_count`` is the number of works naming them, an institution's the
number of works with one of its authorships, and so on. Keys in OpenAlex's
order (``A5023888391``, ``I27837315`` and ``T11636`` of the shared
fixtures are the models).
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as quote
from random import Random

from works.synthetic_snapshot.catalog import (
    Catalog,
    Institution,
    Source,
    Topic,
)
from works.synthetic_snapshot.files import encode
from works.synthetic_snapshot.records import concept_id, timestamp, topic_parts
from works.synthetic_snapshot.tally import CITATION_YEAR_FIRST, Tally
from works.synthetic_snapshot.vocabulary import API, OPENALEX, Field

AUTHOR_TOPICS = 25
ENTITY_TOPICS = 10
TOPIC_SIBLINGS = 20


class EntityRecords:
    def __init__(
        self,
        catalog: Catalog,
        rng: Random,
        *,
        snapshot_date: str,
        authors: Tally,
        institutions: Tally,
        sources: Tally,
        topics: Tally,
    ):
        self.catalog = catalog
        self.rng = rng
        self.snapshot_date = snapshot_date
        self.institution_json = [
            encode(i.dehydrated) for i in [*catalog.institutions, *catalog.hosts]
        ]
        self.topic_parts = [topic_parts(topic) for topic in catalog.topics]
        self.tallies = {
            "authors": authors,
            "institutions": institutions,
            "sources": sources,
            "topics": topics,
        }

    # --- shared parts -----------------------------------------------------

    def _dates(self, first_year: int) -> dict:
        rng = self.rng
        return {
            "updated_date": timestamp(rng, self.snapshot_date),
            "created_date": f"{rng.randint(first_year, 2025)}-"
            f"{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        }

    def _counts(self, kind: str, index: int, *, filter_key: str, short: str) -> dict:
        tally = self.tallies[kind]
        return {
            "works_count": tally.works[index],
            "cited_by_count": tally.cited[index],
            "summary_stats": {
                "2yr_mean_citedness": tally.mean_citedness(index),
                "h_index": tally.h_index[index],
                "i10_index": tally.i10[index],
            },
            "counts_by_year": [
                {"year": year, "works_count": count, "cited_by_count": citations}
                for year, count, citations in tally.years(index)
                if year >= CITATION_YEAR_FIRST
            ],
            "works_api_url": f"{API}works?filter={filter_key}:{short}",
        }

    def _topic_lists(self, top: list[tuple[int, int]]) -> tuple[list, list]:
        """An entity's topics with their counts, and their shares."""
        topic_works = self.tallies["topics"].works
        counted, shares = [], []
        for number, count in top:
            topic = self.catalog.topics[number]
            counted.append(_topic_ref(topic, "count", count))
            share = round(count / max(1, topic_works[number]), 7)
            shares.append(_topic_ref(topic, "value", share))
        return counted, shares

    def _field_concepts(self, counted: list[tuple[Field, int]]) -> list[dict]:
        """Level-0 concepts: the fields of the entity's topics, by share."""
        weights: dict[int, float] = {}
        names: dict[int, str] = {}
        for subject, count in counted:
            weights[subject.id] = weights.get(subject.id, 0) + count
            names[subject.id] = subject.name
        total = sum(weights.values()) or 1
        return [
            {
                "id": concept_id(field_id),
                "wikidata": None,
                "display_name": names[field_id],
                "level": 0,
                "score": round(100 * weight / total, 1),
            }
            for field_id, weight in sorted(weights.items(), key=lambda kv: -kv[1])
        ]

    # --- entities ---------------------------------------------------------

    def author(self, author: int) -> str:
        """The author's JSON line (text: authors are many, and their topic
        lists long)."""
        catalog = self.catalog
        tally = self.tallies["authors"]
        identifier = catalog.people.openalex_id(author)
        given, initial, family = catalog.people.names(author)
        name = catalog.people.display_name(author)
        orcid = catalog.people.orcid(author)
        names = [name, f"{given[0]}. {family}", f"{family} {given}"]
        if initial:
            names.append(f"{given} {family}")
        if author % 3 == 0:
            names.append(f"{family}, {given[0]}.")
        years = tally.years(author)
        by_institution: dict[int, list[int]] = {}
        for year, works, _ in years:
            place = catalog.people.institution_at(author, year)
            if works and place >= 0:
                by_institution.setdefault(place, []).append(year)
        ranked = sorted(by_institution.items(), key=lambda item: (-item[1][0], item[0]))
        affiliations = ", ".join(
            f'{{"institution": {self.institution_json[place]}, "years": {places!r}}}'
            for place, places in ranked
        )
        last_known = self.institution_json[ranked[0][0]] if ranked else ""
        ids = {"openalex": identifier}
        if orcid:
            ids["orcid"] = orcid
        if author % 10 < 3:
            ids["scopus"] = (
                "http://www.scopus.com/inward/authorDetails.url?authorID="
                f"{57_000_000_000 + author}&partnerID=MN8TOARS"
            )
        topic_works = self.tallies["topics"].works
        top = tally.top_topics(author, AUTHOR_TOPICS)
        topics = ", ".join(
            f'{{{self.topic_parts[t][0]}, "count": {count}, {self.topic_parts[t][1]}}}'
            for t, count in top
        )
        shares = ", ".join(
            f"{{{self.topic_parts[t][0]}, "
            f'"value": {round(count / max(1, topic_works[t]), 7)!r}, '
            f"{self.topic_parts[t][1]}}}"
            for t, count in top
        )
        concepts = self._field_concepts(
            [(self.catalog.topics[t].field, count) for t, count in top]
        )
        stats = {
            "2yr_mean_citedness": tally.mean_citedness(author),
            "h_index": tally.h_index[author],
            "i10_index": tally.i10[author],
        }
        counts_by_year = ", ".join(
            f'{{"year": {year}, "works_count": {works}, "cited_by_count": {cited}}}'
            for year, works, cited in years
            if year >= CITATION_YEAR_FIRST
        )
        dates = self._dates(2016)
        return (
            f'{{"id": "{identifier}", "orcid": {encode(orcid)}, '
            f'"display_name": {quote(name)}, '
            f'"display_name_alternatives": {encode(list(dict.fromkeys(names)))}, '
            f'"works_count": {tally.works[author]}, '
            f'"cited_by_count": {tally.cited[author]}, '
            f'"summary_stats": {encode(stats)}, "ids": {encode(ids)}, '
            f'"affiliations": [{affiliations}], '
            f'"last_known_institutions": [{last_known}], '
            f'"topics": [{topics}], "topic_share": [{shares}], '
            f'"x_concepts": {encode(concepts)}, '
            f'"counts_by_year": [{counts_by_year}], '
            f'"works_api_url": "{API}works?filter=author.id:{identifier[21:]}", '
            f'"updated_date": "{dates["updated_date"]}", '
            f'"created_date": "{dates["created_date"]}"}}'
        )

    def institution(self, institution: Institution) -> dict:
        short = institution.id[len(OPENALEX) :]
        counts = self._counts(
            "institutions", institution.index, filter_key="institutions.id", short=short
        )
        top = self.tallies["institutions"].top_topics(institution.index, ENTITY_TOPICS)
        topics, shares = self._topic_lists(top)
        words = institution.display_name.split()
        return {
            "id": institution.id,
            "ror": institution.ror,
            "display_name": institution.display_name,
            "country_code": institution.country_code,
            "type": institution.type,
            "type_id": f"{OPENALEX}institution-types/{institution.type}",
            "lineage": [institution.id],
            "homepage_url": institution.homepage_url,
            "image_url": None,
            "image_thumbnail_url": None,
            "display_name_acronyms": [
                "".join(word[0] for word in words if word[0].isupper())
            ],
            "display_name_alternatives": [],
            "repositories": [],
            "works_count": counts["works_count"],
            "cited_by_count": counts["cited_by_count"],
            "summary_stats": counts["summary_stats"],
            "ids": {"openalex": institution.id, "ror": institution.ror},
            "geo": {
                "city": institution.city,
                "geonames_city_id": None,
                "region": None,
                "country_code": institution.country_code,
                "country": institution.country,
                "latitude": institution.latitude,
                "longitude": institution.longitude,
            },
            "international": {"display_name": {}},
            "associated_institutions": [],
            "counts_by_year": counts["counts_by_year"],
            "roles": [
                {
                    "role": "institution",
                    "id": institution.id,
                    "works_count": counts["works_count"],
                }
            ],
            "topics": topics,
            "topic_share": shares,
            "x_concepts": self._field_concepts(
                [(self.catalog.topics[t].field, count) for t, count in top]
            ),
            "is_super_system": False,
            "works_api_url": counts["works_api_url"],
            **self._dates(2016),
        }

    def source(self, source: Source) -> dict:
        short = source.id[len(OPENALEX) :]
        counts = self._counts(
            "sources",
            source.index,
            filter_key="primary_location.source.id",
            short=short,
        )
        top = self.tallies["sources"].top_topics(source.index, ENTITY_TOPICS)
        topics, _ = self._topic_lists(top)
        ids = {"openalex": source.id}
        if source.issn:
            ids |= {"issn_l": source.issn[0], "issn": source.issn}
        # The full record, as the bundled sample's: the lineage's names are
        # only embedded in works.
        full = {
            key: value
            for key, value in source.dehydrated.items()
            if key != "host_organization_lineage_names"
        }
        return (
            full
            | {
                "homepage_url": source.homepage_url,
                "country_code": source.country_code,
                "abbreviated_title": source.abbreviated_title,
                "ids": ids,
                "apc_prices": None,
                "apc_usd": None,
                "societies": [],
                "alternate_titles": [],
                "topics": topics,
            }
            | counts
            | self._dates(2016)
        )

    def topic(self, topic: Topic, siblings: list[Topic]) -> dict:
        tally = self.tallies["topics"]
        terms = ", ".join(term.lower() for term in topic.keywords)
        return {
            "id": topic.id,
            "display_name": topic.display_name,
            "description": f"This cluster of papers studies {terms}, in "
            f"{topic.subfield[1].lower()} and related problems.",
            "keywords": list(topic.keywords),
            "ids": {"openalex": topic.id},
            "subfield": topic.subfield_ref,
            "field": topic.field_ref,
            "domain": topic.domain_ref,
            "siblings": [
                {"id": other.id, "display_name": other.display_name}
                for other in siblings
                if other is not topic
            ][:TOPIC_SIBLINGS],
            "works_count": tally.works[topic.index],
            "cited_by_count": tally.cited[topic.index],
            **self._dates(2024),
        }


def _topic_ref(topic: Topic, key: str, value: float) -> dict:
    return {
        "id": topic.id,
        "display_name": topic.display_name,
        key: value,
        "subfield": topic.subfield_ref,
        "field": topic.field_ref,
        "domain": topic.domain_ref,
    }
