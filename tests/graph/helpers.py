"""Catalogs for the graph's tests, written in bulk: a researcher with any
number of coauthors costs a few inserts."""

from __future__ import annotations

from dataclasses import dataclass, field

from profiles.models import Researcher, ResearcherTopic
from tests.factories import (
    InstitutionFactory,
    ResearcherFactory,
    SourceFactory,
    TopicFactory,
    WorkFactory,
)
from works.models import (
    Authorship,
    AuthorshipInstitution,
    Institution,
    Topic,
    Work,
    WorkTopic,
)


@dataclass
class Network:
    centre: Researcher
    coauthors: list[Researcher]
    works: list[Work]
    topics: list[Topic]
    institutions: list[Institution]
    teams: dict[int, list[Researcher]] = field(default_factory=dict)


def researcher_network(
    *,
    coauthors: int,
    team: int = 50,
    topics: int = 3,
    institutions: int = 3,
    year: int = 2020,
    **centre_fields,
) -> Network:
    """A researcher whose ``coauthors`` coauthors share one work each with
    them, in teams of at most ``team`` authors (the centre and ``team - 1``
    coauthors), so each is tied by ``1 / (team size - 1)``. Work ``i`` is
    cited ``i`` times, published in ``year + i`` (mod 20), in topic
    ``i mod topics``, the centre's authorship at institution ``i mod
    institutions``; coauthor ``j`` is affiliated with institution ``j mod
    institutions``; the centre with the first."""
    places = InstitutionFactory.create_batch(institutions)
    subjects = TopicFactory.create_batch(topics)
    centre_fields.setdefault("affiliation", places[0])
    centre = ResearcherFactory(**centre_fields)
    people = Researcher.objects.bulk_create(
        ResearcherFactory.build(affiliation=places[index % institutions])
        for index in range(coauthors)
    )
    source = SourceFactory()
    size = team - 1
    chunks = [people[start : start + size] for start in range(0, coauthors, size)]
    works = Work.objects.bulk_create(
        WorkFactory.build(
            source=source,
            title=f"Network work {index:04d}",
            author_count=len(chunk) + 1,
            cited_by_count=index,
            publication_year=year + index % 20,
        )
        for index, chunk in enumerate(chunks)
    )
    slots = []
    for work, chunk in zip(works, chunks, strict=True):
        slots.append(Authorship(work=work, researcher=centre, position=0))
        slots.extend(
            Authorship(work=work, researcher=person, position=position)
            for position, person in enumerate(chunk, start=1)
        )
    slots = Authorship.objects.bulk_create(slots)
    WorkTopic.objects.bulk_create(
        WorkTopic(work=work, topic=subjects[index % topics], score=0.9)
        for index, work in enumerate(works)
    )
    AuthorshipInstitution.objects.bulk_create(
        AuthorshipInstitution(
            authorship=slot, institution=places[slot.work_id % institutions]
        )
        for slot in slots
        if slot.researcher_id == centre.pk
    )
    return Network(
        centre=centre,
        coauthors=people,
        works=works,
        topics=subjects,
        institutions=places,
        teams={work.pk: chunk for work, chunk in zip(works, chunks, strict=True)},
    )


def researcher_topics(researchers, topics, *, count: int = 3) -> None:
    """Researcher ``j`` of ``researchers`` holds topic ``j mod len(topics)``
    (``count`` works in it, as the source counts them). One insert."""
    ResearcherTopic.objects.bulk_create(
        ResearcherTopic(
            researcher=person, topic=topics[index % len(topics)], count=count
        )
        for index, person in enumerate(researchers)
    )


def nodes_of(slice_, kind: str, *, centre: bool = False) -> set[str]:
    """The ids of the slice's nodes of ``kind`` (the centre left out unless
    ``centre``)."""
    return {
        ident
        for ident, attributes in slice_.graph.nodes(data=True)
        if attributes["kind"] == kind and (centre or not attributes["is_centre"])
    }


def rid(researcher) -> str:
    return f"researcher:{researcher.openalex_id}"


def wid(work) -> str:
    return f"work:{work.openalex_id}"


def tid(topic) -> str:
    return f"topic:{topic.openalex_id}"


def iid(institution) -> str:
    return f"institution:{institution.openalex_id}"
