"""Researchers (author records), their topics, and who follows them."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models


class VerificationLevel(models.IntegerChoices):
    L0 = 0, "L0 - no public source"
    L1 = 1, "L1 - imported from a public scholarly source"
    L2 = 2, "L2 - claim approved by a moderator"
    L3 = 3, "L3 - claim with strong evidence"
    L4 = 4, "L4 - verified by staff"


class Researcher(models.Model):
    openalex_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    orcid = models.CharField(max_length=19, unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=500)
    display_name_alternatives = ArrayField(
        models.CharField(max_length=500), default=list, blank=True
    )
    # Lower-cased, accent-stripped name for search (see works.text).
    search_name = models.CharField(max_length=500, blank=True, default="")
    affiliation = models.ForeignKey(
        "works.Institution",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="researchers",
    )
    # Owner-curated fields (empty until a claim is approved).
    headline = models.CharField(max_length=200, blank=True, default="")
    bio = models.TextField(blank=True, default="")
    is_open_to_collaborate = models.BooleanField(default=True)
    # The owner's words on their affiliation ("Visiting at ... until 2027"),
    # shown beside the one the source names.
    affiliation_note = models.CharField(max_length=300, blank=True, default="")
    # The owner hid the whole profile from the public (privacy): it is absent
    # from every face (profiles.visibility), its owners and staff still see it.
    is_hidden = models.BooleanField(default=False)

    # As the source states them (OpenAlex counts every work it attributes).
    works_count = models.PositiveIntegerField(default=0)
    cited_by_count = models.PositiveIntegerField(default=0)
    h_index = models.PositiveIntegerField(default=0)
    topics = models.ManyToManyField(
        "works.Topic", through="ResearcherTopic", related_name="researchers"
    )

    verification_level = models.PositiveSmallIntegerField(
        choices=VerificationLevel.choices, default=VerificationLevel.L1
    )
    is_claimed = models.BooleanField(default=False)

    # Trust, stored with its breakdown by profiles.services.researcher_trust_update.
    trust_score = models.PositiveSmallIntegerField(default=0)
    trust_label = models.CharField(max_length=30, blank=True, default="")
    trust_breakdown = models.JSONField(default=dict, blank=True)
    trust_computed_at = models.DateTimeField(null=True, blank=True)
    close_collaborators_count = models.PositiveIntegerField(default=0)
    # The works the profile lists (versions of one work once), stored with the
    # trust it feeds: lists order by it and show it, so they agree.
    listed_works_count = models.PositiveIntegerField(default=0)

    source_updated_date = models.DateField(null=True, blank=True)
    # When a live import last fetched this record from its source; the
    # refresh job refreshes the oldest (claimed and most viewed first).
    fetched_at = models.DateTimeField(null=True, blank=True)
    # Loaded from the bundled sample dataset (load_openalex_snapshot --sample):
    # fictional people whose ids look like OpenAlex's, never refreshed from it.
    is_sample = models.BooleanField(default=False)
    # Profile views, counted in Redis and folded in here by a periodic task.
    view_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The refresh job's order (works.selectors.researchers_due_for_refresh):
            # claimed first, then most viewed, then longest unfetched; a LIMIT
            # reads its head.
            models.Index(
                models.F("is_claimed").desc(),
                models.F("view_count").desc(),
                models.F("fetched_at").asc(nulls_first=True),
                models.F("id"),
                name="researcher_refresh_order",
                condition=models.Q(openalex_id__isnull=False),
            ),
            # arXiv author matching looks names up among the alternatives.
            GinIndex(
                name="researcher_alt_names",
                fields=["display_name_alternatives"],
            ),
            GinIndex(
                name="researcher_search_trgm",
                fields=["search_name"],
                opclasses=["gin_trgm_ops"],
            ),
            models.Index(fields=["-works_count"], name="researcher_works_desc"),
            # The sample banner's question: is any sample row held?
            models.Index(
                fields=["id"],
                condition=models.Q(is_sample=True),
                name="researcher_sample",
            ),
            # The home page's most prolific, walked from the top.
            models.Index(
                models.F("listed_works_count").desc(),
                "id",
                name="researcher_listed_works_desc",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def orcid_url(self) -> str:
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""

    @property
    def openalex_url(self) -> str:
        return f"https://openalex.org/{self.openalex_id}" if self.openalex_id else ""


class ResearcherRedirect(models.Model):
    """An OpenAlex author id that OpenAlex merged into another record; its
    old profile URL answers with a permanent redirect to the survivor."""

    old_openalex_id = models.CharField(max_length=32, unique=True)
    researcher = models.ForeignKey(
        Researcher, on_delete=models.CASCADE, related_name="redirects"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.old_openalex_id} -> {self.researcher_id}"


class ResearcherTopic(models.Model):
    researcher = models.ForeignKey(Researcher, on_delete=models.CASCADE)
    topic = models.ForeignKey("works.Topic", on_delete=models.CASCADE)
    # Works of the researcher in this topic, as the source counts them.
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["researcher", "topic"], name="uniq_researcher_topic"
            )
        ]


class Follow(models.Model):
    """A user follows a researcher: the follower count, the trust model's
    followers signal, and the feed (works first imported after
    ``created_at``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    researcher = models.ForeignKey(
        Researcher, on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "researcher"], name="uniq_follow")
        ]
        indexes = [
            # A user's follows, newest first (the following page, the feed).
            models.Index(fields=["user", "-created_at"], name="follow_user_time")
        ]


