from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path(
        "researchers/<openalex_author:openalex_id>/claim/",
        views.claim_submit_view,
        name="submit",
    ),
    path(
        "researchers/<openalex_author:openalex_id>/claim/orcid/",
        views.claim_orcid_start_view,
        name="orcid_start",
    ),
    path(
        "claims/orcid/complete/",
        views.claim_orcid_complete_view,
        name="orcid_complete",
    ),
    path(
        "researchers/<openalex_author:openalex_id>/dispute/",
        views.claim_dispute_view,
        name="dispute",
    ),
    path("claims/<int:claim_id>/withdraw/", views.claim_withdraw_view, name="withdraw"),
]
