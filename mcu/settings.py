"""Settings of MCU Desk, read from the environment through one typed schema.

Laptop default (nothing set): SQLite in ``var/`` and Celery's server-less ``filesystem://``
broker. Production: ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL``, ``SECRET_KEY`` and
``ALLOWED_HOSTS`` — a missing secret fails at boot when ``DEBUG`` is off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    SECRET_KEY=(str, ""),
    ALLOWED_HOSTS=(list, []),
    CSRF_TRUSTED_ORIGINS=(list, []),
    DATABASE_URL=(str, ""),
    DB_CONN_MAX_AGE=(int, 60),
    DB_PREPARED_STATEMENTS=(bool, True),
    REDIS_URL=(str, ""),
    CELERY_BROKER_URL=(str, ""),
    EMAIL_URL=(str, ""),
    DEFAULT_FROM_EMAIL=(str, "МЦУ <mcu@localhost>"),
    VAR_DIR=(str, str(BASE_DIR / "var")),
    SECURE_SSL_REDIRECT=(bool, True),
    SECURE_HSTS_SECONDS=(int, 31_536_000),
    USE_X_FORWARDED_PROTO=(bool, True),
    LOG_LEVEL=(str, "INFO"),
    MCU_DEMO_INCIDENTS=(bool, None),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG: bool = env("DEBUG")
VAR_DIR = Path(env("VAR_DIR"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

_secret_key: str = env("SECRET_KEY")
if not _secret_key:
    if not DEBUG:
        raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    _secret_key = "django-insecure-laptop-only-" + "x" * 40
SECRET_KEY = _secret_key

ALLOWED_HOSTS: list[str] = env("ALLOWED_HOSTS") or (["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS: list[str] = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    # DRF validates channel payloads (and serves the ЦУР API); as an app its Russian messages load.
    "rest_framework",
    # OpenAPI schema of the ЦУР API and its docs, served offline (the sidecar ships Swagger UI).
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Project apps, in dependency order: each may import only those above it. `seed` and
    # `seed_demo` call the apps' seeders in this order too.
    "mcu",
    "roles",
    "incidents",
    "integrations",
    "reports",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mcu.middleware.MunicipalityScopeMiddleware",
    # Axes last, as its documentation requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mcu.urls"
WSGI_APPLICATION = "mcu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mcu.context_processors.municipality",
                "roles.context_processors.actor",
                "incidents.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Connections are kept (FACTS.md: per-request connections cost 2.5x on the API).
_database_url: str = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
_db: dict[str, Any] = env.db_url_config(_database_url)
_db["CONN_MAX_AGE"] = env("DB_CONN_MAX_AGE")
_db["CONN_HEALTH_CHECKS"] = True
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # FACTS.md: a web server and a worker writing one SQLite file at once fail with "database is
    # locked" unless WAL + IMMEDIATE transactions + a timeout are set (and no busy_timeout).
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # PostgreSQL's JIT pays 50–70 ms of compilation on the dashboard's and the reports' 100 k-row
    # aggregates whose execution then takes ~30 ms (bench/pages.py): short OLTP and report
    # queries are better off without it.
    _db.setdefault("OPTIONS", {})["options"] = "-c jit=off -c plan_cache_mode=force_generic_plan"
    # Prepared statements: the API's hot statements ask for it (``api.db.fetch_rows``); Django
    # turns psycopg's preparing off (None, which also refuses an explicit request), and a
    # threshold no statement reaches prepares only those. ``plan_cache_mode`` above applies to
    # them alone (Django's own cursors bind on the client and never prepare): their plans are
    # index walks under a LIMIT, the same whatever the values, so each is planned once per
    # connection instead of on every request. Behind PgBouncer in transaction mode, set
    # DB_PREPARED_STATEMENTS=false.
    if env("DB_PREPARED_STATEMENTS"):
        _db["OPTIONS"]["prepare_threshold"] = 2**31
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "roles.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "picker"
LOGOUT_REDIRECT_URL = "login"

# FACTS.md: axes' default locks a whole office behind one NAT by IP after 3 failures, forever.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Internationalisation and time ----------------------------------------------------------
# Stored in UTC; every municipality's local time is applied at the edges (pages, reports).
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start otherwise
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail -----------------------------------------------------------------------------------
_email_url: str = env("EMAIL_URL")
if _email_url:
    vars().update(env.email_url_config(_email_url))  # EMAIL_BACKEND, EMAIL_HOST, … from one URL
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL: str = env("DEFAULT_FROM_EMAIL")

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL: str = env("REDIS_URL")
# --- Cache ------------------------------------------------------------------------------------
# Shared by every web process where Redis runs (production, CI): the API's per-token request
# counters and its token scopes (api/throttling.py, api/tokens.py) must be one count across
# gunicorn workers. The laptop runs one web process, for which process memory is that count.
# Redis is shared with Celery's queues: nothing may call cache.clear() (it is FLUSHDB).
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {
            "BACKEND": "mcu.cache.RedisCache",  # Django's, with its client kept (mcu/cache.py)
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mcu",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "mcu"}
    )
}
CELERY_BROKER_URL: str = env("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The laptop broker needs no server: messages are files in var/celery (FACTS.md).
    _celery_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir),
        "data_folder_out": str(_celery_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # kombu otherwise writes its broadcast exchange files into the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    _celery_dir.mkdir(parents=True, exist_ok=True)
    for _folder in ("processed", "control"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes every database connection before and after each task unless this
# is set (a count of tasks to keep it for): a new PostgreSQL session per task, which was ~12 % of
# a worker's samples in bench/ingest.py, and every new session works on cold catalog caches. So
# the fixup never closes one here; mcu/celery.py closes them around a task the way Django does
# around a web request (older than CONN_MAX_AGE, or unusable after an error).
CELERY_DB_REUSE_MAX = 2**62
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Issue 3 item 7: warn, mark breaches, escalate. A tick not started within 55 s expires, so
    # a backlog queued during a broker outage does not run as a burst of identical sweeps.
    "incidents-deadline-sweep": {
        "task": "incidents.tasks.sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # DESIGN §6: inbox rows no task finished (broker down, worker killed) are handed over again.
    "integrations-inbox-requeue": {
        "task": "integrations.tasks.inbox_requeue_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Issue 4 item 7: answers whose delivery is due (first try missed, or a retry's backoff over).
    "integrations-outbox-requeue": {
        "task": "integrations.tasks.outbox_requeue_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Issue 6 item 4: reports due in each municipality's own time (Monday 08:00 local, the 1st
    # of the month 08:00 local); every 5 minutes, and each run is created once however often.
    "reports-schedule": {
        "task": "reports.tasks.reports_schedule_task",
        "schedule": 300.0,
        "options": {"expires": 280},
    },
    # Issue 7: the API request log's retention (API_REQUEST_LOG_DAYS).
    "api-request-log-prune": {
        "task": "api.tasks.request_log_prune_task",
        "schedule": 86400.0,
        "options": {"expires": 3600},
    },
    # Issue 8 item 1: protocol assignments — warn, mark breaches, escalate (mcu/center/).
    "mcu-assignments-sweep": {
        "task": "mcu.tasks.assignments_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# --- Security (production) --------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT")
    SECURE_HSTS_SECONDS = env("SECURE_HSTS_SECONDS")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env("USE_X_FORWARDED_PROTO"):
        # gunicorn sits behind a TLS-terminating proxy that sets this header.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # axes logs every successful login at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}
# A webhook body above this is refused with 413 (500 messages of ~20 KB fit comfortably).
MCU_WEBHOOK_MAX_BYTES: int = env.int("MCU_WEBHOOK_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MCU_WEBHOOK_MAX_BYTES + 1024
# An uploaded ПОС / ИМ export above this is refused next to the file field.
MCU_IMPORT_MAX_BYTES: int = env.int("MCU_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# An XLSX export's parts unpacked, at most (a sheet's cells are held in memory while it is read,
# ~its XML's size): 512 MiB is ~360 000 rows of a ПОС export; more, or a zip bomb, is refused.
MCU_IMPORT_MAX_UNPACKED_BYTES: int = env.int(
    "MCU_IMPORT_MAX_UNPACKED_BYTES", default=512 * 1024 * 1024
)
# Called inside answer_publish's transaction (see incidents.services.answers).
MCU_ANSWER_PUBLISHED_HOOKS = ["integrations.services.outbox.outbox_enqueue_for_answer"]
# Where each channel's answers go: "im=https://im.example.ru/answers,pos=…". A channel with no
# endpoint delivers to the log (the laptop default).
MCU_CHANNEL_ENDPOINTS: dict[str, str] = env.dict("MCU_CHANNEL_ENDPOINTS", default={})
# `seed_demo` adds ~1 500 demo incidents when this is on (default: with DEBUG, i.e. `make run`).
MCU_DEMO_INCIDENTS: bool = (
    DEBUG if env("MCU_DEMO_INCIDENTS") is None else bool(env("MCU_DEMO_INCIDENTS"))
)
MCU_ACCESSIBLE_MUNICIPALITIES = "roles.selectors.municipality_ids_for_user"

# --- REST API for the ЦУР (api/) -----------------------------------------------------------------
# Only the schema class is global: authentication, throttling, renderers and the error shape
# are set on api.base.ApiView, so DRF used elsewhere (channel payload validation) is unchanged.
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {
    "TITLE": "MCU Desk — API для ЦУР",
    "DESCRIPTION": (
        "Чтение данных МЦУ региональным ЦУР: инциденты с инкрементальной синхронизацией, "
        "сводки, отчёты, показатели, состав МЦУ. Токен: `Authorization: Bearer <токен>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/(api/v1|open311/v2)",
    "PREPROCESSING_HOOKS": ["api.openapi.only_public_operations"],
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "roles.models.Channel",
        "StatusEnum": "incidents.models.Status",
        "IncidentKindEnum": "incidents.models.Kind",
        "EventKindEnum": "incidents.models.IncidentEvent.Kind",
    },
}
# Incremental sync: rows stamped within this many seconds of now are not served yet (a
# transaction may still commit them behind a client's cursor; see api/sync.py).
API_SYNC_LAG_SECONDS: float = env.float("API_SYNC_LAG_SECONDS", default=5.0)
# The API request log keeps this many days (api/request_log.py; pruned daily by beat).
API_REQUEST_LOG_DAYS: int = env.int("API_REQUEST_LOG_DAYS", default=365)
