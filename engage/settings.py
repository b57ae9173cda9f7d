"""Engage's one settings module.

A plain clone runs with these defaults (SQLite in ./data, debug on). Production differs only by
environment variables; see the README's "Configuration" section for each one.
"""

import datetime
import json
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from engage.lib.env import env_bool, env_int, env_list
from engage.lib.private_files import private_folder

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent
DATA_DIR = Path(os.environ.get("ENGAGE_DATA_DIR", BASE_DIR / "data"))

DEBUG = env_bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-engage-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "engage.audit",
    "engage.accounts",
    "engage.cases",
    "engage.sharing",
    "engage.directory",
    "engage.custom",
    "engage.network",
    "engage.liaison",
    "engage.documents",
    "engage.history",
    "engage.privacy",
    "engage.mel",
    "engage.imports",
    "engage.dashboard",
    "engage.demo",
    "engage.ops",
    "engage.api",
    "engage.agenda",
    "engage.offline",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Background work (docs/tasks.md): the queue is a table of the database itself.
    "django_tasks",
    "django_tasks.backends.database",
]

# A development tool, when installed (the [dev] extra): `engage lintmigrations`, which
# `make lint` runs to refuse migrations that the code still running could not survive (R39).
if DEBUG:
    from importlib.util import find_spec

    if find_spec("django_migration_linter"):
        INSTALLED_APPS.append("django_migration_linter")

MIDDLEWARE = [
    "engage.lib.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so that every response carries it, redirects of the middleware below included.
    "engage.lib.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # The person's own language and their organisation's time zone (docs/translating.md).
    "engage.accounts.middleware.UserLocaleMiddleware",
    # Who acts, for the change history written by database triggers (R22).
    "engage.history.context.HistoryContextMiddleware",
    # Every response that shows a case's personal data records one read (R21).
    "engage.audit.reads.ReadAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "engage.accounts.middleware.SessionTimeoutMiddleware",
    # Deny by default: every view needs a logged-in user unless marked @login_not_required
    # (Django's, answering background requests with 401 and keeping a form sent just after
    # the session ended: engage/accounts/kept_forms.py).
    "engage.accounts.middleware.LoginRequiredMiddleware",
    # Every query of personal data inside a request is limited to the user's organisation.
    "engage.lib.scoping.OrganisationScopeMiddleware",
    "engage.accounts.middleware.MFARequiredMiddleware",
    "engage.accounts.security_keys.SecurityKeyRequiredMiddleware",
    "engage.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Whether the device may keep cases offline, on every signed-in response (docs/offline.md).
    "engage.offline.middleware.OfflineAllowedMiddleware",
    "engage.lib.middleware.NoStoreForAuthenticatedMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the signed-in user with their organisation in one query.
    # (Sessions signed in under the previous path, django.contrib.auth.backends.ModelBackend,
    # sign in again once after the upgrade.)
    "engage.accounts.backends.UserBackend",
]
# Brute-force lockout (R15): 5 failures for one username from one address lock that pair out
# for 30 minutes, even with the right password; colleagues behind the same address sign in.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# django-axes keeps the query string and form of each failed sign-in; the page a signed-out
# person was sent from (`next`, a search with a name in it) is not kept (issue 10 #7), and the
# form is not kept at all (engage/accounts/lockout.py: the step-up's carried forms).
AXES_SENSITIVE_PARAMETERS = ["next", "q"]
AXES_HANDLER = "engage.accounts.lockout.FormlessDatabaseHandler"
# A failed sign-in's username is kept as a keyed digest: what is typed there is at times the
# password (engage/accounts/lockout.py).
AXES_USERNAME_CALLABLE = "engage.accounts.lockout.username_key"
# Who is signing in: the same address the audit log records (engage/lib/client_address.py),
# from REMOTE_ADDR, or behind ENGAGE_TRUSTED_PROXY_COUNT reverse proxies from X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "engage.lib.client_address.client_address"

