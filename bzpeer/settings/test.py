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
