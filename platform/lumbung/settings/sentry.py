from .base import RELEASE
from .env import DJANGO_ENV, env

# Error reports (optional). Events carry release, environment and the tenant's schema as a
# tag; personal data (NIK, NIP, bank accounts, phones, e-mail) is scrubbed before sending
# (lumbung.observability.before_send).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default=DJANGO_ENV)
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:  # pragma: no cover - needs a DSN
    from lumbung.observability import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
