"""Pages of the research graph: the explorer of a researcher, work, topic or
institution (with its exports), and the slice fragment the profile's section
fetches. Each view finds the centre the viewer may see, parses the slice's
parameters from the address, asks ``graph.cache`` for the slice and renders.

A slice is optional to every page that shows it: when it cannot be had (a
cold cache and no worker, Redis down, a build that failed) the page says the
graph is unavailable for now and still answers 200."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from bzpeer.page_cache import anonymous_page_cache
from profiles import catalog_selectors, selectors
from profiles.models import Researcher
from profiles.templatetags.catalog_tags import work_path
from profiles.urls import (
    OpenAlexAuthorIdConverter,
    OpenAlexInstitutionIdConverter,
    OpenAlexTopicIdConverter,
    OpenAlexWorkIdConverter,
)
from profiles.views import merged_researcher_redirect
from works.models import Institution, Topic, Work

from .cache import slice_build_enqueue, slice_get
from .exports import FORMATS as EXPORT_FORMATS
from .exports import slice_export
from .params import CAPS, KINDS, MIN_TIE_BOUNDS, YEAR_BOUNDS, SliceParams
from .slices import Slice, SliceNotFound, slice_nearest
from .svg import slice_legend, slice_svg

logger = logging.getLogger(__name__)

# The explorer's download links, in this order: (format, link text).
EXPORT_LINKS = (("json", "JSON"), ("graphml", "GraphML"), ("gexf", "GEXF"))
KEY_PATTERNS = {
    "researcher": re.compile(OpenAlexAuthorIdConverter.regex),
    "work": re.compile(OpenAlexWorkIdConverter.regex),
    "topic": re.compile(OpenAlexTopicIdConverter.regex),
    "institution": re.compile(OpenAlexInstitutionIdConverter.regex),
}
KIND_LABELS = {
    "researcher": "Researchers",
    "work": "Works",
    "topic": "Topics",
    "institution": "Institutions",
}
# The caps' fields in the explorer's form, by URL parameter.
CAP_LABELS = {
    "coauthors": "Researchers",
    "works": "Works",
    "topics": "Topics",
    "institutions": "Institutions",
}
NEAREST_ON_PROFILE = 8
NEAREST_IN_EXPLORER = 8


@dataclass(frozen=True)
class Centre:
    """The node a page's slice is centred on, as the page names and links
    it (read from the catalog, so it is there even when the slice is not)."""

    kind: str
    key: str
    label: str
    url: str
    explorer_url: str
    # A hidden profile its owner or staff see: it is in no slice, its own
    # included (profiles.visibility).
    is_hidden: bool = False


def _researcher_centre(request, key: str) -> Centre:
    researcher = selectors.researcher_get(openalex_id=key, viewer=request.user)
    return Centre(
        kind="researcher",
        key=key,
        label=researcher.display_name,
        url=reverse("profiles:detail", args=[key]),
        explorer_url=reverse("graph:researcher", args=[key]),
        is_hidden=researcher.is_hidden,
    )


def _work_centre(request, key: str) -> Centre:
    work = catalog_selectors.work_get(openalex_id=key)
    return Centre(
        kind="work",
        key=key,
        label=work.title,
        url=work_path(work),
        explorer_url=reverse("graph:work", args=[key]),
    )


def _topic_centre(request, key: str) -> Centre:
    topic = catalog_selectors.topic_get(openalex_id=key)
    return Centre(
        kind="topic",
        key=key,
        label=topic.display_name,
        url=reverse("catalog:topic", args=[key]),
        explorer_url=reverse("graph:topic", args=[key]),
    )


def _institution_centre(request, key: str) -> Centre:
    institution = catalog_selectors.institution_get(openalex_id=key)
    return Centre(
        kind="institution",
        key=key,
        label=institution.display_name,
        url=reverse("catalog:institution", args=[key]),
        explorer_url=reverse("graph:institution", args=[key]),
    )


_CENTRE_GETTERS = {
    "researcher": (_researcher_centre, Researcher.DoesNotExist),
    "work": (_work_centre, Work.DoesNotExist),
    "topic": (_topic_centre, Topic.DoesNotExist),
    "institution": (_institution_centre, Institution.DoesNotExist),
}


def centre_get(request, *, kind: str, key: str) -> Centre:
    """The centre ``kind``/``key`` if the viewer may see it (a hidden
    profile is missing for everyone but its owners and staff: the same rule
    as its page). One query. Raises ``Http404``."""
    if kind not in _CENTRE_GETTERS or not KEY_PATTERNS[kind].fullmatch(key):
        raise Http404("No such node.")
    getter, missing = _CENTRE_GETTERS[kind]
    try:
        return getter(request, key)
    except missing:
        raise Http404("No such node.") from None


def _merged_redirect(request, *, kind: str, key: str):
    """The explorer of the record OpenAlex merged ``key`` into, query kept;
    raises ``Http404`` when there is none."""
    if kind == "researcher":
        return merged_researcher_redirect(request, key, view="graph:researcher")
    if kind == "work":
        survivor = catalog_selectors.work_redirect_target(old_openalex_id=key)
        if survivor is not None and KEY_PATTERNS["work"].fullmatch(
            survivor.openalex_id or ""
        ):
            url = reverse("graph:work", args=[survivor.openalex_id])
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
    raise Http404("No such node.")


def query_string(query: dict[str, str], **extra: str) -> str:
    """``query`` (and ``extra``) as an address's query, commas left bare so
    a shared address stays readable (``kinds=researcher,work``)."""
    return urlencode({**query, **extra}, safe=",")


def _slice_or_none(params: SliceParams, *, build: bool) -> Slice | None:
    """The slice of ``params``, or None when it is cold (``build=False``) or
    cannot be had. A failed build is logged and shown as "unavailable":
    the graph is never a reason for a page to fail."""
    try:
        return slice_get(params, build=build)
    except SliceNotFound:
        return None
    except Exception:
        logger.exception(
            "graph slice of %s %s unavailable", params.centre_kind, params.centre_key
        )
        return None


def left_out_lines(slice_: Slice) -> list[str]:
    """ "and 187 more coauthors" for each kind of node the slice's caps left
    out, in ``KINDS`` order: the researchers around a researcher are their
    coauthors."""
    lines = []
    for kind in KINDS:
        count = int(slice_.left_out.get(kind, 0))
        if count <= 0:
            continue
        noun = kind
        if kind == "researcher" and slice_.params.centre_kind == "researcher":
            noun = "coauthor"
        lines.append(f"and {count:,} more {noun}{'' if count == 1 else 's'}")
    return lines


def slice_nodes(slice_: Slice) -> list[dict]:
    """Every node of the slice with its attributes and ``id``: the centre
    first, then by kind (``KINDS``' order), most connected first, then by
    label."""
    order = {kind: index for index, kind in enumerate(KINDS)}
    nodes = [{**attrs, "id": node} for node, attrs in slice_.graph.nodes(data=True)]
    nodes.sort(
        key=lambda node: (
            not node.get("is_centre"),
            order.get(node.get("kind"), len(order)),
            -(node.get("degree") or 0),
            str(node.get("label") or ""),
            node["id"],
        )
    )
    return nodes


def _slice_context(slice_: Slice, *, compact: bool, nearest: int) -> dict:
    if compact:
        svg = slice_svg(slice_, compact=True)
    else:
        svg = slice_svg(slice_, width=960, height=640)
    return {
        "slice": slice_,
        "svg": svg,
        "legend": slice_legend(slice_),
        "nearest": slice_nearest(slice_, limit=nearest),
        "left_out": left_out_lines(slice_),
    }


@never_cache
@require_safe
@anonymous_page_cache
def slice_fragment(request, kind: str, key: str):
    """The slice as an HTML fragment (picture, legend, nearest nodes, what
    was left out): 200 when it is cached; 202 with a placeholder when it is
    cold, its build enqueued for a worker. ``?build=1`` (the script's last
    try) builds it within the request instead, or answers 503 when it cannot
    be had. Slice parameters as the explorer's address takes them."""
    centre = centre_get(request, kind=kind, key=key)
    context = {"centre": centre}
    if centre.is_hidden:
        return render(request, "graph/_hidden.html", context)
    params = SliceParams.from_query(kind, key, request.GET)
    build = request.GET.get("build") == "1"
    slice_ = _slice_or_none(params, build=build)
    if slice_ is None and build:
        return render(request, "graph/_unavailable.html", context, status=503)
    if slice_ is None:
        slice_build_enqueue(params)
        return render(request, "graph/_pending.html", context, status=202)
    context.update(_slice_context(slice_, compact=True, nearest=NEAREST_ON_PROFILE))
    return render(request, "graph/_fragment.html", context)


def _export(slice_: Slice | None, fmt: str) -> HttpResponse:
    if slice_ is None:
        response = HttpResponse(
            "The graph is unavailable for now.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = "30"
        return response
    body, content_type, filename = slice_export(slice_, fmt)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _canonical_redirect(request, *, centre: Centre, params: SliceParams):
    """The redirect to the one address of the slice ``params`` (only what
    differs from the defaults, the kinds as one comma list) when the
    request's differs, e.g. as the form sends it; None when it is that
    address already."""
    canonical = params.to_query()
    asked = {name: values for name, values in request.GET.lists()}
    wanted = {name: [value] for name, value in canonical.items()}
    # Only to an address that reads back as the same slice: never a loop.
    reread = SliceParams.from_query(params.centre_kind, params.centre_key, canonical)
    if asked == wanted or reread != params:
        return None
    query = query_string(canonical)
    url = centre.explorer_url
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


def _controls(*, centre: Centre, params: SliceParams) -> dict:
    """What the explorer's form and links show of ``params``."""
    canonical = params.to_query()
    return {
        "params": params,
        "kinds": [
            {"kind": name, "label": KIND_LABELS[name], "checked": name in params.kinds}
            for name in KINDS
        ],
        "caps": [
            {
                "parameter": parameter,
                "label": (
                    "Coauthors"
                    if parameter == "coauthors" and centre.kind == "researcher"
                    else CAP_LABELS[parameter]
                ),
                "value": getattr(params, name),
                "min": low,
                "max": high,
            }
            for parameter, name, (low, high) in CAPS
        ],
        "year_bounds": YEAR_BOUNDS,
        "min_tie_bounds": MIN_TIE_BOUNDS,
        "exports": [
            {
                "format": name,
                "label": label,
                "url": f"{centre.explorer_url}?{query_string(canonical, format=name)}",
            }
            for name, label in EXPORT_LINKS
        ],
        "reset_url": centre.explorer_url,
        "is_default": not canonical,
        # The fold of the finer controls stays open while one of them is set.
        "more_open": bool(set(canonical) - {"depth", "kinds"}),
    }


@require_safe
def explorer(request, kind: str, key: str):
    """The explorer of one node: its slice drawn large with the controls
    that shape it (depth, node kinds, years, minimum tie strength, caps) in
    the address, so a view can be shared; ``?format=json|graphml|gexf``
    answers the shown slice as a download instead. A cold slice is built
    within the request. An address with parameters out of their form (a
    form's checkboxes, values out of range) is redirected to the one
    address of the slice it shows."""
    try:
        centre = centre_get(request, kind=kind, key=key)
    except Http404:
        return _merged_redirect(request, kind=kind, key=key)
    fmt = request.GET.get("format")
    if fmt is not None and fmt not in EXPORT_FORMATS:
        return HttpResponseBadRequest(
            "Unknown export format: ask for json, graphml or gexf.\n",
            content_type="text/plain; charset=utf-8",
        )
    params = SliceParams.from_query(kind, key, request.GET)
    if fmt is None:
        redirect = _canonical_redirect(request, centre=centre, params=params)
        if redirect is not None:
            return redirect
    if centre.is_hidden:
        if fmt is not None:
            raise Http404("A hidden profile has no export.")
        slice_ = None
    else:
        slice_ = _slice_or_none(params, build=True)
    if fmt is not None:
        return _export(slice_, fmt)
    context = {"centre": centre, **_controls(centre=centre, params=params)}
    if slice_ is not None:
        context.update(
            _slice_context(slice_, compact=False, nearest=NEAREST_IN_EXPLORER)
        )
        context["nodes"] = slice_nodes(slice_)
    return render(request, "graph/explorer.html", context)
