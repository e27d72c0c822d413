"""Django settings of an Accord node. Production-safe by default; see docs/configuration.md.

Every value comes from the data directory (``ACCORD_DATA_DIR``) or an ``ACCORD_*`` environment
variable. DEBUG is off unless ACCORD_DEBUG=1; cookies are Secure, HttpOnly and SameSite=Strict;
the Content-Security-Policy allows only the node's own origin.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url

from accord.node.datadir import create_private_dir, private_database_file, read_or_create_secret_key


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


DATA_DIR = Path(
    os.environ.get("ACCORD_DATA_DIR") or Path(tempfile.gettempdir()) / "accord-unset-data-dir"
).resolve()
create_private_dir(DATA_DIR)

SECRET_KEY = read_or_create_secret_key(DATA_DIR)
DEBUG = _env_bool("ACCORD_DEBUG")
ALLOWED_HOSTS = os.environ.get("ACCORD_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "accord.node",
    "accord.accounts",
    "accord.oversight",
    "accord.intel",
    "accord.taxii",
    "accord.feeds",
    "accord.federation",
    "accord.dissemination",
    "accord.agreement",
    "accord.screening",
    "accord.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accord.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accord.accounts.middleware.ApiTokenMiddleware",
    "accord.federation.middleware.PeerSignatureMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "accord.node.urls"
ASGI_APPLICATION = "accord.node.asgi.application"
WSGI_APPLICATION = "accord.node.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accord.web.context.node_context",
            ],
        },
    }
]

_database_url = os.environ.get("ACCORD_DATABASE_URL")
#: Connections each process keeps open to PostgreSQL (psycopg's pool: docs/operations.md,
#: "Connections"); 0: no pool, a connection per request (behind an external pooler).
ACCORD_DATABASE_POOL_SIZE = int(os.environ.get("ACCORD_DATABASE_POOL_SIZE", "4"))
if _database_url:
    # a pool hands each request (and each worker task) a connection and takes it back, and
    # needs Django's persistent connections off
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=0)}
    if ACCORD_DATABASE_POOL_SIZE > 0:
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["pool"] = {
            "min_size": 1,
            "max_size": ACCORD_DATABASE_POOL_SIZE,
            "timeout": 30,  # seconds a request waits for a free connection before an error
        }
        # No JIT compilation: a node's queries take milliseconds, and PostgreSQL's default
        # (jit on above a plan cost of 100,000) compiled a 7 ms search for 263 ms at 1,000,000
        # records (docs/operations.md, "Record search on PostgreSQL"). Behind an external
        # pooler (pool size 0) the pooler or the database sets it (ALTER DATABASE ... SET).
        _options["options"] = " ".join(filter(None, (_options.get("options", ""), "-c jit=off")))
else:
    private_database_file(DATA_DIR / "accord.sqlite3")
    DATABASES = {
        "default": {
            # Django's SQLite backend, which also keeps the WAL between requests (see
            # accord.node.sqlite_backend.base: otherwise each request's close checkpoints it).
            "ENGINE": "accord.node.sqlite_backend",
            "NAME": str(DATA_DIR / "accord.sqlite3"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; "
                    "PRAGMA cache_size=-131072; PRAGMA mmap_size=1073741824; "
                    # Checkpoints run on a background thread of each process (see
                    # accord.node.sqlite_backend.base.Checkpointer); the commit that crosses
                    # 100,000 pages of log (~400 MB) checkpoints only should that thread fall
                    # behind. The log file keeps up to 512 MiB when it starts over, so that
                    # commits do not grow it again block by block. Durability is unchanged: a
                    # commit is written to the WAL before it returns (a checkpoint only copies
                    # committed pages into the main file).
                    "PRAGMA wal_autocheckpoint=100000; PRAGMA journal_size_limit=536870912;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accord.accounts.backends.ThrottledModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

#: Sign-in throttling (accord.accounts.throttle): failed password attempts from one address
#: before that address is refused for a while, and naming one account (from any addresses)
#: before that account's password sign-in pauses for addresses it has not signed in from.
#: Each pause doubles the previous one; API tokens and open sessions are never affected.
ACCORD_LOGIN_SOURCE_FAILURES = int(os.environ.get("ACCORD_LOGIN_SOURCE_FAILURES", "10"))
ACCORD_LOGIN_SOURCE_PAUSE_SECONDS = 300
ACCORD_LOGIN_ACCOUNT_FAILURES = int(os.environ.get("ACCORD_LOGIN_ACCOUNT_FAILURES", "25"))
ACCORD_LOGIN_ACCOUNT_PAUSE_SECONDS = 60
#: Reverse proxies (addresses or networks) whose X-Forwarded-For names the client.
ACCORD_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("ACCORD_TRUSTED_PROXIES", "").split(",") if p.strip()
]
#: Largest file accepted by an import (bytes), and the most it may expand to when decompressed.
#: Batches with more people than this are screened in the background (accord.screening.tasks).
ACCORD_SCREENING_BACKGROUND_ABOVE = int(os.environ.get("ACCORD_SCREENING_BACKGROUND_ABOVE", "1000"))
#: Days a partner's hit notice keeps the traveller's details when no agreement it names sets a
#: retention: counted from the answer (from receipt until answered); accord.screening.retention.
ACCORD_HIT_NOTICE_RETENTION_DAYS = int(os.environ.get("ACCORD_HIT_NOTICE_RETENTION_DAYS", "90"))
#: This node's own screening hits (and background jobs' results): the traveller's details are
#: erased this many days after the screening, the hit deleted after the second (the PNR rule:
#: depersonalised after six months, kept five years); accord.screening.retention.
ACCORD_HIT_DEPERSONALISE_DAYS = int(os.environ.get("ACCORD_HIT_DEPERSONALISE_DAYS", "183"))
ACCORD_HIT_RETENTION_DAYS = int(os.environ.get("ACCORD_HIT_RETENTION_DAYS", "1826"))
ACCORD_MAX_UPLOAD_BYTES = int(os.environ.get("ACCORD_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
ACCORD_MAX_EXPANDED_BYTES = int(
    os.environ.get("ACCORD_MAX_EXPANDED_BYTES", str(1024 * 1024 * 1024))
)
#: Largest TAXII request body (bytes): 413 beyond it; announced as the API root's
#: max_content_length.
ACCORD_TAXII_MAX_CONTENT_LENGTH = int(
    os.environ.get("ACCORD_TAXII_MAX_CONTENT_LENGTH", str(10 * 1024 * 1024))
)
#: A request body must arrive whole within ACCORD_REQUEST_BODY_TIMEOUT seconds and, after the
#: first ACCORD_REQUEST_BODY_GRACE seconds, at ACCORD_REQUEST_BODY_MIN_RATE bytes per second on
#: average (0: no minimum rate); otherwise 408 (accord.node.request_guard).
ACCORD_REQUEST_BODY_TIMEOUT = float(os.environ.get("ACCORD_REQUEST_BODY_TIMEOUT", "300"))
ACCORD_REQUEST_BODY_MIN_RATE = int(os.environ.get("ACCORD_REQUEST_BODY_MIN_RATE", "4096"))
ACCORD_REQUEST_BODY_GRACE = float(os.environ.get("ACCORD_REQUEST_BODY_GRACE", "10"))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("ACCORD_MAX_REQUEST_BYTES", str(20 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "uploads")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)

# Sessions and cookies: secure by default (http://localhost is a secure context for browsers).
SESSION_COOKIE_SECURE = not _env_bool("ACCORD_INSECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
#: Scripts cannot read the CSRF cookie: pages carry the token (base.html: a meta tag and
#: htmx's hx-headers), forms their hidden field.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = int(os.environ.get("ACCORD_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_NAME = "accord_session"
CSRF_COOKIE_NAME = "accord_csrftoken"
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("ACCORD_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _env_bool("ACCORD_TLS"):
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

#: The Content-Security-Policy sent with every response: nothing from outside the node.
ACCORD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

STATIC_URL = "/static/"
STATIC_ROOT = str(DATA_DIR / "static")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

TASKS = {
    "default": {
        "BACKEND": os.environ.get("ACCORD_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "accord.node.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ACCORD_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "uvicorn.access": {"level": "WARNING"},
    },
}
