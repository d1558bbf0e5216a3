"""Writes of researcher profiles: trust, and merges of author records."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.db.models.functions import Now
from django.utils import timezone

from works.merge_records import openalex_merge
from works.models import Authorship, Work

from .models import Follow, Researcher, ResearcherRedirect, ResearcherTopic
from .signals import researcher_merged
from .ties import close_collaborator_summaries
from .trust import TrustInputs, trust_compute

TRUST_FIELDS = (
    "trust_score",
    "trust_label",
    "trust_breakdown",
    "trust_computed_at",
    "close_collaborators_count",
)
# Only what the model reads; the rest of a row (abstract-sized bio, names,
# alternatives) stays in the database.
_RESEARCHER_FIELDS = (
    "id",
    "openalex_id",
    "orcid",
    "affiliation_id",
    "verification_level",
    "is_claimed",
)


def _researcher_batches(
    *, researcher_ids: list[int] | None, batch_size: int
) -> Iterator[list[Researcher]]:
    """Researchers in id order, ``batch_size`` at a time: the given ids in
    chunks, or every researcher by keyset pagination (``id > last``), so no
    batch costs more than the first and nothing is held beyond one batch."""
    rows = Researcher.objects.only(*_RESEARCHER_FIELDS).order_by("id")
    if researcher_ids is not None:
        ids = sorted(set(researcher_ids))
        for start in range(0, len(ids), batch_size):
            batch = list(rows.filter(id__in=ids[start : start + batch_size]))
            if batch:
                yield batch
        return
    last_id = 0
    while True:
        batch = list(rows.filter(id__gt=last_id)[:batch_size])
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _work_totals(*, researcher_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(works, citations, retracted works) per researcher, counting each work
    once even where a researcher holds two authorships on it, or holds two
    versions of it (a preprint and its article, see ``works.versions``).
    Citations add up over the versions: OpenAlex counts each version's
    citations on its own record. One query."""
    authorship = connection.ops.quote_name(Authorship._meta.db_table)
    work = connection.ops.quote_name(Work._meta.db_table)
    sql = f"""
        SELECT researcher_id,
               COUNT(DISTINCT listed_id),
               COALESCE(SUM(cited_by_count), 0),
               COUNT(DISTINCT listed_id) FILTER (WHERE is_retracted)
        FROM (
            SELECT DISTINCT a.researcher_id, w.id,
                   COALESCE(w.canonical_id, w.id) AS listed_id,
                   w.cited_by_count, w.is_retracted
            FROM {authorship} a
            JOIN {work} w ON w.id = a.work_id
            WHERE a.researcher_id = ANY(%(ids)s)
        ) held
        GROUP BY researcher_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": researcher_ids})
        return {
            researcher_id: (int(works), int(citations), int(retracted))
            for researcher_id, works, citations, retracted in cursor
        }


def _follower_counts(*, researcher_ids: list[int]) -> dict[int, int]:
    return dict(
        Follow.objects.filter(researcher_id__in=researcher_ids)
        .order_by()
        .values("researcher_id")
        .annotate(n=Count("id"))
        .values_list("researcher_id", "n")
    )


def researcher_trust_update(
    *, researcher_ids: list[int] | None = None, batch_size: int = 1000
) -> int:
    """Recompute and store the trust of ``researcher_ids`` (``None``: every
    researcher), and return how many rows were updated.

    Side effects: writes ``trust_score``, ``trust_label``, ``trust_breakdown``
    (``TrustResult.as_json()``), ``trust_computed_at`` and
    ``close_collaborators_count``, and nothing else, with one ``bulk_update``
    per batch. Ids that no longer exist are skipped.

    Cost: five queries per batch of ``batch_size`` researchers, whatever
    their size: the batch's rows, work totals, followers, close
    collaborators with their mean trust, and the update. Each batch commits
    on its own, so a long run holds no lock for long and an interrupted run
    has kept what it finished.

    Idempotent: running it again on unchanged data stores the same scores
    (only ``trust_computed_at`` moves). The close collaborators' trust is read
    as currently stored, in one pass: a researcher's score may lean on a
    neighbour's previous score, and the two converge on the next recompute.
    That is at most the collaborator-trust bonus (5 points), which
    neighbours that are all unclaimed never earn.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    threshold = settings.CLOSE_COLLABORATOR_THRESHOLD
    updated = 0
    for batch in _researcher_batches(
        researcher_ids=researcher_ids, batch_size=batch_size
    ):
        ids = [researcher.id for researcher in batch]
        work_totals = _work_totals(researcher_ids=ids)
        followers = _follower_counts(researcher_ids=ids)
        collaborators = close_collaborator_summaries(
            researcher_ids=ids, threshold=threshold
        )
        computed_at = timezone.now()
        for researcher in batch:
            works, citations, retracted = work_totals.get(researcher.id, (0, 0, 0))
            close = collaborators[researcher.id]
            inputs = TrustInputs(
                verification_level=researcher.verification_level,
                is_claimed=researcher.is_claimed,
                # Works only arrive through the import path, so a record that
                # holds one is backed by a public source even without an
                # OpenAlex id (an arXiv-only author).
                has_public_source=bool(researcher.openalex_id) or works > 0,
                record_has_orcid=bool(researcher.orcid),
                has_affiliation=researcher.affiliation_id is not None,
                works_count=works,
                cited_by_count=citations,
                close_collaborators=close.count,
                close_collaborator_mean_trust=close.mean_trust,
                followers=followers.get(researcher.id, 0),
                retracted_works=retracted,
                # Claims and their evidence arrive with the claims app; until
                # then no record has any of them.
                has_orcid_sign_in=False,
                has_verified_institution_email=False,
                is_staff_verified=False,
                rejected_claims=0,
                disputed_claims=0,
            )
            result = trust_compute(inputs=inputs)
            researcher.trust_score = result.score
            researcher.trust_label = result.label
            researcher.trust_breakdown = result.as_json()
            researcher.trust_computed_at = computed_at
            researcher.close_collaborators_count = close.count
        # Rows deleted since the batch was read match nothing and are not
        # counted.
        updated += Researcher.objects.bulk_update(batch, fields=list(TRUST_FIELDS))
    return updated


