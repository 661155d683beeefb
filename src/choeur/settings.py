"""The one settings module. Every value comes from `choeur.config` (environment + TOML)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from choeur import config

try:
    CONFIG = config.load()
except config.ConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)
CHOEUR_ENVIRONMENT = CONFIG.environment
CHOEUR_BASE_URL = CONFIG.base_url
CHOEUR_TRUSTED_PROXIES = CONFIG.trusted_proxies
CSRF_TRUSTED_ORIGINS = [CONFIG.base_url]
#: Years an invoice is kept after its last status change once final (archives.retention).
CHOEUR_RETENTION_YEARS = CONFIG.retention_years

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "choeur.core",
    "choeur.accounts",
    "choeur.organisations",
    "choeur.invoicing",
    "choeur.messaging",
    "choeur.flux",
    "choeur.webhooks",
    "choeur.qualification",
    "choeur.travaux",
    "choeur.aide",
    "choeur.formation",
    "choeur.sollicitations",
    "choeur.chat",
    "choeur.archives",
    "choeur.reporting",
    "choeur.web",
    "choeur.api",
]

MIDDLEWARE = [
    "choeur.core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "choeur.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "choeur.web.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "choeur.web.middleware.PrivateAnswersMiddleware",
    "choeur.accounts.middleware.SecondFactorMiddleware",
    "choeur.invoicing.acknowledgements.AcknowledgementMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "choeur.core.middleware.ChoeurErrorMiddleware",
]

ROOT_URLCONF = "choeur.urls"
WSGI_APPLICATION = "choeur.wsgi.application"

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
                "choeur.web.context_processors.choeur",
            ],
            # The amount and unit filters every page uses (choeur.formats.display).
            "builtins": ["choeur.web.templatetags.formatting"],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
_db = dj_database_url.parse(CONFIG.database_url, conn_max_age=60, conn_health_checks=True)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # WAL lets the web processes read while the worker writes; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue up instead of failing with "database is locked".
        # synchronous=FULL by default: a deposit certificate handed out survives a power cut
        # (CHOEUR_SQLITE_SYNCHRONOUS=NORMAL trades that for speed; README, Configuration).
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous={CONFIG.sqlite_synchronous}; "
            "PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,  # the busy timeout, in seconds
    }
    # Tests run on a file, like production (WAL, locks between connections), not on the
    # in-memory database Django would use, whose table locks behave differently.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test-choeur.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background tasks (Django tasks API, database backend) ---------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Accounts -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
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
    {
        "NAME": "choeur.accounts.validators.CharacterClassesValidator",
        "OPTIONS": {"min_classes": 3},
    },
]
# Lock-outs and second factors apply to every login form, the admin's included.
AUTHENTICATION_BACKENDS = ["choeur.accounts.backends.AccountsBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Security -------------------------------------------------------------------------------
_https = CONFIG.base_url.startswith("https://")
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_FAILURE_VIEW = "choeur.web.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No SECURE_PROXY_SSL_HEADER: gunicorn sets the scheme from X-Forwarded-Proto only for the
# proxies it trusts (forwarded_allow_ips), where Django would trust any client.

# --- Internationalisation: French first, English available ---------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files: served by the app itself (WhiteNoise), no CDN ----------------------------
STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True  # serve straight from the package: no collectstatic step
WHITENOISE_AUTOREFRESH = DEBUG

# --- Files: content-addressed blobs (see choeur.core.storage) ------------------------------
if CONFIG.storage:
    _blobs = CONFIG.storage.django_storage()
else:
    _blobs = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": CONFIG.files_dir, "file_permissions_mode": 0o640},
    }
STORAGES = {
    "default": _blobs,
    "blobs": _blobs,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
#: The archive exports asked for in the portal, built by the worker and kept 7 days
#: (archives/services.py): temporary files, not blobs; the web and the worker share it.
CHOEUR_EXPORTS_DIR = DATA_DIR / "exports"

# --- E-mail: always sent from a task after commit (choeur.core.mail) ------------------------
DEFAULT_FROM_EMAIL = CONFIG.email_from
SERVER_EMAIL = CONFIG.email_from
CHOEUR_OUTBOX_DIR = CONFIG.outbox_dir
if CONFIG.email:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.email.host
    EMAIL_PORT = CONFIG.email.port
    EMAIL_HOST_USER = CONFIG.email.username
    EMAIL_HOST_PASSWORD = CONFIG.email.password
    EMAIL_USE_TLS = CONFIG.email.use_tls
    EMAIL_USE_SSL = CONFIG.email.use_ssl
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "choeur.core.mail.OutboxBackend"

# --- Worker liveness (see choeur.core.health) ------------------------------------------------
CHOEUR_WORKER_HEARTBEAT_SECONDS = 5
CHOEUR_WORKER_STALE_SECONDS = 30
# A stopping worker lets its current task run this long, then hands it back to the queue:
# less than the 25 s `choeur serve` (and a process manager) waits before a SIGKILL.
CHOEUR_WORKER_STOP_GRACE_SECONDS = 20

# --- Logging: to stderr; secrets never reach a log line --------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "filters": {"host_warning": {"()": "choeur.core.logs.DisallowedHostWarning"},
                # A secret in a path (a sollicitation's follow-up link) is never written.
                "path_secrets": {"()": "choeur.sollicitations.logs.RedactFollowupTokens"}},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A request with a Host we do not serve is a scanner's, not our error: one line.
        "django.security.DisallowedHost": {"filters": ["host_warning", "path_secrets"]},
        "django.security.csrf": {"filters": ["path_secrets"]},
        "django.server": {"filters": ["path_secrets"]},
        # Every 4xx would be a WARNING line (a refused login, a wrong secret, a 404): under
        # an attack, thousands. Server errors stay; refusals worth knowing are logged by
        # Choeur itself (a throttle reaching its limit, a tolerated call without a token).
        "django.request": {"level": "ERROR", "filters": ["path_secrets"]},
        # The Factur-X and PDF libraries say at INFO what they do for every file Choeur writes
        # or reads (three lines per invoice): noise in a worker's log and on the CLI.
        "factur-x": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
    },
}