class FollowDigest(models.Model):
    """A user's weekly e-mail of new works by the researchers they follow:
    off until they turn it on; unsubscribed by a signed link in each mail
    that needs no login (``profiles.following``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_digest"
    )
    is_enabled = models.BooleanField(default=False)
    # Works first imported after this go in the next digest.
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(is_enabled=True),
                name="followdigest_enabled",
            )
        ]

    def __str__(self):
        return f"digest of {self.user_id} ({'on' if self.is_enabled else 'off'})"


class ResearcherOwner(models.Model):
    """An account that manages a researcher record. profiles keeps the rows and
    what they imply for the record (``is_claimed``, ``verification_level``);
    the claims app decides who gets one (``profiles.services.researcher_owner_add``
    and ``researcher_owner_remove`` are called by claims services only)."""

    researcher = models.ForeignKey(
        Researcher, on_delete=models.CASCADE, related_name="owners"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="researchers_owned",
    )
    # What this owner's evidence earned (L2 approved claim, L3 strong
    # evidence); the record shows the strongest of its owners'.
    verification_level = models.PositiveSmallIntegerField(
        choices=VerificationLevel.choices, default=VerificationLevel.L2
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["researcher", "user"], name="uniq_researcher_owner"
            )
        ]

    def __str__(self):
        return f"{self.user_id} owns {self.researcher_id}"


class HiddenWork(models.Model):
    """A work the record's owner says is not theirs: it stays in the catalog
    and leaves the profile, its counts and every list of the researcher's
    works (``profiles.visibility``). A table of its own, so re-imports, which
    rewrite authorships, never bring the work back. ``work`` is the version
    the profile listed; its other versions are hidden with it."""

    researcher = models.ForeignKey(
        Researcher, on_delete=models.CASCADE, related_name="hidden_works"
    )
    work = models.ForeignKey(
        "works.Work", on_delete=models.CASCADE, related_name="hidden_from"
    )
    reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["researcher", "work"], name="uniq_hidden_work"
            )
        ]

    def __str__(self):
        return f"work {self.work_id} hidden from {self.researcher_id}"


class ProfileChange(models.Model):
    """One entry of a profile's public change log: a claim decided, a field
    the owner edited, a work hidden or restored, the profile hidden or shown,
    a merge. Append-only, written in the transaction of the change it
    records (``profiles.services.profile_change_record``); an undo is a new
    entry pointing at the one it undoes."""

    class Kind(models.TextChoices):
        CLAIM = "claim", "Claim"
        FIELD_EDITED = "field_edited", "Field edited"
        WORK_HIDDEN = "work_hidden", "Work hidden"
        WORK_RESTORED = "work_restored", "Work restored"
        PROFILE_HIDDEN = "profile_hidden", "Profile hidden"
        PROFILE_SHOWN = "profile_shown", "Profile shown"
        MERGED = "merged", "Merged"

    # Kinds an owner may undo (their own entries only).
    UNDOABLE = (
        Kind.FIELD_EDITED,
        Kind.WORK_HIDDEN,
        Kind.WORK_RESTORED,
        Kind.PROFILE_HIDDEN,
        Kind.PROFILE_SHOWN,
    )

    class Role(models.TextChoices):
        OWNER = "owner", "The owner"
        FORMER_OWNER = "former_owner", "A former owner"
        MODERATOR = "moderator", "A moderator"
        # Someone who is not the owner (a dispute): never named.
        OTHER_ACCOUNT = "other_account", "Another account"
        SYSTEM = "system", "BZPEER"
        SOURCE = "source", "The source"

    researcher = models.ForeignKey(
        Researcher, on_delete=models.CASCADE, related_name="changes"
    )
    # Who did it; emptied when their account is deleted (``actor_role`` then
    # says "a former owner"). Never shown in public: the log shows the role.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="profile_changes",
    )
    actor_role = models.CharField(max_length=20, choices=Role.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # A plain sentence of what changed, shown in the log (escaped).
    summary = models.CharField(max_length=500)
    field = models.CharField(max_length=50, blank=True, default="")
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    work = models.ForeignKey(
        "works.Work",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="profile_changes",
    )
    reason = models.CharField(max_length=500, blank=True, default="")
    undoes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="undone_by",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["researcher", "-created_at", "-id"],
                name="profilechange_log",
            )
        ]

    def __str__(self):
        return f"{self.kind} on {self.researcher_id}"
