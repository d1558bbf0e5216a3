"""Pages of researcher profiles: home, search, profile and trust explanations.
Each view parses its input, calls selectors and renders."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from bzpeer.middleware import with_statement_timeout
from bzpeer.page_cache import anonymous_page_cache

from . import curation, pagination, popularity, selectors, trust
from . import search as site_search
from .models import Researcher

WORKS_PER_PAGE = 20


@require_safe
@anonymous_page_cache
def home(request):
    return render(
        request,
        "profiles/home.html",
        {"featured": selectors.researcher_list_featured(limit=6)},
    )


@require_safe
def researcher_search(request):
    """The old address of search: ``/researchers/`` answers with a
    permanent redirect to ``/search``, its query string kept."""
    query = request.META.get("QUERY_STRING", "")
    url = reverse("search")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


@require_safe
@anonymous_page_cache
@with_statement_timeout(
    setting="SEARCH_STATEMENT_TIMEOUT_MS", template="profiles/_search_busy.html"
)
@pagination.page_not_found_answers(anchor="results")
def search(request):
    """``/search?q=``: researchers and works (``?in=works``), a page of
    one section with both counts. A query without a word of three letters
    runs no query and says so."""
    terms = site_search.search_terms(request.GET.get("q"))
    section = request.GET.get("in")
    if section not in site_search.SECTIONS:
        section = site_search.SECTIONS[0]
    facets = site_search.WorkFacets.from_params(request.GET)
    results = None
    if terms.is_searchable:
        results = site_search.search_results(
            terms=terms,
            section=section,
            facets=facets,
            page_number=request.GET.get("page"),
        )
    return render(
        request,
        "profiles/search.html",
        {
            "query": terms.text,
            "terms": terms,
            "section": section,
            "facets": facets,
            "results": results,
            "facet_groups": site_search.work_facet_groups(
                params=request.GET, facets=results.facets, chosen=facets
            )
            if results
            else [],
            "page": results.page if results else None,
            "count_cap": site_search.COUNT_CAP,
            "facet_sample": site_search.FACET_SAMPLE,
            "min_word_length": site_search.MIN_WORD_LENGTH,
        },
    )


def merged_researcher_redirect(request, openalex_id: str, *, view: str):
    """The permanent redirect from the page of a record OpenAlex merged into
    another to the same page of the survivor, query string kept; 404 for an
    id we never held."""
    survivor = selectors.researcher_redirect_target(old_openalex_id=openalex_id)
    if survivor is None:
        raise Http404("No researcher with this id.")
    url = reverse(view, args=[survivor.openalex_id])
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


def _profile_view_count(request, meta: dict) -> None:
    """A profile answered from the page cache is a view all the same."""
    popularity.researcher_view_record(
        researcher_id=meta["researcher_id"], request=request
    )


@require_safe
@anonymous_page_cache(on_hit=_profile_view_count)
@pagination.page_not_found_answers(anchor="works")
def researcher_detail(request, openalex_id):
    try:
        profile = selectors.researcher_profile(
            openalex_id=openalex_id, viewer=request.user
        )
    except Researcher.DoesNotExist:
        return merged_researcher_redirect(request, openalex_id, view="profiles:detail")
    sort = request.GET.get("sort")
    if sort not in selectors.WORK_SORTS:
        sort = selectors.WORK_SORT_DEFAULT
    paginator = Paginator(
        selectors.researcher_work_ids(researcher=profile.researcher, sort=sort),
        WORKS_PER_PAGE,
    )
    # The profile already counted these very works; don't count them twice.
    paginator.count = profile.works_count
    page = pagination.page_get(paginator=paginator, number=request.GET.get("page"))
    # The page's ids stay a subquery: whole rows are read for its works only.
    page.object_list = selectors.researcher_works_page(ids=page.object_list, sort=sort)
    popularity.researcher_view_record(
        researcher_id=profile.researcher.pk, request=request
    )
    response = render(
        request,
        "profiles/researcher_detail.html",
        {
            "profile": profile,
            "researcher": profile.researcher,
            "page": page,
            "sort": sort,
            "is_owner": curation.researcher_is_owner(
                researcher=profile.researcher, user=request.user
            ),
            "is_following": selectors.researcher_is_followed_by(
                researcher=profile.researcher, user=request.user
            ),
        },
    )
    response.page_cache_meta = {"researcher_id": profile.researcher.pk}
    return response


@require_safe
@anonymous_page_cache
def researcher_trust(request, openalex_id):
    try:
        researcher = selectors.researcher_get(
            openalex_id=openalex_id, viewer=request.user
        )
    except Researcher.DoesNotExist:
        return merged_researcher_redirect(request, openalex_id, view="profiles:trust")
    return render(
        request,
        "profiles/researcher_trust.html",
        {
            "researcher": researcher,
            "trust": selectors.trust_explanation(researcher=researcher),
            "close_collaborators": selectors.researcher_close_collaborators(
                researcher=researcher
            ),
            "threshold": settings.CLOSE_COLLABORATOR_THRESHOLD,
            "unclaimed_cap": trust.UNCLAIMED_SCORE_CAP,
        },
    )


@require_safe
def trust_model(request):
    return render(
        request,
        "profiles/trust.html",
        {
            "bands": trust.BANDS,
            "unclaimed_cap": trust.UNCLAIMED_SCORE_CAP,
        },
    )
