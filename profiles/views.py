"""Pages of researcher profiles: home, search, profile and trust explanations.
Each view parses its input, calls selectors and renders."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from . import curation, pagination, popularity, selectors, trust
from .models import Researcher

SEARCH_RESULTS_PER_PAGE = 20
WORKS_PER_PAGE = 20
# Longer queries are cut: no name needs more, and each word costs a lookup.
SEARCH_QUERY_MAX_LENGTH = 200


@require_safe
def home(request):
    return render(
        request,
        "profiles/home.html",
        {"featured": selectors.researcher_list_featured(limit=6)},
    )


@require_safe
@pagination.page_not_found_answers(anchor="results")
def researcher_search(request):
    query = request.GET.get("q", "").strip()[:SEARCH_QUERY_MAX_LENGTH]
    page = None
    if query:
        paginator = Paginator(
            selectors.researcher_search(query=query), SEARCH_RESULTS_PER_PAGE
        )
        page = pagination.page_get(paginator=paginator, number=request.GET.get("page"))
    return render(request, "profiles/search.html", {"query": query, "page": page})


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


@require_safe
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
        selectors.researcher_works(researcher=profile.researcher, sort=sort),
        WORKS_PER_PAGE,
    )
    # The profile already counted these very works; don't count them twice.
    paginator.count = profile.works_count
    page = pagination.page_get(paginator=paginator, number=request.GET.get("page"))
    popularity.researcher_view_record(researcher_id=profile.researcher.pk)
    return render(
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


@require_safe
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
