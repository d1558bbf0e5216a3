from django.urls import path, register_converter

from . import catalog_views, views

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

urlpatterns = [
    path("", views.researcher_search, name="search"),
    path("<str:openalex_id>/", views.researcher_detail, name="detail"),
    path("<str:openalex_id>/trust/", views.researcher_trust, name="trust"),
    path("<str:openalex_id>/topics/", catalog_views.researcher_topics, name="topics"),
    path(
        "<str:openalex_id>/collaborators/",
        catalog_views.researcher_collaborators,
        name="collaborators",
    ),
]

# Mounted at the site's root under the "catalog" namespace (bzpeer/urls.py).
catalog_urlpatterns = [
    path("works/<openalex_work:openalex_id>/", catalog_views.work_detail, name="work"),
    path(
        "works/arxiv/<path:arxiv_id>/",
        catalog_views.work_detail,
        name="work_by_arxiv_id",
    ),
    path("works/<int:pk>/", catalog_views.work_detail, name="work_by_pk"),
    path("topics/<str:openalex_id>/", catalog_views.topic_detail, name="topic"),
    path(
        "institutions/<str:openalex_id>/",
        catalog_views.institution_detail,
        name="institution",
    ),
]