if not DEBUG:
    # Production serves its own static files; in development runserver does.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "engage.urls"
WSGI_APPLICATION = "engage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "engage.accounts.context_processors.navigation",
            ],
        },
    },
]

# Forms draw their fields and widgets with Jinja2, the pages stay in Django's template language
# (engage/lib/rendering.py says why).
FORM_RENDERER = "engage.lib.rendering.FormRenderer"

# A connection is kept ten minutes: on PostgreSQL its prepared statements, planned for good from
# about their eleventh run (below), live as long as it does. An idle worker keeps its connection
# whatever the age (Django closes an old one at the next request's edges), so a longer age holds
# no more connections; it only reopens them, and prepares and plans again, less often.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'engage.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: make its folder, and let concurrent requests wait for the write
    # lock instead of failing (IMMEDIATE transactions, WAL journal). The folder is its owner's
    # only and the file 0600 (SQLite gives its -wal and -shm files the database's mode).
    _SQLITE_FILE = str(DATABASES["default"]["NAME"])
    if _SQLITE_FILE != ":memory:" and not _SQLITE_FILE.startswith("file:"):
        # The file itself is made 0600 when the first connection opens it (ops.apps), not
        # here: loading the settings (a refused `engage serve`, `engage --help`) creates nothing.
        private_folder(Path(_SQLITE_FILE).parent)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the pages' queries return a caseload, but their correlated subqueries
    # (what is due on each case) are estimated over the organisation's cases, which passes
    # jit_above_cost as the organisation grows; compiling was most of a 5 s case list at 100k
    # clients (issue 17), and never pays back on a query that reads a caseload.
    # A long report that would gain from it can switch it on for itself (SET LOCAL jit = on).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Prepared statements: PostgreSQL plans a query each time it is sent, and the pages' queries
    # (a caseload's due facts, the reader's scope) took it 4 to 12 ms to plan for under 1 ms to
    # run (issue 17, docs/performance.md). psycopg prepares a statement on a connection once it
    # has run it `prepare_threshold` times; PostgreSQL plans a prepared statement for its values
    # at its first five runs, then keeps a generic plan when that costs no more, and runs it
    # without planning from then on: from about the eleventh run on the connection (the case
    # page at 100,000 clients: 53-66 ms, then 44-48). That needs Django's server-side parameter
    # binding (its default binds on the client, which cannot prepare). Off
    # (`DATABASE_PREPARED_STATEMENTS=false`) behind a pooler that cannot keep them, such as
    # PgBouncer before 1.21 in transaction mode.
    if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5  # psycopg's own default
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work (docs/tasks.md): imports, shares, retention and backups are tasks, queued in
# the database (PostgreSQL in production, so no other server) and run by `engage worker`. The
# tests use the same backend: a task is a row until a worker runs it.
# Two queues: `documents` lays out the reports' PDFs (seconds of CPU each), so a worker can be
# given to them alone (`engage worker --queue-name documents`) and an import or a share never
# waits behind one; `engage worker` runs both (docs/tasks.md).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.database.DatabaseBackend",
        "QUEUES": ["default", "documents"],
    }
}
# A task stopped by a temporary failure (the database or the network not answering) runs again
# after ENGAGE_TASK_RETRY_SECONDS, then twice as long, up to ENGAGE_TASK_ATTEMPTS runs in all.
ENGAGE_TASK_ATTEMPTS = env_int("ENGAGE_TASK_ATTEMPTS", 3)
ENGAGE_TASK_RETRY_SECONDS = env_int("ENGAGE_TASK_RETRY_SECONDS", 30)

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"

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
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en"
# The network's seven languages (docs/translating.md). A new pilot's language is one more line
# here, a catalogue under locale/, and, if Django's formats do not suit it, engage/formats/.
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("bg", _("Bulgarian")),
    ("el", _("Greek")),
    ("it", _("Italian")),
    ("pl", _("Polish")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["engage.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES: dict[str, dict] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Nothing a web process keeps for itself (docs/deployment.md): sessions, lockouts, rate limits
# and tasks are rows of the database, and so is the cache, so that any number of `engage serve`
# processes on any number of machines can answer the same person. Its table is made by a
# migration (engage/ops/migrations).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "engage_cache",
    }
}

