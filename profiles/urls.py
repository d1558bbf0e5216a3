from django.urls import path, register_converter

from . import (
    catalog_views,
    citation_views,
    curation_views,
    following_views,
    views,
)

app_name = "profiles"


class OpenAlexWorkIdConverter:
    """A work's OpenAlex id as stored (``W2741809807``); a bare number is our
    primary key (``int``), so the two never meet on one address."""

    regex = r"W[0-9]{1,30}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(OpenAlexWorkIdConverter, "openalex_work")


class OpenAlexIdConverter:
    """An OpenAlex id of one entity, as stored (``A5023888391``): anything
    else (a NUL byte, a stray word) never reaches a query and answers 404."""

    prefix = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class OpenAlexAuthorIdConverter(OpenAlexIdConverter):
    regex = r"A[0-9]{1,30}"


class OpenAlexTopicIdConverter(OpenAlexIdConverter):
    regex = r"T[0-9]{1,30}"


class OpenAlexInstitutionIdConverter(OpenAlexIdConverter):
    regex = r"I[0-9]{1,30}"


class ArxivIdConverter(OpenAlexIdConverter):
    """An arXiv id, new style (``2401.12345``) or old (``hep-th/9901001``),
    with an optional version."""

    regex = (
        r"(?:[0-9]{4}\.[0-9]{4,5}|[a-z][a-z\-]*(?:\.[A-Za-z\-]{2,})?/[0-9]{7})"
        r"(?:v[0-9]+)?"
    )


register_converter(OpenAlexAuthorIdConverter, "openalex_author")
register_converter(OpenAlexTopicIdConverter, "openalex_topic")
register_converter(OpenAlexInstitutionIdConverter, "openalex_institution")
register_converter(ArxivIdConverter, "arxiv_id")

urlpatterns = [
    path("", views.researcher_search, name="search"),
    path("<openalex_author:openalex_id>/", views.researcher_detail, name="detail"),
    path("<openalex_author:openalex_id>/trust/", views.researcher_trust, name="trust"),
    path(
        "<openalex_author:openalex_id>/topics/",
        catalog_views.researcher_topics,
        name="topics",
    ),
    path(
        "<openalex_author:openalex_id>/collaborators/",
        catalog_views.researcher_collaborators,
        name="collaborators",
    ),
    path(
        "<openalex_author:openalex_id>/changes/",
        curation_views.profile_change_log,
        name="changes",
    ),
    path(
        "<openalex_author:openalex_id>/changes/<int:change_pk>/undo/",
        curation_views.profile_change_undo,
        name="change_undo",
    ),
    path(
        "<openalex_author:openalex_id>/manage/",
        curation_views.profile_manage,
        name="manage",
    ),
    path(
        "<openalex_author:openalex_id>/works/<int:work_pk>/hide/",
        curation_views.work_hide,
        name="work_hide",
    ),
    path(
        "<openalex_author:openalex_id>/works/<int:work_pk>/restore/",
        curation_views.work_restore,
        name="work_restore",
    ),
    path(
        "<openalex_author:openalex_id>/visibility/",
        curation_views.profile_visibility,
        name="visibility",
    ),
    path(
        "<openalex_author:openalex_id>/merge/",
        curation_views.owner_merge,
        name="owner_merge",
    ),
    path(
        "<openalex_author:openalex_id>/follow/",
        following_views.follow,
        name="follow",
    ),
    path(
        "<openalex_author:openalex_id>/unfollow/",
        following_views.unfollow,
        name="unfollow",
    ),
    path(
        "<openalex_author:openalex_id>/citations.<str:fmt>",
        citation_views.researcher_citations_download,
        name="citations",
    ),
]

# Mounted at the site's root under the "catalog" namespace (bzpeer/urls.py).
catalog_urlpatterns = [
    path("works/<openalex_work:openalex_id>/", catalog_views.work_detail, name="work"),
    path(
        "works/arxiv/<arxiv_id:arxiv_id>/",
        catalog_views.work_detail,
        name="work_by_arxiv_id",
    ),
    path("works/<int:pk>/", catalog_views.work_detail, name="work_by_pk"),
    path(
        "works/<int:pk>/citation.<str:fmt>",
        citation_views.work_citation_download,
        name="work_citation",
    ),
    path(
        "topics/<openalex_topic:openalex_id>/", catalog_views.topic_detail, name="topic"
    ),
    path(
        "institutions/<openalex_institution:openalex_id>/",
        catalog_views.institution_detail,
        name="institution",
    ),
]

# Mounted at the site's root under the "following" namespace (bzpeer/urls.py).
following_urlpatterns = [
    path("feed/", following_views.feed, name="feed"),
    path("following/", following_views.following_list, name="list"),
    path("feed/digest/", following_views.digest_switch, name="digest_switch"),
    path(
        "feed/unsubscribe/<str:token>/",
        following_views.digest_unsubscribe,
        name="digest_unsubscribe",
    ),
]
