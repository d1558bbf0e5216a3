"""Reads of the catalog pages: a work with its authors, topics and versions;
a topic or an institution with its researchers and recent works; the lists
behind a profile's counts (its topics, its close collaborators).

Lookups go through unique keys or indexes (every foreign key is indexed),
lists are returned unevaluated for the caller to paginate, and a page costs
the same few queries whatever the size of the work, topic, institution or
researcher. Not yet the same time: a topic's or an institution's page counts
both its lists and sorts its works over a join, so it grows with the topic
(about 1 s for a million-work topic, measured); stored counts and a keyset on
a (topic, year) index are the way to OpenAlex scale.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet

from works.models import (
    Authorship,
    Institution,
    Topic,
    Work,
    WorkRedirect,
    WorkTopic,
)

from . import ties
from .models import Researcher, ResearcherTopic
from .selectors import (
    CloseCollaborator,
    listed_authorships_prefetch,
    listed_work_expression,
    researcher_close_collaborators,
    researcher_list_base,
    venue_name_expression,
)
from .visibility import authorship_is_hidden_expression

# --- a work ---------------------------------------------------------------------


def work_get(
    *,
    openalex_id: str | None = None,
    arxiv_id: str | None = None,
    pk: int | None = None,
) -> Work:
    """The work with exactly one of these keys, with its venue (``venue_name``,
    arXiv under its short name) and the version it is listed under
    (``canonical``, without its abstract). One query on a unique key. Raises
    ``Work.DoesNotExist``."""
    keys = {
        name: value
        for name, value in (
            ("openalex_id", openalex_id),
            ("arxiv_id", arxiv_id),
            ("pk", pk),
        )
        if value is not None
    }
    if len(keys) != 1:
        raise ValueError("work_get takes exactly one of openalex_id, arxiv_id, pk")
    return (
        Work.objects.select_related("source", "canonical")
        .defer("canonical__abstract")
        .annotate(venue_name=venue_name_expression())
        .get(**keys)
    )


def work_redirect_target(*, old_openalex_id: str) -> Work | None:
    """The work an OpenAlex work id merged away now leads to, or None when
    the id was never merged here. One query on the unique key."""
    redirect = (
        WorkRedirect.objects.select_related("work")
        .only("work__id", "work__openalex_id", "work__arxiv_id")
        .filter(old_openalex_id=old_openalex_id)
        .first()
    )
    return redirect.work if redirect else None


def work_authorships(*, work: Work) -> QuerySet[Authorship]:
    """Every author slot of ``work`` in byline order, each with its researcher
    (or none: a bare name) and its institutions, alphabetical. The caller
    paginates: a page is one query on ``(work, position)`` and one for the
    institutions of its rows."""
    institutions = Institution.objects.only("openalex_id", "display_name").order_by(
        "display_name", "pk"
    )
    return (
        Authorship.objects.filter(work=work)
        .select_related("researcher")
        .only(
            "id",
            "work_id",
            "position",
            "raw_author_name",
            "is_corresponding",
            "researcher__id",
            "researcher__openalex_id",
            "researcher__display_name",
            "researcher__is_hidden",
        )
        .annotate(is_hidden_here=authorship_is_hidden_expression())
        .prefetch_related(Prefetch("institutions", queryset=institutions))
        .order_by("position")
    )


def work_topics(*, work: Work) -> list[Topic]:
    """The topics of ``work``: its primary topic first, then by score. One
    query."""
    return [
        work_topic.topic
        for work_topic in WorkTopic.objects.filter(work=work)
        .select_related("topic")
        .only("id", "topic__id", "topic__openalex_id", "topic__display_name")
        .order_by("-is_primary", "-score", "topic__display_name", "pk")
    ]


def work_versions(*, work: Work) -> list[Work]:
    """The other versions of ``work`` (``works.versions``): the version it is
    listed under first, then the rest oldest first, each with
    ``venue_name``. Empty for a work that stands alone. One query on the
    primary key and the ``canonical`` index."""
    listed_id = work.canonical_id or work.pk
    return list(
        Work.objects.filter(Q(pk=listed_id) | Q(canonical_id=listed_id))
        .exclude(pk=work.pk)
        .select_related("source")
        .defer("abstract")
        .annotate(venue_name=venue_name_expression())
        .order_by(
            F("canonical_id").asc(nulls_first=True),
            F("publication_year").asc(nulls_last=True),
            F("publication_date").asc(nulls_last=True),
            "pk",
        )
    )


# --- lists of works ---------------------------------------------------------------


def _listed_works(listed_ids: QuerySet) -> QuerySet[Work]:
    """The works whose ids ``listed_ids`` (a ``values("listed_id")`` subquery)
    names, newest first, each with ``venue_name`` and
    ``listed_authorships``: its first ``AUTHORS_LISTED`` author slots, the
    whole page's fetched in one query."""
    return (
        Work.objects.filter(pk__in=listed_ids)
        .select_related("source")
        .defer("abstract")
        .annotate(venue_name=venue_name_expression())
        .prefetch_related(listed_authorships_prefetch())
        .order_by(
            F("publication_year").desc(nulls_last=True),
            F("publication_date").desc(nulls_last=True),
            F("pk").desc(),
        )
    )


