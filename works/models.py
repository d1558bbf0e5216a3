"""The scholarly catalog: works, their authorships, venues, topics, institutions,
and the import runs that fill them.

Natural keys (OpenAlex ids, DOI, arXiv id, ROR) are unique and indexed.
Source data reaches these rows only through the one upsert path
(``works.ingest.upsert``); besides it, three services rewrite rows we already
hold: OpenAlex merges (``works.merges``), version grouping
(``works.versions``, ``Work.canonical``), and the import-run bookkeeping
(``works.ingest.runs``, ``works.fan_out``) on ``ImportRun``,
``ImportRunPart`` and ``RejectedRecord``.
OpenAlex ids are stored short (``W2741809807``), DOIs lower-cased without the
``https://doi.org/`` prefix.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models


class Institution(models.Model):
    openalex_id = models.CharField(max_length=32, unique=True)
    ror = models.CharField(max_length=64, null=True, blank=True, unique=True)
    display_name = models.CharField(max_length=500)
    country_code = models.CharField(max_length=2, blank=True, default="")
    type = models.CharField(max_length=50, blank=True, default="")
    homepage_url = models.URLField(max_length=500, blank=True, default="")
    # The e-mail domain of the institution (from its homepage), used later to
    # verify claims by e-mail.
    domain = models.CharField(max_length=255, blank=True, default="", db_index=True)
    source_updated_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.display_name


class Source(models.Model):
    # The OpenAlex id of arXiv as a venue: the arXiv importer files every
    # preprint under it, and pages name it "arXiv".
    ARXIV_OPENALEX_ID = "S4306400194"

    """A venue: journal, conference, repository (arXiv is ``S4306400194``)."""

    openalex_id = models.CharField(max_length=32, unique=True)
    display_name = models.CharField(max_length=500)
    type = models.CharField(max_length=50, blank=True, default="")
    issn_l = models.CharField(max_length=9, blank=True, default="")
    homepage_url = models.URLField(max_length=500, blank=True, default="")
    source_updated_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.display_name


class Topic(models.Model):
    openalex_id = models.CharField(max_length=32, unique=True)
    display_name = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    subfield_name = models.CharField(max_length=255, blank=True, default="")
    field_name = models.CharField(max_length=255, blank=True, default="")
    domain_name = models.CharField(max_length=255, blank=True, default="")
    source_updated_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.display_name


# The document a work search matches: its title (weight A) and abstract (B),
# English stemming. The GIN index below is built on this expression, and a
# query uses the index only when it repeats it exactly.
WORK_SEARCH_CONFIG = "english"
WORK_SEARCH_VECTOR = SearchVector(
    "title", weight="A", config=WORK_SEARCH_CONFIG
) + SearchVector("abstract", weight="B", config=WORK_SEARCH_CONFIG)


class Work(models.Model):
    openalex_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    doi = models.CharField(max_length=255, unique=True, null=True, blank=True)
    arxiv_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    title = models.TextField()
    abstract = models.TextField(blank=True, default="")
    publication_year = models.PositiveSmallIntegerField(null=True, blank=True)
    publication_date = models.DateField(null=True, blank=True)
    type = models.CharField(max_length=50, blank=True, default="")
    language = models.CharField(max_length=12, blank=True, default="")
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="works"
    )
    landing_page_url = models.URLField(max_length=1000, blank=True, default="")
    pdf_url = models.URLField(max_length=1000, blank=True, default="")
    cited_by_count = models.PositiveIntegerField(default=0)
    # Citations per year as the source counts them (OpenAlex's
    # ``counts_by_year``: [{"year": 2024, "cited_by_count": 3}, ...], its
    # last ten years), kept at import for the per-year charts.
    counts_by_year = models.JSONField(default=list, blank=True)
    is_retracted = models.BooleanField(default=False)
    # Team size as the source states it (authorships listed), kept on the work
    # so tie strength is a sum over rows, not a count per pair.
    author_count = models.PositiveIntegerField(default=0)
    topics = models.ManyToManyField(Topic, through="WorkTopic", related_name="works")
    # Versions of one work (a preprint and its published article are often two
    # records): every version but one points at the version it is listed
    # under; the listed one has ``canonical`` NULL. Set by works.versions.
    canonical = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="versions",
    )
    # Normalized title (lower case, no accents, punctuation or extra spaces),
    # compared among one first author's works to find version candidates
    # (works.versions); set by the upsert path. Not indexed: no lookup starts
    # from it, and at 10^8 rows the index would cost every write.
    title_key = models.CharField(max_length=300, blank=True, default="")
    # An arXiv id the source lists for this work while another row holds it
    # as its own identifier (a published article with its arXiv location).
    related_arxiv_id = models.CharField(max_length=64, blank=True, default="")
    source_updated_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["publication_year"]),
            models.Index(
                fields=["related_arxiv_id"],
                name="work_related_arxiv",
                condition=~models.Q(related_arxiv_id=""),
            ),
            # "Works changed since a run started": the version grouping and
            # the trust refresh after an import read them by this.
            models.Index(fields=["updated_at"], name="work_updated_at"),
            # Full-text search of titles and abstracts (profiles' work
            # search must query this very expression: WORK_SEARCH_VECTOR).
            GinIndex(WORK_SEARCH_VECTOR, name="work_search_fts"),
            # A profile's works list: the version each work is listed under
            # and the sort keys of thousands of works read without the wide
            # rows (abstracts, counts by year), an index-only scan; only
            # the page's twenty rows are read whole
            # (profiles.selectors.researcher_works).
            models.Index(
                fields=["id"],
                include=[
                    "canonical",
                    "publication_year",
                    "publication_date",
                    "cited_by_count",
                ],
                name="work_listing_keys",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def openalex_url(self) -> str:
        return f"https://openalex.org/{self.openalex_id}" if self.openalex_id else ""


class WorkTopic(models.Model):
    work = models.ForeignKey(Work, on_delete=models.CASCADE)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)
    score = models.FloatField(default=0)
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work", "topic"], name="uniq_work_topic")
        ]


class Authorship(models.Model):
    """One author slot of a work. ``researcher`` is null for a bare name that
    could not be attached to a researcher record on evidence."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="authorships")
    researcher = models.ForeignKey(
        "profiles.Researcher",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authorships",
    )
    position = models.PositiveIntegerField()
    author_position = models.CharField(max_length=10, blank=True, default="")
    raw_author_name = models.CharField(max_length=500, blank=True, default="")
    raw_affiliation_strings = ArrayField(models.TextField(), default=list, blank=True)
    is_corresponding = models.BooleanField(default=False)
    institutions = models.ManyToManyField(
        Institution, through="AuthorshipInstitution", related_name="authorships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["work", "position"], name="uniq_authorship_position"
            )
        ]
        indexes = [models.Index(fields=["researcher", "work"])]

    def __str__(self):
        return f"{self.raw_author_name} on {self.work_id}"


