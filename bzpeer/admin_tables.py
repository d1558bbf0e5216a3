"""Admin base classes for the catalog's tables, which reach 10^8 rows and
whose rows the sources own (works, profiles)."""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection, models
from django.utils.functional import cached_property

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
    # A URL typed without a scheme means https (Django 6's default already).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50


class SourceOwnedAdmin(LargeTableAdmin):
    """Rows the sources own (OpenAlex, arXiv): shown, never added, changed or
    deleted by hand. They change through imports, merges and (for
    researchers) owner curation, each of which is recorded; a hand edit would
    be undone by the next import without a trace."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
