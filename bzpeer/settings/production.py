"""Production: secrets have no default, so a missing one stops the boot."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False

# Keys that are public (in the repository) and must never sign production
# sessions: the value in .env.example and the development default in base.py.
PLACEHOLDER_SECRET_KEYS = frozenset(
    {
        "replace-with-the-output-of-python3-c-import-secrets-print-secrets"
        "-token-urlsafe-50",
        "dev-insecure-bzpeer-key-change-me",
    }
)
_MAKE_A_KEY = (
    "set SECRET_KEY to a new random value, e.g. the output of "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
)


def _checked_secret_key(key: str) -> str:
    """Return ``key``, or raise ImproperlyConfigured when it is a known
    placeholder or too weak to sign sessions (Django's own W009 rule: at
    least 50 characters, at least 5 distinct ones)."""
    if not key:
        raise ImproperlyConfigured(f"SECRET_KEY is empty: {_MAKE_A_KEY}.")
    if key in PLACEHOLDER_SECRET_KEYS or key.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            f"SECRET_KEY is a published placeholder (from .env.example or the "
            f"development default): {_MAKE_A_KEY}."
        )
    if len(key) < 50 or len(set(key)) < 5:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak (it needs at least 50 characters, at least "
            f"5 of them distinct): {_MAKE_A_KEY}."
        )
    return key


SECRET_KEY = _checked_secret_key(env("SECRET_KEY"))
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# X-Forwarded-Proto decides whether a request counts as HTTPS (secure cookies,
# the HTTPS redirect). Trust it only when a TLS proxy sits in front, gunicorn is
# reachable only through it, and it overwrites the header clients send
# (docs/operations.md, "HTTPS and the proxy in front").
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
# Both are hard to undo (browsers remember them for SECURE_HSTS_SECONDS, and the
# preload list ships in browsers), so the operator opts in for the domain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# check --deploy warns while either is off (W005: includeSubDomains, W021:
# preload). Off is a deliberate default here, not an oversight, so silence
# exactly the warning for the one that is off; once opted in, nothing is
# silenced and the check verifies the setting again.
SILENCED_SYSTEM_CHECKS = [  # noqa: F405
    *SILENCED_SYSTEM_CHECKS,  # noqa: F405
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
