"""Hindsight settings, all from environment variables.

With no variable set, `make run` gets the embedded defaults: SQLite, recordings
on the local filesystem and Celery tasks run in-process. Setting
`DATABASE_URL`, `CELERY_BROKER_URL` (or `REDIS_URL`) and `S3_BUCKET` switches
to the production stack. Every variable is listed in the README.
"""
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE

from ops.logs import logging_config

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# Where the embedded defaults keep the SQLite file and local recordings.
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))

# Development mode; production sets DEBUG=false.
DEBUG = env_bool("DEBUG", True)
# Must be set (long and random) in production; the fallback only serves DEBUG.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
# Host names this server answers to.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Origins trusted for CSRF on HTTPS deployments, e.g. https://hindsight.example.com
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The public base URL of this server, used in snippets and the loader; empty
# means "the host of the current request".
PUBLIC_URL = env_str("PUBLIC_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "ops",  # before staticfiles: its runserver is the one `make run` runs (ops/management/commands/runserver.py)
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here: the API docs work without the internet
    "axes",
    "sites",
    "recorder",
    "replay",
    "privacy",
    "insights",
]

MIDDLEWARE = [
    "ops.middleware.OpsEndpointsMiddleware",  # /healthz, /readyz, /metrics: before host checks and redirects
    "ops.middleware.RequestLogMiddleware",  # request id and one log line per request
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.IngestMiddleware",  # recorder batches skip what serves people in a browser
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DependencyDownMiddleware",
    "ops.csp.DashboardCSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers locked-out logins
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# Database: postgres://user:pass@host:5432/name in production, SQLite otherwise.
if not env_str("DATABASE_URL"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'hindsight.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # A connection broken by a database restart is replaced, not reused.
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while an account or address is locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Wrong passwords, per account and per address, after which logins are refused...
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 20)
# ...for this long after the last one (failures older than this are forgotten).
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
# Counted separately per account (from any address) and per address (for any account).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A right password forgets the account's earlier failures.
AXES_RESET_ON_SUCCESS = True
# The address behind TRUSTED_PROXIES, as everywhere else.
AXES_CLIENT_IP_CALLABLE = "ops.login.login_client_ip"
# The login page again, saying why and for how long (429).
AXES_LOCKOUT_CALLABLE = "ops.login.lockout_response"
# No table of every successful login (Django keeps each user's last_login).
AXES_DISABLE_ACCESS_LOG = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "site-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# static/build holds the recorder and player bundles that `make` builds; static/js the dashboard's own script; static/img its icon.
STATICFILES_DIRS = [BASE_DIR / "static" / "build", BASE_DIR / "static" / "css", BASE_DIR / "static" / "js",
                    BASE_DIR / "static" / "img"]
# Serve static files straight from their source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# The recorder bundle that the loader wraps with a site's settings.
RECORDER_BUNDLE = Path(env_str("RECORDER_BUNDLE", str(BASE_DIR / "static" / "build" / "recorder.js")))

# Recording storage: S3-compatible when S3_BUCKET is set, local files otherwise.
S3_BUCKET = env_str("S3_BUCKET")
# Seconds to wait for the object storage to take a connection, then for each read of its answer, and how many
# tries a request gets in all: a storage that hangs holds a web or worker process this long, not minutes.
S3_CONNECT_TIMEOUT = env_float("S3_CONNECT_TIMEOUT", 5, positive=True)
S3_READ_TIMEOUT = env_float("S3_READ_TIMEOUT", 10, positive=True)
S3_MAX_ATTEMPTS = env_int("S3_MAX_ATTEMPTS", 2, positive=True)
if S3_BUCKET:
    _recordings = {
        "BACKEND": "recorder.storage.RecordingsS3Storage",  # django-storages' S3, with the waits above
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            # Endpoint of a non-AWS S3 API (MinIO, moto); empty for AWS.
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION", "us-east-1"),
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "file_overwrite": True,
            "querystring_auth": False,
        },
    }
else:
    _recordings = {
        "BACKEND": "recorder.storage.DurableFileSystemStorage",  # fsyncs what it writes
        "OPTIONS": {"location": str(DATA_DIR / "recordings"), "allow_overwrite": True},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "recordings": _recordings,
}

# Redis: the cache, the ingest rate limit, and the broker unless CELERY_BROKER_URL says otherwise.
REDIS_URL = env_str("REDIS_URL")