# No external host anywhere: scripts carry the per-request nonce, everything else is ours.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
        # Browsers post violations here (engage.ops.views.csp_report), so a broken page or an
        # injection attempt shows up in the logs.
        "report-uri": ["/csp-report/"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# How many reverse proxies stand between the clients and Engage, each appending to
# X-Forwarded-For. 0: clients connect directly and X-Forwarded-For is ignored (anyone can send
# one). The documented TLS proxy (ENGAGE_BEHIND_TLS_PROXY) is one. Used for lockout and the
# audit log's addresses (engage/lib/client_address.py): too high a count lets a client choose
# its address, too low makes every client look like the proxy.
_BEHIND_TLS_PROXY = env_bool("ENGAGE_BEHIND_TLS_PROXY", default=False)
ENGAGE_TRUSTED_PROXY_COUNT = env_int("ENGAGE_TRUSTED_PROXY_COUNT", 1 if _BEHIND_TLS_PROXY else 0)
if ENGAGE_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("ENGAGE_TRUSTED_PROXY_COUNT cannot be negative.")

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    if _BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    # The __Host- prefix binds the cookies to this exact host, over HTTPS, for the whole site.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Encryption of identifying fields and the blind index (engage/lib/crypto.py). The keys are
# never stored in the database or its backups. Production must set both; a development
# instance without them gets random keys in a file made once beside its data folder, never
# in it, so a copy of the folder (database, documents) holds no key: `.data-development-keys.json`
# next to `./data`. A key file left inside the folder by older versions is moved out.
ENGAGE_FIELD_KEYS = env_list("ENGAGE_FIELD_KEYS", default=[])
ENGAGE_INDEX_KEY = os.environ.get("ENGAGE_INDEX_KEY", "")
ENGAGE_DEV_KEY_FILE = (
    Path(
        os.environ.get("ENGAGE_DEV_KEY_FILE")
        or DATA_DIR.resolve().parent / f".{DATA_DIR.resolve().name}-development-keys.json"
    )
    if DEBUG
    else None
)
ENGAGE_DEV_KEY_LEGACY_FILE = DATA_DIR / "development-keys.json"
if not DEBUG and not (ENGAGE_FIELD_KEYS and ENGAGE_INDEX_KEY):
    raise ImproperlyConfigured(
        "ENGAGE_FIELD_KEYS and ENGAGE_INDEX_KEY must be set when DEBUG is off "
        "(make them with: engage new_keys)."
    )

# Two-step verification (TOTP app + recovery codes) for every member of staff. It can be
# switched off only on a development instance (the local demo); production refuses to start
# without it.
ENGAGE_MFA_REQUIRED = env_bool("ENGAGE_MFA_REQUIRED", default=not DEBUG)
if not DEBUG and not ENGAGE_MFA_REQUIRED:
    raise ImproperlyConfigured("ENGAGE_MFA_REQUIRED cannot be switched off when DEBUG is off.")
OTP_TOTP_ISSUER = "Engage"
OTP_TOTP_THROTTLE_FACTOR = 1

# Security keys and passkeys (WebAuthn, django-otp-webauthn), required for the roles that can
# export (engage/accounts/security_keys.py). Keys are bound to the relying party id, the site's
# host name: changing it later means everyone registers their keys again. Development uses the
# host of each request (localhost); production defaults to the first of ALLOWED_HOSTS.
ENGAGE_WEBAUTHN_RP_ID = os.environ.get(
    "ENGAGE_WEBAUTHN_RP_ID", "" if DEBUG else next(iter(ALLOWED_HOSTS), "")
)
OTP_WEBAUTHN_RP_ID_CALLABLE = "engage.accounts.security_keys.relying_party_id"
OTP_WEBAUTHN_RP_NAME = "Engage"
OTP_WEBAUTHN_HELPER_CLASS = "engage.accounts.security_keys.WebAuthnHelper"
# A key is a second step after the password, never a way to skip it.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# The origins are worked out per request by the helper class; this is what its checks see.
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    f"https://{ENGAGE_WEBAUTHN_RP_ID}" if ENGAGE_WEBAUTHN_RP_ID else "http://localhost"
]