# --- merges ---------------------------------------------------------------------


def _merge_follows(*, old: Researcher, survivor: Researcher) -> None:
    """Followers of ``old`` follow ``survivor``; one who followed both keeps
    the follow they had of ``survivor`` (the other goes with ``old``)."""
    Follow.objects.filter(researcher=old).exclude(
        user_id__in=Follow.objects.filter(researcher=survivor).values("user_id")
    ).update(researcher=survivor)


def _merge_authorships(*, old: Researcher, survivor: Researcher) -> None:
    """Authorships of ``old`` go to ``survivor``, except on works where
    ``survivor`` already has one (those of ``old`` become bare names when it
    is deleted). The works moved are stamped changed, so the import that
    merged them regroups their versions and recomputes their authors' trust
    (the first author may now match across a preprint and its article)."""
    moving = Authorship.objects.filter(researcher=old).exclude(
        work_id__in=Authorship.objects.filter(researcher=survivor).values("work_id")
    )
    work_ids = set(moving.values_list("work_id", flat=True))
    moving.update(researcher=survivor)
    Work.objects.filter(pk__in=work_ids).update(updated_at=Now())


def _merge_topics(*, old: Researcher, survivor: Researcher) -> None:
    """Topics of ``old`` that ``survivor`` lacks; the survivor's own counts
    stay (the source recounts them on its next record)."""
    ResearcherTopic.objects.filter(researcher=old).exclude(
        topic_id__in=ResearcherTopic.objects.filter(researcher=survivor).values(
            "topic_id"
        )
    ).update(researcher=survivor)


def _merge_record(*, old: Researcher, survivor: Researcher) -> None:
    """The owner's curation survives: headline, bio and "open to collaborate"
    from the claimed record of the two (else the survivor's, empty text
    filled from the other), the stronger claim and verification level; the
    survivor's public identifiers and affiliation, completed from ``old``."""
    owner = old if old.is_claimed and not survivor.is_claimed else survivor
    other = survivor if owner is old else old
    survivor.headline = owner.headline or other.headline
    survivor.bio = owner.bio or other.bio
    survivor.is_open_to_collaborate = owner.is_open_to_collaborate
    survivor.is_claimed = survivor.is_claimed or old.is_claimed
    survivor.verification_level = max(
        survivor.verification_level, old.verification_level
    )
    if survivor.affiliation_id is None:
        survivor.affiliation_id = old.affiliation_id
    # Views of either address were views of this person (refresh order).
    survivor.view_count += old.view_count
    if survivor.orcid is None and old.orcid:
        # Unique: the old row gives it up first.
        Researcher.objects.filter(pk=old.pk).update(orcid=None)
        survivor.orcid = old.orcid
    names = [survivor.display_name, *survivor.display_name_alternatives]
    survivor.display_name_alternatives += [
        name
        for name in dict.fromkeys([old.display_name, *old.display_name_alternatives])
        if name not in names
    ]
    survivor.save(
        update_fields=[
            "headline",
            "bio",
            "is_open_to_collaborate",
            "is_claimed",
            "verification_level",
            "affiliation",
            "orcid",
            "display_name_alternatives",
            "view_count",
            "updated_at",
        ]
    )


def researcher_merge(
    *, old_openalex_id: str, new_openalex_id: str
) -> Researcher | None:
    """Apply OpenAlex's merge of author ``old_openalex_id`` into
    ``new_openalex_id`` and return the survivor: the record the old id leads
    to now, or None when we hold neither.

    When we hold both, everything held under the old record moves to the
    survivor: follows (deduplicated), owner curation (``_merge_record``),
    authorships (except on works the survivor is already on), topics, the
    redirects that led to it, and, through the ``researcher_merged`` signal,
    what apps downstream of profiles hold; then the old id redirects to the
    survivor (``ResearcherRedirect``: its profile URL answers 301) and the old
    row is deleted. When we hold only the old record, it takes the new id and
    the old id redirects to it. The survivor's ``updated_at`` moves, so the
    import that merged it recomputes its trust.

    Runs in one transaction (a savepoint in the caller's, e.g. an importer's
    page), with both rows locked. Idempotent: a merge already applied, or of
    an id we never held, changes nothing."""

    def move(old: Researcher, survivor: Researcher) -> None:
        _merge_follows(old=old, survivor=survivor)
        _merge_authorships(old=old, survivor=survivor)
        _merge_topics(old=old, survivor=survivor)
        _merge_record(old=old, survivor=survivor)
        researcher_merged.send(sender=Researcher, old=old, survivor=survivor)

    return openalex_merge(
        Researcher,
        ResearcherRedirect,
        "researcher",
        old_openalex_id=old_openalex_id,
        new_openalex_id=new_openalex_id,
        move=move,
    )
