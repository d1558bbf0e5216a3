"""The API's faces: each parses its input, calls one selector or service and
serializes. Everything public goes through the profiles' visibility rule as
the public sees it (``viewer=None``): a hidden profile is absent here for
everyone, its owners included, and answers 404."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bzpeer.ratelimits import (
    Allowance,
    RateLimitsUnavailable,
    write_allowance_spend,
)
from claims.models import Claim
from claims.selectors import claim_open_for_viewer
from claims.services import ClaimRefused, claim_submit, claim_withdraw
from collaboration.selectors import inbox_conversations
from collaboration.services import CollaborationRefused, invitation_send
from graph.cache import slice_get
from graph.exports import slice_export
from graph.params import CAPS, SliceParams
from graph.slices import SliceNotFound
from profiles import catalog_selectors
from profiles.citations import (
    CITATION_FORMATS,
    researcher_citations,
    work_citations,
)
from profiles.following import (
    FollowRefused,
    researcher_follow,
    researcher_unfollow,
)
from profiles.models import Researcher
from profiles.selectors import (
    listed_authorships_prefetch,
    researcher_get,
    researcher_list_base,
    researcher_works,
    trust_explanation,
    venue_name_expression,
)
from works.models import Institution, Topic, Work

from . import serializers
from .exceptions import Refused, not_found_response
from .filters import ResearcherFilter, WorkFilter

ID_PATTERNS = {
    "researcher": r"^A[0-9]{1,30}$",
    "work": r"^W[0-9]{1,30}$",
    "topic": r"^T[0-9]{1,30}$",
    "institution": r"^I[0-9]{1,30}$",
}


def _id_parameter(kind: str) -> OpenApiParameter:
    return OpenApiParameter(
        "openalex_id",
        {"type": "string", "pattern": ID_PATTERNS[kind]},
        OpenApiParameter.PATH,
        description=f"The {kind}'s OpenAlex id.",
    )


def _public_researcher(openalex_id: str) -> Researcher:
    """The researcher with a public page under this id; ``NotFound`` (404)
    for a missing or hidden one alike."""
    try:
        return researcher_get(openalex_id=openalex_id, viewer=None)
    except Researcher.DoesNotExist:
        raise NotFound() from None


def _rate_spend(request, *, group: str, rates) -> None:
    """Counts this request against the allowances the site's own forms count
    (the same groups and rates): 429 once one is spent, 503 while they
    cannot be counted (bzpeer.ratelimits: writes fail closed)."""
    allowance = write_allowance_spend(request._request, group=group, rates=rates)
    if allowance is Allowance.SPENT:
        raise Throttled()
    if allowance is Allowance.UNCOUNTED:
        raise RateLimitsUnavailable()


def _works_listed():
    """Works with what a list shows of them: venue, first authors."""
    return (
        Work.objects.select_related("source")
        .defer("abstract")
        .annotate(venue_name=venue_name_expression())
        .prefetch_related(listed_authorships_prefetch())
    )


# --- researchers ----------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        summary="Researchers",
        description="Researchers with a public profile, most works first. "
        "`q` searches names, OpenAlex author ids and ORCID iDs.",
        tags=["researchers"],
    )
)
class ResearcherListView(generics.ListAPIView):
    serializer_class = serializers.ResearcherSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ResearcherFilter
    cursor_ordering = ("-listed_works_count", "pk")

    def get_queryset(self):
        return researcher_list_base()


class ResearcherDetailView(APIView):
    @extend_schema(
        summary="A researcher",
        description="The profile with its trust breakdown and verification.",
        parameters=[_id_parameter("researcher")],
        responses=serializers.ResearcherDetailSerializer,
        tags=["researchers"],
    )
    def get(self, request, openalex_id):
        researcher = _public_researcher(openalex_id)
        researcher.api_trust = trust_explanation(researcher=researcher)
        return Response(serializers.ResearcherDetailSerializer(researcher).data)


@extend_schema_view(
    get=extend_schema(
        summary="A researcher's works",
        description="The works the profile lists, most cited first; works its "
        "owner hid are absent.",
        parameters=[_id_parameter("researcher")],
        tags=["researchers"],
    )
)
class ResearcherWorkListView(generics.ListAPIView):
    serializer_class = serializers.WorkSerializer
    cursor_ordering = ("-cited_by_count", "-pk")

    def get_queryset(self):
        researcher = _public_researcher(self.kwargs["openalex_id"])
        return researcher_works(researcher=researcher, sort="citations")


# --- works ----------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        summary="Works",
        description="Works in the catalog, most cited first.",
        tags=["works"],
    )
)
class WorkListView(generics.ListAPIView):
    serializer_class = serializers.WorkSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = WorkFilter
    cursor_ordering = ("-cited_by_count", "-pk")

    def get_queryset(self):
        return _works_listed()


class WorkDetailView(APIView):
    @extend_schema(
        summary="A work",
        description="A work with its abstract, every author and its topics.",
        parameters=[_id_parameter("work")],
        responses=serializers.WorkDetailSerializer,
        tags=["works"],
    )
    def get(self, request, openalex_id):
        try:
            work = catalog_selectors.work_get(openalex_id=openalex_id)
        except Work.DoesNotExist:
            raise NotFound() from None
        work.listed_authorships = list(catalog_selectors.work_authorships(work=work))
        work.api_topics = catalog_selectors.work_topics(work=work)
        return Response(serializers.WorkDetailSerializer(work).data)


# --- topics and institutions ------------------------------------------------------


@extend_schema_view(get=extend_schema(summary="Topics", tags=["topics"]))
class TopicListView(generics.ListAPIView):
    serializer_class = serializers.TopicSerializer
    cursor_ordering = ("pk",)
    queryset = Topic.objects.all()


class TopicDetailView(APIView):
    @extend_schema(
        summary="A topic",
        parameters=[_id_parameter("topic")],
        responses=serializers.TopicSerializer,
        tags=["topics"],
    )
    def get(self, request, openalex_id):
        try:
            topic = catalog_selectors.topic_get(openalex_id=openalex_id)
        except Topic.DoesNotExist:
            raise NotFound() from None
        return Response(serializers.TopicSerializer(topic).data)


@extend_schema_view(get=extend_schema(summary="Institutions", tags=["institutions"]))
class InstitutionListView(generics.ListAPIView):
    serializer_class = serializers.InstitutionSerializer
    cursor_ordering = ("pk",)
    queryset = Institution.objects.all()


class InstitutionDetailView(APIView):
    @extend_schema(
        summary="An institution",
        parameters=[_id_parameter("institution")],
        responses=serializers.InstitutionSerializer,
        tags=["institutions"],
    )
    def get(self, request, openalex_id):
        try:
            institution = catalog_selectors.institution_get(openalex_id=openalex_id)
        except Institution.DoesNotExist:
            raise NotFound() from None
        return Response(serializers.InstitutionSerializer(institution).data)


# --- graph slices -------------------------------------------------------------------

GRAPH_PARAMETERS = [
    OpenApiParameter("depth", int, description="1 or 2 (clamped)."),
    OpenApiParameter(
        "kinds",
        str,
        description="Node kinds shown, a comma list of researcher, work, topic, "
        "institution (default: all).",
    ),
    OpenApiParameter("year_min", int, description="Works from this year."),
    OpenApiParameter("year_max", int, description="Works up to this year."),
    OpenApiParameter("min_tie", float, description="Minimum tie strength, 0-10."),
    *[
        OpenApiParameter(
            parameter, int, description=f"At most this many, {low}-{high} (clamped)."
        )
        for parameter, _, (low, high) in CAPS
    ],
]


def graph_view(kind: str):
    class GraphView(APIView):
        @extend_schema(
            summary=f"The research graph around a {kind}",
            description="A bounded slice as networkx node-link JSON; garbage "
            "parameters are ignored and values out of bounds clamped.",
            parameters=[_id_parameter(kind), *GRAPH_PARAMETERS],
            responses=serializers.GraphSerializer,
            tags=["graph"],
            operation_id=f"{kind}s_graph",
        )
        def get(self, request, openalex_id):
            if kind == "researcher":
                _public_researcher(openalex_id)
            params = SliceParams.from_query(kind, openalex_id, request.query_params)
            try:
                slice_ = slice_get(params, build=True)
            except SliceNotFound:
                raise NotFound() from None
            content, _, _ = slice_export(slice_, "json")
            return Response(json.loads(content))

    GraphView.__name__ = f"{kind.capitalize()}GraphView"
    return GraphView


# --- citations ----------------------------------------------------------------------

STYLE_PARAMETER = OpenApiParameter(
    "style",
    str,
    enum=list(CITATION_FORMATS),
    default=CITATION_FORMATS[0],
    description="bibtex, ris or csl-json.",
)
CITATION_RESPONSES = {
    (200, "application/x-bibtex"): OpenApiResponse(OpenApiTypes.BINARY),
    (200, "application/x-research-info-systems"): OpenApiResponse(OpenApiTypes.BINARY),
    (200, "application/vnd.citationstyles.csl+json"): OpenApiResponse(
        {"type": "array", "items": {"type": "object"}},
        description="CSL-JSON: an array of CSL items.",
    ),
}


def _style(request) -> str:
    style = request.query_params.get("style") or CITATION_FORMATS[0]
    if style not in CITATION_FORMATS:
        raise Refused(
            f"Unknown citation style; choose one of {', '.join(CITATION_FORMATS)}."
        )
    return style


def _download(citations) -> HttpResponse:
    response = HttpResponse(citations.content, content_type=citations.content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, citations.filename
    )
    return response


class WorkCitationsView(APIView):
    @extend_schema(
        summary="A work's citation",
        parameters=[_id_parameter("work"), STYLE_PARAMETER],
        responses=CITATION_RESPONSES,
        tags=["citations"],
    )
    def get(self, request, openalex_id):
        style = _style(request)
        try:
            work = catalog_selectors.work_get(openalex_id=openalex_id)
        except Work.DoesNotExist:
            raise NotFound() from None
        return _download(work_citations(work=work, fmt=style))


class ResearcherCitationsView(APIView):
    @extend_schema(
        summary="A researcher's works as citations",
        description="The works the profile lists (hidden ones absent).",
        parameters=[_id_parameter("researcher"), STYLE_PARAMETER],
        responses=CITATION_RESPONSES,
        tags=["citations"],
    )
    def get(self, request, openalex_id):
        style = _style(request)
        researcher = _public_researcher(openalex_id)
        return _download(researcher_citations(researcher=researcher, fmt=style))


# --- logged in: follow, claim, invite, conversations ---------------------------------


class FollowView(APIView):
    permission_classes = [IsAuthenticated]

    def _answer(self, researcher, *, is_following: bool, changed: bool):
        return Response(
            serializers.FollowSerializer(
                {
                    "researcher": researcher.openalex_id,
                    "is_following": is_following,
                    "changed": changed,
                }
            ).data
        )

    @extend_schema(
        summary="Follow a researcher",
        parameters=[_id_parameter("researcher")],
        request=None,
        responses=serializers.FollowSerializer,
        tags=["me"],
    )
    def post(self, request, openalex_id):
        researcher = _public_researcher(openalex_id)
        try:
            created = researcher_follow(user=request.user, researcher=researcher)
        except FollowRefused as refused:
            raise Refused(str(refused)) from refused
        return self._answer(researcher, is_following=True, changed=created)

    @extend_schema(
        summary="Unfollow a researcher",
        parameters=[_id_parameter("researcher")],
        request=None,
        responses=serializers.FollowSerializer,
        tags=["me"],
    )
    def delete(self, request, openalex_id):
        researcher = _public_researcher(openalex_id)
        deleted = researcher_unfollow(user=request.user, researcher=researcher)
        return self._answer(researcher, is_following=False, changed=deleted)


class ClaimView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Claim a researcher's profile",
        description="A pending claim for the moderators (evidence by ORCID "
        "sign-in or institutional e-mail is offered on the site).",
        parameters=[_id_parameter("researcher")],
        request=serializers.ClaimInputSerializer,
        responses={201: serializers.ClaimSerializer},
        tags=["me"],
    )
    def post(self, request, openalex_id):
        researcher = _public_researcher(openalex_id)
        data = serializers.ClaimInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _rate_spend(
            request,
            group="claims.submit",
            rates=(
                ("user", settings.CLAIM_RATE_PER_USER),
                ("ip", settings.CLAIM_RATE_PER_IP),
            ),
        )
        try:
            claim = claim_submit(
                user=request.user,
                researcher=researcher,
                note=data.validated_data.get("note", ""),
                homepage_url=data.validated_data.get("homepage_url", "").strip(),
            )
        except ClaimRefused as refused:
            raise Refused(str(refused)) from refused
        return Response(
            serializers.ClaimSerializer(claim).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Withdraw your open claim",
        parameters=[_id_parameter("researcher")],
        request=None,
        responses=serializers.ClaimSerializer,
        tags=["me"],
    )
    def delete(self, request, openalex_id):
        researcher = _public_researcher(openalex_id)
        claim = claim_open_for_viewer(researcher=researcher, user=request.user)
        if claim is None:
            raise Refused("You have no open claim on this profile.")
        try:
            claim = claim_withdraw(claim=claim, user=request.user)
        except (ClaimRefused, Claim.DoesNotExist) as refused:
            raise Refused(str(refused)) from refused
        return Response(serializers.ClaimSerializer(claim).data)


class InvitationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Invite a claimed profile's owner to collaborate",
        description="Opens a conversation in both inboxes.",
        parameters=[_id_parameter("researcher")],
        request=serializers.InvitationInputSerializer,
        responses={201: serializers.InvitationSerializer},
        tags=["me"],
    )
    def post(self, request, openalex_id):
        researcher = _public_researcher(openalex_id)
        data = serializers.InvitationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _rate_spend(
            request,
            group="collaboration.invitation",
            rates=(("user", settings.INVITATION_RATE_PER_USER),),
        )
        work_key = data.validated_data.get("work") or ""
        work_id = None
        if work_key:
            work_id = (
                Work.objects.filter(openalex_id=work_key)
                .values_list("pk", flat=True)
                .first()
                or -1
            )
        try:
            invitation_send(
                sender=request.user,
                researcher=researcher,
                subject=data.validated_data["subject"],
                body=data.validated_data["body"],
                work_id=work_id,
            )
        except CollaborationRefused as refused:
            if refused.not_found:
                raise NotFound() from refused
            raise Refused(str(refused)) from refused
        # From an account the owner blocked it answers exactly as if sent.
        return Response({"sent": True}, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Your conversations",
        description="Conversations you started or received, newest activity "
        "first (archived ones are on the site).",
        tags=["me"],
    )
)
class ConversationListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = serializers.ConversationSerializer
    cursor_ordering = ("-last_message_at", "-pk")

    def get_queryset(self):
        return inbox_conversations(user=self.request.user)


class NotFoundView(APIView):
    """Any other address under /api/: the API's own 404 body."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return not_found_response()

    post = put = patch = delete = get
