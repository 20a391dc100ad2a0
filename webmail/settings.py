"""Settings for the webmail: every value that differs between machines comes from the environment.

docs/configuration.md lists each variable. Defaults give a zero-setup local instance
(SQLite file, local Redis, the demo mail server started by `make run`).
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from webmail.core.devkeys import development_keys
from webmail.core.env import env_bool, env_int, env_list, env_networks, env_security, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("WEBMAIL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
# Development (DEBUG, as `make run` starts it) without keys of its own: random keys generated on the
# first run into var/ and kept (webmail/core/devkeys.py). The public fallback below would let anyone
# with the database decrypt the stored mail passwords. `check --deploy` refuses both.
_GENERATED = (
    development_keys(VAR_DIR) if DEBUG and not (env_str("DJANGO_SECRET_KEY") and env_list("CREDENTIALS_KEYS")) else {}
)
# The fallback key only serves tests and one-off commands; `check --deploy` rejects it (W009).
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or _GENERATED.get("DJANGO_SECRET_KEY") or (
    "django-insecure-local-development-key-change-me"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "webmail.core",
    "webmail.accounts",
    "webmail.mailbox",
    "webmail.compose",
    "webmail.outbox",
    "webmail.preferences",
    "webmail.identities",
    "webmail.undo",
    "webmail.reminders",
    "webmail.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "webmail.preferences.middleware.UserTimeZoneMiddleware",
    "webmail.preferences.middleware.UserLanguageMiddleware",
    "webmail.core.middleware.LoginRequiredMiddleware",
    "webmail.core.middleware.ChangeStampMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "webmail.core.middleware.ContentSecurityPolicyMiddleware",
    "webmail.core.errors.MailServerErrorMiddleware",
]

ROOT_URLCONF = "webmail.urls"
WSGI_APPLICATION = "webmail.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    # The zero-setup default: a SQLite file in var/ (git-ignored), which a fresh clone lacks.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{VAR_DIR / 'webmail.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file (threads of the live server and the Celery test worker share it), one per test process.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"webmail-test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "webmail",
        # Fail fast when Redis is down or unreachable: its callers degrade (see accounts/throttle.py).
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
    # Rendered fragments that depend only on the language and the code (e.g. the shortcuts help),
    # kept in each process: cheaper than rendering them, and than a trip to Redis.
    "fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments"},
}

AUTHENTICATION_BACKENDS = ["webmail.accounts.backends.ImapBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "mailbox:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)

# The mail server every account signs in to. docs/configuration.md describes each one.
IMAP_HOST = env_str("IMAP_HOST")
IMAP_PORT = env_int("IMAP_PORT", 993)
IMAP_SECURITY = env_security("IMAP_SECURITY", "tls")
SMTP_HOST = env_str("SMTP_HOST")
SMTP_PORT = env_int("SMTP_PORT", 587)
SMTP_SECURITY = env_security("SMTP_SECURITY", "starttls")
MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 20)
# How often an open page asks for new mail (the list's page 1, or the folder counts elsewhere).
MAIL_POLL_SECONDS = env_int("MAIL_POLL_SECONDS", 30)
# How long the worker waits for the SMTP server's answer to the end of a message's data, which a
# server may give only after scanning it (RFC 5321 §4.5.3.2.6: 10 minutes). No answer in that time
# leaves the message uncertain (docs/outbox.md), never retried.
SMTP_FINAL_REPLY_TIMEOUT = env_int("SMTP_FINAL_REPLY_TIMEOUT", 600)
IMAP_POOL_IDLE_SECONDS = env_int("IMAP_POOL_IDLE_SECONDS", 300)
# IMAP connections one account may hold per web process; × WEB_CONCURRENCY must stay under the
# server's per-user limit (Dovecot's mail_max_userip_connections: 10). docs/reading.md.
IMAP_CONNECTIONS_PER_ACCOUNT = env_int("IMAP_CONNECTIONS_PER_ACCOUNT", 3)
# Idle IMAP connections one web process keeps for all its accounts together.
IMAP_POOL_MAX_IDLE = env_int("IMAP_POOL_MAX_IDLE", 64)
# Opened messages kept parsed and sanitised in each web process's memory (docs/reading.md).
MESSAGE_CACHE_MB = env_int("MESSAGE_CACHE_MB", 64)
MESSAGE_CACHE_SECONDS = env_int("MESSAGE_CACHE_SECONDS", 600)
# Messages fetched ahead after a list page (its newest) and around the one being read; 0: none.
PREFETCH_MESSAGES = env_int("PREFETCH_MESSAGES", 3)
# Verify server certificates; only a test set-up with self-signed certificates turns this off.
MAIL_VERIFY_TLS = env_bool("MAIL_VERIFY_TLS", True)

# Keys that encrypt stored mail passwords: the first encrypts, all decrypt (rotation).
CREDENTIALS_KEYS = env_list("CREDENTIALS_KEYS") or [key for key in [_GENERATED.get("CREDENTIALS_KEYS")] if key]
# Which keys come from var/ rather than the environment: the deploy checks refuse them.
GENERATED_KEYS = [name for name, key in _GENERATED.items() if key in (SECRET_KEY, *CREDENTIALS_KEYS)]

# Sign-in throttling (webmail/accounts/throttle.py): failures allowed within the window for one account
# at one client address, for one account from anywhere, and from one address for all its accounts
# (high enough for an office behind one NAT address).
LOGIN_FAILURES_ALLOWED = env_int("LOGIN_FAILURES_ALLOWED", 5)
LOGIN_ACCOUNT_FAILURES_ALLOWED = env_int("LOGIN_ACCOUNT_FAILURES_ALLOWED", 20)
LOGIN_ADDRESS_FAILURES_ALLOWED = env_int("LOGIN_ADDRESS_FAILURES_ALLOWED", 100)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)
# Reverse proxies (addresses or networks) whose X-Forwarded-For gives the client's address; without
# them the header is ignored, since anybody can send it (webmail/core/client_address.py).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English")), ("ar", _("Arabic")), ("pl", _("Polish"))]
LOCALE_PATHS = [BASE_DIR / "webmail" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# Static files are collected only for production images; locally the finders serve them.
WHITENOISE_AUTOREFRESH = DEBUG

# Behind TLS in production: DJANGO_HTTPS=true turns on every HTTPS-only protection.
HTTPS = env_bool("DJANGO_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("DJANGO_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY") else None
SESSION_COOKIE_HTTPONLY = True
# same-origin, not no-referrer: with no-referrer browsers send "Origin: null" and CSRF checks fail.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # the message-body view opts in to SAMEORIGIN for its iframe

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Ride out a broker outage of any length: retry for ever (Celery's default gives up after 100 tries),
# with a consumer that survives Celery 5.7.0's crash on a lost connection (see webmail/core/worker.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CONSUMER = "webmail.core.worker:Consumer"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "webmail.core.tasks.heartbeat", "schedule": 30.0},
}

# plain for people (development), json for log pipelines (production: one JSON object per line).
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "webmail.core.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # Revoking without a result backend warns on every Annuler; the revoke itself works.
        "celery.worker.control": {"level": "ERROR"},
    },
}
# Celery workers and beat keep the handler above instead of installing their own text format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Outbox (undo send). docs/outbox.md explains each value.
OUTBOX_SWEEP_SECONDS = env_int("OUTBOX_SWEEP_SECONDS", 5)
OUTBOX_GRACE_SECONDS = env_int("OUTBOX_GRACE_SECONDS", 5)
OUTBOX_STALE_SECONDS = env_int("OUTBOX_STALE_SECONDS", 300)
OUTBOX_REDISPATCH_SECONDS = env_int("OUTBOX_REDISPATCH_SECONDS", 60)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 1800)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
# A failure (or a send refused for some recipients) stays in the toasts this long after they first
# showed it, unless closed sooner; then only the Boîte d'envoi lists it, for OUTBOX_OUTCOMES_DAYS.
OUTBOX_OUTCOME_TOAST_SECONDS = env_int("OUTBOX_OUTCOME_TOAST_SECONDS", 300)
OUTBOX_OUTCOMES_DAYS = env_int("OUTBOX_OUTCOMES_DAYS", 7)
# Scheduled messages are handed to Celery (with an exact ETA) this long before their time.
OUTBOX_DISPATCH_AHEAD_SECONDS = env_int("OUTBOX_DISPATCH_AHEAD_SECONDS", 300)
# How far ahead a message may be scheduled.
SCHEDULE_HORIZON_DAYS = env_int("SCHEDULE_HORIZON_DAYS", 365)
# Tests shorten the user's cancel window with this (seconds, may be fractional); never set in production.
OUTBOX_DELAY_OVERRIDE: float | None = None
# Initial values for a new user's settings page (tests pin the clock-dependent ones).
PREFERENCES_DEFAULTS: dict = {}
ATTACHMENTS_MAX_BYTES = env_int("ATTACHMENTS_MAX_BYTES", 25 * 1024 * 1024)
# The largest message those attachments make once encoded: base64 (4/3) in lines of 76 plus CRLF,
# and 1 MB for the text and headers. The SMTP server must accept this much (the demo one does).
MESSAGE_MAX_BYTES = ATTACHMENTS_MAX_BYTES * 4 // 3 * 78 // 76 + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CELERY_BEAT_SCHEDULE["forget-abandoned-compositions"] = {
    "task": "webmail.compose.tasks.forget_abandoned_compositions", "schedule": 24 * 3600.0,
}
CELERY_BEAT_SCHEDULE["outbox-sweep"] = {"task": "webmail.outbox.tasks.sweep", "schedule": float(OUTBOX_SWEEP_SECONDS)}
CELERY_BEAT_SCHEDULE["reminders-sweep"] = {"task": "webmail.reminders.tasks.sweep", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["undo-forget-old"] = {"task": "webmail.undo.tasks.forget_old_actions", "schedule": 24 * 3600.0}
