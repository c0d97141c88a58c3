"""Hotline settings: everything comes from the environment (12-factor) with safe embedded defaults."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import global_settings
from django.conf.locale import LANG_INFO

from hotline.core import languages as _languages
from hotline.core import onion as _onion

BASE_DIR = Path(__file__).resolve().parent  # src/hotline
REPO_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("HOTLINE_VAR_DIR", REPO_DIR / "var"))

HOTLINE_ENV = os.environ.get("HOTLINE_ENV", "development")
if HOTLINE_ENV not in {"development", "production", "test"}:
    sys.exit(f"HOTLINE_ENV must be 'development', 'production' or 'test', not {HOTLINE_ENV!r}.")
PRODUCTION = HOTLINE_ENV == "production"
DEBUG = os.environ.get("HOTLINE_DEBUG", "") == "1" and not PRODUCTION

# Development defaults: known values, refused in production (see check_production_config).
DEV_SECRET_KEY = "dev-insecure-hotline-secret-key-change-me-in-production-0123456789"  # nosec B105  # development default, refused in production
DEV_DATA_KEYS = "dev1:ZGV2LWluc2VjdXJlLWRhdGEta2V5LTMyLWJ5dGVzISE="  # 32 bytes, dev only
DEV_INDEX_KEY = "dev-insecure-blind-index-key-change-me"


def _required(name: str, dev_default: str) -> str:
    value = os.environ.get(name, "")
    if PRODUCTION and (not value or value == dev_default):
        sys.exit(
            f"Hotline refuses to start: the environment variable {name} is missing or has "
            f"the development default. Set it (see docs/operating.md)."
        )
    return value or dev_default


SECRET_KEY = _required("HOTLINE_SECRET_KEY", DEV_SECRET_KEY)
HOTLINE_DATA_KEYS = _required("HOTLINE_DATA_KEYS", DEV_DATA_KEYS)
HOTLINE_INDEX_KEY = _required("HOTLINE_INDEX_KEY", DEV_INDEX_KEY)
if PRODUCTION and len(SECRET_KEY) < 50:
    sys.exit("Hotline refuses to start: HOTLINE_SECRET_KEY must be at least 50 characters.")

HOTLINE_HOME_COUNTRY = os.environ.get("HOTLINE_HOME_COUNTRY", "SE").upper()
HOTLINE_GEOIP_MMDB = os.environ.get("HOTLINE_GEOIP_MMDB", "")
HOTLINE_PUBLIC_URL = os.environ.get("HOTLINE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# RFC 8058: one-click unsubscribe links (and every link in mail) must be https; the default is a dev URL.
if PRODUCTION and not (HOTLINE_PUBLIC_URL.startswith("https://") and len(HOTLINE_PUBLIC_URL) > len("https://")):
    sys.exit(
        "Hotline refuses to start: HOTLINE_PUBLIC_URL must be the public https:// address of this hotline "
        "(RFC 8058 one-click unsubscribe links and every link in mail use it)."
    )
HOTLINE_ORGANISATION = os.environ.get("HOTLINE_ORGANISATION", "Hotline")
# Reverse proxies in front of Hotline that append to X-Forwarded-For (rate limits only; 0: REMOTE_ADDR).
HOTLINE_TRUSTED_PROXY_COUNT = int(os.environ.get("HOTLINE_TRUSTED_PROXY_COUNT", "0"))

ALLOWED_HOSTS = [h for h in os.environ.get("HOTLINE_ALLOWED_HOSTS", "").split(",") if h] or (
    [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    sys.exit("Hotline refuses to start: HOTLINE_ALLOWED_HOSTS is missing (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("HOTLINE_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# The onion service (docs/onion.md) answers under its own host name, over http (Tor encrypts end to end):
# it is allowed and trusted for form posts here; hotline.core.middleware.OnionHostMiddleware leaves out the
# HTTPS redirect, HSTS and the Secure flag of cookies for it.
try:
    _onion_host = _onion.parse_onion_address(os.environ.get("HOTLINE_ONION_ADDRESS", ""))
except ValueError:
    sys.exit(f"Hotline refuses to start: HOTLINE_ONION_ADDRESS must be {_onion.EXPECTS}.")
if _onion_host:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, _onion_host]
    CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, f"http://{_onion_host}"]

INSTALLED_APPS = [
    # Hotline apps first so their management commands (db_worker) take precedence.
    "hotline.core",
    "hotline.staff",
    "hotline.cases",
    "hotline.intake",
    "hotline.tracing",
    "hotline.referrals",
    "hotline.campaigns",
    "hotline.intel",
    "hotline.network",
    "hotline.insights",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # Outermost: counts every answer by URL name and status, the other middleware's refusals included.
    "hotline.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "hotline.core.middleware.OnionHostMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hotline.core.middleware.DatabaseUnavailableMiddleware",
    "hotline.core.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hotline.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "hotline.staff.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hotline.urls"
WSGI_APPLICATION = "hotline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hotline.core.context_processors.hotline",
                "hotline.staff.context_processors.recovery_codes",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'hotline.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on busy_timeout instead of failing on lock upgrade.
        # journal_size_limit: with persistent connections the WAL file is never removed on close;
        # this truncates it back to 64 MB after each checkpoint instead of keeping its largest size.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA journal_size_limit=67108864;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# Persistent connections on both databases. PostgreSQL: without them inserts over HTTP drop ~6x
# (STACK.md). SQLite: opening a connection costs little, but closing the last one checkpoints the WAL
# into the database file; per request, that halved the rate of report submissions (bench/intake.py).
_db["CONN_MAX_AGE"] = int(os.environ.get("HOTLINE_CONN_MAX_AGE", "600"))
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that needs no round trip (hotline/core/postgresql/base.py).
    _db["ENGINE"] = "hotline.core.postgresql"
if _db["ENGINE"] != "django.db.backends.sqlite3":
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault("connect_timeout", 5)
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Tasks ----------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail", "trace", "network"]}}
# A task still RUNNING after this long belongs to a dead worker and is run again.
HOTLINE_TASK_LEASE = timedelta(seconds=int(os.environ.get("HOTLINE_TASK_LEASE_SECONDS", "600")))
# Finished task rows (ids as arguments only) are deleted by the periodic job `prune_finished_tasks`.
HOTLINE_FINISHED_TASK_DAYS = int(os.environ.get("HOTLINE_FINISHED_TASK_DAYS", "14"))
HOTLINE_FAILED_TASK_DAYS = int(os.environ.get("HOTLINE_FAILED_TASK_DAYS", "60"))  # kept longer: to look into

# --- Cache (rate limits hold keyed hashes only, never addresses) ---------------------
CACHE_URL = os.environ.get("HOTLINE_CACHE", "db")
CACHES: dict[str, dict[str, Any]]
if CACHE_URL == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE_URL.startswith("redis://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    # The database cache is shared by every web and worker process, so limits hold across them.
    # MAX_ENTRIES well above the default 300, which would evict live rate-limit counters.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "hotline_cache",
            "OPTIONS": {"MAX_ENTRIES": 200_000, "CULL_FREQUENCY": 4},
        }
    }

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "staff.StaffUser"
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
AXES_FAILURE_LIMIT = int(os.environ.get("HOTLINE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("HOTLINE_LOGIN_COOLOFF_MINUTES", "30")))
# Locked per account *and* client network together, so failures from one network never lock the account for
# colleagues on another; the network (IPv4 /24, IPv6 /64 of the address behind HOTLINE_TRUSTED_PROXY_COUNT
# proxies) is all axes stores of the address. The per-account delay on top is hotline.staff.lockout's.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "hotline.staff.lockout.axes_client_network"
AXES_CLIENT_STR_CALLABLE = "hotline.staff.lockout.axes_log_client"  # log lines: account and network, no user agent
# An attempt refused while locked is not counted, so a lock ends one cool-off after the failure that set it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "email"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "code", "new_password1", "new_password2"]
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hotline.staff.views.lockout_response"
OTP_TOTP_ISSUER = HOTLINE_ORGANISATION
HOTLINE_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("HOTLINE_IDLE_TIMEOUT_MINUTES", "30")))
HOTLINE_ENROLMENT_VALID = timedelta(hours=int(os.environ.get("HOTLINE_ENROLMENT_VALID_HOURS", "72")))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "hotline.core.views.csrf_failure"  # the refusal in the visitor's language

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with form POSTs and
# CSRF origin checking refuses them. Other sites still never receive a referrer.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
HOTLINE_SSL_REDIRECT = False
if PRODUCTION:
    HOTLINE_SSL_REDIRECT = os.environ.get("HOTLINE_SSL_REDIRECT", "1") == "1"
    # Django's redirect cannot spare the onion host (http by design): with an onion service,
    # OnionHostMiddleware redirects every other host instead, so Django's W008 would be a false alarm.
    SECURE_SSL_REDIRECT = HOTLINE_SSL_REDIRECT and not _onion_host
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "manifest-src": ["'self'"],
    }
}

# --- Languages and time ---------------------------------------------------------------
# Swedish by default. Every language with catalogues (hotline.core.languages); HOTLINE_PUBLIC_LANGUAGES
# chooses which of them the reporter's pages offer, staff pages are Swedish or English (docs/translating.md).
LANGUAGE_CODE = "sv"
LANGUAGES = _languages.LANGUAGES
# Dari, Somali and Tigrinya are not in Django's own list: their names and direction (Dari: right to left).
LANG_INFO.update(_languages.EXTRA_LANG_INFO)
LANGUAGES_BIDI = sorted({*global_settings.LANGUAGES_BIDI, *_languages.RIGHT_TO_LEFT})
# Date formats of the languages Django has none for (hotline/core/formats/<code>/formats.py): numeric, since
# Django has no month names in them either.
FORMAT_MODULE_PATH = ["hotline.core.formats"]
LANGUAGE_COOKIE_NAME = "hotline_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS: list[str] = []  # each app keeps its own catalogue in <app>/locale
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("HOTLINE_TIME_ZONE", "Europe/Stockholm")

# --- Static ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("HOTLINE_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("HOTLINE_FROM_EMAIL", "hotline@hotline.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the public privacy page (/privacy/) sends questions about personal data.
HOTLINE_PRIVACY_CONTACT = os.environ.get("HOTLINE_PRIVACY_CONTACT", DEFAULT_FROM_EMAIL)

# --- Logging: never request lines with query strings, never client addresses ---------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HOTLINE_LOG_LEVEL", "INFO")},
    "loggers": {
        # django.request and django.server log paths and sometimes addresses: keep them quiet.
        "django.request": {"level": "CRITICAL", "propagate": True},
        "django.server": {"level": "CRITICAL", "propagate": True},
        "django.security.DisallowedHost": {"level": "CRITICAL", "propagate": True},
        "axes": {"level": "WARNING", "propagate": True},
    },
}

SILENCED_SYSTEM_CHECKS: list[str] = []
if HOTLINE_SSL_REDIRECT and not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS.append("security.W008")  # the onion case above: OnionHostMiddleware redirects

# Ninja reads settings at import; keep its docs behind our own auth decorator.
NINJA_PAGINATION_PER_PAGE = 50
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
