from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("data/", views.account_data_view, name="data"),
    path("data/download/", views.account_data_download_view, name="data_download"),
    path("delete/", views.account_delete_view, name="delete"),
]
