"""What a synthetic snapshot draws up front, before its first work: topics,
institutions, sources and the people (``people``), so the works can be
streamed. Popularity is Zipf-like everywhere: a few topics, institutions
and venues take a large share.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from random import Random

from works.synthetic_snapshot.identifiers import (
    ARXIV_SOURCE_ID,
    CORNELL_ID,
    ID_BASE,
    NIH_ID,
    PUBMED_SOURCE_ID,
    TOPIC_ID_BASE,
    draw,
    issn,
    ror_url,
    slug,
    zipf_cumulative,
)
from works.synthetic_snapshot.people import People
from works.synthetic_snapshot.vocabulary import (
    COUNTRIES,
    DOMAINS,
    FIELDS,
    INSTITUTION_PATTERNS,
    OPENALEX,
    PLACE_HEADS,
    PLACE_TAILS,
    SOURCE_PATTERNS,
    TOPIC_PATTERNS,
    Field,
)

# OpenAlex has 4,516 topics.
MAX_TOPICS = 4516
MULTIDISCIPLINARY_SHARE = 0.15
YEAR_FIRST, YEAR_LAST = 2000, 2026


@dataclass
class Topic:
    index: int
    id: str
    display_name: str
    field: Field
    subfield: tuple[int, str]
    terms: tuple[str, str]
    keywords: tuple[str, ...]
    # The dehydrated parts every work embeds.
    subfield_ref: dict = field(repr=False, default_factory=dict)
    field_ref: dict = field(repr=False, default_factory=dict)
    domain_ref: dict = field(repr=False, default_factory=dict)


@dataclass
class Institution:
    index: int
    id: str
    display_name: str
    ror: str
    country_code: str
    country: str
    type: str
    homepage_url: str
    city: str
    latitude: float
    longitude: float
    # As works and authors embed it.
    dehydrated: dict = field(repr=False, default_factory=dict)


@dataclass
class Source:
    index: int
    id: str
    display_name: str
    type: str
    field_index: int | None
    is_oa: bool
    issn: list[str] | None
    homepage_url: str
    host_id: str | None
    host_name: str | None
    abbreviated_title: str | None
    country_code: str | None
    dehydrated: dict = field(repr=False, default_factory=dict)


def _dehydrate_source(source: Source) -> dict:
    host = source.host_id
    return {
        "id": source.id,
        "display_name": source.display_name,
        "issn_l": source.issn[0] if source.issn else None,
        "issn": source.issn,
        "is_oa": source.is_oa,
        "is_in_doaj": source.is_oa and source.type == "journal",
        "is_core": source.type == "journal",
        "host_organization": host,
        "host_organization_name": source.host_name,
        "host_organization_lineage": [host] if host else [],
        "host_organization_lineage_names": [source.host_name] if host else [],
        "type": source.type,
    }


def _dehydrate_institution(institution: Institution) -> dict:
    return {
        "id": institution.id,
        "display_name": institution.display_name,
        "ror": institution.ror,
        "country_code": institution.country_code,
        "type": institution.type,
        "lineage": [institution.id],
    }


class Catalog:
    """Topics, institutions, sources and authors of one snapshot, with the
    cumulative weights their draws use."""

    def __init__(self, rng: Random, *, works: int, authors: int):
        if authors < 1 or works < 1:
            raise ValueError("a snapshot needs at least one work and one author")
        if authors >= 10**7:
            raise ValueError("at most 9,999,999 authors")
        self.work_count = works
        self._topics(rng, min(MAX_TOPICS, max(len(FIELDS), works // 20)))
        self._institutions(rng, max(12, min(100_000, authors // 10)))
        self._sources(rng, max(30, min(10_000, works // 40)))
        self.people = People(
            rng,
            authors,
            topic_draw=self.topic_draw,
            institution_draw=self.institution_draw,
        )

    # --- topics -----------------------------------------------------------

    def _topics(self, rng: Random, count: int) -> None:
        # Each field one topic, the rest shared by the fields' weights.
        weights = [f.weight for f in FIELDS]
        total = sum(weights)
        shares = [1 + int((count - len(FIELDS)) * w / total) for w in weights]
        shares[weights.index(max(weights))] += count - sum(shares)
        self.topics: list[Topic] = []
        self.field_topics: list[list[int]] = []
        self.field_topic_cumulative: list[list[float]] = []
        cumulative: list[float] = []
        running = 0.0
        for subject, share in zip(FIELDS, shares, strict=True):
            pairs = list(itertools.permutations(subject.terms, 2))
            rng.shuffle(pairs)
            field_ref = {
                "id": f"{OPENALEX}fields/{subject.id}",
                "display_name": subject.name,
            }
            domain_ref = {
                "id": f"{OPENALEX}domains/{subject.domain}",
                "display_name": DOMAINS[subject.domain],
            }
            members = []
            for rank in range(share):
                a, b = pairs[rank % len(pairs)]
                pattern = TOPIC_PATTERNS[(rank // len(pairs)) % len(TOPIC_PATTERNS)]
                code, name = subject.subfields[rank % len(subject.subfields)]
                index = len(self.topics)
                topic = Topic(
                    index=index,
                    id=f"{OPENALEX}T{TOPIC_ID_BASE + index + 1}",
                    display_name=pattern.format(a=a, b=b),
                    field=subject,
                    subfield=(code, name),
                    terms=(a, b),
                    keywords=tuple(
                        dict.fromkeys((a, b, *rng.sample(subject.terms, 3)))
                    ),
                    subfield_ref={
                        "id": f"{OPENALEX}subfields/{code}",
                        "display_name": name,
                    },
                    field_ref=field_ref,
                    domain_ref=domain_ref,
                )
                self.topics.append(topic)
                members.append(index)
            self.field_topics.append(members)
            within = zipf_cumulative(len(members), 0.8)
            self.field_topic_cumulative.append(within)
            # A topic's share of all works: its field's, split Zipf-like.
            for step in itertools.pairwise([0.0, *within]):
                running += subject.weight * (step[1] - step[0]) / within[-1]
                cumulative.append(running)
        self.topic_cumulative = cumulative
        self.field_index = {f.id: i for i, f in enumerate(FIELDS)}

    def topic_draw(self, rng: Random) -> int:
        return draw(rng, self.topic_cumulative)

    def topic_near(self, rng: Random, topic: int) -> int:
        """Another topic of the same field, Zipf-like."""
        field_index = self.field_index[self.topics[topic].field.id]
        members = self.field_topics[field_index]
        return members[draw(rng, self.field_topic_cumulative[field_index])]

    # --- institutions -----------------------------------------------------

    def _institutions(self, rng: Random, count: int) -> None:
        places = [
            head + tail for head in PLACE_HEADS.split() for tail in PLACE_TAILS.split()
        ]
        rng.shuffle(places)
        country_cumulative = list(itertools.accumulate(c[2] for c in COUNTRIES))
        self.institutions: list[Institution] = []
        for index in range(count):
            place = places[index % len(places)]
            pattern, kind = INSTITUTION_PATTERNS[
                (index // len(places) + index) % len(INSTITUTION_PATTERNS)
            ]
            name = pattern.format(place=place)
            if index >= len(places) * len(INSTITUTION_PATTERNS):
                name += f" ({index // (len(places) * len(INSTITUTION_PATTERNS)) + 1})"
            code, country, _ = COUNTRIES[draw(rng, country_cumulative)]
            domain = "example.edu" if kind == "education" else "example.org"
            institution = Institution(
                index=index,
                id=f"{OPENALEX}I{ID_BASE + index + 1}",
                display_name=name,
                ror=ror_url(index),
                country_code=code,
                country=country,
                type=kind,
                homepage_url=f"https://{slug(name)}.{domain}",
                city=place,
                latitude=round(rng.uniform(-45, 65), 4),
                longitude=round(rng.uniform(-160, 170), 4),
            )
            institution.dehydrated = _dehydrate_institution(institution)
            self.institutions.append(institution)
        self.institution_cumulative = zipf_cumulative(count, 0.65)
        # Host organisations of arXiv and PubMed: no authorship names them.
        self.hosts = [
            Institution(
                index=count,
                id=f"{OPENALEX}{CORNELL_ID}",
                display_name="Cornell University",
                ror="https://ror.org/05bnh6r87",
                country_code="US",
                country="United States",
                type="education",
                homepage_url="https://www.cornell.edu",
                city="Ithaca",
                latitude=42.44,
                longitude=-76.48,
            ),
            Institution(
                index=count + 1,
                id=f"{OPENALEX}{NIH_ID}",
                display_name="National Institutes of Health",
                ror="https://ror.org/01cwqze88",
                country_code="US",
                country="United States",
                type="government",
                homepage_url="https://www.nih.gov",
                city="Bethesda",
                latitude=38.98,
                longitude=-77.1,
            ),
        ]
        for host in self.hosts:
            host.dehydrated = _dehydrate_institution(host)

    def institution_draw(self, rng: Random) -> int:
        return draw(rng, self.institution_cumulative)

    # --- sources ----------------------------------------------------------

    def _sources(self, rng: Random, count: int) -> None:
        field_cumulative = list(itertools.accumulate(f.weight for f in FIELDS))
        self.sources: list[Source] = []
        by_field_kind: dict[tuple[int, str], list[int]] = {}
        names: set[str] = set()
        for index in range(count):
            field_index = draw(rng, field_cumulative)
            subject = FIELDS[field_index]
            conference_share = 0.35 if subject.id in (17, 22) else 0.05
            roll = rng.random()
            kind = (
                "conference"
                if roll < conference_share
                else "book series"
                if roll < conference_share + 0.06
                else "journal"
            )
            patterns = SOURCE_PATTERNS[kind]
            name = rng.choice(patterns).format(
                term=rng.choice(subject.terms), field=subject.name
            )
            while name in names:
                name = f"{name} {'ABC'[len(name) % 3]}"
            names.add(name)
            publisher = 4_000 + index % 97
            source = Source(
                index=index,
                id=f"{OPENALEX}S{ID_BASE + index + 1}",
                display_name=name,
                type=kind,
                field_index=field_index,
                is_oa=kind == "journal" and rng.random() < 0.25,
                issn=None
                if kind == "conference"
                else [issn(f"298{index:04d}"), issn(f"297{index:04d}")],
                homepage_url=f"https://{slug(name)}.example.org",
                host_id=f"{OPENALEX}P{ID_BASE + publisher}",
                host_name=f"{PLACE_HEADS.split()[publisher % 40]} Academic Press",
                abbreviated_title="".join(w[0] for w in name.split() if w[0].isupper()),
                country_code=None,
            )
            source.dehydrated = _dehydrate_source(source)
            self.sources.append(source)
            by_field_kind.setdefault((field_index, kind), []).append(index)
        self.source_cumulative = zipf_cumulative(count, 1.0)
        self.journals = [s.index for s in self.sources if s.type == "journal"]
        self.journal_cumulative = zipf_cumulative(len(self.journals), 1.0)
        self.field_kind_sources = {
            key: (members, zipf_cumulative(len(members), 1.0))
            for key, members in by_field_kind.items()
        }
        cornell, nih = self.hosts
        self.repositories = {}
        for number, (key, short, name, host) in enumerate(
            (
                ("arxiv", ARXIV_SOURCE_ID, "arXiv (Cornell University)", cornell),
                ("pubmed", PUBMED_SOURCE_ID, "PubMed", nih),
                ("green", f"S{ID_BASE + count + 1}", "Open Research Repository", None),
                ("data", f"S{ID_BASE + count + 2}", "Open Data Repository", None),
            )
        ):
            source = Source(
                index=count + number,
                id=f"{OPENALEX}{short}",
                display_name=name,
                type="repository",
                field_index=None,
                is_oa=key != "pubmed",
                issn=None,
                homepage_url={
                    "arxiv": "https://arxiv.org",
                    "pubmed": "https://pubmed.ncbi.nlm.nih.gov",
                }.get(key, f"https://{key}.repository.example.org"),
                host_id=host.id if host else None,
                host_name=host.display_name if host else None,
                abbreviated_title=None,
                country_code="US" if host else None,
            )
            source.dehydrated = _dehydrate_source(source)
            if key in ("arxiv", "pubmed"):
                # As OpenAlex embeds them: the host's lineage names left out.
                source.dehydrated["host_organization_lineage_names"] = []
            self.repositories[key] = source
        # Every venue a work may name, by index: the sources, then the
        # repositories.
        self.venues = [*self.sources, *self.repositories.values()]

    def venue_draw(self, rng: Random, *, field_index: int, kind: str) -> Source:
        """A venue of the field and kind, Zipf-like; of the field when it has
        none of that kind, of any field when it has none at all. A journal
        article goes to a multidisciplinary journal (any field's, Zipf-like
        over all journals: the largest take a large share) this often."""
        if kind == "journal" and rng.random() < MULTIDISCIPLINARY_SHARE:
            return self.sources[self.journals[draw(rng, self.journal_cumulative)]]
        found = self.field_kind_sources.get((field_index, kind))
        if found is None:
            found = next(
                (
                    self.field_kind_sources[(field_index, other)]
                    for other in ("journal", "conference", "book series")
                    if (field_index, other) in self.field_kind_sources
                ),
                None,
            )
        if found is None:
            return self.sources[draw(rng, self.source_cumulative)]
        members, cumulative = found
        return self.sources[members[draw(rng, cumulative)]]
