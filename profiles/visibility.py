"""The one rule for hidden things, which every face holds (pages, search,
lists, the admin's public links, and the API, graph, exports, feed and
digest as they arrive):

- a **hidden profile** (``Researcher.is_hidden``, the owner's privacy
  choice) is absent for everyone but its owners and staff: no page, no
  search result, no card in a list, no link from a work's authors;
- a **hidden work** (``HiddenWork``: the owner says it is not theirs) leaves
  that researcher's profile, lists and counts, and ties them to nobody
  through it; the work itself stays in the catalog, and its author line
  names the author without linking the profile.

Querysets go through the functions here; raw SQL uses
``hidden_authorship_sql``. Nothing else decides what is hidden.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from bzpeer.db import quoted_table

from .models import HiddenWork, Researcher, ResearcherOwner


def researchers_public(researchers: QuerySet[Researcher]) -> QuerySet[Researcher]:
    """``researchers`` without the hidden profiles."""
    return researchers.filter(is_hidden=False)


def researcher_visible_to(*, researcher: Researcher, user) -> bool:
    """Whether ``user`` (anonymous or not) may see ``researcher``'s pages:
    always for a public profile; for a hidden one, only its owners and
    staff. At most one query."""
    if not researcher.is_hidden:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        user.is_staff
        or ResearcherOwner.objects.filter(researcher=researcher, user=user).exists()
    )


def _hidden_for_authorship(researcher: str, work: str, canonical: str) -> Exists:
    return Exists(
        HiddenWork.objects.filter(researcher_id=OuterRef(researcher)).filter(
            Q(work_id=OuterRef(work)) | Q(work_id=OuterRef(canonical))
        )
    )


def authorships_shown(authorships: QuerySet) -> QuerySet:
    """``authorships`` (a queryset of ``works.Authorship``) without those on
    works their researcher hid, the versions of a hidden work included."""
    return authorships.exclude(
        _hidden_for_authorship("researcher_id", "work_id", "work__canonical_id")
    )


def authorship_is_hidden_expression() -> Exists:
    """For an annotation on ``works.Authorship`` rows: True when the row's
    researcher hid its work (the author line then does not link them)."""
    return _hidden_for_authorship("researcher_id", "work_id", "work__canonical_id")


def hidden_authorship_sql(*, researcher_id: str, work_id: str, listed_id: str) -> str:
    """The SQL condition, for queries written by hand, that the researcher
    ``researcher_id`` hid the work ``work_id`` (listed as ``listed_id``, its
    canonical version or itself): column expressions of the caller's query."""
    return (
        f"EXISTS (SELECT 1 FROM {quoted_table(HiddenWork)} hidden "
        f"WHERE hidden.researcher_id = {researcher_id} "
        f"AND hidden.work_id IN ({work_id}, {listed_id}))"
    )


def authorship_links_profile(authorship) -> bool:
    """Whether an author line links this authorship to its researcher's
    profile: the researcher has a public page and did not hide the work.
    Reads ``is_hidden_here`` (``authorship_is_hidden_expression``) where the
    query annotated it."""
    researcher = authorship.researcher
    return bool(
        researcher is not None
        and researcher.openalex_id
        and not researcher.is_hidden
        and not getattr(authorship, "is_hidden_here", False)
    )
