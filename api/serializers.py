"""What the API answers, field by field: plain serializers over the rows and
dataclasses the selectors return. Nothing here queries on its own; the views
hand over rows with what is shown already fetched."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.models import Claim
from collaboration.models import Conversation
from profiles.models import Researcher, VerificationLevel
from profiles.templatetags.catalog_tags import http_url
from profiles.visibility import authorship_links_profile


class HttpUrlField(serializers.CharField):
    """A stored URL as it may be followed: "" when none is stored, the URL
    when it is http(s), else null (a ``javascript:`` or ``data:`` URL from
    an import never reaches a client that would link it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if not value:
            return ""
        return http_url(value) or None


class InstitutionBriefSerializer(serializers.Serializer):
    openalex_id = serializers.CharField()
    display_name = serializers.CharField()


class InstitutionSerializer(serializers.Serializer):
    openalex_id = serializers.CharField()
    ror = serializers.CharField(allow_null=True)
    display_name = serializers.CharField()
    country_code = serializers.CharField(allow_blank=True)
    type = serializers.CharField(allow_blank=True)
    homepage_url = HttpUrlField()


class TopicBriefSerializer(serializers.Serializer):
    openalex_id = serializers.CharField()
    display_name = serializers.CharField()


class TopicSerializer(serializers.Serializer):
    openalex_id = serializers.CharField()
    display_name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    subfield_name = serializers.CharField(allow_blank=True)
    field_name = serializers.CharField(allow_blank=True)
    domain_name = serializers.CharField(allow_blank=True)


class ResearcherBriefSerializer(serializers.Serializer):
    openalex_id = serializers.CharField()
    display_name = serializers.CharField()


class ResearcherSerializer(serializers.Serializer):
    """A researcher's card: who, where, how much, how trusted."""

    openalex_id = serializers.CharField()
    display_name = serializers.CharField()
    orcid = serializers.CharField(allow_null=True)
    affiliation = InstitutionBriefSerializer(allow_null=True)
    works_count = serializers.IntegerField(
        source="listed_works_count",
        help_text="The works the profile lists (versions of one work once).",
    )
    cited_by_count = serializers.IntegerField()
    h_index = serializers.IntegerField()
    verification_level = serializers.ChoiceField(
        choices=VerificationLevel.choices,
        help_text="0-4: L1 imported, L2 claim approved, L3 strong evidence, "
        "L4 verified by staff.",
    )
    is_claimed = serializers.BooleanField()
    trust_score = serializers.IntegerField()
    trust_label = serializers.CharField(allow_blank=True)


class TrustSignalSerializer(serializers.Serializer):
    key = serializers.CharField(allow_blank=True)
    group = serializers.CharField(allow_blank=True)
    label = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    value = serializers.FloatField()
    cap = serializers.FloatField(allow_null=True)


class TrustSerializer(serializers.Serializer):
    """``profiles.selectors.TrustExplanation``: the stored breakdown."""

    is_computed = serializers.BooleanField()
    score = serializers.IntegerField()
    label = serializers.CharField()
    model_version = serializers.CharField(allow_blank=True)
    signals = TrustSignalSerializer(many=True)
    signals_total = serializers.FloatField()


class VerificationSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    code = serializers.CharField(help_text='"L0" to "L4".')
    label = serializers.CharField()


class ResearcherDetailSerializer(ResearcherSerializer):
    """A researcher's profile: the card, the owner's words, the trust
    breakdown signal by signal and the verification level."""

    headline = serializers.CharField(allow_blank=True)
    bio = serializers.CharField(allow_blank=True)
    is_open_to_collaborate = serializers.BooleanField()
    trust = TrustSerializer(source="api_trust")
    verification = serializers.SerializerMethodField()

    @extend_schema_field(VerificationSerializer)
    def get_verification(self, researcher: Researcher) -> dict:
        level = researcher.verification_level
        return {
            "level": level,
            "code": f"L{level}",
            "label": VerificationLevel(level).label,
        }


class AuthorSerializer(serializers.Serializer):
    """One author slot: the name as the work states it, and the profile it
    links to (null when there is none public, or its owner hid the work)."""

    position = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    researcher = serializers.SerializerMethodField()

    def get_name(self, authorship) -> str:
        if authorship.raw_author_name:
            return authorship.raw_author_name
        if authorship_links_profile(authorship):
            return authorship.researcher.display_name
        return ""

    @extend_schema_field(ResearcherBriefSerializer(allow_null=True))
    def get_researcher(self, authorship) -> dict | None:
        if not authorship_links_profile(authorship):
            return None
        researcher = authorship.researcher
        return {
            "openalex_id": researcher.openalex_id,
            "display_name": researcher.display_name,
        }


class WorkSerializer(serializers.Serializer):
    """A work as a list shows it, with its first authors."""

    openalex_id = serializers.CharField(allow_null=True)
    doi = serializers.CharField(allow_null=True)
    arxiv_id = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    publication_year = serializers.IntegerField(allow_null=True)
    publication_date = serializers.DateField(allow_null=True)
    type = serializers.CharField(allow_blank=True)
    venue = serializers.CharField(source="venue_name", allow_blank=True)
    cited_by_count = serializers.IntegerField()
    is_retracted = serializers.BooleanField()
    authors_count = serializers.IntegerField(
        source="author_count", help_text="Authors as the source lists them."
    )
    authors = AuthorSerializer(
        source="listed_authorships",
        many=True,
        help_text="The first authors (at most 8 in lists, all on a work's own page).",
    )


class WorkDetailSerializer(WorkSerializer):
    abstract = serializers.CharField(allow_blank=True)
    landing_page_url = HttpUrlField()
    pdf_url = HttpUrlField()
    language = serializers.CharField(allow_blank=True)
    topics = TopicBriefSerializer(source="api_topics", many=True)


class GraphNodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()


class GraphEdgeSerializer(serializers.Serializer):
    source = serializers.CharField()
    target = serializers.CharField()


class GraphSerializer(serializers.Serializer):
    """A research-graph slice as networkx node-link JSON
    (``networkx.node_link_graph(data, edges="edges")`` reads it back). Nodes
    and edges carry more attributes than listed here (metrics, layout,
    weight); ``graph`` says what the slice is (centre, parameters, the nodes
    a cap left out)."""

    directed = serializers.BooleanField()
    multigraph = serializers.BooleanField()
    graph = serializers.DictField()
    nodes = GraphNodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)


