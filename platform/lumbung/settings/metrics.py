"""Prometheus metrics (django-prometheus, plus per-task Celery counts in lumbung.metrics).

``/metrics`` answers on any host before the tenant lookup (lumbung.metrics.MetricsMiddleware).
With several gunicorn or Celery processes set PROMETHEUS_MULTIPROC_DIR (the container
entrypoint does) so one scrape sums every process.
"""

from .env import env

# When set, /metrics wants `Authorization: Bearer <token>` (it is reachable through the
# ingress on every host otherwise).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Celery workers serve their metrics on this port (0 = off); the chart scrapes it.
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)
PROMETHEUS_EXPORT_MIGRATIONS = False
