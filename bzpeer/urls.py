from django.contrib import admin
from django.urls import include, path

from profiles import views as profile_views
from profiles.urls import catalog_urlpatterns, following_urlpatterns

from .health import healthz

urlpatterns = [
    path("", profile_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("trust/", profile_views.trust_model, name="trust"),
    path("search", profile_views.search, name="search"),
    path("researchers/", include("profiles.urls")),
    path("", include((catalog_urlpatterns, "catalog"))),
    path("", include((following_urlpatterns, "following"))),
    path("", include("claims.urls")),
    path("", include("collaboration.urls")),
    path("", include("graph.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "bzpeer.middleware.server_error"
