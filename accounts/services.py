"""Writes of an account: deleting it, with what it held released or
anonymised."""

from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q

from claims.models import Claim
from claims.services import ClaimRefused, claim_withdraw
from collaboration.models import Conversation
from outbox.services import enqueue
from profiles.models import Follow, Researcher, ResearcherOwner
from profiles.services import profile_changes_anonymise, researcher_owner_remove
from profiles.tasks import researcher_trust_recompute

from .selectors import CLAIM_STATES_WITHDRAWN_ON_DELETE

logger = logging.getLogger(__name__)

TRUST_RECOMPUTE_CHUNK = 1000


def _admin_history_delete(*, user) -> None:
    """The admin's history of the account's own rows (the user, their e-mail
    addresses, their social accounts) names them in ``object_repr`` (a
    username, an e-mail address), and Django keeps it after the rows are
    gone. Entries the user wrote as staff go with them (``LogEntry.user``
    cascades)."""
    ids_by_model = {
        get_user_model(): [user.pk],
        EmailAddress: list(
            EmailAddress.objects.filter(user=user).values_list("pk", flat=True)
        ),
        SocialAccount: list(
            SocialAccount.objects.filter(user=user).values_list("pk", flat=True)
        ),
    }
    content_types = ContentType.objects.get_for_models(*ids_by_model)
    about_the_account = Q(pk__in=[])
    for model, ids in ids_by_model.items():
        if ids:
            about_the_account |= Q(
                content_type=content_types[model],
                object_id__in=[str(pk) for pk in ids],
            )
    LogEntry.objects.filter(about_the_account).delete()


def _trust_recompute_after_commit(*, researcher_ids: set[int]) -> None:
    # Through the outbox, in the deletion's transaction: sent after commit,
    # the worker must read the committed rows (the account's follows and
    # rejected claims are gone then, and they are trust inputs).
    ids = sorted(researcher_ids)
    for start in range(0, len(ids), TRUST_RECOMPUTE_CHUNK):
        chunk = ids[start : start + TRUST_RECOMPUTE_CHUNK]
        enqueue(researcher_trust_recompute.name, args=(chunk,))


def account_delete(*, user) -> None:
    """Delete ``user``'s account and what BZPEER holds about them, in one
    transaction.

    Side effects, in order:

    - each of their pending, approved or disputed claims is withdrawn through
      ``claims.services.claim_withdraw`` (a ``withdrawn`` event; a record
      they owned goes back to unclaimed L1 when they were its only owner); a
      claim it refuses (``ClaimRefused``) is logged and left to the steps
      below;
    - owner rows left (a refused withdrawal, an ownership with no approved
      claim behind it) are removed through
      ``profiles.services.researcher_owner_remove``;
    - their change-log entries stay, naming nobody: those made as owner read
      "a former owner" (``profiles.services.profile_changes_anonymise``);
    - the admin's history of the account's rows is deleted (it names them);
    - their conversations stay with the other participant, their messages
      in them signed by nobody ("a former member"); a conversation nobody
      is left in is deleted;
    - the user row is deleted, and with it (cascades) their e-mail addresses,
      social accounts and tokens, follows, claims and those claims' events.
      What they wrote on other people's claims (a dispute's reason) stays,
      its actor emptied (``SET_NULL``); so do decisions they took as a
      moderator;
    - after commit, the trust of every record they claimed, owned or
      followed is recomputed (``profiles.researcher_trust_recompute``;
      ``claim_withdraw`` also enqueues the records it released).

    Locks the records they claimed or own, in id order (the order
    ``works.merges`` takes), before ``claim_withdraw`` locks each again
    with its claim. Not idempotent: the user is gone afterwards."""
    with transaction.atomic():
        claimed_ids = set(
            Claim.objects.filter(user=user).values_list("researcher_id", flat=True)
        )
        owned_ids = set(
            ResearcherOwner.objects.filter(user=user).values_list(
                "researcher_id", flat=True
            )
        )
        followed_ids = set(
            Follow.objects.filter(user=user).values_list("researcher_id", flat=True)
        )
        list(
            Researcher.objects.select_for_update()
            .filter(pk__in=claimed_ids | owned_ids)
            .order_by("id")
            .values_list("id", flat=True)
        )
        for claim in Claim.objects.filter(
            user=user, state__in=CLAIM_STATES_WITHDRAWN_ON_DELETE
        ).order_by("id"):
            try:
                claim_withdraw(claim=claim, user=user)
            except ClaimRefused as refused:
                # Its savepoint is rolled back; the claim goes with the
                # account all the same, and its ownership just below.
                logger.warning(
                    "account %s deleted: claim %s not withdrawn: %s",
                    user.pk,
                    claim.pk,
                    refused,
                )
        for owner in ResearcherOwner.objects.filter(user=user).select_related(
            "researcher"
        ):
            researcher_owner_remove(researcher=owner.researcher, user=user)
        profile_changes_anonymise(user=user)
        _admin_history_delete(user=user)
        # What they wrote to others stays with the other participant, naming
        # nobody (the participant and sender keys are emptied); a
        # conversation whose other side is already gone goes with them.
        Conversation.objects.filter(
            Q(initiator=user, recipient__isnull=True)
            | Q(recipient=user, initiator__isnull=True)
        ).delete()
        user.delete()
        _trust_recompute_after_commit(
            researcher_ids=claimed_ids | owned_ids | followed_ids
        )
