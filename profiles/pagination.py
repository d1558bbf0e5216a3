"""Page numbers of the site's paginated lists (a profile's works, search
results, the catalog's lists): one parser, and one answer for a page that is
not there: a 404 linking to the list's first and last pages, never another
page shown in its place. The pager itself is
``templates/profiles/_pagination.html``."""

import functools
import re
from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

# Plain ASCII digits: "0x10", "1e9", "-1", "2.0" and "²" are no page number,
# and nine digits are more pages than any list of ours has.
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")
# The numbered links around the current page: "1 … 49 50 51 … 100".
PAGES_ON_EACH_SIDE = 1
PAGES_ON_ENDS = 1


class PageNotFound(Http404):
    """The ``page`` asked for is not a page of the list. A view wrapped in
    ``page_not_found_answers`` answers it with links to the first and last
    pages; anywhere else it is Django's plain 404."""

    def __init__(self, *, requested: str, num_pages: int):
        super().__init__(f"No page {requested!r}; the list has {num_pages}.")
        self.requested = requested
        self.num_pages = num_pages


def page_get(*, paginator: Paginator, number: str | None) -> Page:
    """The page of ``paginator`` that ``number``, the raw ``page`` query
    value, names: page 1 when it is absent or empty. Raises ``PageNotFound``
    for anything else that is not one of its pages (0, past the last, -1,
    "abc"), whereas ``Paginator.get_page`` would show another page instead.

    The page carries ``numbers``: the page numbers its pager links to, with
    ``Paginator.ELLIPSIS`` for each gap. Counts the list once, unless the
    caller already set ``paginator.count``."""
    if not number:
        number = "1"
    if _PAGE_NUMBER.fullmatch(number) is None:
        raise PageNotFound(requested=number, num_pages=paginator.num_pages)
    if not 1 <= int(number) <= paginator.num_pages:
        raise PageNotFound(requested=number, num_pages=paginator.num_pages)
    page = paginator.page(int(number))
    page.numbers = list(
        paginator.get_elided_page_range(
            page.number, on_each_side=PAGES_ON_EACH_SIDE, on_ends=PAGES_ON_ENDS
        )
    )
    return page


def _query_with_page(request: HttpRequest, number: int, anchor: str) -> str:
    """The current address's query with page ``number`` (none for page 1,
    the list's own address), then the list's ``anchor``."""
    query = request.GET.copy()
    query.pop("page", None)
    if number > 1:
        query["page"] = str(number)
    fragment = f"#{anchor}" if anchor else ""
    return f"?{query.urlencode()}{fragment}"


def page_not_found(
    request: HttpRequest, missing: PageNotFound, *, anchor: str = ""
) -> HttpResponse:
    """The 404 page of a missing page, linking to the first and the last
    page of the same list (same query, same ``anchor``)."""
    context = {
        "missing_page": {
            "requested": missing.requested,
            "num_pages": missing.num_pages,
            "first_url": _query_with_page(request, 1, anchor),
            "last_url": _query_with_page(request, missing.num_pages, anchor),
        }
    }
    return render(request, "404.html", context, status=404)


def page_not_found_answers(*, anchor: str = "") -> Callable:
    """Decorates a list view: a ``PageNotFound`` it raises becomes the 404
    page of ``page_not_found``, whose links land on ``anchor``, the id of
    the list on the page."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except PageNotFound as missing:
                return page_not_found(request, missing, anchor=anchor)

        return wrapped

    return decorator
