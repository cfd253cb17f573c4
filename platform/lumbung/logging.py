"""Per-request / per-task context for log records (tenant, request id, user, task id).

Web requests set the variables in ``lumbung.middleware.TenantContextMiddleware`` (tenant,
request id) and ``lumbung.observability.UserContextMiddleware`` (user id, after
authentication); Celery tasks in ``lumbung.celery`` (task id and the task's tenant).
Every record also names the process role (``LUMBUNG_SERVICE``: web, worker, beat, migrate),
which the container entrypoint sets.
"""

import contextvars
import logging
import os

tenant_var: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="-")
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
user_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="-")
task_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("task_id", default="-")

SERVICE = os.environ.get("LUMBUNG_SERVICE", "-")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.tenant = tenant_var.get()
        record.request_id = request_id_var.get()
        record.user_id = user_id_var.get()
        record.task_id = task_id_var.get()
        record.service = SERVICE
        return True
