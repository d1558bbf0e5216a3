from django.urls import path

from . import views

app_name = "profiles"

urlpatterns = [
    path("", views.researcher_search, name="search"),
    path("<str:openalex_id>/", views.researcher_detail, name="detail"),
    path("<str:openalex_id>/trust/", views.researcher_trust, name="trust"),
]
