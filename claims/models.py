"""Claims of researcher records by accounts, and their audit trail."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models

from profiles.models import VerificationLevel


class Claim(models.Model):
    """A user's request to manage a researcher record, decided by a moderator.

    The life of a claim: pending -> approved | rejected | withdrawn;
    approved -> withdrawn (the claimant lets go) | disputed (someone else
    contests it, or a merge met another owner); disputed -> approved |
    rejected | withdrawn. Pending and disputed claims are open: they wait in
    the moderators' queue."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DISPUTED = "disputed", "Disputed"

    class ReasonCode(models.TextChoices):
        NOT_THE_AUTHOR = "not_the_author", "Not the author"
        INSUFFICIENT_EVIDENCE = "insufficient_evidence", "Insufficient evidence"
        DUPLICATE = "duplicate", "Duplicate"
        OTHER = "other", "Other"

    OPEN_STATES = (State.PENDING, State.DISPUTED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    researcher = models.ForeignKey(
        "profiles.Researcher", on_delete=models.CASCADE, related_name="claims"
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.PENDING
    )
    note = models.TextField(blank=True, default="")
    homepage_url = models.URLField(
        blank=True,
        default="",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    reason_code = models.CharField(
        max_length=30, choices=ReasonCode.choices, blank=True, default=""
    )
    reason = models.TextField(blank=True, default="")
    verification_level = models.PositiveSmallIntegerField(
        choices=VerificationLevel.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claims_decided",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["researcher"],
                condition=models.Q(state="approved"),
                name="uniq_claim_approved_per_researcher",
            ),
            models.UniqueConstraint(
                fields=["user", "researcher"],
                condition=models.Q(state__in=["pending", "disputed"]),
                name="uniq_claim_open_per_user_researcher",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state__in=[
                        "pending",
                        "approved",
                        "rejected",
                        "withdrawn",
                        "disputed",
                    ]
                ),
                name="claim_state_valid",
            ),
            # A rejection always says why, in a code the claimant can be shown.
            models.CheckConstraint(
                condition=~models.Q(state="rejected") | ~models.Q(reason_code=""),
                name="claim_rejection_has_reason_code",
            ),
        ]
        indexes = [
            # A viewer's claims on a record (claim_state_for_viewer, submit).
            models.Index(fields=["user", "researcher"], name="claim_user_researcher"),
            # The moderators' queue, oldest first.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(state__in=["pending", "disputed"]),
                name="claim_open_queue",
            ),
        ]

    def __str__(self):
        return f"claim {self.pk} of {self.researcher_id} by {self.user_id}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class ClaimEvent(models.Model):
    """One change of a claim, append-only, written in the transaction that
    made it."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DISPUTED = "disputed", "Disputed"
        MOVED = "moved", "Moved by a researcher merge"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claim_events",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_state = models.CharField(
        max_length=20, choices=Claim.State.choices, blank=True, default=""
    )
    to_state = models.CharField(max_length=20, choices=Claim.State.choices)
    reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["claim", "created_at"], name="claimevent_claim_time")
        ]

    def __str__(self):
        return f"{self.kind} claim {self.claim_id}"
