"""Settings read from the environment; a bad value stops start-up with a clear message."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    """The variable's value; its default when unset or empty, as docker-compose.yml passes a
    setting that .env leaves out."""
    return os.environ.get(name) or default


def envbool(name: str, default: str) -> bool:
    value = env(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: str) -> int:
    value = env(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def database_from_env(url: str, variable: str = "DATABASE_URL") -> dict:
    """PostgreSQL (or another server) from DATABASE_URL; an embedded SQLite file when unset."""
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "registry.sqlite3")),
            "OPTIONS": {
                # Several gunicorn workers or a browser test server share the file:
                # WAL lets readers run beside one writer, IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    try:
        config = dj_database_url.parse(url, conn_max_age=envint("DB_CONN_MAX_AGE", "60"))
    except ValueError as error:
        raise ImproperlyConfigured(f"{variable} is not a database address: {error}") from None
    config["CONN_HEALTH_CHECKS"] = True
    return config


DEBUG = envbool("DEBUG", "false")
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = [host.strip() for host in env("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")]
if not all(ALLOWED_HOSTS):
    raise ImproperlyConfigured("ALLOWED_HOSTS has an empty entry; separate hosts with commas")

DATABASES = {"default": database_from_env(env("DATABASE_URL"))}
# An optional streaming replica for analytics and exports: see config/routers.py.
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = database_from_env(env("DATABASE_REPLICA_URL"), "DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The lab values' index (registry.LabResult) carries the columns a series reads, which
# PostgreSQL answers from the index alone; SQLite ignores the included columns and uses
# the index by its keys, as it would without them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "simple_history",
    "drf_spectacular_sidecar",
    "axes",
    "registry",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before any view or look-up: text with NUL in it fails in PostgreSQL (config.errors).
    "config.errors.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: they turn a sign-in that was refused into the login page saying why.
    "registry.web.lockout.AddressPausedMiddleware",
    "axes.middleware.AxesMiddleware",
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
                "registry.web.context.navigation",
            ],
            # The pages' own filters stay in registry.web, above the models they format.
            "libraries": {
                "study_dates": "registry.web.study_dates",
                "measures": "registry.web.measures",
            },
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# django-axes checks every sign-in first: the login page, the admin and the API's token
# endpoint. Five failures in a row for one username from one address lock that pair for an
# hour. Behind the load balancer every request comes from the balancer's address, so there
# the username is locked from everywhere: slower for its owner, never a way around the
# limit (X-Forwarded-For is not read, as a client could forge it). The hour runs from the
# fifth failure (attempts during it do not extend it); a success resets the count; an
# administrator unlocks sooner with `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "registry.signins.AddressBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_COOLOFF_MESSAGE = (
    "Too many failed sign-ins: this account is locked for an hour. "
    "An administrator can unlock it sooner."
)
AXES_LOCKOUT_CALLABLE = "registry.web.lockout.lockout_response"
# Separately from axes, failed sign-ins from one address across all usernames: past this
# many within an hour, that address cannot sign in until the hour is over
# (registry.signins). Behind a balancer that hides the clients' addresses, every sign-in
# counts as from one address: 0 turns the check off there.
LOGIN_FAILURES_PER_IP_PER_HOUR = envint("LOGIN_FAILURES_PER_IP_PER_HOUR", "50")
if LOGIN_FAILURES_PER_IP_PER_HOUR < 0:
    raise ImproperlyConfigured("LOGIN_FAILURES_PER_IP_PER_HOUR must be 0 (off) or more")

# Scripts, styles, images and requests from this site only: no inline script or style, no
# eval(), no plugins, never inside another site's frame. The same policy in development and
# tests as in production, so the browser tests fail on a page that breaks it. The API docs
# page loosens it for itself (registry.api.views.docs.ApiDocsView).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REDIS_URL = env("REDIS_URL")
# Without Redis, each process keeps answers in its memory, up to LOCAL_CACHE_ENTRIES, the
# least recently read going first. Most are patients' details (a few KiB each): a list
# page is kept as its patients' details (registry.api.caching), and Django's default of
# 300 would not hold the details of one page of 500.
LOCAL_CACHE_ENTRIES = 10_000
CACHES = {
    "default": (
        {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": LOCAL_CACHE_ENTRIES},
        }
    )
}
# The first part of the key of every analytics result (analytics.caching): a benchmark
# sets its own to have results computed afresh while the data and its version stand.
ANALYTICS_CACHE_PREFIX = "analytics"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "registry.tokens.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON parser refusing bodies nested too deep (registry.api.parsers), then its own.
    "DEFAULT_PARSER_CLASSES": [
        "registry.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # DRF's renderers, its JSON written faster (registry.jsontext.JSONRenderer).
    "DEFAULT_RENDERER_CLASSES": [
        "registry.jsontext.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, with the error answers every operation shares (400, 401, 403, 404, 412).
    "DEFAULT_SCHEMA_CLASS": "registry.api.schema.RegistrySchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CAR-T Registry API",
    "DESCRIPTION": "Patients, outcomes and live cohort statistics of CAR-T cell therapy studies. "
    "A query parameter left empty (?sex=, as a form sends a field left blank) is taken as "
    "not given.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files: hospital networks often block CDNs.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ResponseStatusEnum": "registry.choices.ResponseStatus",
        # A study's B-cell aplasia and kinetics specimens, a lab value's and a count's.
        "SpecimenEnum": "registry.analytes.SPECIMEN_CHOICES",
    },
}

# API tokens (django-rest-knox: stored hashed, one per sign-in) end this many days after
# they were given, however much they are used: a token copied off a laptop stops working
# on its own. A password change ends them all (registry.tokens).
API_TOKEN_TTL_DAYS = envint("API_TOKEN_TTL_DAYS", "30")
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured(f"API_TOKEN_TTL_DAYS must be 1 or more, not {API_TOKEN_TTL_DAYS}")
REST_KNOX = {"TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS), "AUTO_REFRESH": False}

# A cohort document larger than this is refused before it is parsed (bytes).
COHORT_IMPORT_MAX_BYTES = envint("COHORT_IMPORT_MAX_BYTES", str(64 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = COHORT_IMPORT_MAX_BYTES
# An ODM document is read as a stream from a temporary file, never whole into memory
# (docs/odm.md): its limit is the disk and the time an import may take, not the memory.
# A 10,000-patient snapshot is about 260 MiB; 1 GiB takes about 40,000 patients.
ODM_IMPORT_MAX_BYTES = envint("ODM_IMPORT_MAX_BYTES", str(1024 * 1024 * 1024))

# Email (registry.notifications; docs/notifications.md): written to the console unless
# EMAIL_BACKEND=smtp, which sends through EMAIL_HOST. A mail server that fails is logged and
# never fails the save that set the email off.
EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}
_email_backend = env("EMAIL_BACKEND", "console").strip().lower()
if _email_backend not in EMAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND must be one of {', '.join(EMAIL_BACKENDS)}, not {_email_backend!r}"
    )
EMAIL_BACKEND = EMAIL_BACKENDS[_email_backend]
EMAIL_HOST = env("EMAIL_HOST", "localhost").strip()
if _email_backend == "smtp" and not EMAIL_HOST:
    raise ImproperlyConfigured("EMAIL_HOST must name the mail server when EMAIL_BACKEND=smtp")
EMAIL_PORT = envint("EMAIL_PORT", "25")
if not 1 <= EMAIL_PORT <= 65535:
    raise ImproperlyConfigured(f"EMAIL_PORT must be a port from 1 to 65535, not {EMAIL_PORT}")
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "false")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on: choose one")
# Emails are sent as the clinician's save commits: a mail server that does not answer holds
# that request no longer than this.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "10")
if EMAIL_TIMEOUT < 1:
    raise ImproperlyConfigured(f"EMAIL_TIMEOUT must be 1 second or more, not {EMAIL_TIMEOUT}")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "registry@localhost").strip()
if "@" not in DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured(
        f"DEFAULT_FROM_EMAIL must be an email address, not {DEFAULT_FROM_EMAIL!r}"
    )
# The registry's address as its users reach it, for the links in emails; without it the
# emails name the page without a link.
SITE_URL = env("SITE_URL").strip().rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"SITE_URL must begin with https:// or http://, not {SITE_URL!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "config.redaction.RedactHealthData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