class AuthorshipInstitution(models.Model):
    authorship = models.ForeignKey(Authorship, on_delete=models.CASCADE)
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["authorship", "institution"],
                name="uniq_authorship_institution",
            )
        ]


class ImportRun(models.Model):
    class Source(models.TextChoices):
        """Where a run reads from; each names its importer in
        ``works.ingest.driver.IMPORTERS``."""

        OPENALEX_SNAPSHOT = "openalex-snapshot", "OpenAlex snapshot files"
        OPENALEX_API = "openalex-api", "OpenAlex API"
        ARXIV = "arxiv", "arXiv API"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    source = models.CharField(max_length=40, choices=Source.choices)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING
    )
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # Per-entity counts, e.g. {"works": {"created": 3, ...}}.
    counts = models.JSONField(default=dict, blank=True)
    # Where a resumed run starts again, e.g. the files already loaded.
    checkpoint = models.JSONField(default=dict, blank=True)
    # Calls made to the source's API, e.g. {"single": 3, "list": 7}: OpenAlex
    # bills list calls, not single-entity look-ups.
    calls = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.source} #{self.pk} ({self.status})"


class ImportRunPart(models.Model):
    """One part file of a snapshot run fanned out over Celery workers
    (``works.fan_out``): its own task loads it from its own checkpoint
    (``lines_done``, ``records_done``) and keeps its own counts, so parts
    loaded at once never write the same row. The run's counts are the sum of
    its parts'. Parts of a later ``stage`` start once every part of the
    stages before is done."""

    class Status(models.TextChoices):
        PENDING = "pending"  # its stage has not started: no task sent yet
        QUEUED = "queued"  # a task was sent for it
        RUNNING = "running"  # a worker holds it (its advisory lock)
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="parts")
    # From the snapshot root, as in the locators: "works/updated_date=…/part_000.gz".
    path = models.CharField(max_length=1000)
    entity = models.CharField(max_length=40)
    stage = models.PositiveSmallIntegerField()
    # The part's place in the in-process load order.
    position = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING
    )
    records_total = models.PositiveBigIntegerField(null=True, blank=True)
    lines_done = models.PositiveBigIntegerField(default=0)
    records_done = models.PositiveBigIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # Skipped as unchanged since its last load (``SnapshotPartLoad``).
    skipped = models.BooleanField(default=False)
    # Deliveries of its task that have not returned (each worker died).
    deliveries = models.PositiveSmallIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "path"], name="uniq_import_run_part_path"
            )
        ]

    def __str__(self):
        return f"{self.path} ({self.status})"


class SnapshotPartLoad(models.Model):
    """The last complete load of one snapshot part file, as it was then: a
    later run skips a file whose manifest entry and file still match it
    (the same path, size, record count and modification time) before
    decompressing it, counting its records unchanged
    (``works.ingest.openalex.snapshot_load``). OpenAlex rewrites a part
    whose records changed, so its size, count or time moves; a file copied
    without its time, or a catalog changed by hand since, is read again
    with ``load_openalex_snapshot --full``."""

    # The file's resolved absolute path: two snapshots can hold the same
    # relative one ("works/updated_date=…/part_000.gz").
    path = models.CharField(max_length=1000, unique=True)
    size = models.PositiveBigIntegerField()
    modified_ns = models.BigIntegerField()
    records = models.PositiveBigIntegerField()
    # The file's lines and the ones rejected in that load (listed on its run).
    lines = models.PositiveBigIntegerField()
    rejected = models.PositiveBigIntegerField(default=0)
    run = models.ForeignKey(
        ImportRun, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.path


class RejectedRecord(models.Model):
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="rejected"
    )
    entity = models.CharField(max_length=40, blank=True, default="")
    # Where the record was found: "works/updated_date=.../part_000.gz:17".
    locator = models.CharField(max_length=1000, blank=True, default="")
    reason = models.TextField()
    # The start of the raw record, kept for diagnosis.
    excerpt = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.locator}: {self.reason}"


class WorkRedirect(models.Model):
    """An OpenAlex work id that OpenAlex merged into another work."""

    old_openalex_id = models.CharField(max_length=32, unique=True)
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.old_openalex_id} -> {self.work_id}"
