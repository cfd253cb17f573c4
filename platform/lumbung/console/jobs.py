"""Celery signal handlers: remember the last success/failure of every task in every
schema (``JobRun``) and keep failed tasks (``TaskFailure``) for the health page.

Bookkeeping must never break the task itself: errors here are logged and swallowed."""

import logging

from celery.signals import task_failure, task_success
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from .models import JobRun, TaskFailure

log = logging.getLogger(__name__)


def _task_name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


def job_record(*, task: str, schema: str, ok: bool, error: str = "", task_id: str = "") -> None:
    """Upsert the task's JobRun row (in the public schema) and keep a failure row."""
    now = timezone.now()
    with schema_context("public"):
        run, _created = JobRun.objects.get_or_create(task=task[:200], schema_name=schema[:63])
        if ok:
            run.last_success_at = now
            run.save(update_fields=["last_success_at"])
        else:
            run.last_failure_at = now
            run.last_error = error[:4000]
            run.failures += 1
            run.save(update_fields=["last_failure_at", "last_error", "failures"])
            TaskFailure.objects.create(
                task=task[:200], task_id=task_id[:100], schema_name=schema[:63], error=error[:4000]
            )


def job_runs_forget(sender=None, instance=None, **kwargs) -> None:
    """A cooperative (or a practice copy) was deleted: its schema's job rows go with it,
    so the health page never shows a deleted schema as the tenant most behind
    (post_delete of Cooperative, connected in ConsoleConfig.ready; the cascade from a
    deleted cooperative to its practice copy sends it too). Failure rows stay: history."""
    schema = getattr(instance, "schema_name", "")
    if schema and schema != "public":
        with schema_context("public"):
            JobRun.objects.filter(schema_name=schema).delete()


@task_success.connect
def _on_success(sender=None, **kwargs) -> None:
    try:
        job_record(
            task=_task_name(sender),
            schema=getattr(connection, "schema_name", "public"),
            ok=True,
        )
    except Exception:  # pragma: no cover - bookkeeping only
        log.exception("Recording the success of %s failed", _task_name(sender))


@task_failure.connect
def _on_failure(sender=None, task_id=None, exception=None, **kwargs) -> None:
    try:
        job_record(
            task=_task_name(sender),
            schema=getattr(connection, "schema_name", "public"),
            ok=False,
            error=f"{type(exception).__name__}: {exception}",
            task_id=task_id or "",
        )
    except Exception:  # pragma: no cover - bookkeeping only
        log.exception("Recording the failure of %s failed", _task_name(sender))
