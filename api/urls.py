from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

app_name = "api"

RESEARCHER = "researchers/<openalex_author:openalex_id>/"
WORK = "works/<openalex_work:openalex_id>/"
TOPIC = "topics/<openalex_topic:openalex_id>/"
INSTITUTION = "institutions/<openalex_institution:openalex_id>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema"),
        name="docs",
    ),
    path("researchers/", views.ResearcherListView.as_view(), name="researchers"),
    path(RESEARCHER, views.ResearcherDetailView.as_view(), name="researcher"),
    path(
        RESEARCHER + "works/",
        views.ResearcherWorkListView.as_view(),
        name="researcher-works",
    ),
    path(
        RESEARCHER + "graph/",
        views.graph_view("researcher").as_view(),
        name="researcher-graph",
    ),
    path(
        RESEARCHER + "citations/",
        views.ResearcherCitationsView.as_view(),
        name="researcher-citations",
    ),
    path(RESEARCHER + "follow/", views.FollowView.as_view(), name="follow"),
    path(RESEARCHER + "claim/", views.ClaimView.as_view(), name="claim"),
    path(RESEARCHER + "invitation/", views.InvitationView.as_view(), name="invitation"),
    path("works/", views.WorkListView.as_view(), name="works"),
    path(WORK, views.WorkDetailView.as_view(), name="work"),
    path(WORK + "graph/", views.graph_view("work").as_view(), name="work-graph"),
    path(
        WORK + "citations/",
        views.WorkCitationsView.as_view(),
        name="work-citations",
    ),
    path("topics/", views.TopicListView.as_view(), name="topics"),
    path(TOPIC, views.TopicDetailView.as_view(), name="topic"),
    path(TOPIC + "graph/", views.graph_view("topic").as_view(), name="topic-graph"),
    path("institutions/", views.InstitutionListView.as_view(), name="institutions"),
    path(INSTITUTION, views.InstitutionDetailView.as_view(), name="institution"),
    path(
        INSTITUTION + "graph/",
        views.graph_view("institution").as_view(),
        name="institution-graph",
    ),
    path(
        "me/conversations/",
        views.ConversationListView.as_view(),
        name="conversations",
    ),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
