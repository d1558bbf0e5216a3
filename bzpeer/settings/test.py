"""Test settings: only what makes the suite faster or isolated."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test run keeps its cache keys and Celery queue apart from a running dev
# server on the same Redis.
CACHES["default"]["KEY_PREFIX"] = "bzpeer-test"  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="bzpeer-test")
ALLOWED_HOSTS = ["*"]

# Tests flush their cache between cases: keep it (and the test broker) in Redis
# databases of their own, never the development server's.
CACHES["default"]["LOCATION"] = env(  # noqa: F405
    "TEST_CACHE_URL", default="redis://127.0.0.1:6379/14"
)
CELERY_BROKER_URL = env("TEST_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL

# Static files straight from the app folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Live imports: no real waiting between recorded responses.
OPENALEX_MIN_INTERVAL = 0.0
ARXIV_MIN_INTERVAL = env.float("ARXIV_MIN_INTERVAL", default=0.0)
IMPORT_BACKOFF_SECONDS = 0.01
IMPORT_MAX_WAIT_SECONDS = 0.05
# The sources' schedules in the test cache's Redis database, emptied before
# every test, never the development one.
RATE_LIMIT_REDIS_URL = CACHES["default"]["LOCATION"]  # noqa: F405

# Mail goes to files that the test, the live server and the session's worker
# share (tests/helpers/mail.py reads them); one folder per test queue, so two
# runs on one machine never read each other's mail.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = env(
    "TEST_EMAIL_DIR",
    default=str(BASE_DIR / ".run" / "test-mail" / CELERY_TASK_DEFAULT_QUEUE),  # noqa: F405
)