# Signed out after this many minutes without a request (the absolute limit is
# SESSION_COOKIE_AGE, 12 hours by default).
ENGAGE_IDLE_MINUTES = env_int("ENGAGE_IDLE_MINUTES", 30)
# A form sent just after the session ended waits this long, encrypted in the browser's new
# session, for the same person to sign in again and send it (engage/accounts/kept_forms.py).
ENGAGE_KEPT_FORM_MINUTES = env_int("ENGAGE_KEPT_FORM_MINUTES", 30)

# Documents attached to cases: encrypted files outside the web root, with limits.
ENGAGE_DOCUMENTS_DIR = Path(os.environ.get("ENGAGE_DOCUMENTS_DIR", DATA_DIR / "documents"))
ENGAGE_DOCUMENT_MAX_BYTES = env_int("ENGAGE_DOCUMENT_MAX_MB", 10) * 2**20
ENGAGE_DOCUMENTS_PER_CASE = env_int("ENGAGE_DOCUMENTS_PER_CASE", 50)
# Spreadsheets being imported wait here, encrypted, until stored, discarded or expired.
ENGAGE_IMPORTS_DIR = Path(os.environ.get("ENGAGE_IMPORTS_DIR", DATA_DIR / "imports"))
ENGAGE_IMPORT_KEEP_DAYS = env_int("ENGAGE_IMPORT_KEEP_DAYS", 7)
ENGAGE_IMPORT_STALE_MINUTES = env_int("ENGAGE_IMPORT_STALE_MINUTES", 30)
# A document's or an upload's file that no row names (its transaction rolled back) is deleted
# by the daily sweep (`engage sweep_files`, run with retention) once older than this: a
# transaction that writes one is a request's, seconds long, and this leaves room for clocks
# (an object storage's) that differ.
ENGAGE_ORPHAN_FILE_MINUTES = env_int("ENGAGE_ORPHAN_FILE_MINUTES", 60)
# The network hub keeps each pilot's submission this many months after its import
# (`engage purge_submissions`, daily, deletes the older ones).
ENGAGE_NETWORK_RETENTION_MONTHS = env_int("ENGAGE_NETWORK_RETENTION_MONTHS", 24)
# Reports made in the background (mel.ReportRun) are kept this many days for their page and
# downloads, then deleted by the daily `engage enqueue reports`. One from an earlier day is
# never served again for a new request (the data's mark holds the date), so this is only how
# long a person can come back to the report they made.
ENGAGE_REPORT_KEEP_DAYS = env_int("ENGAGE_REPORT_KEEP_DAYS", 30)
# Where the encrypted files of documents and imports are kept (engage/lib/encrypted_files.py):
# the two folders above, on this machine or on a volume every web machine mounts; or, when
# ENGAGE_FILE_STORAGE names a Django storage class (django-storages' S3Storage for object
# storage), that storage, given the JSON object ENGAGE_FILE_STORAGE_OPTIONS and a prefix of its
# own ("documents/", "imports/"). The files are encrypted before they leave the process.
ENGAGE_FILE_STORAGE = os.environ.get("ENGAGE_FILE_STORAGE", "")
for _alias, _folder_setting in (
    ("documents", "ENGAGE_DOCUMENTS_DIR"),
    ("imports", "ENGAGE_IMPORTS_DIR"),
):
    if ENGAGE_FILE_STORAGE:
        _options = json.loads(os.environ.get("ENGAGE_FILE_STORAGE_OPTIONS") or "{}")
        STORAGES[_alias] = {
            "BACKEND": ENGAGE_FILE_STORAGE,
            "OPTIONS": _options | {"location": _alias},
        }
    else:
        STORAGES[_alias] = {
            "BACKEND": "engage.lib.encrypted_files.PrivateFolderStorage",
            "OPTIONS": {"setting": _folder_setting},
        }
