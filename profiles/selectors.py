"""Reads of researcher profiles: search, the profile page, its works, the trust
explanation, and the site's own health.

Every function here is built for OpenAlex scale (~10^8 researchers, 2-3 x 10^8
works): lookups go through unique keys or indexes, lists are bounded or
paginated by the caller, and a profile costs the same few queries whatever the
researcher's number of works.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from works.ingest.identifiers import (
    is_orcid_written,
    normalize_orcid,
    short_openalex_id,
)
from works.models import Authorship, Institution, Source, Topic, Work
from works.text import normalize_name

from . import ties, trust
from .models import (
    Follow,
    HiddenWork,
    ProfileChange,
    Researcher,
    ResearcherOwner,
    ResearcherRedirect,
    ResearcherTopic,
)
from .visibility import (
    authorship_is_hidden_expression,
    authorships_shown,
    researcher_visible_to,
    researchers_public,
)

logger = logging.getLogger(__name__)


# OpenAlex names arXiv "arXiv (Cornell University)"; readers know it as arXiv.
ARXIV_VENUE_NAME = "arXiv"

# Close collaborators named on a trust page; the count covers them all.
CLOSE_COLLABORATORS_LISTED = 12
WORK_SORTS = ("year", "citations")
WORK_SORT_DEFAULT = "year"
# Names listed per work before "+N more"; a 3,000-author paper stays one line.
AUTHORS_LISTED = 8


# --- lists and search -------------------------------------------------------


def listed_work_expression() -> Coalesce:
    """The version under which a row's work is listed (a row with a ``work``
    key: an authorship, a work topic): its ``canonical``, or the work itself
    (see ``works.versions``), so the versions of one work count once."""
    return Coalesce(F("work__canonical_id"), F("work_id"))


def listed_authorships_prefetch() -> Prefetch:
    """A work's first ``AUTHORS_LISTED`` author slots with their researchers,
    as ``work.listed_authorships``: one query for a whole page of works."""
    first_slots = (
        Authorship.objects.select_related("researcher")
        .only(
            "id",
            "work_id",
            "position",
            "raw_author_name",
            "researcher__id",
            "researcher__openalex_id",
            "researcher__display_name",
            "researcher__is_hidden",
        )
        .annotate(is_hidden_here=authorship_is_hidden_expression())
        .order_by("position")[:AUTHORS_LISTED]
    )
    return Prefetch("authorships", queryset=first_slots, to_attr="listed_authorships")


def _works_held_subquery() -> Coalesce:
    """Distinct works a researcher (the outer row) holds an authorship on,
    the versions of one work (a preprint and its article) counted once: the
    ``(researcher, work)`` index, then one primary-key probe per work."""
    counted = (
        authorships_shown(Authorship.objects.filter(researcher=OuterRef("pk")))
        .order_by()
        .values("researcher")
        .annotate(n=Count(listed_work_expression(), distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _rows_per_researcher(model) -> Coalesce:
    """How many rows of ``model`` (a table with a ``researcher`` key) belong
    to the outer researcher: a correlated count on its researcher index."""
    counted = (
        model.objects.filter(researcher=OuterRef("pk"))
        .order_by()
        .values("researcher")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def researcher_list_base() -> QuerySet[Researcher]:
    """The researchers that have a public page: an OpenAlex id, not hidden
    (``profiles.visibility``)."""
    return researchers_public(
        Researcher.objects.exclude(openalex_id__isnull=True)
    ).select_related("affiliation")


def researcher_list_featured(*, limit: int = 6) -> QuerySet[Researcher]:
    """A few researchers for the home page: the most prolific by the works
    their cards show (``listed_works_count``, indexed in this order). One
    bounded query."""
    return researcher_list_base().order_by("-listed_works_count", "pk")[:limit]


# Trigrams need three characters: a shorter word cannot use the index.
MIN_WORD_LENGTH = 3
# More words than this add cost, not precision.
MAX_WORDS = 6
# Longer queries are cut: no name or phrase needs more.
QUERY_MAX_LENGTH = 200
# Topics and institutions a query's words may name (their researchers join
# the name matches); more would be no answer to a search anyway.
RELATED_NAMES_MATCHED = 20
_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class SearchTerms:
    """A query as search reads it: the text shown back, its folded words,
    and those long enough to be searched through an index."""

    text: str
    words: tuple[str, ...]
    searchable_words: tuple[str, ...]

    @property
    def is_searchable(self) -> bool:
        return bool(self.searchable_words) or _is_identifier(self.text)

    @property
    def folded(self) -> str:
        return " ".join(self.words)


def search_terms(query: str | None) -> SearchTerms:
    """``query`` cut to ``QUERY_MAX_LENGTH``, without control characters (a
    NUL byte cannot reach PostgreSQL), folded into at most ``MAX_WORDS``
    distinct words (lower case, no accents, punctuation separates)."""
    text = _CONTROL.sub(" ", query or "")[:QUERY_MAX_LENGTH].strip()
    words = tuple(dict.fromkeys(_WORD.findall(normalize_name(text))))[:MAX_WORDS]
    searchable = tuple(w for w in words if len(w) >= MIN_WORD_LENGTH)
    return SearchTerms(text=text, words=words, searchable_words=searchable)


def _is_identifier(value: str) -> bool:
    value = value.strip()
    return bool(
        (" " not in value and short_openalex_id(value, prefix="A"))
        or is_orcid_written(value)
    )


# --- researchers ------------------------------------------------------------


def researcher_by_identifier(
    query: str, *, researchers: QuerySet[Researcher]
) -> QuerySet[Researcher] | None:
    """The researcher a query names by OpenAlex author id or ORCID iD (bare or
    as a URL), through its unique index, or through the redirect a merged
    id left; None when the query is no identifier."""
    value = query.strip()
    openalex_id = short_openalex_id(value, prefix="A") if " " not in value else None
    if openalex_id is not None:
        merged_into = ResearcherRedirect.objects.filter(
            old_openalex_id=openalex_id
        ).values("researcher_id")
        return researchers.filter(Q(openalex_id=openalex_id) | Q(pk__in=merged_into))
    if is_orcid_written(value):
        orcid = normalize_orcid(value)
        return researchers.filter(orcid=orcid or "-")
    return None


class SearchFold(Func):
    """``bzpeer_search_fold(name)``: lower case without accents, the
    expression the trigram indexes of topic and institution names hold
    (profiles migration 0013)."""

    function = "bzpeer_search_fold"
    output_field = TextField()


def _names_matching(model, words: tuple[str, ...]) -> QuerySet:
    """Ids of at most ``RELATED_NAMES_MATCHED`` rows of ``model`` (topics,
    institutions) whose folded name contains every word: one ``LIKE`` per
    word on the trigram index."""
    rows = model.objects.annotate(folded_name=SearchFold("display_name"))
    for word in words:
        rows = rows.filter(folded_name__contains=word)
    return rows.order_by().values("pk")[:RELATED_NAMES_MATCHED]


def _name_sql_words(words: tuple[str, ...]) -> list[str]:
    # Words are letters and digits only (search_terms), so "\m" + word is a
    # safe regular expression: the start of a word of the name.
    return [r"\m" + word for word in words]


def _match_quality(words: tuple[str, ...], searchable: tuple[str, ...]) -> RawSQL:
    """0: the name is exactly the query's words, in any order; 1: every word
    starts a word of the name ("b wang" and "Bingxuan Wang"); 2: the name
    contains the words; 3: found by a topic or institution only."""
    prefixes = _name_sql_words(words)
    name = '"profiles_researcher"."search_name"'
    name_words = f"array_remove(regexp_split_to_array({name}, '\\W+'), '')"
    contains = " AND ".join([f"{name} LIKE %s"] * len(searchable))
    starts = " AND ".join([f"{name} ~ %s"] * len(prefixes))
    sql = (
        f"CASE WHEN {name_words} @> %s::text[] AND {name_words} <@ %s::text[] "
        f"AND {contains} THEN 0 "
        f"WHEN {starts} AND {contains} THEN 1 "
        f"WHEN {contains} THEN 2 ELSE 3 END"
    )
    likes = [f"%{word}%" for word in searchable]
    params = [list(words), list(words), *likes, *prefixes, *likes, *likes]
    # Fixed SQL text; every value of the query is a bound parameter.
    return RawSQL(sql, params, output_field=IntegerField())  # noqa: S611


def researcher_search(
    *, query: str, researchers: QuerySet[Researcher] | None = None
) -> QuerySet[Researcher]:
    """Researchers found by ``query``, best match first.

    A query that is an OpenAlex author id or an ORCID iD finds that
    researcher. Otherwise, by name: every word of three letters or more is a
    ``LIKE '%word%'`` on ``search_name`` (the trigram index), shorter ones
    (initials) must start a word of the name; case, accents and word order
    don't matter ("B. Wang", "wang bingxuan"). Researchers whose affiliation
    or one of whose topics is named by all the words join them. Ranked by
    match quality (``_match_quality``), then by the works their cards show
    (``listed_works_count``). A query without a word of three letters
    matches nobody and runs no query. The caller paginates. ``researchers``
    narrows the search (the admin passes its own queryset); by default, the
    researchers that have a page."""
    if researchers is None:
        researchers = researchers_public(
            Researcher.objects.exclude(openalex_id__isnull=True)
        ).select_related("affiliation")
    identified = researcher_by_identifier(query, researchers=researchers)
    if identified is not None:
        return identified
    terms = search_terms(query)
    if not terms.searchable_words:
        return researchers.none()
    by_name = Researcher.objects.all()
    for word in terms.searchable_words:
        by_name = by_name.filter(search_name__contains=word)
    for prefix in _name_sql_words(
        tuple(w for w in terms.words if w not in terms.searchable_words)
    ):
        by_name = by_name.filter(search_name__regex=prefix)
    by_topic = ResearcherTopic.objects.filter(
        topic_id__in=_names_matching(Topic, terms.searchable_words)
    ).values("researcher_id")
    by_institution = Researcher.objects.filter(
        affiliation_id__in=_names_matching(Institution, terms.searchable_words)
    ).values("pk")
    # One id set from three index lookups (a UNION), instead of an OR that
    # would read every researcher.
    matched = by_name.order_by().values("pk").union(by_topic, by_institution)
    return (
        researchers.filter(pk__in=matched)
        .annotate(match_quality=_match_quality(terms.words, terms.searchable_words))
        .order_by("match_quality", F("listed_works_count").desc(), "pk")
    )


# --- the profile page -------------------------------------------------------


@dataclass(frozen=True)
class ProfileData:
    """What the profile page shows above the works list."""

    researcher: Researcher
    headline: str
    works_count: int
    followers_count: int
    topics_count: int
    # Works the owner hid from the profile (not in ``works_count``).
    hidden_works_count: int = 0
    top_topics: list[str] = field(default_factory=list)

    @property
    def close_collaborators_count(self) -> int:
        return self.researcher.close_collaborators_count

    @property
    def verification_code(self) -> str:
        return f"L{self.researcher.verification_level}"


def topic_phrase(name: str) -> str:
    """A topic name as it reads mid-sentence: "Topic Modeling" becomes "topic
    modeling", while acronyms and mixed-case words ("DNA", "mRNA", "GPT-4")
    keep their case."""
    words = []
    for word in name.split():
        if word[:1].isupper() and (word[1:] == word[1:].lower()):
            word = word[:1].lower() + word[1:]
        words.append(word)
    return " ".join(words)


def researcher_headline(*, name: str, topic_names: list[str]) -> str:
    """The generated one-line headline from a researcher's top topics:
    "<name> contributes to <a> and <b>." Empty without topics."""
    phrases = [topic_phrase(t) for t in topic_names if t.strip()]
    if not phrases:
        return ""
    if len(phrases) == 1:
        return f"{name} contributes to {phrases[0]}."
    return f"{name} contributes to {', '.join(phrases[:-1])} and {phrases[-1]}."


def _visible_or_missing(researcher: Researcher, viewer) -> Researcher:
    if not researcher_visible_to(researcher=researcher, user=viewer):
        # A hidden profile answers as one that does not exist.
        raise Researcher.DoesNotExist("No researcher with this id.")
    return researcher


def researcher_get(*, openalex_id: str, viewer=None) -> Researcher:
    """The researcher with this OpenAlex id, with its affiliation, if
    ``viewer`` may see it (``profiles.visibility``; no viewer: the public).
    Raises ``Researcher.DoesNotExist`` for a missing or hidden one alike."""
    researcher = Researcher.objects.select_related("affiliation").get(
        openalex_id=openalex_id
    )
    return _visible_or_missing(researcher, viewer)


def researcher_redirect_target(*, old_openalex_id: str) -> Researcher | None:
    """The record an OpenAlex author id merged away now leads to, or None
    when the id was never merged here. One query on the unique key."""
    redirect = (
        ResearcherRedirect.objects.select_related("researcher")
        .filter(
            old_openalex_id=old_openalex_id,
            researcher__openalex_id__isnull=False,
            researcher__is_hidden=False,
        )
        .first()
    )
    return redirect.researcher if redirect else None


def researcher_profile(*, openalex_id: str, viewer=None) -> ProfileData:
    """The researcher and the counts of the trust snapshot, in two queries:
    one for the record with its works, followers and topics counted by
    correlated subqueries, one for the two top topics (the generated headline).
    Raises ``Researcher.DoesNotExist``, also when ``viewer`` may not see it
    (see ``researcher_get``)."""
    researcher = (
        Researcher.objects.select_related("affiliation")
        .annotate(
            works_held=_works_held_subquery(),
            followers_held=_rows_per_researcher(Follow),
            topics_held=_rows_per_researcher(ResearcherTopic),
            hidden_works_held=_rows_per_researcher(HiddenWork),
        )
        .get(openalex_id=openalex_id)
    )
    _visible_or_missing(researcher, viewer)
    top_topics = list(
        ResearcherTopic.objects.filter(researcher=researcher)
        .order_by("-count", "topic__display_name")
        .values_list("topic__display_name", flat=True)[:2]
    )
    headline = researcher.headline.strip() or researcher_headline(
        name=researcher.display_name, topic_names=top_topics
    )
    return ProfileData(
        researcher=researcher,
        headline=headline,
        works_count=researcher.works_held,
        followers_count=researcher.followers_held,
        topics_count=researcher.topics_held,
        hidden_works_count=researcher.hidden_works_held,
        top_topics=top_topics,
    )


def venue_name_expression() -> Case:
    """A work's venue as readers name it (arXiv under its short name)."""
    return Case(
        When(
            source__openalex_id=Source.ARXIV_OPENALEX_ID,
            then=Value(ARXIV_VENUE_NAME),
        ),
        default=Coalesce(F("source__display_name"), Value("")),
        output_field=CharField(),
    )