# --- a topic --------------------------------------------------------------------


def topic_get(*, openalex_id: str) -> Topic:
    """The topic with this OpenAlex id. Raises ``Topic.DoesNotExist``."""
    return Topic.objects.get(openalex_id=openalex_id)


def topic_researchers(*, topic: Topic) -> QuerySet[Researcher]:
    """Researchers with ``topic`` among their topics, most works first (the
    ``listed_works_count`` their cards show), then by id. The caller
    paginates."""
    return (
        researcher_list_base()
        .filter(researchertopic__topic=topic)
        .order_by("-listed_works_count", "pk")
    )


def _topic_listed_ids(*, topic: Topic) -> QuerySet:
    return (
        WorkTopic.objects.filter(topic=topic)
        .annotate(listed_id=listed_work_expression())
        .values("listed_id")
    )


def topic_works(*, topic: Topic) -> QuerySet[Work]:
    """Works in ``topic``, newest first, the versions of one work listed once
    (under their listed version). The caller paginates."""
    return _listed_works(_topic_listed_ids(topic=topic))


def topic_works_count(*, topic: Topic) -> int:
    """How many works ``topic_works`` lists. One query, without the venue
    join that counting the list itself would keep."""
    return Work.objects.filter(pk__in=_topic_listed_ids(topic=topic)).count()


# --- an institution ---------------------------------------------------------------


def institution_get(*, openalex_id: str) -> Institution:
    """The institution with this OpenAlex id. Raises
    ``Institution.DoesNotExist``."""
    return Institution.objects.get(openalex_id=openalex_id)


def institution_researchers(*, institution: Institution) -> QuerySet[Researcher]:
    """Researchers affiliated with ``institution``, most works first, then by
    id. The caller paginates."""
    return (
        researcher_list_base()
        .filter(affiliation=institution)
        .order_by("-listed_works_count", "pk")
    )


def _institution_listed_ids(*, institution: Institution) -> QuerySet:
    return (
        Authorship.objects.filter(institutions=institution)
        .annotate(listed_id=listed_work_expression())
        .values("listed_id")
    )


def institution_works(*, institution: Institution) -> QuerySet[Work]:
    """Works with an author at ``institution`` (as the work's authorship
    states it), newest first, the versions of one work listed once. The
    caller paginates."""
    return _listed_works(_institution_listed_ids(institution=institution))


def institution_works_count(*, institution: Institution) -> int:
    """How many works ``institution_works`` lists. One query."""
    return Work.objects.filter(
        pk__in=_institution_listed_ids(institution=institution)
    ).count()


# --- the lists behind a profile's counts -------------------------------------------


def researcher_topics(*, researcher: Researcher) -> QuerySet[ResearcherTopic]:
    """The topics of ``researcher`` with their ``count`` (the researcher's
    works in the topic, as the source counts them), most works first: the
    order the profile's headline reads them in. The caller paginates."""
    return (
        ResearcherTopic.objects.filter(researcher=researcher)
        .select_related("topic")
        .only(
            "id",
            "count",
            "topic__id",
            "topic__openalex_id",
            "topic__display_name",
            "topic__subfield_name",
            "topic__field_name",
        )
        .order_by("-count", "topic__display_name", "pk")
    )


class CloseCollaboratorList:
    """The close collaborators of one researcher as a sequence a ``Paginator``
    pages through: ``count()`` is one query (``ties.close_collaborator_
    summaries``, the trust model's own count), a slice one call of
    ``researcher_close_collaborators``, so one definition serves the trust
    model, the trust page and this list."""

    def __init__(self, *, researcher: Researcher):
        self.researcher = researcher
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            summaries = ties.close_collaborator_summaries(
                researcher_ids=[self.researcher.pk],
                threshold=settings.CLOSE_COLLABORATOR_THRESHOLD,
            )
            self._count = summaries[self.researcher.pk].count
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[CloseCollaborator]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("close collaborators are read a page (a slice) at a time")
        start = index.start or 0
        stop = self.count() if index.stop is None else index.stop
        if stop <= start:
            return []
        return researcher_close_collaborators(
            researcher=self.researcher, limit=stop - start, offset=start
        )


def researcher_close_collaborator_list(
    *, researcher: Researcher
) -> CloseCollaboratorList:
    """All close collaborators of ``researcher``, strongest first, for the
    caller to paginate: the count is one query, each page two (see
    ``researcher_close_collaborators``)."""
    return CloseCollaboratorList(researcher=researcher)
