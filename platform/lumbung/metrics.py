"""Prometheus metrics: the ``/metrics`` endpoint and per-task Celery counts.

django-prometheus counts requests, responses and latencies by view (its before/after
middlewares). This module adds:

- ``lumbung_celery_tasks_total{task, state}``: tasks started / succeeded / failed /
  retried, counted in the worker (``lumbung.celery`` connects the signals);
- ``lumbung_celery_task_runtime_seconds{task}``: how long tasks ran;
- ``lumbung_celery_tasks_published_total{task}``: tasks sent to the broker (web and beat).

With ``PROMETHEUS_MULTIPROC_DIR`` set (the container entrypoint sets it), every gunicorn
worker and every Celery pool process writes its samples there and one scrape sums them.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
    start_http_server,
)

log = logging.getLogger(__name__)

TASKS = Counter(
    "lumbung_celery_tasks_total",
    "Celery tasks by task name and state (started, succeeded, failed, retried).",
    ["task", "state"],
)
TASK_RUNTIME = Histogram(
    "lumbung_celery_task_runtime_seconds",
    "Run time of Celery tasks.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
TASKS_PUBLISHED = Counter(
    "lumbung_celery_tasks_published_total",
    "Celery tasks sent to the broker, by task name.",
    ["task"],
)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def registry():
    """The registry to expose: every process's samples in multiprocess mode."""
    if multiprocess_enabled():
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        return reg

    return REGISTRY


def _from_allowed_network(request: HttpRequest, networks) -> bool:
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    for net in networks:
        try:
            if peer in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            log.warning("METRICS_ALLOWED_NETWORKS: %r is not a network", net)
    return False


def _authorised(request: HttpRequest) -> bool:
    """A valid bearer token, or a peer in METRICS_ALLOWED_NETWORKS; with neither
    configured, open only where METRICS_OPEN_WHEN_UNCONFIGURED (not in production)."""
    token = settings.METRICS_TOKEN
    networks = getattr(settings, "METRICS_ALLOWED_NETWORKS", [])
    if not token and not networks:
        return getattr(settings, "METRICS_OPEN_WHEN_UNCONFIGURED", False)
    if token:
        header = request.headers.get("Authorization", "")
        if hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
            return True
    return bool(networks) and _from_allowed_network(request, networks)


class MetricsMiddleware:
    """Answer ``/metrics`` on any host, before the tenant lookup (like /healthz)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != "/metrics":
            return self.get_response(request)
        if not _authorised(request):
            response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response

        return ExportToDjangoView(request)


def start_worker_metrics_server(port: int) -> bool:
    """Serve this Celery worker's metrics on ``port`` (all pool processes in multiprocess
    mode). Returns False when the port is taken (logged, the worker runs on)."""
    try:
        start_http_server(port, registry=registry())
    except OSError as exc:
        log.warning("Celery metrics server not started on port %s: %s", port, exc)
        return False
    log.info("Celery metrics on :%s/metrics", port)
    return True
