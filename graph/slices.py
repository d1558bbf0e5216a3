"""Research-graph slices: the bounded neighbourhood of one node (a researcher,
a work, a topic or an institution), read with a fixed number of SQL queries
whatever the centre's size, assembled in networkx with per-node metrics and
a deterministic layout.

What a slice holds, by centre (each kind of node capped, see ``SliceParams``;
``left_out`` counts what a cap cut):

- **a researcher**: coauthors ranked by tie strength (``profiles.ties``, the
  one definition the trust model counts close collaborators by, so a coauthor
  node's ``tie`` is the strength the profile's count uses), the researcher's
  works ranked by citations then recency, the topics of those works (ranked
  by how many of the researcher's works are in them) and the institutions the
  researcher's authorships name (the current affiliation first); coauthors
  link to the shown works they are on and to their shown affiliation.
- **a work**: its authors (byline order), its topics (primary first, then by
  score), the institutions its authorships name.
- **a topic**: the researchers with most works in it, its most cited works,
  the other topics of those works, the shown researchers' affiliations.
- **an institution**: its researchers (most works first), the most cited
  works with an author there, the topics of those works.

Depth 2 adds one hop from the shown researchers, its own caps again: which of
them share works (``shared-works`` edges), their topics and affiliations, and
for a work, its authors' most cited other works.

The one rule of ``profiles.visibility`` holds: a hidden profile is never a
node, and a researcher who hid a work is not linked to it (nor tied through
it). Year bounds filter works (and what is derived from them: topics,
institutions); ``min_tie`` drops weaker coauthors.

Nodes are added in sorted order and every metric is computed on that graph,
so the same rows give the same slice, attribute for attribute, in any
process (``PYTHONHASHSEED`` plays no part).
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import networkx as nx
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bzpeer.db import quoted_table
from profiles import ties
from profiles.models import Researcher, ResearcherTopic
from profiles.selectors import listed_work_expression, researcher_list_base
from profiles.templatetags.catalog_tags import OPENALEX_WORK_ID, work_path
from profiles.visibility import authorships_shown, hidden_authorship_sql
from works.models import (
    Authorship,
    AuthorshipInstitution,
    Institution,
    Topic,
    Work,
    WorkTopic,
)

from . import layout
from .params import KINDS, SliceParams

logger = logging.getLogger(__name__)

KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
# A node's label is cut here (a title can run to pages); its page has it all.
LABEL_MAX = 200
# Characters XML 1.0 cannot carry (GraphML, GEXF, SVG): dropped from labels.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WORK_FIELDS = (
    "id",
    "openalex_id",
    "arxiv_id",
    "title",
    "publication_year",
    "publication_date",
    "cited_by_count",
)


class SliceNotFound(Exception):
    """The centre does not exist, or is a hidden profile."""


@dataclass
class Slice:
    params: SliceParams
    graph: nx.Graph
    centre: str
    left_out: dict[str, int] = field(default_factory=dict)
    built_at: datetime = field(default_factory=timezone.now)


def node_id(kind: str, key: str | int) -> str:
    return f"{kind}:{key}"


def clean_text(value, *, limit: int = LABEL_MAX) -> str:
    """``value`` on one line, without characters XML cannot carry, cut at
    ``limit`` characters with an ellipsis."""
    text = " ".join(_XML_INVALID.sub("", str(value or "")).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _path(name: str, key: str) -> str:
    try:
        return reverse(name, args=[key])
    except NoReverseMatch:
        return ""


# --- assembling -------------------------------------------------------------------


class _Builder:
    """Nodes and edges as the queries find them; ``graph()`` assembles them
    in sorted order."""

    def __init__(self, params: SliceParams):
        self.params = params
        self.nodes: dict[str, dict] = {}
        self.edges: dict[tuple[str, str], dict] = {}
        self.cuts: dict[tuple[str, str], int] = {}
        self.ranks: Counter = Counter()
        self.centre = ""

    def shows(self, kind: str) -> bool:
        return kind in self.params.kinds

    def cut(self, kind: str, count: int, *, source: str) -> None:
        """``count`` nodes of ``kind`` that ``source`` (one ranked list) found
        and a cap cut. A list read again at depth 2 (without what is shown
        by then) replaces its count."""
        if self.shows(kind):
            self.cuts[kind, source] = max(count, 0)

    def left_out_counts(self) -> dict[str, int]:
        counts: Counter = Counter()
        for (kind, _), count in self.cuts.items():
            counts[kind] += count
        return {kind: counts[kind] for kind in KINDS if counts[kind] > 0}

    def add(self, kind: str, key, *, label, url, detail, tie=0.0, centre=False):
        """Add a node once (the first call wins) and return its id; None when
        its kind is not shown."""
        ident = node_id(kind, key)
        if ident in self.nodes:
            return ident
        if not centre and not self.shows(kind):
            return None
        self.nodes[ident] = {
            "kind": kind,
            "label": clean_text(label) or ident,
            "url": url,
            "detail": clean_text(detail),
            "tie": float(tie),
            "is_centre": centre,
            "rank": -1 if centre else self.ranks[kind],
        }
        if not centre:
            self.ranks[kind] += 1
        else:
            self.centre = ident
        return ident

    def link(self, a: str | None, b: str | None, kind: str, weight) -> None:
        """An edge between two shown nodes (the first call wins)."""
        if a is None or b is None or a == b:
            return
        if a not in self.nodes or b not in self.nodes:
            return
        key = (a, b) if a < b else (b, a)
        self.edges.setdefault(key, {"kind": kind, "weight": float(weight)})

    # Node helpers: one per kind, from rows the queries read.

    def researcher(self, row: Researcher, *, tie=0.0, centre=False):
        works = _plural(row.listed_works_count, "work")
        if centre:
            detail = " · ".join(
                part
                for part in (works, row.affiliation and row.affiliation.display_name)
                if part
            )
        else:
            detail = f"{works} · tie {tie:.2f}" if tie else works
        return self.add(
            "researcher",
            row.openalex_id,
            label=row.display_name,
            url=_path("profiles:detail", row.openalex_id),
            detail=detail,
            tie=tie,
            centre=centre,
        )

    def work(self, row: Work, *, centre=False):
        year = row.publication_year or "Undated"
        return self.add(
            "work",
            _work_key(row),
            label=row.title,
            url=work_path(row),
            detail=f"{year} · {_plural(row.cited_by_count, 'citation')}",
            centre=centre,
        )

    def topic(self, *, openalex_id, name, field_name="", count=None, centre=False):
        parts = [field_name, _plural(count, "work") if count else ""]
        return self.add(
            "topic",
            openalex_id,
            label=name,
            url=_path("catalog:topic", openalex_id),
            detail=" · ".join(part for part in parts if part),
            centre=centre,
        )

    def institution(self, row: Institution, *, count_text="", centre=False):
        parts = [row.country_code, row.type, count_text]
        return self.add(
            "institution",
            row.openalex_id,
            label=row.display_name,
            url=_path("catalog:institution", row.openalex_id),
            detail=" · ".join(part for part in parts if part),
            centre=centre,
        )

    def graph(self) -> nx.Graph:
        graph = nx.Graph()
        for ident in sorted(self.nodes):
            graph.add_node(ident, **self.nodes[ident])
        for a, b in sorted(self.edges):
            graph.add_edge(a, b, **self.edges[(a, b)])
        # A node reached only through a kind not shown is left out with it.
        reachable = nx.node_connected_component(graph, self.centre)
        graph.remove_nodes_from(sorted(set(graph) - reachable))
        return graph


def _work_key(work: Work) -> str:
    if work.openalex_id and OPENALEX_WORK_ID.fullmatch(work.openalex_id):
        return work.openalex_id
    return str(work.pk)


def _metrics(graph: nx.Graph, centre: str) -> None:
    """Degree, betweenness, distance to the centre (``hop``) and the layout,
    written on the nodes."""
    betweenness = nx.betweenness_centrality(graph, normalized=True)
    hops = nx.single_source_shortest_path_length(graph, centre)
    for ident in graph:
        attributes = graph.nodes[ident]
        attributes["degree"] = int(graph.degree(ident))
        attributes["betweenness"] = round(float(betweenness[ident]), 6)
        attributes["hop"] = int(hops[ident])
    positions = layout.radial_layout(graph, centre)
    for ident, (x, y) in positions.items():
        graph.nodes[ident]["x"] = x
        graph.nodes[ident]["y"] = y


# --- queries shared by the centres ------------------------------------------------


def _years(works: QuerySet, params: SliceParams, *, prefix: str = "") -> QuerySet:
    if params.year_min is not None:
        works = works.filter(**{f"{prefix}publication_year__gte": params.year_min})
    if params.year_max is not None:
        works = works.filter(**{f"{prefix}publication_year__lte": params.year_max})
    return works


def _has_years(params: SliceParams) -> bool:
    return params.year_min is not None or params.year_max is not None


def _top_works(
    listed_ids: QuerySet, params: SliceParams, *, exclude: int | None = None
) -> tuple[list[Work], int]:
    """The works whose ids ``listed_ids`` names, within the year bounds, most
    cited first, then newest: the first ``max_works`` and how many there are.
    One query."""
    works = _years(Work.objects.filter(pk__in=listed_ids), params)
    if exclude is not None:
        works = works.exclude(pk=exclude)
    rows = list(
        works.only(*_WORK_FIELDS)
        .annotate(total=Window(Count("pk")))
        .order_by(
            F("cited_by_count").desc(),
            F("publication_year").desc(nulls_last=True),
            F("publication_date").desc(nulls_last=True),
            F("pk").desc(),
        )[: params.max_works]
    )
    return rows, (rows[0].total if rows else 0)


def _authored(researcher_ids: Iterable[int], work_ids: Iterable[int]):
    """(researcher id, listed work id) of the shown authorships linking
    ``researcher_ids`` to the works ``work_ids`` (their versions included):
    a researcher who hid a work is not linked to it. One query."""
    researcher_ids, work_ids = sorted(set(researcher_ids)), sorted(set(work_ids))
    if not researcher_ids or not work_ids:
        return set()
    rows = (
        authorships_shown(
            Authorship.objects.filter(researcher_id__in=researcher_ids).filter(
                Q(work_id__in=work_ids) | Q(work__canonical_id__in=work_ids)
            )
        )
        .annotate(listed_id=listed_work_expression())
        .values_list("researcher_id", "listed_id")
        .distinct()
    )
    return {(researcher_id, listed_id) for researcher_id, listed_id in rows}


def _work_topics(work_ids: Iterable[int]) -> list[tuple[int, Topic, float]]:
    """(work id, topic, score) of every topic of the works ``work_ids``,
    primary first, then by score. One query."""
    work_ids = sorted(set(work_ids))
    if not work_ids:
        return []
    rows = (
        WorkTopic.objects.filter(work_id__in=work_ids)
        .select_related("topic")
        .only(
            "work_id",
            "score",
            "topic__id",
            "topic__openalex_id",
            "topic__display_name",
            "topic__field_name",
        )
        .order_by("work_id", "-is_primary", "-score", "topic__display_name", "pk")
    )
    return [(row.work_id, row.topic, row.score) for row in rows]


def _topics_of_works(
    b: _Builder,
    works: dict[int, str | None],
    *,
    centre_topic_id: int | None = None,
) -> dict[int, str]:
    """Add the topics of the shown ``works`` (work id -> node id) ranked by
    how many of them are in a topic (the first ``max_topics``; the centre,
    when it is a topic, links to its works instead), and link works to
    them. Returns topic id -> node id."""
    rows = _work_topics(works)
    per_topic: dict[int, list] = defaultdict(list)
    topics: dict[int, Topic] = {}
    for work_id, topic, score in rows:
        per_topic[topic.pk].append((work_id, score))
        topics[topic.pk] = topic
    shown: dict[int, str] = {}
    if centre_topic_id is not None:
        shown[centre_topic_id] = b.centre
        per_topic.pop(centre_topic_id, None)
        for work_id, topic, score in rows:
            if topic.pk == centre_topic_id:
                b.link(works[work_id], b.centre, "topic", score)
    ranked = sorted(
        per_topic,
        key=lambda pk: (-len(per_topic[pk]), topics[pk].display_name, pk),
    )
    for topic_pk in ranked[: b.params.max_topics]:
        topic = topics[topic_pk]
        shown[topic_pk] = b.topic(
            openalex_id=topic.openalex_id,
            name=topic.display_name,
            field_name=topic.field_name,
        )
        for work_id, score in per_topic[topic_pk]:
            b.link(works[work_id], shown[topic_pk], "topic", score)
    b.cut("topic", len(ranked) - b.params.max_topics, source="work-topics")
    return shown


def _affiliations(
    b: _Builder,
    researchers: dict[int, tuple[Researcher, str | None]],
    *,
    room: int | None = None,
) -> None:
    """Add the affiliations of the shown ``researchers`` (id -> (row, node
    id)) that are not shown yet, most shared first (the first ``room``, by
    default ``max_institutions``), and link every shown researcher to its
    shown affiliation."""
    room = b.params.max_institutions if room is None else room
    shown = {
        ident
        for ident, attributes in b.nodes.items()
        if attributes["kind"] == "institution"
    }
    counts: Counter = Counter()
    rows: dict[int, Institution] = {}
    for row, _ in researchers.values():
        affiliation = row.affiliation
        if affiliation is None:
            continue
        rows[affiliation.pk] = affiliation
        if node_id("institution", affiliation.openalex_id) not in shown:
            counts[affiliation.pk] += 1
    ranked = sorted(counts, key=lambda pk: (-counts[pk], rows[pk].display_name, pk))
    for pk in ranked[:room]:
        b.institution(rows[pk], count_text=_plural(counts[pk], "researcher"))
    b.cut("institution", len(ranked) - room, source="affiliations")
    for row, ident in researchers.values():
        if row.affiliation is not None:
            target = node_id("institution", row.affiliation.openalex_id)
            b.link(ident, target, "affiliation", 1.0)


def _shared_works(researcher_ids: Iterable[int]) -> list[tuple[int, int, int]]:
    """(a, b, n): pairs of ``researcher_ids`` that share ``n`` works (versions
    of one work once, works above ``ties.LARGE_TEAM_AUTHOR_CAP`` authors left
    out as the tie strength leaves them, hidden works not linking their
    author). One query."""
    ids = sorted(set(researcher_ids))
    if len(ids) < 2:
        return []
    hidden_a = hidden_authorship_sql(
        researcher_id="a.researcher_id",
        work_id="w.id",
        listed_id="COALESCE(w.canonical_id, w.id)",
    )
    hidden_b = hidden_authorship_sql(
        researcher_id="b.researcher_id",
        work_id="w.id",
        listed_id="COALESCE(w.canonical_id, w.id)",
    )
    sql = f"""
        SELECT a.researcher_id, b.researcher_id,
               COUNT(DISTINCT COALESCE(w.canonical_id, w.id))
        FROM {quoted_table(Authorship)} a
        JOIN {quoted_table(Authorship)} b
          ON b.work_id = a.work_id AND b.researcher_id > a.researcher_id
        JOIN {quoted_table(Work)} w ON w.id = a.work_id
        WHERE a.researcher_id = ANY(%(ids)s)
          AND b.researcher_id = ANY(%(ids)s)
          AND w.author_count BETWEEN 2 AND %(cap)s
          AND NOT {hidden_a}
          AND NOT {hidden_b}
        GROUP BY a.researcher_id, b.researcher_id
        ORDER BY a.researcher_id, b.researcher_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": ids, "cap": ties.LARGE_TEAM_AUTHOR_CAP})
        return [(a, b, n) for a, b, n in cursor]


