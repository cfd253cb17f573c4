"""Bulk migration of every tenant schema: in parallel (forked worker processes), with
progress, continuing past a failing tenant and reporting it at the end.

Used by ``manage.py migrate_all_tenants`` and the console's "migrate all" action (a
Celery task); progress is written to a ``MigrationRun`` row when one is given."""

from __future__ import annotations

import io
import multiprocessing
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, connections
from django.utils import timezone

from tenants.models import Cooperative

from .models import MigrationRun


@dataclass
class SchemaResult:
    schema: str
    ok: bool
    seconds: float
    error: str = ""


@dataclass
class BulkResult:
    results: list[SchemaResult] = field(default_factory=list)

    @property
    def failed(self) -> list[SchemaResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed


def migrate_schema(schema: str) -> SchemaResult:
    """Migrate one tenant schema (django-tenants' migrate for that schema only)."""
    from django.core.management import call_command

    started = time.perf_counter()
    try:
        call_command(
            "migrate_schemas",
            schema_name=schema,
            interactive=False,
            verbosity=0,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return SchemaResult(schema, False, time.perf_counter() - started, tail[:2000])
    finally:
        connection.set_schema_to_public()
    return SchemaResult(schema, True, time.perf_counter() - started)


def _worker_init() -> None:
    # Forked children must not share the parent's database socket.
    for conn in connections.all(initialized_only=True):
        conn.inc_thread_sharing()
        conn.connection = None
        conn.dec_thread_sharing()


def tenant_schemas() -> list[str]:
    return list(
        Cooperative.objects.exclude(schema_name="public")
        .exclude(status__in=[Cooperative.Status.PROVISIONING])
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )


def _progress_save(run: MigrationRun | None, done: int, failures: dict) -> None:
    if run is None:
        return
    MigrationRun.objects.filter(pk=run.pk).update(
        done=done, failed=len(failures), failures=failures
    )


def migrate_all(
    *,
    schemas: list[str] | None = None,
    processes: int = 2,
    run: MigrationRun | None = None,
    progress: Callable[[int, int, SchemaResult], None] | None = None,
    migrate_one: Callable[[str], SchemaResult] = migrate_schema,
) -> BulkResult:
    """Migrate ``schemas`` (default: every cooperative's) with ``processes`` workers.
    ``progress(i, total, result)`` is called as each schema finishes."""
    connection.set_schema_to_public()
    schemas = tenant_schemas() if schemas is None else list(schemas)
    total = len(schemas)
    if run is not None:
        MigrationRun.objects.filter(pk=run.pk).update(
            status=MigrationRun.Status.RUNNING, total=total, done=0, failed=0, failures={}
        )
    result = BulkResult()
    failures: dict[str, str] = {}

    def _one_done(res: SchemaResult) -> None:
        result.results.append(res)
        if not res.ok:
            failures[res.schema] = res.error
        if progress is not None:
            progress(len(result.results), total, res)
        _progress_save(run, len(result.results), failures)

    # A daemonic process (a Celery prefork worker) may not fork children: go sequential.
    if processes <= 1 or total <= 1 or multiprocessing.current_process().daemon:
        for schema in schemas:
            _one_done(migrate_one(schema))
    else:
        connections.close_all()
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes=min(processes, total), initializer=_worker_init) as pool:
            for res in pool.imap_unordered(migrate_one, schemas):
                _one_done(res)
    if run is not None:
        MigrationRun.objects.filter(pk=run.pk).update(
            status=MigrationRun.Status.FAILED if failures else MigrationRun.Status.DONE,
            finished_at=timezone.now(),
        )
    return result
