"""Citation downloads from the pages: a researcher's listed works
(``/researchers/<id>/citations.<format>``) and one work
(``/works/<id>/citation.<format>``), in the formats of
``profiles.citations``. Thin faces: the access check
(``selectors.researcher_get``), one call to ``profiles.citations``, the
file as an attachment."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from works.models import Work

from . import catalog_selectors, selectors
from .citations import CITATION_FORMATS, Citations, researcher_citations, work_citations
from .models import Researcher


def _download(citations: Citations) -> HttpResponse:
    response = HttpResponse(citations.content, content_type=citations.content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, citations.filename
    )
    return response


def _format_or_404(fmt: str) -> str:
    if fmt not in CITATION_FORMATS:
        raise Http404("No such citation format.")
    return fmt


@require_safe
def researcher_citations_download(request, openalex_id: str, fmt: str):
    """The works the profile lists, hidden works out; 404 for a profile the
    visitor may not see, as its page answers."""
    fmt = _format_or_404(fmt)
    try:
        researcher = selectors.researcher_get(
            openalex_id=openalex_id, viewer=request.user
        )
    except Researcher.DoesNotExist:
        raise Http404("No researcher with this id.") from None
    return _download(researcher_citations(researcher=researcher, fmt=fmt))


@require_safe
def work_citation_download(request, pk: int, fmt: str):
    """One work, by our id (every work has one, whatever its other keys)."""
    fmt = _format_or_404(fmt)
    try:
        work = catalog_selectors.work_get(pk=pk)
    except Work.DoesNotExist:
        raise Http404("No work with this id.") from None
    return _download(work_citations(work=work, fmt=fmt))
