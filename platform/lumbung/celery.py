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
"""

import contextlib
import gc
import os
import time

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
from tenant_schemas_celery.app import CeleryApp, get_schema_name_from_task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lumbung.settings")

app = CeleryApp("lumbung")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_started: dict[str, tuple[float, tuple]] = {}  # task id -> (start time, context var tokens)


def _task_name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    """Keep Django's LOGGING (applied by django.setup()) instead of Celery's format."""
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


@task_prerun.connect
def _task_started(sender=None, task_id=None, task=None, kwargs=None, **extra) -> None:
    from django.db import connection

    from .logging import task_id_var, tenant_var
    from .metrics import TASKS
    from .observability import tag_tenant

    schema = (
        get_schema_name_from_task(task, kwargs or {}) if task is not None else None
    ) or getattr(connection, "schema_name", "public")
    tokens = (task_id_var.set(task_id or "-"), tenant_var.set(schema))
    tag_tenant(schema)
    _started[task_id] = (time.monotonic(), tokens)
    TASKS.labels(task=_task_name(sender), state="started").inc()


@task_postrun.connect
def _task_finished(sender=None, task_id=None, **extra) -> None:
    from .logging import task_id_var, tenant_var
    from .metrics import TASK_RUNTIME

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
    from django.conf import settings
    from django.db import connections

    request = getattr(sender, "request", None)
    if not getattr(settings, "CELERY_DB_REUSE_MAX", None) or getattr(request, "is_eager", False):
        return []
    return list(connections.all(initialized_only=True))


@task_prerun.connect
def _db_before_task(sender=None, **extra) -> None:
    """As Django does when a request starts: drop a kept connection that is unusable or
    older than CONN_MAX_AGE; the next query checks it first (CONN_HEALTH_CHECKS)."""
    from django.db import InterfaceError

    for conn in _kept_db_connections(sender):
        with contextlib.suppress(InterfaceError):
            conn.close_if_unusable_or_obsolete()


@task_postrun.connect
def _db_after_task(sender=None, state=None, **extra) -> None:
    """After a task: as Django does when a request ends, and after a failed task (an
    exception, a soft time limit that may have cut a query short) always a new connection."""
    from django.db import InterfaceError

    for conn in _kept_db_connections(sender):
        with contextlib.suppress(InterfaceError):
            if state == "SUCCESS":
                conn.close_if_unusable_or_obsolete()
            else:
                conn.close()


@task_success.connect
def _task_succeeded(sender=None, **extra) -> None:
    from .metrics import TASKS

    TASKS.labels(task=_task_name(sender), state="succeeded").inc()


@task_failure.connect
def _task_failed(sender=None, **extra) -> None:
    from .metrics import TASKS

    TASKS.labels(task=_task_name(sender), state="failed").inc()


@task_retry.connect
def _task_retried(sender=None, **extra) -> None:
    from .metrics import TASKS

    TASKS.labels(task=_task_name(sender), state="retried").inc()


@before_task_publish.connect
def _task_published(sender=None, **extra) -> None:
    from .metrics import TASKS_PUBLISHED

    TASKS_PUBLISHED.labels(task=str(sender)).inc()


@worker_ready.connect
def _serve_worker_metrics(**extra) -> None:
    from django.conf import settings

    from .metrics import start_worker_metrics_server

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
    from .metrics import multiprocess_enabled

    if multiprocess_enabled():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
