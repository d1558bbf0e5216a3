from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path(
        "researchers/<openalex_author:openalex_id>/claim/",
        views.claim_submit_view,
        name="submit",
    ),
    path("claims/<int:claim_id>/withdraw/", views.claim_withdraw_view, name="withdraw"),
]
