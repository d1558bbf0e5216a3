"""Settings shared by every mode; everything an operator may change is read from
the environment, with defaults that work on a development machine."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-bzpeer-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_ratelimit",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.orcid",
    "profiles",
    "works",
    "claims",
    "collaboration",
    "accounts",
    "graph",
    "api",
    "outbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A view that cannot reach PostgreSQL (or the cache's Redis) answers 503
    # with Retry-After, not 500.
    "bzpeer.middleware.ServiceUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Anonymous reads of the pages bzpeer.db_router lists may go to a read
    # replica (only when DATABASE_REPLICA_URL is set).
    "bzpeer.db_router.ReplicaReadsMiddleware",
    # Last: it calls the views it wraps (search) in their own transaction.
    "bzpeer.middleware.StatementTimeoutMiddleware",
]
# The statement timeout of a search request (bzpeer.middleware), in
# milliseconds; never applied to workers or commands.
SEARCH_STATEMENT_TIMEOUT_MS = env.int("SEARCH_STATEMENT_TIMEOUT_MS", default=3000)

ROOT_URLCONF = "bzpeer.urls"
WSGI_APPLICATION = "bzpeer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bzpeer.context_processors.site_banner",
                "collaboration.context_processors.inbox_unread",
            ],
        },
    },
]

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/bzpeer"
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read replica of the same PostgreSQL (streaming replication), only when set:
# anonymous reads of the public pages go there (bzpeer.db_router).
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # Tests read their own test database through it, never the replica's.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["bzpeer.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="bzpeer"),
        "TIMEOUT": 3600,
    }
}
# How long an anonymous page may stay in the cache (bzpeer.page_cache). Not a
# freshness bound: a write moves the data version and every older page is
# never served again; this only bounds the memory such pages hold.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=3600)

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Celery: one REDIS_URL for broker, results and cache.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
# A task whose worker process dies (OOM killer, hard time limit) goes back to
# the queue instead of being acknowledged as done.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30 * 60
CELERY_TASK_TIME_LIMIT = 35 * 60
# Seconds before Redis hands a task taken but never acknowledged to a worker
# again: longer than the slowest task, so a task acked late is not redelivered
# while it still runs. A prefork pool child that dies (OOM killer, hard time
# limit) has its task requeued at once by its parent (REJECT_ON_WORKER_LOST);
# a whole worker lost (its host gone, its main process killed) holds its task
# until this timeout, then a worker's sweep (when it starts, and every ~100 s)
# delivers it again. Tests of a lost worker set it short.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="bzpeer")
# Periodic tasks, all of them (``celery -A bzpeer beat``).
CELERY_BEAT_SCHEDULE: dict = {
    # Re-import the stalest researchers (works.services.researchers_refresh),
    # once an hour.
    "researchers-refresh": {
        "task": "works.researchers_refresh",
        "schedule": crontab(minute=17),
    },
    # Resume import runs whose worker was lost (works.services.import_runs_sweep).
    "import-runs-sweep": {
        "task": "works.import_runs_sweep",
        "schedule": timedelta(minutes=10),
    },
    # Fold the profile views counted in Redis into the database.
    "researcher-views-flush": {
        "task": "profiles.researcher_views_flush",
        "schedule": timedelta(minutes=5),
    },
    # The weekly digest of new works by the researchers one follows, to those
    # who asked for it (profiles.following.follow_digests_send).
    "follow-digests-send": {
        "task": "profiles.follow_digests_send",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    # Publish the task messages whose broker was away when their transaction
    # committed (outbox.services.outbox_send_pending); a tick not taken
    # before the next one is dropped.
    "outbox-send-pending": {
        "task": "outbox.send_pending",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    },
}

# Live imports (works.ingest.openalex, works.ingest.arxiv). OpenAlex asks for an
# API key since February 2026 (without one only a few calls a day are allowed)
# and a contact e-mail.
OPENALEX_EMAIL = env("OPENALEX_EMAIL", default="")
# Where the live importer asks (a mirror, a proxy, a local stand-in in tests).
OPENALEX_API_URL = env("OPENALEX_API_URL", default="https://api.openalex.org")
OPENALEX_API_KEY = env("OPENALEX_API_KEY", default="")
# Seconds between two requests to a source, shared by every worker (Redis).
OPENALEX_MIN_INTERVAL = env.float("OPENALEX_MIN_INTERVAL", default=0.1)
# Works we hold of an author that their works walk did not list, looked up
# one by one (free) after the walk: at most this many per author and run.
OPENALEX_HELD_LOOKUPS_PER_AUTHOR = env.int(
    "OPENALEX_HELD_LOOKUPS_PER_AUTHOR", default=500
)
# Where the sources' shared schedules live (one Redis for every worker).
RATE_LIMIT_REDIS_URL = env("RATE_LIMIT_REDIS_URL", default=REDIS_URL)
ARXIV_API_URL = env("ARXIV_API_URL", default="https://export.arxiv.org/api/query")
# arXiv asks for one request every 3 seconds.
ARXIV_MIN_INTERVAL = env.float("ARXIV_MIN_INTERVAL", default=3.0)
# A request answered 429 / 5xx (or lost) is tried this many times in all,
# waiting Retry-After when the source sends it, else BACKOFF * 2^(n-1) s.
IMPORT_MAX_ATTEMPTS = env.int("IMPORT_MAX_ATTEMPTS", default=3)
IMPORT_BACKOFF_SECONDS = env.float("IMPORT_BACKOFF_SECONDS", default=2.0)
IMPORT_MAX_WAIT_SECONDS = env.float("IMPORT_MAX_WAIT_SECONDS", default=120.0)
IMPORT_HTTP_TIMEOUT = env.float("IMPORT_HTTP_TIMEOUT", default=30.0)
# Every outbound request ends by this many seconds in all (connect, headers,
# body), whatever its per-read timeout; its body may be this many bytes at most.
HTTP_TOTAL_DEADLINE_SECONDS = env.float("HTTP_TOTAL_DEADLINE_SECONDS", default=120.0)
HTTP_MAX_RESPONSE_BYTES = env.int("HTTP_MAX_RESPONSE_BYTES", default=50 * 1024 * 1024)
# A snapshot line longer than this is rejected unread (its record), not loaded.
SNAPSHOT_MAX_LINE_BYTES = env.int("SNAPSHOT_MAX_LINE_BYTES", default=16 * 1024 * 1024)
# A snapshot file's next batch is parsed in a child process while the current
# one is written (works.ingest.openalex.snapshot.read_batches).
SNAPSHOT_PARSE_AHEAD = env.bool("SNAPSHOT_PARSE_AHEAD", default=True)
# An import task delivered this many times without finishing (its worker died
# each time: a record or answer that kills it) fails its run instead of
# running again (works.tasks).
IMPORT_MAX_DELIVERIES = env.int("IMPORT_MAX_DELIVERIES", default=3)
# Seconds an import task (a snapshot slice, a live import) works before it
# re-enqueues itself from its run's checkpoint: under CELERY_TASK_SOFT_TIME_LIMIT
# and far under the broker's visibility timeout (works.tasks).
IMPORT_TASK_TIME_BUDGET = env.float("IMPORT_TASK_TIME_BUDGET", default=20 * 60)
# Researchers whose source record was fetched longer ago are refreshed.
REFRESH_AFTER_DAYS = env.int("REFRESH_AFTER_DAYS", default=7)
# How many researchers one refresh run (one beat tick) re-imports at most.
REFRESH_BATCH = env.int("REFRESH_BATCH", default=100)

# Tie strength (Newman) from which a coauthor counts as a close collaborator.
CLOSE_COLLABORATOR_THRESHOLD = env.float("CLOSE_COLLABORATOR_THRESHOLD", default=0.2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- accounts (django-allauth) -----------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# People sign in with their e-mail address, verified before the first login.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[BZPEER] "
# allauth's own rate limits (login failures, sign-ups, mails sent) stay on,
# counted in the Django cache (Redis).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env("RATE_LIMIT_SIGNUP", default="20/m/ip"),
}
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
# ORCID sign-in: register an application at orcid.org (or sandbox.orcid.org
# with ORCID_SANDBOX=True) and set its client id and secret. Without them the
# ORCID button is not offered.
ORCID_CLIENT_ID = env("ORCID_CLIENT_ID", default="")
ORCID_CLIENT_SECRET = env("ORCID_CLIENT_SECRET", default="")
ORCID_SANDBOX = env.bool("ORCID_SANDBOX", default=False)
SOCIALACCOUNT_PROVIDERS = {
    "orcid": {
        "BASE_DOMAIN": "sandbox.orcid.org" if ORCID_SANDBOX else "orcid.org",
        "MEMBER_API": False,
        "APPS": (
            [
                {
                    "client_id": ORCID_CLIENT_ID,
                    "secret": ORCID_CLIENT_SECRET,
                    "key": "",
                }
            ]
            if ORCID_CLIENT_ID
            else []
        ),
    }
}
# Mail: printed on the console unless EMAIL_URL names an SMTP server
# (smtp+tls://user:password@host:587).
# An empty value (an unfilled line of .env) means the default too.
EMAIL_CONFIG = environ.Env.email_url_config(
    env.str("EMAIL_URL", default="") or "consolemail://"
)
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = (
    env.str("DEFAULT_FROM_EMAIL", default="") or "BZPEER <noreply@localhost>"
)

# --- Content-Security-Policy (django-csp) ---------------------------------------
# Everything comes from this site; no inline script, no inline style, no
# plugin, no framing. Forms post here, and the ORCID sign-in's redirect to
# orcid.org is a form action too (browsers check redirects after a POST).
_ORCID_ORIGINS = ("https://orcid.org", "https://sandbox.orcid.org")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ("'self'",),
        "script-src": ("'self'",),
        "style-src": ("'self'",),
        "img-src": ("'self'", "data:"),
        "font-src": ("'self'",),
        "connect-src": ("'self'",),
        "object-src": ("'none'",),
        "base-uri": ("'self'",),
        "frame-ancestors": ("'none'",),
        "form-action": ("'self'", *_ORCID_ORIGINS),
    }
}

# --- claims -------------------------------------------------------------------
# Claims a user, and an address, may submit (django-ratelimit, counted in the
# Django cache: Redis).
CLAIM_RATE_PER_USER = env("CLAIM_RATE_PER_USER", default="5/h")
CLAIM_RATE_PER_IP = env("CLAIM_RATE_PER_IP", default="20/h")
# Disputes of an approved claim a user, and an address, may file.
DISPUTE_RATE_PER_USER = env("DISPUTE_RATE_PER_USER", default="3/d")
DISPUTE_RATE_PER_IP = env("DISPUTE_RATE_PER_IP", default="20/d")
# The site's own address, for the links in mail the worker sends (claim
# decisions), where there is no request to build them from.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Direct collaboration (collaboration/): per user, raised in tests that are
# not about limits.
INVITATION_RATE_PER_USER = env("INVITATION_RATE_PER_USER", default="10/d")
INVITATIONS_OPEN_MAX = env.int("INVITATIONS_OPEN_MAX", default=5)
MESSAGE_RATE_PER_USER = env("MESSAGE_RATE_PER_USER", default="60/h")
# django-ratelimit lists the cache backends it has tested; Django's own
# RedisCache is not among them, but it counts with Redis INCR, atomic and
# shared by every process, which is what the warning is about.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
# While the cache cannot be reached, a limited write is refused and a read
# goes uncounted: bzpeer.ratelimits, the one place of that policy.
RATELIMIT_FAIL_OPEN = False

# --- the public API (api/: Django REST framework, drf-spectacular) -------------
# Requests an anonymous client (by address) and a logged-in one may make, in
# DRF's rate syntax ("60/min"); counted in the Django cache (Redis).
API_THROTTLE_ANON = env("API_THROTTLE_ANON", default="60/min")
API_THROTTLE_USER = env("API_THROTTLE_USER", default="240/min")
REST_FRAMEWORK = {
    # Token and session (with DRF's CSRF check); no Basic auth. Token first:
    # an anonymous write then answers 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiCursorPagination",
    "DEFAULT_FILTER_BACKENDS": [],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonThrottle",
        "api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": API_THROTTLE_ANON,
        "user": API_THROTTLE_USER,
    },
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # ``?format=`` is no content negotiation here (citations take ``?style=``).
    "URL_FORMAT_OVERRIDE": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BZPEER API",
    "DESCRIPTION": "Researchers, works, topics, institutions, research-graph "
    "slices and citations from BZPEER; follow, claim and invite when logged "
    "in. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.error_responses_add",
    ],
    # Swagger UI and ReDoc from the project's static files (the sidecar), no
    # CDN; the split view serves its script from a URL (no inline script).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
