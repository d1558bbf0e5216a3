"""The benchmark server's URLs (bzpeer.settings.bench): the site's own, and
beside them the framework floor — a view that answers one line through the
same middleware, so each page's latency can be read as a ratio to it."""

from django.http import HttpResponse
from django.urls import path

from .urls import urlpatterns as site_urlpatterns


def floor(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/floor", floor, name="bench_floor"), *site_urlpatterns]
