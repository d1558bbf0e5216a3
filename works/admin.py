"""Admin of the catalog and its import runs.

The catalog tables reach 10^8 rows, so their change lists never count a whole
table (an estimate stands in), search by identifier with an exact, indexed
lookup, and pick related rows by raw id rather than rendering a select.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from .ingest.identifiers import normalize_arxiv_id, normalize_doi, short_openalex_id
from .models import (
    Authorship,
    ImportRun,
    Institution,
    RejectedRecord,
    Source,
    Topic,
    Work,
)

REJECTIONS_INLINE = 50
# Below this many rows an exact count is cheap and an estimate pointless.
EXACT_COUNT_BELOW = 100_000


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered change list from the planner's estimate
    (``pg_class.reltuples``): an exact ``COUNT(*)`` scans the whole table."""

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [query.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= EXACT_COUNT_BELOW:
                return row[0]
        return super().count


class LargeTableAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50


class RejectedRecordInline(admin.TabularInline):
    """The first rejections of a run; the rest are in their own list."""

    model = RejectedRecord
    fields = readonly_fields = ("locator", "reason", "excerpt")
    can_delete = False
    extra = 0
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("id")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class FirstRejections(formset):
            # A run may reject millions of lines; the page shows a few.
            def get_queryset(self):
                return super().get_queryset()[:REJECTIONS_INLINE]

        return FirstRejections

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "source",
        "status",
        "progress",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "started_at",
        "finished_at",
    )
    list_filter = ("source", "status")
    inlines = [RejectedRecordInline]
    readonly_fields = (
        "source",
        "parameters",
        "status",
        "progress",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "all_rejections",
        "counts",
        "checkpoint",
        "error",
        "started_at",
        "finished_at",
        "created_at",
    )
    exclude = ("progress_done", "progress_total")

    @admin.display(description="progress")
    def progress(self, run: ImportRun) -> str:
        total = "?" if run.progress_total is None else f"{run.progress_total:,}"
        return f"{run.progress_done:,}/{total}"

    @admin.display(description="rejected records")
    def all_rejections(self, run: ImportRun) -> str:
        url = reverse("admin:works_rejectedrecord_changelist")
        return format_html(
            '<a href="{}?run__id__exact={}">all {} rejected records</a>',
            url,
            run.pk,
            run.rejected_count,
        )

    def has_add_permission(self, request):
        return False  # runs are made by the loaders


@admin.register(RejectedRecord)
class RejectedRecordAdmin(LargeTableAdmin):
    list_display = ("id", "run", "entity", "locator", "reason")
    list_filter = ("entity",)
    list_select_related = ("run",)
    raw_id_fields = ("run",)
    search_fields = ("=locator",)
    readonly_fields = ("run", "entity", "locator", "reason", "excerpt", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(Institution)
class InstitutionAdmin(LargeTableAdmin):
    list_display = ("openalex_id", "display_name", "country_code", "ror", "domain")
    search_fields = ("=openalex_id", "=ror", "=domain", "display_name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Source)
class SourceAdmin(LargeTableAdmin):
    list_display = ("openalex_id", "display_name", "type", "issn_l")
    search_fields = ("=openalex_id", "=issn_l", "display_name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("openalex_id", "display_name", "field_name", "domain_name")
    search_fields = ("=openalex_id", "display_name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Work)
class WorkAdmin(LargeTableAdmin):
    list_display = ("openalex_id", "title", "publication_year", "type", "source")
    list_select_related = ("source",)
    raw_id_fields = ("source",)
    search_fields = ("=openalex_id", "=doi", "=arxiv_id", "title")
    readonly_fields = ("created_at", "updated_at")

    def get_search_results(self, request, queryset, search_term):
        """An identifier (OpenAlex id, DOI, arXiv id, in any written form)
        is looked up exactly on its unique index; anything else searches
        titles. One ``OR`` across all four would scan the table."""
        term = search_term.strip()
        openalex_id = short_openalex_id(term, prefix="W")
        if openalex_id:
            return queryset.filter(openalex_id=openalex_id), False
        doi = normalize_doi(term)
        if doi:
            return queryset.filter(doi=doi), False
        arxiv_id = normalize_arxiv_id(term)
        if arxiv_id:
            return queryset.filter(arxiv_id=arxiv_id), False
        if not term:
            return queryset, False
        return queryset.filter(title__icontains=term), False


@admin.register(Authorship)
class AuthorshipAdmin(LargeTableAdmin):
    list_display = ("id", "work", "position", "raw_author_name", "researcher")
    list_select_related = ("work", "researcher")
    raw_id_fields = ("work", "researcher")
    search_fields = ("=work__openalex_id", "=researcher__openalex_id")
