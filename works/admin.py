"""Admin of the catalog and its import runs.

The catalog tables reach 10^8 rows, so their change lists never count a whole
table (an estimate stands in), search by identifier with an exact, indexed
lookup, and pick related rows by raw id rather than rendering a select. Their
rows are the sources': staff read them here and never edit, add or delete
them (``SourceOwnedAdmin``), since the next import would silently undo it.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime

from bzpeer.admin_tables import LargeTableAdmin, SourceOwnedAdmin

from .fan_out import import_run_parts_progress, run_is_fanned_out
from .forms import OpenAlexImportForm
from .ingest.identifiers import normalize_arxiv_id, normalize_doi, short_openalex_id
from .models import (
    Authorship,
    ImportRun,
    ImportRunPart,
    Institution,
    RejectedRecord,
    Source,
    Topic,
    Work,
)
from .services import (
    RunNotResumable,
    import_run_rerun,
    import_run_resume,
    import_run_start,
)

REJECTIONS_INLINE = 50
# Parts of a fanned-out run shown on its page: the failed and busy first.
PARTS_INLINE = 100
# Characters of a run's parameters shown in the change list.
PARAMETERS_SHOWN = 60


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

    def has_view_permission(self, request, obj=None):
        # The rejections are part of the run: whoever sees it sees them.
        return request.user.has_perm("works.view_importrun") or (
            request.user.has_perm("works.change_importrun")
        )


class ImportRunPartInline(admin.TabularInline):
    """The part files of a run fanned out over workers (``works.fan_out``):
    failed, running and queued ones first, then in load order; at most
    ``PARTS_INLINE`` of them (the run's progress counts them all)."""

    model = ImportRunPart
    fields = readonly_fields = (
        "path",
        "stage",
        "status",
        "records",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "error",
    )
    can_delete = False
    extra = 0
    show_change_link = False
    verbose_name = "part file"

    _STATUS_ORDER = [
        ImportRunPart.Status.FAILED,
        ImportRunPart.Status.RUNNING,
        ImportRunPart.Status.QUEUED,
        ImportRunPart.Status.PENDING,
        ImportRunPart.Status.SUCCEEDED,
    ]

    def get_queryset(self, request):
        order = Case(
            *(
                When(status=status, then=Value(rank))
                for rank, status in enumerate(self._STATUS_ORDER)
            ),
            output_field=IntegerField(),
        )
        return super().get_queryset(request).order_by(order, "position")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class FirstParts(formset):
            # A full snapshot has thousands of part files.
            def get_queryset(self):
                return super().get_queryset()[:PARTS_INLINE]

        return FirstParts

    @admin.display(description="records")
    def records(self, part: ImportRunPart) -> str:
        if part.records_total is None:
            return f"{part.records_done:,}/?"
        return f"{part.records_done:,}/{part.records_total:,}"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("works.view_importrun") or (
            request.user.has_perm("works.change_importrun")
        )


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Import runs with their progress and outcome; operators start an
    OpenAlex import, resume an interrupted run or re-run one from here.
    Starting and re-running need the add permission, resuming the change
    permission; each hands the run to the workers (``works.services``)."""

    list_display = (
        "id",
        "source",
        "short_parameters",
        "status",
        "progress",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "api_calls",
        "started",
        "finished",
    )
    list_filter = ("source", "status")
    inlines = [ImportRunPartInline, RejectedRecordInline]
    actions = ["resume_runs", "rerun_runs"]
    readonly_fields = (
        "source",
        "parameters",
        "status",
        "progress",
        "parts",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "all_rejections",
        "counts",
        "api_calls",
        "checkpoint",
        "error",
        "started_at",
        "finished_at",
        "created_at",
    )
    exclude = ("progress_done", "progress_total", "calls")

    @admin.display(description="parameters")
    def short_parameters(self, run: ImportRun) -> str:
        text = json.dumps(run.parameters, ensure_ascii=False, sort_keys=True)
        return Truncator(text).chars(PARAMETERS_SHOWN)

    # Short headers and times: the list has twelve columns to fit.

    @admin.display(description="created", ordering="created_count")
    def created(self, run: ImportRun) -> str:
        return f"{run.created_count:,}"

    @admin.display(description="updated", ordering="updated_count")
    def updated(self, run: ImportRun) -> str:
        return f"{run.updated_count:,}"

    @admin.display(description="unchanged", ordering="unchanged_count")
    def unchanged(self, run: ImportRun) -> str:
        return f"{run.unchanged_count:,}"

    @admin.display(description="rejected", ordering="rejected_count")
    def rejected(self, run: ImportRun) -> str:
        return f"{run.rejected_count:,}"

    @admin.display(description="started", ordering="started_at")
    def started(self, run: ImportRun) -> str:
        return _short_time(run.started_at)

    @admin.display(description="finished", ordering="finished_at")
    def finished(self, run: ImportRun) -> str:
        return _short_time(run.finished_at)

    @admin.display(description="progress")
    def progress(self, run: ImportRun) -> str:
        if run.progress_total is None:
            return f"{run.progress_done:,}/?"
        shown = f"{run.progress_done:,}/{run.progress_total:,}"
        if not run.progress_total:
            return shown
        # Rounded down: "100%" only once everything is done.
        percent = min(100, 100 * run.progress_done // run.progress_total)
        return f"{shown} ({percent}%)"

    @admin.display(description="part files")
    def parts(self, run: ImportRun) -> str:
        if not run_is_fanned_out(run):
            return "-"
        return import_run_parts_progress(run=run).describe()

    def get_inline_instances(self, request, obj=None):
        # The part files only on the page of a run fanned out over workers.
        return [
            inline
            for inline in super().get_inline_instances(request, obj)
            if not isinstance(inline, ImportRunPartInline)
            or (obj is not None and run_is_fanned_out(obj))
        ]

    @admin.display(description="API calls")
    def api_calls(self, run: ImportRun) -> str:
        if not run.calls:
            return "-"
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(run.calls.items()))
        return f"{sum(run.calls.values())} ({kinds})"

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
        return False  # runs are made by the loaders, or started below

    def has_start_permission(self, request) -> bool:
        """Starting an import (or re-running one) makes a new run."""
        return request.user.has_perm(f"{self.opts.app_label}.add_importrun")

    # --- actions ---------------------------------------------------------

    @admin.action(description="Resume the selected runs", permissions=["change"])
    def resume_runs(self, request, queryset):
        runs = list(queryset.order_by("id"))
        for run in runs:
            try:
                import_run_resume(run=run)
            except RunNotResumable as exc:
                self.message_user(request, f"Not resumed: {exc}.", messages.WARNING)
            else:
                self.message_user(
                    request, f"Import run {run.pk} queued to resume.", messages.SUCCESS
                )
        # One run (the button on its page): back to that run.
        return redirect(_change_url(runs[0])) if len(runs) == 1 else None

    @admin.action(
        description="Re-run the selected runs as new runs", permissions=["start"]
    )
    def rerun_runs(self, request, queryset):
        started = []
        for run in queryset.order_by("id"):
            try:
                new_run = import_run_rerun(run=run)
            except RunNotResumable as exc:
                self.message_user(request, f"Not re-run: {exc}.", messages.WARNING)
            else:
                started.append(new_run)
                self.message_user(
                    request,
                    f"Import run {new_run.pk} queued: a re-run of run {run.pk}.",
                    messages.SUCCESS,
                )
        if len(started) == 1:
            return redirect(_change_url(started[0]))
        return None

    # --- starting an import ----------------------------------------------

    def get_urls(self):
        start = path(
            "start/",
            self.admin_site.admin_view(self.start_view),
            name="works_importrun_start",
        )
        return [start, *super().get_urls()]

    def start_view(self, request):
        """The form that starts an OpenAlex import of authors by OpenAlex id
        or ORCID: a pending run, enqueued after commit."""
        if not self.has_start_permission(request):
            raise PermissionDenied
        form = OpenAlexImportForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            run = import_run_start(
                source=ImportRun.Source.OPENALEX_API,
                parameters=form.import_parameters(),
            )
            self.message_user(
                request,
                f"Import run {run.pk} queued: {form.summary()}.",
                messages.SUCCESS,
            )
            return redirect(_change_url(run))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Start an OpenAlex import",
            "form": form,
        }
        return TemplateResponse(request, "admin/works/importrun/start.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_start_permission": self.has_start_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_start_permission": self.has_start_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)


def _short_time(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _change_url(run: ImportRun) -> str:
    return reverse("admin:works_importrun_change", args=[run.pk])


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
class InstitutionAdmin(SourceOwnedAdmin):
    list_display = ("openalex_id", "display_name", "country_code", "ror", "domain")
    search_fields = ("=openalex_id", "=ror", "=domain", "display_name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Source)
class SourceAdmin(SourceOwnedAdmin):
    list_display = ("openalex_id", "display_name", "type", "issn_l")
    search_fields = ("=openalex_id", "=issn_l", "display_name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Topic)
class TopicAdmin(SourceOwnedAdmin):
    list_display = ("openalex_id", "display_name", "field_name", "domain_name")
    search_fields = ("=openalex_id", "display_name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Work)
class WorkAdmin(SourceOwnedAdmin):
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
class AuthorshipAdmin(SourceOwnedAdmin):
    list_display = ("id", "work", "position", "raw_author_name", "researcher")
    list_select_related = ("work", "researcher")
    raw_id_fields = ("work", "researcher")
    search_fields = ("=work__openalex_id", "=researcher__openalex_id")
