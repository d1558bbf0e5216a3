from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The public JSON API (Django REST framework) under /api/: a face over
    the services and selectors of every app; no app imports it."""

    name = "api"
    verbose_name = "Public API"