DATA_UPLOAD_MAX_MEMORY_SIZE = ENGAGE_DOCUMENT_MAX_BYTES + 2**20
FILE_UPLOAD_MAX_MEMORY_SIZE = ENGAGE_DOCUMENT_MAX_BYTES + 2**20

# Sensitive operations (consent override, erasure, bulk export) need the password typed again
# within this many minutes.
ENGAGE_STEP_UP_MINUTES = env_int("ENGAGE_STEP_UP_MINUTES", 10)

# Self-service password reset (R18): a link valid this many seconds, once. The only email
# Engage sends on its own is that link, to a member of staff; it names no client.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)
# Development prints emails on the console; production sends them through an SMTP relay.
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "engage@localhost")

# The REST API (engage.api, docs/api.md): personal access tokens only, JSON only, errors as
# {"error": {...}}, the schema and its docs served from our own static files.
ENGAGE_API_TOKEN_MAX_DAYS = env_int("ENGAGE_API_TOKEN_MAX_DAYS", 90)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "engage.api.authentication.PersonalAccessTokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["engage.api.permissions.RoleRequired"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["engage.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "engage.api.schema.EngageAutoSchema",
    "EXCEPTION_HANDLER": "engage.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Engage API",
    "DESCRIPTION": "Case management for community-based alternatives to detention. See docs/api.md.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set, so that `check --deploy` has nothing to say about the schema.
    "ENUM_NAME_OVERRIDES": {
        "ActionStatusEnum": "engage.cases.models.plan.Action.Status",
        "GoalStatusEnum": "engage.cases.models.plan.Goal.Status",
        "PlanStatusEnum": "engage.cases.models.plan.CasePlan.Status",
        "ApprovalStatusEnum": "engage.cases.models.process.ApprovalStatus",
        "ReferralStatusEnum": "engage.directory.models.Referral.Status",
        "CountryEnum": "django_countries.countries",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "engage.api.schema.forbid_unknown_fields",
    ],
}

# Demo conveniences are refused outside DEBUG unless forced (see seed_demo).
ENGAGE_DEMO_PASSWORD = os.environ.get("ENGAGE_DEMO_PASSWORD", "engage-demo")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No query string in any log line: searches carry names in them (engage/ops/logs.py).
    "filters": {"no_query_strings": {"()": "engage.ops.logs.DropQueryStrings"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["no_query_strings"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["no_query_strings"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # django-axes narrates every sign-in at INFO; the audit log keeps what matters.
        "axes": {"level": "WARNING"},
        # WeasyPrint narrates each page it lays out ("Step 5 - Creating layout - Page 12") at
        # INFO: dozens of lines in the worker's log for every report's PDF.
        "weasyprint.progress": {"level": "WARNING"},
        # runserver's request lines, as Django logs them, less their query strings.
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# Encrypted database backups (engage backup / restore): Fernet keys, the first encrypts.
ENGAGE_BACKUP_KEY = os.environ.get("ENGAGE_BACKUP_KEY", "")
# Where `engage backup` and the backup task write their archives: DATA_DIR/backups by default;
# with several machines, a folder that outlives any one of them (docs/deployment.md).
ENGAGE_BACKUPS_DIR = os.environ.get("ENGAGE_BACKUPS_DIR", "")
