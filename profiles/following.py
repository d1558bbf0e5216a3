"""Following researchers: follow and unfollow, which move the follower count
and the trust model's followers signal. What following brings (the feed) is
read by ``profiles.selectors.feed_works``; the weekly mail of it is
``profiles.digest``."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from bzpeer.data_version import data_version_bump_after_commit
from outbox.services import enqueue

from .models import Follow, Researcher, ResearcherOwner
from .tasks import researcher_trust_recompute
from .visibility import researcher_visible_to


class FollowRefused(Exception):
    """A follow that cannot be done; ``str()`` says why, fit to show."""


def _followers_changed(researcher_id: int) -> None:
    """In the transaction of the change: the profile's follower count moved
    (the data version, after commit: pages cached for anonymous visitors
    show it), and so did the trust's followers signal (recomputed by a
    worker, through the outbox)."""
    data_version_bump_after_commit()
    enqueue(researcher_trust_recompute.name, args=([researcher_id],))


def researcher_follow(*, user, researcher: Researcher) -> bool:
    """``user`` follows ``researcher``; returns whether this made a new
    follow (False: they already did). The researcher's trust (its followers
    signal) is recomputed by the worker after commit. Refuses an anonymous
    user, a profile they may not see (hidden), and a profile they own (an
    owner's own follow would raise their trust). Idempotent."""
    if not getattr(user, "is_authenticated", False):
        raise FollowRefused("Log in to follow researchers.")
    if not researcher_visible_to(researcher=researcher, user=user):
        raise FollowRefused("No researcher with this id.")
    if ResearcherOwner.objects.filter(researcher=researcher, user=user).exists():
        raise FollowRefused("You manage this profile; you cannot follow it.")
    try:
        with transaction.atomic():
            _, created = Follow.objects.get_or_create(user=user, researcher=researcher)
            if created:
                _followers_changed(researcher.pk)
    except IntegrityError:  # a concurrent click made it first
        created = False
    return created


def researcher_unfollow(*, user, researcher: Researcher) -> bool:
    """``user`` no longer follows ``researcher``; returns whether they did.
    Trust is recomputed after commit. Idempotent."""
    if not getattr(user, "is_authenticated", False):
        return False
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(user=user, researcher=researcher).delete()
        if deleted:
            _followers_changed(researcher.pk)
    return bool(deleted)
