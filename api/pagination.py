"""Cursor pagination for every list: stable pages however deep (no OFFSET
scan, no exact count), at most ``MAX_PAGE_SIZE`` rows a page."""

from rest_framework.pagination import CursorPagination

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class ApiCursorPagination(CursorPagination):
    """``?cursor=`` from the ``next``/``previous`` links, ``?page_size=`` up
    to ``MAX_PAGE_SIZE``. The view names its order (``cursor_ordering``): its
    first field positions the cursor, the rest break ties."""

    page_size = PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = ("-pk",)

    def get_ordering(self, request, queryset, view):
        return getattr(view, "cursor_ordering", self.ordering)