def _second_hop(
    b: _Builder,
    researchers: dict[int, tuple[Researcher, str | None]],
    *,
    links: bool = True,
) -> None:
    """Depth 2 from the shown ``researchers`` (id -> (row, node id)): which
    of them share works (``links``), their topics (ranked by how many of them
    hold one, then by their works in it; the first ``max_topics`` not shown
    yet) and their affiliations. Two or three queries."""
    shown = {pk: ident for pk, (_, ident) in researchers.items() if ident}
    if links:
        for a, c, count in _shared_works(shown):
            b.link(shown[a], shown[c], "shared-works", count)
    if b.shows("topic") and shown:
        topics_shown = sorted(
            ident.partition(":")[2]
            for ident, node in b.nodes.items()
            if node["kind"] == "topic"
        )
        candidates = list(
            ResearcherTopic.objects.filter(researcher_id__in=sorted(shown))
            .exclude(topic__openalex_id__in=topics_shown)
            .values(
                "topic_id",
                "topic__openalex_id",
                "topic__display_name",
                "topic__field_name",
            )
            .annotate(
                people=Count("researcher_id", distinct=True),
                works=Sum("count"),
                total=Window(Count("*")),
            )
            .order_by("-people", "-works", "topic__display_name", "topic_id")[
                : b.params.max_topics
            ]
        )
        for row in candidates:
            b.topic(
                openalex_id=row["topic__openalex_id"],
                name=row["topic__display_name"],
                field_name=row["topic__field_name"],
                count=row["works"],
            )
        if candidates:
            b.cut(
                "topic",
                candidates[0]["total"] - len(candidates),
                source="researcher-topics",
            )
        topic_nodes = {
            ident.partition(":")[2]: ident
            for ident, node in b.nodes.items()
            if node["kind"] == "topic"
        }
        held = (
            ResearcherTopic.objects.filter(
                researcher_id__in=sorted(shown),
                topic__openalex_id__in=sorted(topic_nodes),
            )
            .values_list("researcher_id", "topic__openalex_id", "count")
            .order_by("researcher_id", "topic__openalex_id")
        )
        for researcher_id, topic_key, count in held:
            b.link(shown[researcher_id], topic_nodes[topic_key], "topic", count)
    if b.shows("institution"):
        _affiliations(b, researchers)


