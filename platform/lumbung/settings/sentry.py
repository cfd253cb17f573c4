from .base import RELEASE
from .env import DJANGO_ENV, env

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:  # pragma: no cover - needs a DSN
    from lumbung.observability import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=DJANGO_ENV, release=RELEASE)
