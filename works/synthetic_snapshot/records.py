"""A ``WorkPlan`` as OpenAlex serves the work, as one JSON line: the 2026
schema, keys in OpenAlex's order (``W2162348455``, ``W3045921891`` and
``W1996515099`` of the shared fixtures are the models), every field present,
null where OpenAlex writes null.

The line is assembled as text: what many works embed (a venue, an
institution, an author, a topic) is encoded once and spliced in, the rest
is encoded where it is made. Encoding each record as a dict costs more than
drawing it. Strings that may hold any character go through ``quote``; the
identifiers and URLs made here hold none that JSON escapes.
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as quote
from random import Random

from works.synthetic_snapshot.abstracts import Abstracts, inverted_index
from works.synthetic_snapshot.catalog import YEAR_LAST, Catalog, Institution, Topic
from works.synthetic_snapshot.files import encode
from works.synthetic_snapshot.identifiers import ID_BASE, ror_url
from works.synthetic_snapshot.locations import Locations, json_bool, json_url
from works.synthetic_snapshot.plans import WorkPlan
from works.synthetic_snapshot.vocabulary import (
    FUNDER_NAMES,
    MESH_DESCRIPTORS,
    OPENALEX,
    SDGS,
)

FIRST_CREATED = "2016-06-24"


def work_id(index: int) -> str:
    return f"{OPENALEX}W{ID_BASE + index + 1}"


def concept_id(number: int) -> str:
    return f"{OPENALEX}C{ID_BASE + number}"


def timestamp(rng: Random, day: str) -> str:
    """A moment of ``day``, to the microsecond, as OpenAlex writes it."""
    seconds, micro = divmod(int(rng.random() * 86_400_000_000), 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{day}T{hour:02d}:{minute:02d}:{second:02d}.{micro:06d}"


class WorkRecords:
    """Renders plans. The details no count depends on (OA copies,
    references, scores, the record's time stamp) are drawn from the plan's
    own ``render_seed``: a work renders the same in any process."""

    def __init__(self, catalog: Catalog, *, snapshot_date: str):
        self.catalog = catalog
        self.rng = Random()  # noqa: S311 (reseeded per work: reproducible data)
        self.abstracts = Abstracts()
        self.snapshot_date = snapshot_date
        self.locations = Locations(catalog, self.rng)
        self.institution_json = [encode(i.dehydrated) for i in catalog.institutions]
        self.topic_parts = [topic_parts(topic) for topic in catalog.topics]
        terms: dict[str, int] = {}
        for topic in catalog.topics:
            for term in topic.keywords:
                terms.setdefault(term, len(terms) + 1)
        self.topic_concepts = [
            [
                (concept_id(topic.field.id), quote(topic.field.name), 0),
                (concept_id(topic.subfield[0]), quote(topic.subfield[1]), 1),
                *(
                    (concept_id(100_000 + terms[term]), quote(term), 2)
                    for term in topic.terms
                ),
            ]
            for topic in catalog.topics
        ]
        self.keyword_heads = {
            term: f'"id": "{OPENALEX}keywords/{"-".join(term.lower().split())}", '
            f'"display_name": {quote(term)}'
            for term in terms
        }
        self._author_json: dict[int, tuple[str, str]] = {}
        self._affiliation_json: dict[tuple[int, int], str] = {}

    def record(self, plan: WorkPlan) -> str:
        """The work's JSON line (without the newline)."""
        rng, catalog = self.rng, self.catalog
        rng.seed(plan.render_seed)
        identifier = work_id(plan.index)
        source = None if plan.venue is None else catalog.venues[plan.venue]
        journal = source is not None and source.type == "journal"
        doi_url = f"https://doi.org/{plan.doi}" if plan.doi else None
        locations = self.locations.of(plan, identifier)
        primary = locations[0]
        best = next((location for location in locations if location.is_oa), None)
        first_corresponds = plan.type != "preprint"
        first_places = plan.institutions[0] if first_corresponds else []
        topics = self._topics(plan)
        ids = {"openalex": identifier}
        if doi_url:
            ids["doi"] = doi_url
        if plan.year < 2021 and plan.index % 5 < 3:
            ids["mag"] = str(ID_BASE + plan.index + 1)
        if plan.pmid:
            ids["pmid"] = f"https://pubmed.ncbi.nlm.nih.gov/{plan.pmid}"
        if plan.has_pmcid:
            ids["pmcid"] = f"https://www.ncbi.nlm.nih.gov/pmc/articles/{plan.pmid}"
        indexed_in = []
        if plan.arxiv_id:
            indexed_in.append("arxiv")
        if plan.doi:
            indexed_in.append("datacite" if plan.type == "preprint" else "crossref")
        if plan.pmid:
            indexed_in.append("pubmed")
        apc = "null"
        if journal and (source.is_oa or plan.index % 2):
            value = 800 + (source.index * 37) % 3000
            apc = f'{{"value": {value}, "currency": "USD", "value_usd": {value}}}'
        percentile = _percentile(plan.cited)
        rank = int(percentile * 100)
        retracted = plan.index % 2000 == 1999 and plan.type == "article"
        paratext = plan.type == "editorial" and plan.index % 7 == 0
        has_pdf = json_bool(best is not None and best.pdf_url is not None)
        places = {index for row in plan.institutions for index in row}
        countries = {catalog.institutions[index].country_code for index in places}
        title = quote(plan.title)
        references, related = self._references(plan)
        abstract = "null"
        if plan.abstract_seed is not None:
            field_index = catalog.field_index[catalog.topics[plan.topics[0]].field.id]
            words = self.abstracts.words(plan.abstract_seed, field_index)
            abstract = encode(inverted_index(words))
        fwci = (
            "null"
            if plan.year == YEAR_LAST
            else repr(round(plan.cited / (2 + 2.5 * (YEAR_LAST - plan.year)), 4))
        )
        fields = (
            f'"id": "{identifier}"',
            f'"doi": {json_url(doi_url)}',
            f'"title": {title}',
            f'"display_name": {title}',
            f'"publication_year": {plan.year}',
            f'"publication_date": "{plan.date}"',
            f'"ids": {encode(ids)}',
            f'"language": {json_url(plan.language)}',
            f'"primary_location": {primary.text}',
            f'"type": "{plan.type}"',
            f'"indexed_in": {encode(indexed_in)}',
            f'"open_access": {self.locations.open_access(primary, best, locations)}',
            f'"authorships": [{self._authorships(plan)}]',
            '"institutions": []',
            f'"countries_distinct_count": {len(countries)}',
            f'"institutions_distinct_count": {len(places)}',
            '"corresponding_author_ids": '
            + (
                f'["{catalog.people.openalex_id(plan.team[0])}"]'
                if first_corresponds
                else "[]"
            ),
            '"corresponding_institution_ids": '
            + encode([catalog.institutions[index].id for index in first_places]),
            f'"apc_list": {apc}',
            f'"apc_paid": {apc if primary.is_oa else "null"}',
            f'"fwci": {fwci}',
            f'"has_fulltext": {has_pdf}',
            f'"cited_by_count": {plan.cited}',
            f'"citation_normalized_percentile": {{"value": {percentile!r}, '
            f'"is_in_top_1_percent": {json_bool(percentile >= 0.99)}, '
            f'"is_in_top_10_percent": {json_bool(percentile >= 0.9)}}}',
            f'"cited_by_percentile_year": {{"min": {max(0, rank - 1)}, "max": {rank}}}',
            f'"biblio": {_biblio(plan, journal)}',
            f'"is_retracted": {json_bool(retracted)}',
            f'"is_paratext": {json_bool(paratext)}',
            '"is_xpac": false',
            f'"primary_topic": {topics[0]}',
            f'"topics": [{", ".join(topics)}]',
            f'"keywords": [{self._keywords(plan)}]',
            f'"concepts": [{self._concepts(plan)}]',
            f'"mesh": [{self._mesh() if plan.pmid else ""}]',
            f'"locations_count": {len(locations)}',
            f'"locations": [{", ".join(location.text for location in locations)}]',
            f'"best_oa_location": {best.text if best else "null"}',
            f'"sustainable_development_goals": [{self._goals()}]',
            '"awards": []',
            f'"funders": [{self._funders()}]',
            f'"has_content": {{"grobid_xml": false, "pdf": {has_pdf}}}',
            '"content_urls": null',
            f'"referenced_works_count": {len(references)}',
            f'"referenced_works": [{", ".join(references)}]',
            f'"related_works": [{", ".join(related)}]',
            f'"abstract_inverted_index": {abstract}',
            '"counts_by_year": ['
            + ", ".join(
                f'{{"year": {year}, "cited_by_count": {count}}}'
                for year, count in plan.counts_by_year
            )
            + "]",
            f'"updated_date": "{timestamp(rng, self.snapshot_date)}"',
            f'"created_date": "{max(plan.date, FIRST_CREATED)}T00:00:00"',
        )
        return "{" + ", ".join(fields) + "}"

    # --- authorships ------------------------------------------------------

    def _author(self, author: int) -> tuple[str, str]:
        """The author as works embed them, and their display name, as JSON
        (kept: an author is named by many works)."""
        texts = self._author_json.get(author)
        if texts is None:
            embedded = self.catalog.people.embedded(author)
            texts = self._author_json[author] = (
                encode(embedded),
                quote(embedded["display_name"]),
            )
        return texts

    def _affiliation(self, author: int, institution: Institution) -> str:
        key = (author, institution.index)
        text = self._affiliation_json.get(key)
        if text is None:
            text = self._affiliation_json[key] = quote(
                self._affiliation_string(author, institution)
            )
        return text

    def _authorships(self, plan: WorkPlan) -> str:
        catalog = self.catalog
        institutions = catalog.institutions
        last = len(plan.team) - 1
        first_corresponds = plan.type != "preprint"
        rows = []
        for position, (author, places) in enumerate(
            zip(plan.team, plan.institutions, strict=True)
        ):
            if places:
                embedded = [institutions[index] for index in places]
                strings = [self._affiliation(author, i) for i in embedded]
                places_json = ", ".join(self.institution_json[i] for i in places)
                countries = ", ".join(
                    dict.fromkeys(f'"{i.country_code}"' for i in embedded)
                )
                strings_json = ", ".join(strings)
                affiliations = ", ".join(
                    f'{{"raw_affiliation_string": {string}, '
                    f'"institution_ids": ["{i.id}"]}}'
                    for string, i in zip(strings, embedded, strict=True)
                )
            else:
                places_json = countries = strings_json = affiliations = ""
            role = (
                "first" if position == 0 else "last" if position == last else "middle"
            )
            person, name = self._author(author)
            variant = (author + plan.index) % 10
            if variant in (7, 8):
                name = quote(catalog.people.raw_name(author, variant))
            rows.append(
                f'{{"author_position": "{role}", "author": {person}, '
                f'"institutions": [{places_json}], "countries": [{countries}], '
                '"is_corresponding": '
                f"{json_bool(position == 0 and first_corresponds)}, "
                f'"raw_author_name": {name}, '
                f'"raw_affiliation_strings": [{strings_json}], '
                f'"affiliations": [{affiliations}]}}'
            )
        return ", ".join(rows)

    def _affiliation_string(self, author: int, institution: Institution) -> str:
        """As authors write them: the same author and institution give the
        same string, in one of a few styles."""
        department = self.catalog.people.department(author)
        style = (author + institution.index) % 5
        name, city, country = (
            institution.display_name,
            institution.city,
            institution.country,
        )
        if style == 0:
            return f"{name}, {city}, {country}"
        if style == 1:
            postcode = 10000 + (institution.index * 7919) % 89999
            return f"{department}, {name}, {city} {postcode}, {country}"
        if style == 2:
            return f"{department}, {name}"
        return f"{department}, {name}, {city}, {country}"

    # --- classification ---------------------------------------------------

    def _topics(self, plan: WorkPlan) -> list[str]:
        rng = self.rng
        score = 0.9999
        rows = []
        for index in plan.topics:
            head, tail = self.topic_parts[index]
            score = round(score - rng.random() * 0.05, 4)
            rows.append(f'{{{head}, "score": {score!r}, {tail}}}')
        return rows

    def _keywords(self, plan: WorkPlan) -> str:
        rng = self.rng
        keywords = self.catalog.topics[plan.topics[0]].keywords
        chosen = rng.sample(keywords, min(len(keywords), rng.randint(1, 4)))
        return ", ".join(
            f"{{{self.keyword_heads[term]}, "
            f'"score": {round(0.75 - place * 0.08 - rng.random() * 0.05, 4)!r}}}'
            for place, term in enumerate(chosen)
        )

    def _concepts(self, plan: WorkPlan) -> str:
        rng = self.rng
        return ", ".join(
            f'{{"id": "{identifier}", "wikidata": null, "display_name": {name}, '
            f'"level": {level}, '
            f'"score": {round(0.9 - place * 0.12 - rng.random() * 0.05, 4)!r}}}'
            for place, (identifier, name, level) in enumerate(
                self.topic_concepts[plan.topics[0]]
            )
        )

    def _mesh(self) -> str:
        rng = self.rng
        chosen = rng.sample(range(len(MESH_DESCRIPTORS)), rng.randint(3, 8))
        return ", ".join(
            f'{{"descriptor_ui": "D{9_000_000 + number:06d}", '
            f'"descriptor_name": "{MESH_DESCRIPTORS[number]}", '
            '"qualifier_ui": null, "qualifier_name": null, '
            f'"is_major_topic": {json_bool(place == 0)}}}'
            for place, number in enumerate(chosen)
        )

    def _goals(self) -> str:
        rng = self.rng
        if rng.random() >= 0.3:
            return ""
        number = rng.randrange(len(SDGS))
        return (
            f'{{"display_name": "{SDGS[number]}", '
            f'"score": {round(rng.uniform(0.3, 0.95), 4)!r}, '
            f'"id": "https://metadata.un.org/sdg/{number + 1}"}}'
        )

    def _funders(self) -> str:
        rng = self.rng
        if rng.random() >= 0.3:
            return ""
        numbers = rng.sample(range(len(FUNDER_NAMES)), rng.randint(1, 2))
        return ", ".join(
            f'{{"id": "{OPENALEX}F{ID_BASE + number + 1}", '
            f'"display_name": {quote(FUNDER_NAMES[number])}, '
            f'"ror": "{ror_url(900_000 + number)}"}}'
            for number in numbers
        )

    def _references(self, plan: WorkPlan) -> tuple[list[str], list[str]]:
        """Earlier works of the snapshot, sorted as OpenAlex sorts them, and
        up to ten related works."""
        uniform = self.rng.random
        index = plan.index
        references: list[int] = []
        if index and uniform() >= 0.12:
            wanted = min(index, int(self.rng.lognormvariate(3.2, 0.7)), 400)
            references = sorted({int(uniform() * index) for _ in range(wanted)})
        total = self.catalog.work_count
        related = dict.fromkeys(int(uniform() * total) for _ in range(10))
        base = ID_BASE + 1
        return (
            [f'"{OPENALEX}W{base + number}"' for number in references],
            [f'"{OPENALEX}W{base + number}"' for number in related if number != index],
        )


def topic_parts(topic: Topic) -> tuple[str, str]:
    """A topic's JSON as works embed it, around its score."""
    head = f'"id": "{topic.id}", "display_name": {quote(topic.display_name)}'
    tail = (
        f'"subfield": {encode(topic.subfield_ref)}, '
        f'"field": {encode(topic.field_ref)}, "domain": {encode(topic.domain_ref)}'
    )
    return head, tail


def _biblio(plan: WorkPlan, journal: bool) -> str:
    if not journal or plan.type not in ("article", "review", "letter"):
        return '{"volume": null, "issue": null, "first_page": null, "last_page": null}'
    first = 1 + (plan.index * 131) % 900
    return (
        f'{{"volume": "{max(1, plan.year - 1990)}", "issue": "{1 + plan.index % 12}", '
        f'"first_page": "{first}", "last_page": "{first + 4 + plan.index % 27}"}}'
    )


def _percentile(cited: int) -> float:
    """A rough place among works of its year: half have 3 citations or
    fewer, a tenth more than 40."""
    return round(1 - 1 / (1 + cited / 3) ** 0.9, 6)