def _other_versions() -> QuerySet[Work]:
    """The versions listed under a work, oldest first, with what a row of
    the profile shows of them (no abstract)."""
    return (
        Work.objects.select_related("source")
        .only(
            "id",
            "canonical",
            "type",
            "publication_year",
            "publication_date",
            "doi",
            "arxiv_id",
            "openalex_id",
            "source__openalex_id",
            "source__display_name",
        )
        .annotate(venue_name=venue_name_expression())
        .order_by(
            F("publication_year").asc(nulls_last=True),
            F("publication_date").asc(nulls_last=True),
            "pk",
        )
    )


def _work_ordering(sort: str) -> list:
    if sort not in WORK_SORTS:
        raise ValueError(f"unknown sort {sort!r}; expected one of {WORK_SORTS}")
    year = F("publication_year").desc(nulls_last=True)
    date = F("publication_date").desc(nulls_last=True)
    if sort == "citations":
        return [F("cited_by_count").desc(), year, date, F("pk").desc()]
    return [year, date, F("cited_by_count").desc(), F("pk").desc()]


def _listed_works(*, researcher: Researcher, sort: str) -> QuerySet[Work]:
    """The works the profile of ``researcher`` lists, in ``sort`` order,
    with nothing joined or prefetched."""
    ordering = _work_ordering(sort)
    held = (
        authorships_shown(Authorship.objects.filter(researcher=researcher))
        .annotate(listed_id=listed_work_expression())
        .values("listed_id")
    )
    return Work.objects.filter(pk__in=held).order_by(*ordering)


