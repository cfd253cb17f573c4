import re

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import DJANGO_ENV, IS_PRODUCTION, ROOT_DIR, env, require

BASE_DIR = ROOT_DIR
SECRET_KEY = require("DJANGO_SECRET_KEY", "dev-insecure-secret-key-change-me-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=not IS_PRODUCTION)
ENVIRONMENT = DJANGO_ENV
RELEASE = env.str("LUMBUNG_RELEASE", default="dev")

ROOT_URLCONF = "lumbung.urls_tenant"
WSGI_APPLICATION = "lumbung.wsgi.application"
ASGI_APPLICATION = "lumbung.asgi.application"

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first: request metrics
    "lumbung.observability.RequestContextMiddleware",  # request id, clean log context
    "lumbung.middleware.HealthCheckMiddleware",  # /healthz, /readyz: before tenant lookup
    "lumbung.metrics.MetricsMiddleware",  # /metrics: before tenant lookup
    "lumbung.middleware.RestoreSchemaMiddleware",
    "tenants.middleware.AllowedHostMiddleware",  # ALLOWED_HOSTS + the Domain table, else 400
    "tenants.middleware.CachedTenantMiddleware",  # host -> schema, lookup cached
    "lumbung.middleware.TenantContextMiddleware",
    "core.common.middleware.ApiErrorMiddleware",  # /api/ errors as JSON; NUL in query: 400
    "core.common.middleware.DbRefusalMiddleware",  # a trigger's refusal: readable, not a 500
    "django.middleware.security.SecurityMiddleware",
    "lumbung.middleware.ContentSecurityPolicyMiddleware",  # no inline script anywhere
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.users.middleware.IndonesianFirstMiddleware",  # no Accept-Language guessing
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lumbung.observability.UserContextMiddleware",  # user id on logs and Sentry events
    "django.contrib.messages.middleware.MessageMiddleware",
    "tenants.middleware.PracticeMiddleware",  # practice copy: banner flag, last use, steps
    "billing.middleware.SubscriptionStatusMiddleware",  # read-only when suspended
    "lumbung.console.support.SupportSessionMiddleware",  # support access: read-only, expires
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.users.middleware.TwoFactorSessionMiddleware",  # a TOTP user's session needs the code
    "core.users.middleware.IdleTimeoutMiddleware",  # after auth and messages
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # response metrics
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ROOT_DIR / "platform" / "lumbung" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lumbung.context_processors.platform",
            ],
        },
    },
]

AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Bahasa Indonesia first, English second.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [ROOT_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(ROOT_DIR / ".data" / "static"))
STATICFILES_DIRS = [ROOT_DIR / "platform" / "lumbung" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(ROOT_DIR / ".data" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every message goes through lumbung.mail (a practice copy of a cooperative sends none);
# the EMAIL_BACKEND environment variable chooses the backend that delivers the rest.
EMAIL_DELIVERY_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if IS_PRODUCTION
        else "django.core.mail.backends.console.EmailBackend"
    ),
)
EMAIL_BACKEND = "lumbung.mail.PracticeGuardBackend"
# The folder the file-based backend (django.core.mail.backends.filebased) writes into.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default="") or None
if EMAIL_DELIVERY_BACKEND.endswith(".filebased.EmailBackend") and not EMAIL_FILE_PATH:
    raise ImproperlyConfigured(
        "EMAIL_BACKEND is the file-based backend but EMAIL_FILE_PATH is not set: "
        "give the folder its messages are written into."
    )
if IS_PRODUCTION:
    EMAIL_HOST = require("EMAIL_HOST", "")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Lumbung <noreply@lumbung.localhost>")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "core.common.schema.LumbungAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # No HTTP Basic: a password alone would skip the two-factor step. Integrations
        # use per-cooperative API keys (core.users.apikeys). The key first: the first
        # class names the scheme, so missing or refused credentials answer 401 with
        # `WWW-Authenticate: Api-Key` (the session's would make them a 403).
        "core.users.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.common.pagination.ApiPageNumberPagination",
    "PAGE_SIZE": 50,
    # per API key, or per logged-in user for session calls: API_THROTTLE_RATE below
    "DEFAULT_THROTTLE_CLASSES": ["core.common.throttling.ApiRateThrottle"],
    "EXCEPTION_HANDLER": "core.common.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.common.api.SafeJSONParser",  # RecursionError on deep nesting: 400
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
}
# Requests an API key (or a logged-in user's session) may make to the API per second,
# minute, hour or day ("600/minute"); more answer 429 `throttled` with Retry-After.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/minute")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", API_THROTTLE_RATE):
    raise ImproperlyConfigured(
        f"API_THROTTLE_RATE must be a number of requests per second, minute, hour or day "
        f"(e.g. 600/minute), not {API_THROTTLE_RATE!r}"
    )
# Idempotency-Key on the API's POSTs (core.common.idempotency): how long a kept answer is
# replayed (the daily cleanup deletes older ones), and how long a second request with the
# same key waits for the first to finish before it answers 409.
IDEMPOTENCY_KEEP_HOURS = env.int("IDEMPOTENCY_KEEP_HOURS", default=24)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=10.0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Lumbung API",
    "DESCRIPTION": "Per-cooperative REST API (members, savings, loans, ledger).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # a view's description is its own docstring, never a project mixin's
    "GET_LIB_DOC_EXCLUDES": "core.common.schema.lib_doc_excludes",
    # Swagger UI / ReDoc from drf-spectacular-sidecar's static files, not a CDN
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # one name per choice set shared by several fields (no W001 in `check --deploy`)
    "ENUM_NAME_OVERRIDES": {
        "AmountKindEnum": "core.loans.models.AMOUNT_KIND_CHOICES",
        "KolektibilitasEnum": "core.loans.models.KOLEK_CHOICES",
        "LoanMethodEnum": "core.loans.models.METHOD_CHOICES",
        "LoanChannelEnum": "core.loans.models.Loan.Channel",
        "LoanDocumentKindEnum": "core.loans.models.LoanDocument.Kind",
        "RepaymentKindEnum": "core.loans.models.Repayment.Kind",
        "SavingsProductKindEnum": "core.savings.models.SavingsProduct.Kind",
        "MemberStatusEnum": "core.members.models.Member.Status",
        "SavingsChannelEnum": "core.savings.models.SavingsTransaction.Channel",
        # open/closed of a savings account, named apart from the other "status" choice
        # sets (drf_spectacular.W001 named it Status4b3Enum)
        "SavingsAccountStatusEnum": "core.savings.models.SavingsAccount.Status",
        # two fields both got the name PayoutMethodEnum and the settings' one (which has
        # "choice") was documented with the payout's two values
        "ShuPayoutMethodEnum": "core.yearend.models.ShuSettings.Payout",
        "ShuPayoutIntoEnum": ["cash", "sukarela", "bank"],
        # the teller's cash-or-bank choice (a deposit, a withdrawal, a payout), apart from
        # the transactions' own channels (drf_spectacular.W001 named it Channel1bbEnum)
        "TellerChannelEnum": ["cash", "bank"],
        # an arrears run's daily/as_of and a loan's status, named apart from the other
        # "kind" and "status" choice sets (drf_spectacular.W001 named them KindBa9Enum and
        # Status4a3Enum once the runs' kind and the loan detail came into the schema)
        "ArrearsRunKindEnum": "core.loans.models.ArrearsRun.Kind",
        "LoanStatusEnum": "core.loans.models.Loan.Status",
    },
}
