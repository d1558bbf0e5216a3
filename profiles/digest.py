"""The weekly digest of new works by the researchers one follows: off until
the user turns it on, sent by beat on Monday mornings
(``profiles.tasks.follow_digests_send_task``), stopped by a signed link in
each mail that needs no login (one click, RFC 8058 headers too)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import FollowDigest
from .selectors import feed_works

# Works listed in one digest at most; the mail links to the feed for more.
DIGEST_WORKS = 20
DIGEST_PERIOD = timedelta(days=7)
_UNSUBSCRIBE_SALT = "profiles.follow-digest.unsubscribe"


def follow_digest_get(*, user) -> FollowDigest | None:
    """``user``'s digest subscription, or None (never asked: off)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return FollowDigest.objects.filter(user=user).first()


def follow_digest_set(*, user, enabled: bool) -> FollowDigest:
    """Turn ``user``'s weekly digest on or off. Turned on, it starts from
    now: the first digest lists works imported from this moment (the feed
    shows the earlier ones). Idempotent."""
    digest, _ = FollowDigest.objects.get_or_create(user=user)
    if digest.is_enabled != enabled:
        digest.is_enabled = enabled
        if enabled:
            digest.last_sent_at = timezone.now()
        digest.save(update_fields=["is_enabled", "last_sent_at"])
    return digest


def follow_digest_unsubscribe_token(*, user) -> str:
    """The signed token of ``user``'s one-click unsubscribe link."""
    return signing.dumps(user.pk, salt=_UNSUBSCRIBE_SALT)


def follow_digest_unsubscribe(*, token: str) -> bool:
    """Turn off the digest of the user ``token`` names (from the link in a
    digest, no login); False for a token that is forged, damaged or names
    nobody. Idempotent: a second click changes nothing and says True."""
    try:
        user_id = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return False
    # ``update`` counts the rows matched, changed or not.
    return FollowDigest.objects.filter(user_id=user_id).update(is_enabled=False) > 0


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _digest_send(*, digest: FollowDigest, now) -> bool:
    """Mail ``digest``'s user the works imported since their last digest
    (at most ``DIGEST_WORKS``), if any; mark it sent either way."""
    since = digest.last_sent_at or (now - DIGEST_PERIOD)
    works = list(feed_works(user=digest.user, since=since)[: DIGEST_WORKS + 1])
    sent = False
    if works and digest.user.email:
        unsubscribe = _absolute(
            reverse(
                "following:digest_unsubscribe",
                args=[follow_digest_unsubscribe_token(user=digest.user)],
            )
        )
        context = {
            "works": works[:DIGEST_WORKS],
            "more": len(works) > DIGEST_WORKS,
            "feed_url": _absolute(reverse("following:feed")),
            "site_url": settings.SITE_URL.rstrip("/"),
            "unsubscribe_url": unsubscribe,
        }
        message = EmailMultiAlternatives(
            subject="[BZPEER] New works by the researchers you follow",
            body=render_to_string("profiles/email/follow_digest.txt", context),
            to=[digest.user.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.send()
        sent = True
    digest.last_sent_at = now
    digest.save(update_fields=["last_sent_at"])
    return sent


def follow_digests_send(*, now=None, batch_size: int = 500) -> int:
    """Send the weekly digest to every user who turned it on and has new
    works since their last one; return how many mails went. Users are
    walked by id in batches; each is locked and marked sent in its own
    transaction, so a second run in the same week finds nothing new to send
    (works are chosen by import time after ``last_sent_at``). A crash
    between a mail and its commit may send that one user's digest twice."""
    now = now or timezone.now()
    sent = 0
    last_id = 0
    while True:
        ids = list(
            FollowDigest.objects.filter(is_enabled=True, id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return sent
        last_id = ids[-1]
        for digest_id in ids:
            with transaction.atomic():
                digest = (
                    FollowDigest.objects.select_for_update(skip_locked=True)
                    .select_related("user")
                    .filter(pk=digest_id, is_enabled=True)
                    .first()
                )
                if digest is not None:
                    sent += _digest_send(digest=digest, now=now)
