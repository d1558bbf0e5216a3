"""Claims of researcher records by accounts, and their audit trail."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models

from profiles.models import VerificationLevel


class Claim(models.Model):
    """A user's request to manage a researcher record, decided by a moderator.

    The life of a claim: pending -> approved (by a moderator, or at once
    when the claimant's ORCID sign-in is the record's iD) | rejected |
    withdrawn; approved -> withdrawn (the claimant lets go) | disputed
    (someone else contests it, a merge met another owner, or an import
    changed the ORCID iD an approval rested on); disputed -> approved |
    rejected | withdrawn. Pending and disputed claims are open: they wait in
    the moderators' queue. An approval stores the evidence it found
    (``evidence``, ``evidence_orcid``), which sets its level: L3 with
    strong evidence, else L2."""

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

    class Evidence(models.TextChoices):
        """The strong evidence an approval found (stored at decision time):
        either lifts the claim to L3; none leaves it at L2."""

        NONE = "", "No strong evidence"
        ORCID = "orcid", "ORCID sign-in matches the record"
        INSTITUTION_EMAIL = (
            "institution_email",
            "Verified e-mail at the affiliation's domain",
        )

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
    # What the last approval rested on (``claims.services.claim_approve``
    # reads it from the claimant's accounts at decision time), and the ORCID
    # iD that matched then: an import that changes the record's iD away from
    # it takes the claim back to moderators.
    evidence = models.CharField(
        max_length=20, choices=Evidence.choices, blank=True, default=""
    )
    evidence_orcid = models.CharField(max_length=19, blank=True, default="")
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
            models.CheckConstraint(
                condition=models.Q(evidence__in=["", "orcid", "institution_email"]),
                name="claim_evidence_valid",
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
            # The approvals that rest on an ORCID iD, checked after every
            # import (``claims_orcid_changed_demote``).
            models.Index(
                fields=["researcher"],
                condition=models.Q(state="approved", evidence="orcid"),
                name="claim_approved_orcid",
            ),
            # The typical wait: decisions of the last 90 days.
            models.Index(
                fields=["decided_at"],
                condition=models.Q(decided_at__isnull=False),
                name="claim_decided",
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
        DEMOTED = "demoted", "Back to moderators: the record's ORCID changed"

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
    # A dispute's evidence: a page (http or https) the disputer points to.
    evidence_url = models.URLField(
        blank=True,
        default="",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["claim", "created_at"], name="claimevent_claim_time")
        ]

    def __str__(self):
        return f"{self.kind} claim {self.claim_id}"
