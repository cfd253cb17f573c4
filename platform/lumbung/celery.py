"""The Celery app. Tasks posted from a tenant context run in that tenant's schema
(tenant-schemas-celery adds the schema name to each message and switches the connection in
its own ``task_prerun`` handler, connected before ours).

Observability, through Celery's signals:
- logs: the task id and the task's tenant on every record while the task runs, and
  Django's LOGGING (JSON in production) instead of Celery's own log set-up;
- Sentry: the task's tenant as the ``tenant`` tag (the Celery integration itself reports
  failures and beat check-ins);
- Prometheus: per-task counts by state and run times (``lumbung.metrics``), served by the
  worker on ``CELERY_METRICS_PORT``.

Faults:
- A task ended by a transient database conflict (a deadlock, a serialization failure, a
  lock timeout: ``core.common.db_busy``) wrote nothing and is retried, up to
  ``DB_BUSY_TASK_RETRIES`` times, logged at WARNING (``LumbungTask``).
- Broker (Redis) unreachable when a task is sent (``delay`` in a request, usually from
  ``transaction.on_commit``): the send does not fail the caller. The message (with its
  cooperative's schema and task id) is held in the sending process and a background
  thread sends it again every ``CELERY_REDELIVER_INTERVAL`` seconds until the broker takes
  it; the page answers normally. Held messages live in that process only: a process that
  exits before Redis returns loses them (logged at ERROR with the task name when held), so
  the periodic sweeps stay the backstop (stuck sign-ups are queued again, a "post all"
  left running may be started again after 30 minutes, daily reconciliations and backups).
- A worker process killed mid-task: ``task_acks_late`` + ``task_reject_on_worker_lost``
  (settings/celery.py) put the message back, and the task runs again; the money tasks
  are idempotent (each batch or month is posted at most once, enforced in the database).
"""

import contextlib
import gc
import logging
import os
import threading
import time
import uuid

from celery.signals import (
    before_task_publish,
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
)
from django.conf import settings
from django.db import InterfaceError, connection, connections
from django.utils.log import configure_logging
from kombu.exceptions import OperationalError as BrokerUnavailable
from prometheus_client import multiprocess
from tenant_schemas_celery.app import CeleryApp, get_schema_name_from_task
from tenant_schemas_celery.task import TenantTask, headers_with_schema

from core.common.db_busy import db_busy_error

from .logging import task_id_var, tenant_var
from .metrics import (
    TASK_RUNTIME,
    TASKS,
    TASKS_PUBLISHED,
    multiprocess_enabled,
    start_worker_metrics_server,
)
from .observability import tag_tenant

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lumbung.settings")

log = logging.getLogger("lumbung.celery")


class HeldMessages:
    """Messages the broker refused (unreachable), sent again by a daemon thread."""

    LIMIT = 10_000  # beyond this the oldest are dropped (logged)

    def __init__(self) -> None:
        self._items: list[tuple[str, tuple, dict]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.delivered = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def hold(self, sender, name: str, args, kwargs, options: dict) -> None:
        with self._lock:
            self._items.append((name, (args, kwargs), options))
            if len(self._items) > self.LIMIT:
                dropped = self._items.pop(0)
                log.error("Broker down too long: dropped held task %s", dropped[0])
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, args=(sender,), name="celery-redeliver", daemon=True
                )
                self._thread.start()

    def flush(self, sender) -> int:
        """Send every held message now; returns how many the broker took (stops at the
        first refusal: the broker is still down)."""
        sent = 0
        while True:
            with self._lock:
                if not self._items:
                    return sent
                name, (args, kwargs), options = self._items[0]
            try:
                CeleryApp.send_task(sender, name, args=args, kwargs=kwargs, **options)
            except BrokerUnavailable:
                return sent
            with self._lock:
                if self._items and self._items[0][2] is options:
                    self._items.pop(0)
            sent += 1
            self.delivered += 1
            log.warning("Broker back: task %s (%s) sent", name, options.get("task_id"))

    def _run(self, sender) -> None:
        while len(self):
            time.sleep(getattr(settings, "CELERY_REDELIVER_INTERVAL", 5))
            try:
                self.flush(sender)
            except Exception:  # never let the thread die with messages held
                log.exception("Sending held tasks failed")


# a task ended by a transient database conflict (core.common.db_busy: a deadlock, a
# serialization failure, a lock timeout) is sent again this many times, after
# RETRY_AFTER_SECONDS x the attempt's number; then it fails as any other error
DB_BUSY_TASK_RETRIES = 3


class LumbungTask(TenantTask):
    """Every task's base: one ended by a transient database conflict wrote nothing (its
    service's transaction was rolled back whole) and is retried, logged at WARNING with
    the SQLSTATE and the task's name, not reported as a failure. The money tasks are safe
    to run again (see the module's doc: a batch or a month is posted at most once)."""

    abstract = True

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            retries = self.request.retries or 0
            if self.request.called_directly or retries >= DB_BUSY_TASK_RETRIES:
                raise
            busy = db_busy_error(exc, where=f"task {self.name}")
            if busy is None:
                raise
            raise self.retry(
                exc=exc, countdown=busy.retry_after * (retries + 1), max_retries=retries + 1
            ) from exc


