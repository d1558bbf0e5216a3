"""Serving BZPEER as a product on one's own machine (``make run``): DEBUG
off, the designed 404 and 500 pages, hashed and compressed static files with
far-future cache headers (after ``collectstatic``), served by gunicorn on
127.0.0.1 over plain HTTP. The secret key has no default: ``make run``
generates one the first time and keeps it in the local ``.env``.

Differs from production only in what plain HTTP on a private address needs:
no HTTPS redirect, no HSTS, cookies not marked secure."""

from django.core.exceptions import ImproperlyConfigured

from .dot_env import read_dot_env

read_dot_env()

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set, at least 32 characters (make run writes one to .env)."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
