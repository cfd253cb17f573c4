"""Prometheus metrics (django-prometheus, plus per-task Celery counts in lumbung.metrics).

``/metrics`` answers on any host before the tenant lookup (lumbung.metrics.MetricsMiddleware).
With several gunicorn or Celery processes set PROMETHEUS_MULTIPROC_DIR (the container
entrypoint does) so one scrape sums every process.
"""

from .env import IS_PRODUCTION, env

# /metrics is reachable through the ingress on every host, so in production it is closed
# unless one of these is configured: a token (`Authorization: Bearer <token>`) and/or
# the private networks Prometheus scrapes from (CIDRs, matched against the direct peer
# REMOTE_ADDR, never X-Forwarded-For). Outside production it stays open when neither is set.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
METRICS_OPEN_WHEN_UNCONFIGURED = not IS_PRODUCTION
# Celery workers serve their metrics on this port (0 = off); the chart scrapes it.
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)
PROMETHEUS_EXPORT_MIGRATIONS = False
