"""Bulk migration of every tenant schema: decide first, from the migration records of all
schemas read in one query, which schemas lack which migrations; open only those, in
parallel (forked worker processes), with progress and an ETA, continuing past a failing
tenant and reporting it at the end; then refresh the template schema new cooperatives
are cloned from when anything was applied.

Schemas that lack the same migrations of schema operations and RunSQL take the fast path
(``fastpath``): the statements Django sends to the first of them are recorded and replayed
to the others over each worker's one connection, with their migration records in the same
transaction; anything the fast path cannot prove equivalent (RunPython among it) goes
through Django's executor.

Used by ``manage.py migrate_all_tenants`` (the deploy ``migrate`` step) and the
console's "migrate all" action (a Celery task); progress is written to a
``MigrationRun`` row when one is given. Resumable by construction: each migration is
recorded in its schema's ``django_migrations`` as it is applied, and the next run's plan
is read from those records, so a re-run opens only what is left."""

from __future__ import annotations

import logging
import multiprocessing
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from tenants.models import Cooperative
from tenants.schema_template import qi, template_refresh

from .executor import migrate_schema_shared, migrate_schemas_call, shared_states_clear
from .fastpath import Script, script_build, script_replay
from .models import MigrationRun

log = logging.getLogger(__name__)

# Schemas read per statement by the plan: each statement is its own transaction, so the
# AccessShareLocks it takes (one per django_migrations table) stay far below the server's
# lock table (max_locks_per_transaction x max_connections) at thousands of cooperatives.
PLAN_CHUNK = 1000
# Schemas lacking the same migrations needed for the fast path to pay (the reference
# schema is migrated while recording; the others replay).
FAST_MIN_GROUP = 2
# Reference schemas tried per group before the group goes through the executor.
FAST_REFERENCE_TRIES = 3


@dataclass
class SchemaResult:
    schema: str
    ok: bool
    seconds: float
    error: str = ""
    eta: float | None = None  # seconds left for the whole run, set by migrate_all
    how: str = "executor"  # "fast" (replayed), "reference" (recorded), "executor"
    note: str = ""  # why a schema meant for the fast path went through the executor


@dataclass
class MigrationPlan:
    """Which schemas lack which migrations, read without opening any schema."""

    expected: int  # migrations on disk
    pending: dict[str, list[str]]  # schema -> missing "app.name", in plan order
    current: list[str]  # schemas with every migration on disk recorded
    seconds: float

    @property
    def total(self) -> int:
        return len(self.pending) + len(self.current)