class LumbungCelery(CeleryApp):
    """tenant-schemas-celery's app whose sends survive a broker outage (see above)."""

    task_cls = LumbungTask

    held = HeldMessages()

    def send_task(self, name, args=None, kwargs=None, **options):
        # the cooperative's schema is fixed now, not when the message is finally sent
        options["headers"] = headers_with_schema(options.get("headers") or {})
        options["task_id"] = options.get("task_id") or str(uuid.uuid4())
        try:
            return super().send_task(name, args=args, kwargs=kwargs, **options)
        except BrokerUnavailable as exc:
            log.error(
                "Broker unreachable: task %s (%s) held in this process, sent when it returns: %s",
                name,
                options["task_id"],
                exc,
                extra={"alert": "broker_unavailable"},
            )
            self.held.hold(self, name, args, kwargs, options)
            return self.AsyncResult(options["task_id"])


app = LumbungCelery("lumbung")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_started: dict[str, tuple[float, tuple]] = {}  # task id -> (start time, context var tokens)


def _task_name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    """Keep Django's LOGGING (applied by django.setup()) instead of Celery's format."""
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


@task_prerun.connect
def _task_started(sender=None, task_id=None, task=None, kwargs=None, **extra) -> None:
    schema = (
        get_schema_name_from_task(task, kwargs or {}) if task is not None else None
    ) or getattr(connection, "schema_name", "public")
    tokens = (task_id_var.set(task_id or "-"), tenant_var.set(schema))
    tag_tenant(schema)
    _started[task_id] = (time.monotonic(), tokens)
    TASKS.labels(task=_task_name(sender), state="started").inc()


@task_postrun.connect
def _task_finished(sender=None, task_id=None, **extra) -> None:
    started = _started.pop(task_id, None)
    if started is None:
        return
    began, (t_task, t_tenant) = started
    TASK_RUNTIME.labels(task=_task_name(sender)).observe(time.monotonic() - began)
    for var, token in ((task_id_var, t_task), (tenant_var, t_tenant)):
        try:
            var.reset(token)
        except ValueError:  # set in another context (eager task inside a request)
            var.set("-")


def _kept_db_connections(sender) -> list:
    """The open database connections a worker keeps between tasks (CELERY_DB_REUSE_MAX set,
    see settings/celery.py); none for a task run in-process (eager: inside a request)."""
    request = getattr(sender, "request", None)
    if not getattr(settings, "CELERY_DB_REUSE_MAX", None) or getattr(request, "is_eager", False):
        return []
    return list(connections.all(initialized_only=True))


@task_prerun.connect
def _db_before_task(sender=None, **extra) -> None:
    """As Django does when a request starts: drop a kept connection that is unusable or
    older than CONN_MAX_AGE; the next query checks it first (CONN_HEALTH_CHECKS)."""
    for conn in _kept_db_connections(sender):
        with contextlib.suppress(InterfaceError):
            conn.close_if_unusable_or_obsolete()


@task_postrun.connect
def _db_after_task(sender=None, state=None, **extra) -> None:
    """After a task: as Django does when a request ends, and after a failed task (an
    exception, a soft time limit that may have cut a query short) always a new connection."""
    for conn in _kept_db_connections(sender):
        with contextlib.suppress(InterfaceError):
            if state == "SUCCESS":
                conn.close_if_unusable_or_obsolete()
            else:
                conn.close()


@task_success.connect
def _task_succeeded(sender=None, **extra) -> None:
    TASKS.labels(task=_task_name(sender), state="succeeded").inc()


@task_failure.connect
def _task_failed(sender=None, **extra) -> None:
    TASKS.labels(task=_task_name(sender), state="failed").inc()


@task_retry.connect
def _task_retried(sender=None, **extra) -> None:
    TASKS.labels(task=_task_name(sender), state="retried").inc()


@before_task_publish.connect
def _task_published(sender=None, **extra) -> None:
    TASKS_PUBLISHED.labels(task=str(sender)).inc()


@worker_ready.connect
def _serve_worker_metrics(**extra) -> None:
    if settings.CELERY_METRICS_PORT:
        start_worker_metrics_server(settings.CELERY_METRICS_PORT)


@worker_process_init.connect
def _freeze_loaded_objects(**extra) -> None:
    """In each pool process, once: move the objects of the loaded app (modules, classes,
    settings, URL and template caches: over 100,000) out of the garbage collector's
    reach (``gc.freeze``), so its full collections during tasks stop walking them and
    pages shared with the parent are not copied on write. They live as long as the
    process anyway."""
    gc.freeze()


@worker_process_shutdown.connect
def _pool_process_gone(pid=None, **extra) -> None:
    if multiprocess_enabled():
        multiprocess.mark_process_dead(pid or os.getpid())
