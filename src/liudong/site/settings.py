"""Settings from the environment (django-environ).

``LIUDONG_MODE`` chooses the profile:
- ``demo`` (default): plain http on localhost, keys generated into the data directory;
- ``production``: keys and hosts from the environment, HTTPS-only cookies, HSTS; passes
  ``manage.py check --deploy --fail-level WARNING``;
- ``test``: as demo, with fixed keys and a fast password hasher.
``DATABASE_URL`` selects the database: SQLite in the data directory by default (WAL,
IMMEDIATE transactions, synchronous=FULL), PostgreSQL with ``postgres://...``.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ

from liudong.site import keys as keyring

env = environ.Env()
# Under pytest the default is ``test``: pytest-django imports these settings before any
# conftest runs, so a conftest cannot choose the mode (pytest sets PYTEST_VERSION).
MODE = env.str("LIUDONG_MODE", default="test" if "PYTEST_VERSION" in os.environ else "demo")
if MODE not in {"demo", "production", "test"}:
    raise keyring.KeyConfigurationError(
        f"LIUDONG_MODE must be demo, production or test, not {MODE!r}"
    )
PRODUCTION = MODE == "production"
DATA_DIR = Path(env.str("LIUDONG_DATA_DIR", default=str(Path.cwd() / "data"))).resolve()
PACKAGE_DIR = Path(__file__).resolve().parent.parent

if PRODUCTION:
    KEYS = keyring.from_environment()
elif MODE == "test":
    KEYS = keyring.Keys(
        secret_key="test-only-" + "x" * 50,
        master_key=bytes(range(32)),
        sm2_private=bytes.fromhex(keyring.TEST_SM2_PRIVATE),
        sm2_public=bytes.fromhex(keyring.TEST_SM2_PUBLIC),
    )
else:
    KEYS = keyring.from_data_dir(DATA_DIR)

SECRET_KEY = KEYS.secret_key
DEBUG = env.bool("LIUDONG_DEBUG", default=False) and not PRODUCTION
ALLOWED_HOSTS = env.list(
    "LIUDONG_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("LIUDONG_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "liudong.site.apps.AdminConfig",  # django.contrib.admin with liudong's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "ninja",  # the API docs page from its own static files, not a CDN
    "django_tasks",  # background tasks (liudong.tasks, ADR 0004)
    "django_tasks_db",
    "liudong.site.apps.SiteConfig",
    "liudong.people",
    "liudong.accounts",
    "liudong.audit",
    "liudong.workdays",
    "liudong.workflows",
    "liudong.evidence",
    "liudong.notifications",
    "liudong.tasks",
    "liudong.certificates",
    "liudong.settlement",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "liudong.accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liudong.site.urls"
WSGI_APPLICATION = "liudong.site.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'liudong.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if MODE == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: staff idle timeout 30 minutes (IdleTimeoutMiddleware), absolute 12 hours.
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LIUDONG_IDLE_TIMEOUT_SECONDS = 30 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Lockout: 5 failures within 15 minutes lock the account and address for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "liudong.accounts.views.locked_out"  # the designed page, 429

# Second factor (TOTP, django-otp) for staff, supervisors, auditors and administrators.
OTP_TOTP_ISSUER = "liudong"
LIUDONG_LOGIN_PENDING_SECONDS = 5 * 60  # between the password step and the TOTP step
LIUDONG_TOTP_MAX_ATTEMPTS = 5  # wrong codes before the password step must be repeated
LIUDONG_STAFF_PASSWORD_MAX_AGE_DAYS = 90  # GB/T 22239 8.1.4.1(a): staff change periodically

# Real-name binding of citizens: a 6-digit code by SMS, valid 10 minutes, used once.
LIUDONG_REALNAME_VERIFIER = env.str("LIUDONG_REALNAME_VERIFIER", default="registry")
LIUDONG_REALNAME_CODE_SECONDS = 10 * 60
LIUDONG_REALNAME_MAX_ATTEMPTS = 5  # wrong codes before a challenge dies
LIUDONG_REALNAME_MAX_STARTS_PER_HOUR = 5  # challenges (and mismatches) per account per hour

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if MODE != "test"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if MODE == "test":  # tests serve static files from the apps, without collectstatic
    WHITENOISE_AUTOREFRESH = True
    WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger bodies are refused with 413

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("LIUDONG_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True
    LANGUAGE_COOKIE_SAMESITE = "Lax"

# Background tasks (liudong.tasks, ADR 0004): the database backend in every mode, tests
# included (they drain the queue with liudong.tasks.run_pending). Any queue name is allowed.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
LIUDONG_TASKS_LEASE_SECONDS = env.int("LIUDONG_TASKS_LEASE_SECONDS", default=120)
LIUDONG_TASKS_HEARTBEAT_SECONDS = env.int("LIUDONG_TASKS_HEARTBEAT_SECONDS", default=15)
LIUDONG_TASKS_MAX_ATTEMPTS = env.int("LIUDONG_TASKS_MAX_ATTEMPTS", default=3)
LIUDONG_TASKS_PROGRESS_SECONDS = 0.5  # report_progress writes at most this often

# liudong
LIUDONG_KEYS = KEYS
LIUDONG_CHECKPOINT_DIR = Path(
    env.str("LIUDONG_CHECKPOINT_DIR", default=str(DATA_DIR / "checkpoints"))
)
LIUDONG_SMS_GATEWAY = env.str("LIUDONG_SMS_GATEWAY", default="fake" if not PRODUCTION else "")
LIUDONG_SMS_GATEWAY_URL = env.str("LIUDONG_SMS_GATEWAY_URL", default="")
# The site's public address, printed on certificates with the verification page's path.
LIUDONG_PUBLIC_URL = env.str("LIUDONG_PUBLIC_URL", default="")

# Mail (liudong.notifications): printed to the console in demo, SMTP from the environment in
# production (LIUDONG_EMAIL_HOST etc.); tests use Django's in-memory outbox (locmem).
EMAIL_BACKEND = env.str(
    "LIUDONG_EMAIL_BACKEND",
    default={
        "production": "django.core.mail.backends.smtp.EmailBackend",
        "test": "django.core.mail.backends.locmem.EmailBackend",
    }.get(MODE, "django.core.mail.backends.console.EmailBackend"),
)
EMAIL_HOST = env.str("LIUDONG_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("LIUDONG_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("LIUDONG_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("LIUDONG_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("LIUDONG_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("LIUDONG_EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("LIUDONG_EMAIL_FROM", default="liudong@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