# Celery: a broker URL switches from in-process tasks to real workers.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
# Without a broker, tasks run inside the web process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fixup closes the database connection around every task unless
# this is set (it then closes it every 2 x N tasks). A worker keeps its
# connection as the web process does instead: config/celery.py closes it only
# when it is broken or older than DATABASE_CONN_MAX_AGE.
CELERY_DB_REUSE_MAX = 10**9
# A message a worker took and never acknowledged (the worker died) returns to
# the queue after this many seconds; the sweeper usually finds it sooner.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600),
    "socket_connect_timeout": 2, "socket_timeout": 5,
}
# A broker that does not answer must not hold up a request whose batch is already durable.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds between sweeps that queue again the chunks nobody is working on.
SWEEP_SECONDS = env_int("SWEEP_SECONDS", 30)
CELERY_BEAT_SCHEDULE = {
    "sweep-chunks": {"task": "recorder.tasks.chunks_sweep", "schedule": timedelta(seconds=SWEEP_SECONDS)},
    "compact-sessions": {"task": "recorder.tasks.sessions_compact", "schedule": timedelta(minutes=2)},
    "finish-idle-sessions": {"task": "recorder.tasks.sessions_sweep", "schedule": timedelta(minutes=5)},
    "purge-expired": {"task": "privacy.tasks.retention_purge", "schedule": crontab(minute=17)},
    "resume-site-deletions": {"task": "sites.tasks.site_deletions_resume", "schedule": timedelta(minutes=1)},
    "delete-orphan-objects": {"task": "recorder.tasks.orphans_delete", "schedule": crontab(minute=41, hour=3)},
}
# Run the periodic jobs in a thread of the web process (the embedded default has no beat).
JOBS_IN_PROCESS = env_bool("JOBS_IN_PROCESS", CELERY_TASK_ALWAYS_EAGER)

# Durable ingest: how long a worker holds a chunk it claimed, after how long a
# pending chunk nobody works on is queued again, and after how many claims a
# chunk that keeps killing its worker is marked failed.
CHUNK_LEASE_SECONDS = env_int("CHUNK_LEASE_SECONDS", 60)
CHUNK_REQUEUE_SECONDS = env_int("CHUNK_REQUEUE_SECONDS", 60)
CHUNK_MAX_ATTEMPTS = env_int("CHUNK_MAX_ATTEMPTS", 5)
CHUNK_CLAIM_MAX = env_int("CHUNK_CLAIM_MAX", 500)
CHUNK_CLAIM_BYTES = env_int("CHUNK_CLAIM_BYTES", 8 * 1024 * 1024)
CHUNK_DRAIN_SECONDS = env_int("CHUNK_DRAIN_SECONDS", 20)
# A live session's chunks older than this many minutes are compacted into segments
# (a finished session's all are); the last minutes stay rows, for live viewers.
COMPACT_LIVE_MINUTES = env_int("COMPACT_LIVE_MINUTES", 10)
# Seconds a web process keeps a site's ingest rules before reading them again.
SITE_RULES_SECONDS = env_int("SITE_RULES_SECONDS", 5)
# Whether the replay relay (replay/relay.py) may fetch a site's fonts and sprites from a loopback, private or
# link-local address: a site on this machine, in development. Off in production, where a site's domain that
# resolves into the server's own network would let a site's member reach it.
RELAY_PRIVATE_ADDRESSES = env_bool("RELAY_PRIVATE_ADDRESSES", DEBUG)

# Ingest limits.
# The recorder sends an event of up to 4 MB of JSON (a heavy page's snapshot), which may not compress.
INGEST_MAX_BODY_BYTES = env_int("INGEST_MAX_BODY_BYTES", 4 * 1024 * 1024)
INGEST_MAX_INFLATED_BYTES = env_int("INGEST_MAX_INFLATED_BYTES", 8 * 1024 * 1024)
# Django refuses a larger request body before any view reads it (its default is 2.5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_BODY_BYTES
INGEST_MAX_EVENTS = env_int("INGEST_MAX_EVENTS", 5000)
# Batches per minute one session may post before getting 429.
INGEST_RATE_PER_MINUTE = env_int("INGEST_RATE_PER_MINUTE", 120)
# Proxies whose X-Forwarded-For is trusted (addresses or CIDR ranges).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["config.api.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("API_RATE", "1000/hour")},
    "EXCEPTION_HANDLER": "config.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hindsight API",
    "DESCRIPTION": "Sites, recorded sessions and their events.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's viewer from drf-spectacular-sidecar's static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# HTTPS hardening, on by default when DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Set when behind a TLS-terminating proxy that sends X-Forwarded-Proto.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = ["security.W021"] if not SECURE_HSTS_PRELOAD else []

# `text` (readable lines) or `json` (one JSON object a line, for log collectors).
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, got {LOG_FORMAT!r}")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))

# Seconds each /readyz check (and the metrics' broker query) may take before it counts as down.
READYZ_TIMEOUT = env_float("READYZ_TIMEOUT", 2.0)
# /metrics answers only with `Authorization: Bearer METRICS_TOKEN`; empty turns it off.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# A Celery worker serves its own metrics on this port (0: off).
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0)
# The address the worker's metrics listen on.
WORKER_METRICS_ADDR = env_str("WORKER_METRICS_ADDR", "127.0.0.1")
# PROMETHEUS_MULTIPROC_DIR is read from the environment by prometheus_client itself (ops/multiproc.py).

# Content-Security-Policy of every page but the demo (which stands for a customer's page and
# runs the snippet inline). ops.csp adds the recorded site's resources on the player page.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/demo/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Inline styles: replays rebuild recorded pages with their style attributes and <style> elements.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The Celery queue; tests give each run its own so that stale messages never mix in.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "hindsight")