def _work_rows(works: QuerySet[Work]) -> QuerySet[Work]:
    """``works`` with what a row of the profile shows: venue, first authors,
    other versions."""
    return (
        works.select_related("source")
        .annotate(venue_name=venue_name_expression())
        .prefetch_related(
            listed_authorships_prefetch(),
            Prefetch("versions", queryset=_other_versions(), to_attr="other_versions"),
        )
    )


def researcher_works(*, researcher: Researcher, sort: str) -> QuerySet[Work]:
    """The works ``researcher`` holds an authorship on, each listed once under
    its listed version (``works.versions``: the published article, when the
    researcher holds its preprint), for one page of the profile: ``sort`` is
    "year" (newest first) or "citations" (most cited first); ties fall back
    to the other key, then the id, so pages are stable.

    Each work carries ``venue_name`` (arXiv under its short name),
    ``listed_authorships``: its first ``AUTHORS_LISTED`` authorships with
    their researcher, and ``other_versions``: the versions listed under it,
    each fetched for the whole page in one query. The caller paginates.
    """
    return _work_rows(_listed_works(researcher=researcher, sort=sort))


def researcher_work_ids(*, researcher: Researcher, sort: str) -> QuerySet:
    """The ids of ``researcher_works``, in its order: what the profile
    paginates. A page's slice of it stays a query (``LIMIT``/``OFFSET``)
    that ``researcher_works_page`` reads as a subquery, so the database
    orders the works by their keys alone and reads whole rows for the page's
    works only."""
    return _listed_works(researcher=researcher, sort=sort).values_list("pk", flat=True)