@dataclass
class BulkResult:
    results: list[SchemaResult] = field(default_factory=list)
    plan: MigrationPlan | None = None
    template: str = ""  # "", "refreshed", "current" or "failed: <error>"
    fast_notes: list[str] = field(default_factory=list)  # groups left to the executor, why

    @property
    def failed(self) -> list[SchemaResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.template.startswith("failed")


def _migration_order() -> list[tuple[str, str]]:
    """Every migration on disk (squashed ones replacing what they squash), in an order
    Django could apply them: read once from the files, not from any schema."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    rank: dict[tuple[str, str], int] = {}
    for leaf in sorted(graph.leaf_nodes()):
        for node in graph.forwards_plan(leaf):
            rank.setdefault(node, len(rank))
    return sorted(rank, key=rank.__getitem__)


def migration_plan(schemas: list[str]) -> MigrationPlan:
    """Read every schema's ``django_migrations`` in one statement (per PLAN_CHUNK
    schemas) and return the migrations each lacks. A schema without the table (or that
    does not exist) lacks every migration; migrating it will say why."""
    started = time.perf_counter()
    order = [f"{app}.{name}" for app, name in _migration_order()]
    pending: dict[str, list[str]] = {}
    current: list[str] = []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE c.relname = 'django_migrations' AND c.relkind IN ('r', 'p') "
            "AND n.nspname = ANY(%s)",
            [list(schemas)],
        )
        readable = {row[0] for row in cur.fetchall()}
        missing_of: dict[str, list[str]] = {s: list(order) for s in schemas if s not in readable}
        todo = [s for s in schemas if s in readable]
        for start in range(0, len(todo), PLAN_CHUNK):
            chunk = todo[start : start + PLAN_CHUNK]
            # One row per schema with what it has applied; the set difference is taken
            # here (a per-schema EXCEPT in SQL costs more to plan than to run).
            cur.execute(
                " UNION ALL ".join(
                    f"(SELECT %s, array_agg(app || '.' || name) FROM {qi(s)}.django_migrations)"
                    for s in chunk
                ),
                chunk,
            )
            for schema, applied in cur.fetchall():
                done = set(applied or ())
                missing_of[schema] = [key for key in order if key not in done]
    for schema in schemas:
        if missing_of[schema]:
            pending[schema] = missing_of[schema]
        else:
            current.append(schema)
    return MigrationPlan(len(order), pending, current, time.perf_counter() - started)


def migrate_schema(schema: str) -> SchemaResult:
    """Migrate one tenant schema (django-tenants' migrate for that schema only)."""
    return _migrate_one(schema, lambda: migrate_schemas_call(schema))


def migrate_schema_sharing(schema: str) -> SchemaResult:
    """``migrate_schema`` with the project states built once per process for the schemas
    that lack the same migrations (``executor.migrate_schema_shared``); the same
    migrations, records and signals, about half the time a schema."""
    return _migrate_one(schema, lambda: migrate_schema_shared(schema))


def _migrate_one(schema: str, migrate: Callable[[], object]) -> SchemaResult:
    started = time.perf_counter()
    try:
        migrate()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return SchemaResult(schema, False, time.perf_counter() - started, tail[:2000])
    finally:
        connection.set_schema_to_public()
    return SchemaResult(schema, True, time.perf_counter() - started)


# Set in the parent before the workers fork (they inherit them): the script each schema
# replays, and how a schema is migrated otherwise.
_SCRIPTS: dict[str, Script] = {}
_MIGRATE_ONE: list[Callable[[str], SchemaResult]] = [migrate_schema_sharing]


def _short(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()[:2000]


def _job(schema: str) -> SchemaResult:
    """Migrate one schema: replay its group's script, else (or when the replay is refused
    or fails) Django's executor."""
    script = _SCRIPTS.get(schema)
    if script is None:
        return _MIGRATE_ONE[0](schema)
    started = time.perf_counter()
    try:
        script_replay(schema, script)
    except Exception as exc:
        res = _MIGRATE_ONE[0](schema)
        res.seconds += time.perf_counter() - started
        res.note = f"fast path refused: {_short(exc)}"
        return res
    return SchemaResult(schema, True, time.perf_counter() - started, how="fast")


def _scripts_build(
    plan: MigrationPlan, todo: list[str], notes: list[str]
) -> tuple[dict[str, Script], list[SchemaResult]]:
    """Group the pending schemas by what they lack; for each group big enough, migrate a
    reference schema while recording (``script_build``). Returns the script per schema
    left to replay and the reference schemas' results."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for schema in todo:
        missing = plan.pending.get(schema)
        # A schema lacking everything may have no migration records at all: executor.
        if missing and len(missing) < plan.expected:
            groups[tuple(missing)].append(schema)
    scripts: dict[str, Script] = {}
    done: list[SchemaResult] = []
    for missing, members in groups.items():
        if len(members) < FAST_MIN_GROUP:
            continue
        script = None
        for ref in members[:FAST_REFERENCE_TRIES]:
            started = time.perf_counter()
            try:
                built = script_build(ref, list(missing))
            except Exception as exc:  # this schema goes through the executor
                log.warning("Fast path: %s could not be the reference: %s", ref, exc)
                notes.append(f"{ref}: could not be the reference schema: {_short(exc)}")
                continue
            if isinstance(built, str):
                notes.append(
                    f"{len(members)} schema lacking {', '.join(missing[:3])}"
                    f"{', …' if len(missing) > 3 else ''}: Django's executor ({built})"
                )
                break
            script = built
            done.append(SchemaResult(ref, True, time.perf_counter() - started, how="reference"))
            break
        if script is not None:
            for schema in members:
                if schema != script.reference:
                    scripts[schema] = script
    return scripts, done


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


def _template_refresh() -> str:
    try:
        return "refreshed" if template_refresh(verbosity=0).rebuilt else "current"
    except Exception as exc:
        log.exception("Template schema could not be refreshed after the bulk migration")
        tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return f"failed: {tail[:2000]}"
    finally:
        connection.set_schema_to_public()


def _chunk(todo: int, processes: int) -> int:
    """Schemas handed to a worker at a time: a replay takes milliseconds, so one per
    round trip would make the parent the bottleneck; small enough for a smooth ETA."""
    return max(1, min(20, todo // (processes * 8)))


def migrate_all(
    *,
    schemas: list[str] | None = None,
    processes: int = 2,
    run: MigrationRun | None = None,
    progress: Callable[[int, int, SchemaResult], None] | None = None,
    migrate_one: Callable[[str], SchemaResult] = migrate_schema_sharing,
    every_schema: bool = False,
    refresh_template: bool = True,
    planned: Callable[[MigrationPlan], None] | None = None,
    fast: bool = True,
) -> BulkResult:
    """Migrate the schemas among ``schemas`` (default: every cooperative's) that lack a
    migration, with ``processes`` workers; schemas already current are not opened
    (``every_schema`` opens them all, the old way). ``planned(plan)`` is called once the
    plan is read, ``progress(i, total, result)`` as each schema finishes. The template
    schema is refreshed at the end when a schema was migrated (``refresh_template``).
    ``fast``: use the same-DDL-once path where it applies (``fastpath``)."""
    connection.set_schema_to_public()
    schemas = tenant_schemas() if schemas is None else list(schemas)
    plan = migration_plan(schemas)
    if planned is not None:
        planned(plan)
    todo = list(schemas) if every_schema else [s for s in schemas if s in plan.pending]
    total = len(todo)
    if run is not None:
        MigrationRun.objects.filter(pk=run.pk).update(
            status=MigrationRun.Status.RUNNING, total=total, done=0, failed=0, failures={}
        )
    result = BulkResult(plan=plan)
    failures: dict[str, str] = {}
    started = time.perf_counter()

    def _one_done(res: SchemaResult) -> None:
        result.results.append(res)
        done = len(result.results)
        res.eta = (time.perf_counter() - started) / done * (total - done)
        if not res.ok:
            failures[res.schema] = res.error
        if progress is not None:
            progress(done, total, res)
        _progress_save(run, done, failures)

    if fast:
        scripts, references = _scripts_build(plan, todo, result.fast_notes)
        for res in references:
            _one_done(res)
        done_refs = {r.schema for r in references}
        todo = [s for s in todo if s not in done_refs]
    else:
        scripts = {}
    _SCRIPTS.clear()
    _SCRIPTS.update(scripts)
    _MIGRATE_ONE[0] = migrate_one
    try:
        # A daemonic process (a Celery prefork worker) may not fork children: sequential.
        if processes <= 1 or len(todo) <= 1 or multiprocessing.current_process().daemon:
            for schema in todo:
                _one_done(_job(schema))
        else:
            connections.close_all()
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(processes=min(processes, len(todo)), initializer=_worker_init) as pool:
                for res in pool.imap_unordered(_job, todo, chunksize=_chunk(len(todo), processes)):
                    _one_done(res)
    finally:
        _SCRIPTS.clear()
        _MIGRATE_ONE[0] = migrate_schema_sharing
        shared_states_clear()
    if refresh_template and any(r.ok for r in result.results if r.schema in plan.pending):
        result.template = _template_refresh()
    if run is not None:
        MigrationRun.objects.filter(pk=run.pk).update(
            status=MigrationRun.Status.DONE if result.ok else MigrationRun.Status.FAILED,
            finished_at=timezone.now(),
        )
        if result.template.startswith("failed"):
            failures["(template)"] = result.template
            _progress_save(run, len(result.results), failures)
    return result
