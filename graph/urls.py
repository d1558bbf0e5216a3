"""Addresses of the research graph, mounted at the site's root under the
"graph" namespace (bzpeer/urls.py): each node's explorer below its own page,
and the fragment the profile's section fetches."""

from django.urls import path

# The OpenAlex id converters (openalex_author, …) are registered there.
import profiles.urls  # noqa: F401

from . import views

app_name = "graph"

urlpatterns = [
    path(
        "researchers/<openalex_author:key>/graph/",
        views.explorer,
        {"kind": "researcher"},
        name="researcher",
    ),
    path(
        "works/<openalex_work:key>/graph/",
        views.explorer,
        {"kind": "work"},
        name="work",
    ),
    path(
        "topics/<openalex_topic:key>/graph/",
        views.explorer,
        {"kind": "topic"},
        name="topic",
    ),
    path(
        "institutions/<openalex_institution:key>/graph/",
        views.explorer,
        {"kind": "institution"},
        name="institution",
    ),
    path("graph/slice/<str:kind>/<str:key>/", views.slice_fragment, name="fragment"),
]