def researcher_works_page(*, ids: QuerySet, sort: str) -> list[Work]:
    """The works of one page of the profile, given the page's slice of
    ``researcher_work_ids`` (the same ``sort``), in that order, each with
    what ``researcher_works`` gives a row. One query, and one for each of the
    two prefetches."""
    return list(
        _work_rows(Work.objects.filter(pk__in=ids)).order_by(*_work_ordering(sort))
    )


# --- trust ------------------------------------------------------------------


@dataclass(frozen=True)
class TrustSignal:
    key: str
    group: str
    label: str
    detail: str
    value: float
    cap: float | None


@dataclass(frozen=True)
class TrustExplanation:
    """A researcher's stored trust breakdown, made safe to render."""

    is_computed: bool
    score: int
    label: str
    band: tuple[int, int, str]
    model_version: str
    signals: list[TrustSignal]
    signals_total: float

    @property
    def is_capped(self) -> bool:
        return self.is_computed and self.signals_total != self.score


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else round(number, 2)


@dataclass(frozen=True)
class CloseCollaborator:
    researcher: Researcher
    tie_strength: float
    # Works both hold an authorship on, versions of one work once, large
    # teams included (they count here, though they add no tie strength).
    shared_works_count: int = 0


def _shared_works_subquery(*, researcher: Researcher) -> Coalesce:
    """How many works the outer researcher shares with ``researcher``: the
    outer one's authorships on works ``researcher`` holds an authorship on,
    counted by listed version."""
    counted = (
        Authorship.objects.filter(
            researcher=OuterRef("pk"),
            work__in=Authorship.objects.filter(researcher=researcher).values("work_id"),
        )
        .order_by()
        .values("researcher")
        .annotate(n=Count(listed_work_expression(), distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def researcher_close_collaborators(
    *,
    researcher: Researcher,
    limit: int = CLOSE_COLLABORATORS_LISTED,
    offset: int = 0,
) -> list[CloseCollaborator]:
    """The close collaborators of ``researcher`` as the trust model counts
    them (``profiles.ties``: tie strength at least
    ``CLOSE_COLLABORATOR_THRESHOLD``, works above ``LARGE_TEAM_AUTHOR_CAP``
    authors left out), strongest first: ``limit`` of them after the first
    ``offset``, each with its tie strength and number of shared works. Two
    queries whatever the size (close collaborators are the head of the
    strength order, so the strongest ``offset + limit`` coauthors hold them)."""
    threshold = settings.CLOSE_COLLABORATOR_THRESHOLD
    strengths = [
        (researcher_id, strength)
        for researcher_id, strength in ties.tie_strengths(
            researcher_id=researcher.pk,
            limit=offset + limit,
            max_author_count=ties.LARGE_TEAM_AUTHOR_CAP,
        )
        if ties.is_close(strength, threshold=threshold)
    ][offset:]
    if not strengths:
        return []
    rows = (
        researchers_public(Researcher.objects)
        .only("openalex_id", "display_name", "trust_score", "trust_label")
        .annotate(shared_works_count=_shared_works_subquery(researcher=researcher))
        .in_bulk([researcher_id for researcher_id, _ in strengths])
    )
    return [
        CloseCollaborator(
            researcher=rows[researcher_id],
            tie_strength=strength,
            shared_works_count=rows[researcher_id].shared_works_count,
        )
        for researcher_id, strength in strengths
        if researcher_id in rows
    ]


def trust_explanation(*, researcher: Researcher) -> TrustExplanation:
    """The stored ``trust_breakdown`` of ``researcher``, signal by signal.

    The breakdown is written by the trust model as ``{"model_version",
    "score", "label", "signals": [{"key", "group", "label", "value", "cap",
    "detail"}]}``; anything missing or malformed is skipped rather than
    trusted, and an empty breakdown reads as not computed yet. No query."""
    breakdown = researcher.trust_breakdown
    if not isinstance(breakdown, dict):
        breakdown = {}
    raw_signals = breakdown.get("signals")
    signals = []
    for raw in raw_signals if isinstance(raw_signals, list) else []:
        if not isinstance(raw, dict):
            continue
        value = _number(raw.get("value"))
        if value is None:
            continue
        signals.append(
            TrustSignal(
                key=str(raw.get("key") or ""),
                group=str(raw.get("group") or ""),
                label=str(raw.get("label") or raw.get("key") or "Signal"),
                detail=str(raw.get("detail") or ""),
                value=value,
                cap=_number(raw.get("cap")),
            )
        )
    is_computed = bool(breakdown) and (
        bool(signals) or researcher.trust_computed_at is not None
    )
    score = researcher.trust_score
    label = researcher.trust_label or trust.trust_band(score=score)[2]
    return TrustExplanation(
        is_computed=is_computed,
        score=score,
        label=label,
        band=trust.trust_band(score=score),
        model_version=str(breakdown.get("model_version") or ""),
        signals=signals,
        signals_total=_number(sum(s.value for s in signals)) or 0,
    )


# --- curation ---------------------------------------------------------------


def profile_changes(*, researcher: Researcher) -> QuerySet[ProfileChange]:
    """The public change log of ``researcher``, newest first, each entry
    with its work (title and ids) and whether it was undone
    (``undone_by_id``). The caller paginates."""
    return (
        ProfileChange.objects.filter(researcher=researcher)
        .select_related("work", "undone_by")
        .only(
            "id",
            "researcher_id",
            "actor_id",
            "actor_role",
            "kind",
            "summary",
            "field",
            "reason",
            "undoes_id",
            "created_at",
            "work__id",
            "work__openalex_id",
            "work__arxiv_id",
            "work__title",
            "undone_by__id",
        )
        .order_by("-created_at", "-id")
    )


def researcher_hidden_works(*, researcher: Researcher) -> QuerySet[HiddenWork]:
    """The works the owner hid from ``researcher``'s profile, latest first,
    for the owner to review and restore."""
    return (
        HiddenWork.objects.filter(researcher=researcher)
        .select_related("work")
        .order_by("-created_at", "-id")
    )


def researchers_owned_by(*, user, exclude: Researcher | None = None):
    """The records ``user`` manages, by name (the owner's merge form lists
    them); none for an anonymous user."""
    if not getattr(user, "is_authenticated", False):
        return Researcher.objects.none()
    owned = Researcher.objects.filter(
        pk__in=ResearcherOwner.objects.filter(user=user).values("researcher_id"),
        openalex_id__isnull=False,
    )
    if exclude is not None:
        owned = owned.exclude(pk=exclude.pk)
    return owned.order_by("display_name", "pk")


# --- following --------------------------------------------------------------

# The feed reaches back this far by publication date: a backfill of a
# followed researcher's old works never floods it.
FEED_DAYS = 90


def researcher_is_followed_by(*, researcher: Researcher, user) -> bool:
    """Whether ``user`` follows ``researcher``. One query (none when
    anonymous)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and Follow.objects.filter(researcher=researcher, user=user).exists()
    )


def researcher_followers_count(*, researcher: Researcher) -> int:
    """How many accounts follow ``researcher`` now (what the profile's
    Actions section shows). One query."""
    return Follow.objects.filter(researcher=researcher).count()


def researchers_followed(*, user) -> QuerySet[Follow]:
    """Whom ``user`` follows, most recent first, hidden profiles left out
    (``profiles.visibility``): the follows with their researcher and its
    affiliation. The caller paginates."""
    return (
        Follow.objects.filter(user=user, researcher__is_hidden=False)
        .select_related("researcher", "researcher__affiliation")
        .order_by("-created_at", "-id")
    )


def feed_works(*, user, today: date | None = None, since=None) -> QuerySet[Work]:
    """New works by the researchers ``user`` follows, newest first: works
    first imported after the user followed the researcher (``Work.created_at``
    after ``Follow.created_at``; ``since``, when given, also bounds it, for
    the digest), published within the last ``FEED_DAYS`` days, each listed
    once under its listed version. A hidden profile or a hidden work is
    absent (``profiles.visibility``). Each work carries what a row of the
    profile shows (venue, first authors). The caller paginates."""
    today = today or timezone.localdate()
    held = authorships_shown(
        Authorship.objects.filter(
            researcher__follows__user=user,
            researcher__is_hidden=False,
            work__created_at__gt=F("researcher__follows__created_at"),
        )
    )
    if since is not None:
        held = held.filter(work__created_at__gt=since)
    listed = held.annotate(listed_id=listed_work_expression()).values("listed_id")
    return (
        Work.objects.filter(
            pk__in=listed,
            publication_date__gte=today - timedelta(days=FEED_DAYS),
        )
        .select_related("source")
        .annotate(venue_name=venue_name_expression())
        .prefetch_related(listed_authorships_prefetch())
        .order_by(
            F("publication_date").desc(nulls_last=True),
            F("created_at").desc(),
            F("pk").desc(),
        )
    )