class FollowSerializer(serializers.Serializer):
    researcher = serializers.CharField(help_text="The researcher's OpenAlex id.")
    is_following = serializers.BooleanField()
    changed = serializers.BooleanField(
        help_text="Whether this call changed anything (the calls are idempotent)."
    )


class ClaimInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    homepage_url = serializers.CharField(
        required=False, allow_blank=True, max_length=500
    )


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    researcher = serializers.CharField(source="researcher.openalex_id")
    state = serializers.ChoiceField(choices=Claim.State.choices)
    created_at = serializers.DateTimeField()


class InvitationInputSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=5000)
    work = serializers.RegexField(
        r"^W[0-9]{1,30}$",
        required=False,
        allow_blank=True,
        help_text="A work of the profile's or of yours the invitation is about "
        "(OpenAlex id), optional.",
    )


class InvitationSerializer(serializers.Serializer):
    sent = serializers.BooleanField()


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    state = serializers.ChoiceField(choices=Conversation.State.choices)
    role = serializers.SerializerMethodField()
    researcher = serializers.SerializerMethodField()
    is_unread = serializers.BooleanField()
    last_message_at = serializers.DateTimeField()

    def get_role(self, conversation) -> str:
        user = self.context["request"].user
        return "initiator" if conversation.initiator_id == user.pk else "recipient"

    @extend_schema_field(ResearcherBriefSerializer(allow_null=True))
    def get_researcher(self, conversation) -> dict | None:
        researcher = conversation.researcher
        if researcher is None or researcher.is_hidden or not researcher.openalex_id:
            return None
        return {
            "openalex_id": researcher.openalex_id,
            "display_name": researcher.display_name,
        }