def _researchers_by_pk(ids: Iterable[int]) -> dict[int, Researcher]:
    """The public researchers among ``ids`` with their affiliations. One
    query."""
    ids = sorted(set(ids))
    return researcher_list_base().in_bulk(ids) if ids else {}


# --- the centres ------------------------------------------------------------------


def _coauthors_without_page(researcher_id: int) -> set[int]:
    """Coauthors of ``researcher_id`` (on works tie strength counts) that have
    no public page: hidden profiles, records without an OpenAlex id. Usually
    none or a few. One query."""
    works = Authorship.objects.filter(
        researcher_id=researcher_id,
        work__author_count__gte=2,
        work__author_count__lte=ties.LARGE_TEAM_AUTHOR_CAP,
    ).values("work_id")
    coauthors = Authorship.objects.filter(
        work_id__in=works, researcher__isnull=False
    ).values("researcher_id")
    return set(
        Researcher.objects.filter(pk__in=coauthors)
        .filter(Q(is_hidden=True) | Q(openalex_id__isnull=True))
        .values_list("pk", flat=True)
    )


def _researcher_slice(b: _Builder) -> None:
    params = b.params
    try:
        centre = researcher_list_base().get(openalex_id=params.centre_key)
    except Researcher.DoesNotExist:
        raise SliceNotFound(params.centre_key) from None
    b.researcher(centre, centre=True)
    researchers: dict[int, tuple[Researcher, str | None]] = {}

    if b.shows("researcher"):
        ranked = ties.tie_strengths(
            researcher_id=centre.pk, max_author_count=ties.LARGE_TEAM_AUTHOR_CAP
        )
        without_page = _coauthors_without_page(centre.pk)
        eligible = [
            (researcher_id, strength)
            for researcher_id, strength in ranked
            if researcher_id not in without_page
            and (
                params.min_tie <= 0 or ties.is_close(strength, threshold=params.min_tie)
            )
        ]
        chosen = eligible[: params.max_coauthors]
        rows = _researchers_by_pk(researcher_id for researcher_id, _ in chosen)
        for researcher_id, strength in chosen:
            row = rows.get(researcher_id)
            if row is None:  # hidden since the tie strengths were read
                continue
            ident = b.researcher(row, tie=strength)
            researchers[researcher_id] = (row, ident)
            b.link(b.centre, ident, "coauthor", strength)
        b.cut("researcher", len(eligible) - len(chosen), source="coauthors")

    held = authorships_shown(
        Authorship.objects.filter(researcher_id=centre.pk)
    ).annotate(listed_id=listed_work_expression())
    if _has_years(params):
        held = held.filter(
            listed_id__in=_years(Work.objects.all(), params).values("pk")
        )

    works: dict[int, str | None] = {}
    if b.shows("work"):
        rows, total = _top_works(held.values("listed_id"), params)
        for work in rows:
            works[work.pk] = b.work(work)
            b.link(b.centre, works[work.pk], "authored", 1.0)
        b.cut("work", total - len(rows), source="works")
        for researcher_id, work_id in sorted(_authored(researchers, works)):
            b.link(researchers[researcher_id][1], works[work_id], "authored", 1.0)

    if b.shows("topic"):
        topics = list(
            WorkTopic.objects.filter(work_id__in=held.values("listed_id"))
            .values(
                "topic_id",
                "topic__openalex_id",
                "topic__display_name",
                "topic__field_name",
            )
            .annotate(works=Count("work_id", distinct=True), total=Window(Count("*")))
            .order_by("-works", "topic__display_name", "topic_id")[: params.max_topics]
        )
        for row in topics:
            ident = b.topic(
                openalex_id=row["topic__openalex_id"],
                name=row["topic__display_name"],
                field_name=row["topic__field_name"],
                count=row["works"],
            )
            b.link(b.centre, ident, "topic", row["works"])
        if topics:
            b.cut("topic", topics[0]["total"] - len(topics), source="work-topics")
        if works:
            topic_nodes = {row["topic_id"]: None for row in topics}
            for work_id, topic, score in _work_topics(works):
                if topic.pk in topic_nodes:
                    target = node_id("topic", topic.openalex_id)
                    b.link(works[work_id], target, "topic", score)

    if b.shows("institution"):
        affiliation = centre.affiliation
        affiliation_pk = affiliation.pk if affiliation is not None else None
        places = list(
            AuthorshipInstitution.objects.filter(authorship__in=held.values("pk"))
            .values(
                "institution_id",
                "institution__openalex_id",
                "institution__display_name",
                "institution__country_code",
                "institution__type",
            )
            .annotate(
                works=Count(
                    Coalesce(
                        F("authorship__work__canonical_id"), F("authorship__work_id")
                    ),
                    distinct=True,
                ),
                total=Window(Count("*")),
                # The current affiliation first, whatever its count.
                current=Case(
                    When(institution_id=affiliation_pk, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
            )
            .order_by(
                "current", "-works", "institution__display_name", "institution_id"
            )[: params.max_institutions]
        )
        total = places[0]["total"] if places else 0
        if affiliation is not None:
            if places and places[0]["institution_id"] == affiliation.pk:
                works_there = places.pop(0)["works"]
            else:  # an affiliation none of the shown authorships names
                works_there, total = 0, total + 1
                places = places[: params.max_institutions - 1]
            ident = b.institution(affiliation, count_text="current affiliation")
            b.link(b.centre, ident, "affiliation", max(works_there, 1))
        for place in places:
            row = Institution(
                pk=place["institution_id"],
                openalex_id=place["institution__openalex_id"],
                display_name=place["institution__display_name"],
                country_code=place["institution__country_code"],
                type=place["institution__type"],
            )
            ident = b.institution(row, count_text=_plural(place["works"], "work"))
            b.link(b.centre, ident, "affiliation", place["works"])
        shown = len(places) + (affiliation is not None)
        b.cut("institution", total - shown, source="places")
        # The room left goes to the coauthors' affiliations, so a centre
        # whose own authorships name no institution still shows where its
        # people work.
        room = params.max_institutions - shown
        if room > 0:
            _affiliations(b, researchers, room=room)
        else:
            for row, ident in researchers.values():
                if row.affiliation is not None:
                    target = node_id("institution", row.affiliation.openalex_id)
                    b.link(ident, target, "affiliation", 1.0)

    if params.depth >= 2:
        _second_hop(b, researchers)


def _work_slice(b: _Builder) -> None:
    params = b.params
    key = params.centre_key
    if OPENALEX_WORK_ID.fullmatch(key):
        lookup = {"openalex_id": key}
    else:  # our primary key (a work without an OpenAlex id)
        lookup = {"pk": int(key)}
    try:
        centre = Work.objects.only(*_WORK_FIELDS).get(**lookup)
    except Work.DoesNotExist:
        raise SliceNotFound(key) from None
    b.work(centre, centre=True)

    researchers: dict[int, tuple[Researcher, str | None]] = {}
    authorships: dict[int, str] = {}
    if b.shows("researcher"):
        slots = list(
            authorships_shown(
                Authorship.objects.filter(
                    work=centre,
                    researcher__is_hidden=False,
                    researcher__openalex_id__isnull=False,
                )
            )
            .select_related("researcher", "researcher__affiliation")
            .annotate(total=Window(Count("pk")))
            .order_by("position", "pk")[: params.max_coauthors]
        )
        total = slots[0].total if slots else 0
        for slot in slots:
            row = slot.researcher
            if row.pk not in researchers:
                ident = b.researcher(row)
                researchers[row.pk] = (row, ident)
                b.link(b.centre, ident, "authored", 1.0)
            authorships[slot.pk] = researchers[row.pk][1]
        b.cut("researcher", total - len(slots), source="authors")

    if b.shows("topic"):
        topics = list(
            WorkTopic.objects.filter(work=centre)
            .select_related("topic")
            .annotate(total=Window(Count("pk")))
            .order_by("-is_primary", "-score", "topic__display_name", "pk")[
                : params.max_topics
            ]
        )
        for row in topics:
            ident = b.topic(
                openalex_id=row.topic.openalex_id,
                name=row.topic.display_name,
                field_name=row.topic.field_name,
            )
            b.link(b.centre, ident, "topic", row.score)
        if topics:
            b.cut("topic", topics[0].total - len(topics), source="topics")

    if b.shows("institution"):
        places = list(
            AuthorshipInstitution.objects.filter(authorship__work=centre)
            .values(
                "institution_id",
                "institution__openalex_id",
                "institution__display_name",
                "institution__country_code",
                "institution__type",
            )
            .annotate(authors=Count("authorship_id"), total=Window(Count("*")))
            .order_by("-authors", "institution__display_name", "institution_id")[
                : params.max_institutions
            ]
        )
        for place in places:
            row = Institution(
                pk=place["institution_id"],
                openalex_id=place["institution__openalex_id"],
                display_name=place["institution__display_name"],
                country_code=place["institution__country_code"],
                type=place["institution__type"],
            )
            ident = b.institution(row, count_text=_plural(place["authors"], "author"))
            b.link(b.centre, ident, "affiliation", place["authors"])
        if places:
            b.cut("institution", places[0]["total"] - len(places), source="places")
        if authorships and places:
            pairs = AuthorshipInstitution.objects.filter(
                authorship_id__in=sorted(authorships),
                institution_id__in=[p["institution_id"] for p in places],
            ).values_list("authorship_id", "institution__openalex_id")
            for authorship_id, openalex_id in sorted(pairs):
                target = node_id("institution", openalex_id)
                b.link(authorships[authorship_id], target, "affiliation", 1.0)

    if params.depth >= 2:
        if b.shows("work") and researchers:
            held = (
                authorships_shown(
                    Authorship.objects.filter(researcher_id__in=sorted(researchers))
                )
                .annotate(listed_id=listed_work_expression())
                .values("listed_id")
            )
            listed_centre = centre.pk
            rows, total = _top_works(held, params, exclude=listed_centre)
            works = {work.pk: b.work(work) for work in rows}
            b.cut("work", total - len(rows), source="authors-works")
            for researcher_id, work_id in sorted(_authored(researchers, works)):
                b.link(researchers[researcher_id][1], works[work_id], "authored", 1.0)
        _second_hop(b, researchers, links=False)


def _topic_slice(b: _Builder) -> None:
    params = b.params
    try:
        centre = Topic.objects.get(openalex_id=params.centre_key)
    except Topic.DoesNotExist:
        raise SliceNotFound(params.centre_key) from None
    b.topic(
        openalex_id=centre.openalex_id,
        name=centre.display_name,
        field_name=centre.field_name,
        centre=True,
    )

    researchers: dict[int, tuple[Researcher, str | None]] = {}
    if b.shows("researcher"):
        holders = list(
            ResearcherTopic.objects.filter(
                topic=centre,
                researcher__is_hidden=False,
                researcher__openalex_id__isnull=False,
            )
            .select_related("researcher", "researcher__affiliation")
            .annotate(total=Window(Count("pk")))
            .order_by("-count", "researcher_id")[: params.max_coauthors]
        )
        for holder in holders:
            row = holder.researcher
            ident = b.researcher(row)
            researchers[row.pk] = (row, ident)
            b.link(b.centre, ident, "topic", holder.count)
        if holders:
            b.cut("researcher", holders[0].total - len(holders), source="holders")

    works: dict[int, str | None] = {}
    if b.shows("work"):
        listed = (
            WorkTopic.objects.filter(topic=centre)
            .annotate(listed_id=listed_work_expression())
            .values("listed_id")
        )
        rows, total = _top_works(listed, params)
        works = {work.pk: b.work(work) for work in rows}
        b.cut("work", total - len(rows), source="works")
        for researcher_id, work_id in sorted(_authored(researchers, works)):
            b.link(researchers[researcher_id][1], works[work_id], "authored", 1.0)
        if b.shows("topic"):
            _topics_of_works(b, works, centre_topic_id=centre.pk)
        else:
            for work_id, topic, score in _work_topics(works):
                if topic.pk == centre.pk:
                    b.link(works[work_id], b.centre, "topic", score)
        # A work whose topic is the centre only through a version of it.
        for ident in works.values():
            b.link(b.centre, ident, "topic", 0.0)

    if b.shows("institution"):
        _affiliations(b, researchers)

    if params.depth >= 2:
        _second_hop(b, researchers)


def _institution_slice(b: _Builder) -> None:
    params = b.params
    try:
        centre = Institution.objects.get(openalex_id=params.centre_key)
    except Institution.DoesNotExist:
        raise SliceNotFound(params.centre_key) from None
    b.institution(centre, centre=True)

    researchers: dict[int, tuple[Researcher, str | None]] = {}
    if b.shows("researcher"):
        rows = list(
            researcher_list_base()
            .filter(affiliation=centre)
            .annotate(total=Window(Count("pk")))
            .order_by("-listed_works_count", "pk")[: params.max_coauthors]
        )
        for row in rows:
            ident = b.researcher(row)
            researchers[row.pk] = (row, ident)
            b.link(b.centre, ident, "affiliation", 1.0)
        if rows:
            b.cut("researcher", rows[0].total - len(rows), source="members")

    if b.shows("work"):
        listed = (
            Authorship.objects.filter(institutions=centre)
            .annotate(listed_id=listed_work_expression())
            .values("listed_id")
        )
        rows, total = _top_works(listed, params)
        works = {work.pk: b.work(work) for work in rows}
        for ident in works.values():
            b.link(b.centre, ident, "affiliation", 1.0)
        b.cut("work", total - len(rows), source="works")
        for researcher_id, work_id in sorted(_authored(researchers, works)):
            b.link(researchers[researcher_id][1], works[work_id], "authored", 1.0)
        if b.shows("topic"):
            _topics_of_works(b, works)

    if params.depth >= 2:
        _second_hop(b, researchers)


# A centre's key as the catalog stores it (what the pages' URLs accept);
# anything else names no centre and never reaches a query.
_CENTRE_KEYS = {
    "researcher": re.compile(r"A[0-9]{1,30}"),
    "work": re.compile(r"W[0-9]{1,30}|[0-9]{1,18}"),
    "topic": re.compile(r"T[0-9]{1,30}"),
    "institution": re.compile(r"I[0-9]{1,30}"),
}
_CENTRES = {
    "researcher": _researcher_slice,
    "work": _work_slice,
    "topic": _topic_slice,
    "institution": _institution_slice,
}


def slice_build(params: SliceParams) -> Slice:
    """The slice ``params`` asks for, read now. Raises ``SliceNotFound`` when
    the centre does not exist or is a hidden profile. A fixed number of
    queries for each kind of centre and depth (about ten), whatever the
    centre's size."""
    if not _CENTRE_KEYS[params.centre_kind].fullmatch(params.centre_key):
        raise SliceNotFound(params.centre_key)
    builder = _Builder(params)
    _CENTRES[params.centre_kind](builder)
    graph = builder.graph()
    _metrics(graph, builder.centre)
    return Slice(
        params=params,
        graph=graph,
        centre=builder.centre,
        left_out=builder.left_out_counts(),
        built_at=timezone.now(),
    )


def slice_nearest(slice: Slice, limit: int = 10) -> list[dict]:
    """The nodes nearest the centre, for a text list beside the picture: its
    direct neighbours, the strongest link first (weights compared within
    each kind of link, as a share of that kind's strongest), then by degree.
    Each is a dict of the node's attributes with its ``id`` and the
    ``weight`` and ``edge_kind`` of its link to the centre."""
    graph = slice.graph
    links = [
        (neighbour, graph.edges[slice.centre, neighbour])
        for neighbour in graph.neighbors(slice.centre)
    ]
    strongest: dict[str, float] = defaultdict(float)
    for _, edge in links:
        strongest[edge["kind"]] = max(strongest[edge["kind"]], edge["weight"])

    def order(item):
        neighbour, edge = item
        top = strongest[edge["kind"]]
        share = edge["weight"] / top if top > 0 else 0.0
        node = graph.nodes[neighbour]
        return (
            -share,
            -node["degree"],
            KIND_ORDER[node["kind"]],
            node.get("rank", 0),
            neighbour,
        )

    nearest = []
    for neighbour, edge in sorted(links, key=order)[: max(limit, 0)]:
        nearest.append(
            {
                "id": neighbour,
                **graph.nodes[neighbour],
                "weight": edge["weight"],
                "edge_kind": edge["kind"],
            }
        )
    return nearest
