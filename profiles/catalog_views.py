"""Pages of the catalog behind a profile's lists: a work, a topic, an
institution, and a researcher's topics and close collaborators. Each view
parses its input, calls selectors and renders."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from bzpeer.page_cache import anonymous_page_cache
from works.models import Institution, Topic, Work

from . import catalog_selectors, pagination, selectors, ties
from .models import Researcher
from .templatetags.catalog_tags import work_address, work_path
from .views import merged_researcher_redirect

# A page of authors; a work with up to this many shows every one at once.
AUTHORS_PER_PAGE = 100
LIST_PER_PAGE = 20
TOPICS_PER_PAGE = 50
COLLABORATORS_PER_PAGE = 50
# The lists of a topic or an institution page, the first the default.
CATALOG_LISTS = ("researchers", "works")


def _page(request, items, per_page: int, *, count: int | None = None):
    """The requested page (``?page=``) of ``items``; a missing page raises
    ``pagination.PageNotFound``. ``count``, when the caller already knows it,
    saves the paginator's count query."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count
    return pagination.page_get(paginator=paginator, number=request.GET.get("page"))


def _permanent_redirect(request, url: str) -> HttpResponsePermanentRedirect:
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


@require_safe
@anonymous_page_cache
@pagination.page_not_found_answers(anchor="authors")
def work_detail(request, openalex_id=None, arxiv_id=None, pk=None):
    """A work's page: title, every author (a page of ``AUTHORS_PER_PAGE`` at
    a time, ``?page=``), venue, year, type, abstract, links, topics and its
    other versions.

    Its address is ``/works/<OpenAlex id>/`` (``W…``, stable across imports
    and the one OpenAlex itself uses); a work without one (an arXiv-only
    preprint) is ``/works/arxiv/<arXiv id>/``, and a work with neither
    ``/works/<our id>/``. The other two addresses of a work answer with a
    permanent redirect to this one (``catalog_tags.work_path``), so links
    made before a preprint gained its OpenAlex id keep working, and so does
    an OpenAlex id merged into another work. A version listed under another
    (``Work.canonical``: a preprint of a published article) keeps its own
    page, which names and links the version it is listed under: its authors,
    abstract and links can differ from the article's.
    """
    try:
        work = catalog_selectors.work_get(
            openalex_id=openalex_id, arxiv_id=arxiv_id, pk=pk
        )
    except Work.DoesNotExist:
        survivor = None
        if openalex_id is not None:
            survivor = catalog_selectors.work_redirect_target(
                old_openalex_id=openalex_id
            )
        if survivor is None:
            raise Http404("No work with this id.") from None
        return _permanent_redirect(request, work_path(survivor))
    # Compared by key, not by path: no percent-encoding can make it loop.
    asked = {"openalex_id": openalex_id, "arxiv_id": arxiv_id, "pk": pk}
    key, value = work_address(work)
    if asked[key] != value:
        return _permanent_redirect(request, work_path(work))
    page = _page(
        request, catalog_selectors.work_authorships(work=work), AUTHORS_PER_PAGE
    )
    return render(
        request,
        "profiles/work_detail.html",
        {
            "work": work,
            "page": page,
            "topics": catalog_selectors.work_topics(work=work),
            "versions": catalog_selectors.work_versions(work=work),
        },
    )


def _catalog_list(request, *, researchers, works, works_count: int):
    """The chosen list (``?list=``: researchers, the default, or works) of a
    topic or institution page, one page of it, and both lists' counts."""
    chosen = request.GET.get("list")
    if chosen not in CATALOG_LISTS:
        chosen = CATALOG_LISTS[0]
    counts = {"researchers": researchers.count(), "works": works_count}
    items = researchers if chosen == "researchers" else works
    page = _page(request, items, LIST_PER_PAGE, count=counts[chosen])
    return {"chosen_list": chosen, "counts": counts, "page": page}


@require_safe
@anonymous_page_cache
@pagination.page_not_found_answers(anchor="list")
def topic_detail(request, openalex_id):
    try:
        topic = catalog_selectors.topic_get(openalex_id=openalex_id)
    except Topic.DoesNotExist:
        raise Http404("No topic with this id.") from None
    context = _catalog_list(
        request,
        researchers=catalog_selectors.topic_researchers(topic=topic),
        works=catalog_selectors.topic_works(topic=topic),
        works_count=catalog_selectors.topic_works_count(topic=topic),
    )
    return render(request, "profiles/topic_detail.html", {"topic": topic, **context})


@require_safe
@anonymous_page_cache
@pagination.page_not_found_answers(anchor="list")
def institution_detail(request, openalex_id):
    try:
        institution = catalog_selectors.institution_get(openalex_id=openalex_id)
    except Institution.DoesNotExist:
        raise Http404("No institution with this id.") from None
    context = _catalog_list(
        request,
        researchers=catalog_selectors.institution_researchers(institution=institution),
        works=catalog_selectors.institution_works(institution=institution),
        works_count=catalog_selectors.institution_works_count(institution=institution),
    )
    return render(
        request,
        "profiles/institution_detail.html",
        {"institution": institution, **context},
    )


@require_safe
@pagination.page_not_found_answers(anchor="topics")
def researcher_topics(request, openalex_id):
    try:
        researcher = selectors.researcher_get(
            openalex_id=openalex_id, viewer=request.user
        )
    except Researcher.DoesNotExist:
        return merged_researcher_redirect(request, openalex_id, view="profiles:topics")
    page = _page(
        request,
        catalog_selectors.researcher_topics(researcher=researcher),
        TOPICS_PER_PAGE,
    )
    return render(
        request,
        "profiles/researcher_topics.html",
        {"researcher": researcher, "page": page},
    )


@require_safe
@pagination.page_not_found_answers(anchor="collaborators")
def researcher_collaborators(request, openalex_id):
    try:
        researcher = selectors.researcher_get(
            openalex_id=openalex_id, viewer=request.user
        )
    except Researcher.DoesNotExist:
        return merged_researcher_redirect(
            request, openalex_id, view="profiles:collaborators"
        )
    page = _page(
        request,
        catalog_selectors.researcher_close_collaborator_list(researcher=researcher),
        COLLABORATORS_PER_PAGE,
    )
    return render(
        request,
        "profiles/researcher_collaborators.html",
        {
            "researcher": researcher,
            "page": page,
            "threshold": settings.CLOSE_COLLABORATOR_THRESHOLD,
            "large_team_cap": ties.LARGE_TEAM_AUTHOR_CAP,
        },
    )
