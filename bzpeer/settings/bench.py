"""``make bench``'s web server: served as ``make run`` serves (gunicorn, DEBUG
off), against the benchmark's own database, with two differences a load test
needs — the framework floor's one-line view (bzpeer.bench_urls) and no rate
limits, which would otherwise answer the load generator's single address
with 429s. Never used to serve anyone."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="bench-" + "x" * 50)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bzpeer.bench_urls"
CACHES["default"]["KEY_PREFIX"] = "bzpeer-bench"  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="bzpeer-bench")
WHITENOISE_USE_FINDERS = True
ACCOUNT_RATE_LIMITS = False
API_THROTTLE_ANON = API_THROTTLE_USER = "1000000/min"
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {  # noqa: F405
    scope: "1000000/min"
    for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # noqa: F405
}
