"""Django's ``migrate`` for one tenant schema, with the project states shared by the
schemas that lack the same migrations.

What a schema costs through ``migrate_schemas --schema`` is mostly Python, and the same
for every schema that lacks the same migrations: the project state of the migrations it
has (every migration's ``state_forwards`` replayed), its models rendered, and after
applying, the models rendered again for the ``post_migrate`` receivers (together ≈ 0.1 s of
the 0.26 s a schema took at 40 cooperatives). Those states depend only on which
migrations the schema has recorded (and on the migration files), so this module builds
them once per process for each such set and hands a copy to Django's executor for every
schema with that set, exactly as Django's own ``migrate`` command hands its executor a
copy of the state it built (``pre_migrate_state.clone()``).

Everything else is Django's and django-tenants' path, per schema: the schema's migration
records read, its history checked for consistency, the plan computed from them, the
``pre_migrate`` and ``post_migrate`` signals sent (content types and permissions of new
models created in the schema), ``MigrationExecutor.migrate`` applying each migration
(RunPython with the state's models) and recording it, django-tenants' own
``schema_pre_migration`` / ``schema_migrated`` signals, and the connection closed after
the schema as ``migrate_schemas`` closes it. A plan that is empty or not forwards-only goes
through ``migrate_schemas`` itself. ``django_migrations`` is looked up by name rather than
by listing every table (``_recorder_has_table``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.apps import apps as global_apps
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ModelState, ProjectState, StateApps
from django.utils.module_loading import module_has_submodule
from django_tenants.migration_executors.base import run_migrations
from django_tenants.signals import schema_migrated, schema_pre_migration
from django_tenants.utils import get_tenant_database_alias, quote_schema_name, schema_exists

# Distinct sets of recorded migrations whose states a process keeps (a run has one set per
# group of schemas lacking the same migrations: almost always one).
MAX_SHARED = 4


@dataclass
class _Shared:
    pre_state: ProjectState  # rendered: what a schema with these records has
    post_apps: StateApps | None = None  # the models the post_migrate receivers get


_SHARED: dict[tuple, _Shared] = {}


def shared_states_clear() -> None:
    """Forget the states kept by this process (the end of a bulk run)."""
    _SHARED.clear()


def migrate_schemas_call(schema: str) -> None:
    """django-tenants' ``migrate_schemas`` for ``schema`` alone, quietly."""
    call_command(
        "migrate_schemas",
        schema_name=schema,
        interactive=False,
        verbosity=0,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def migrate_schema_shared(schema: str) -> None:
    """Migrate ``schema`` to the migrations on disk, sharing the states as above. Raises
    what migrating raises (nothing is recorded for a migration that failed)."""
    alias = get_tenant_database_alias()
    conn = connections[alias]
    _management_modules_import()
    if not schema_exists(schema, alias):
        raise RuntimeError(f'Schema "{schema}" does not exist')
    schema_pre_migration.send(run_migrations, schema_name=schema)
    try:
        with recorder_table_lookup():
            # as django-tenants: django_migrations made in the schema itself, not found
            # in public
            conn.set_schema(schema, include_public=False)
            MigrationRecorder(conn).ensure_schema()
            conn.set_schema(schema)
            _migrate(conn)
    finally:
        conn.close()
        conn.set_schema_to_public()
    schema_migrated.send(run_migrations, schema_name=schema)


def _recorder_has_table(self: MigrationRecorder) -> bool:
    """``MigrationRecorder.has_table`` for a django-tenants connection, asked with one
    catalogue look-up by name. Django's asks for every table name of the schema
    (``introspection.table_names``), which django-tenants answers with the schema alone
    on the search path, and PostgreSQL answers by testing the visibility of every row
    of ``pg_class``: ≈ 10 ms at 40 cooperatives, ≈ 0.2 s at 1,000, four times per
    schema migrated. The answer is the same: a table (not a view, not a partition)
    named ``django_migrations`` in the connection's schema."""
    if self._has_table:
        return True
    table = self.Migration._meta.db_table
    name = (
        f"{quote_schema_name(self.connection.schema_name)}.{self.connection.ops.quote_name(table)}"
    )
    with self.connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(%s) "
            "AND c.relkind IN ('f', 'p', 'r') AND NOT c.relispartition)",
            [name],
        )
        self._has_table = cursor.fetchone()[0]
    return self._has_table


@contextmanager
def recorder_table_lookup() -> Iterator[None]:
    """Every ``MigrationRecorder`` Django makes while one schema is migrated (the
    loader's, the history check's, the executor's) asks ``_recorder_has_table``. Also
    around the loader of the fast path's reference schema (``fastpath.script_build``).
    Django offers no setting for the recorder class, so the method is swapped for the
    duration and put back; its answer is Django's own, so a recorder of another thread
    meanwhile gets the same answer."""
    django_has_table = MigrationRecorder.has_table
    MigrationRecorder.has_table = _recorder_has_table
    try:
        yield
    finally:
        MigrationRecorder.has_table = django_has_table


@cache
def _management_modules_import() -> None:
    # as Django's migrate does first (once per process: imports stay imported): apps may
    # connect migrate signals there
    for app_config in global_apps.get_app_configs():
        if module_has_submodule(app_config.module, "management"):
            import_module(".management", app_config.name)


def _migrate(conn) -> None:
    executor = MigrationExecutor(conn)
    loader = executor.loader
    loader.check_consistent_history(conn)
    if loader.detect_conflicts():
        raise RuntimeError("Conflicting migrations: run makemigrations --merge")
    targets = loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    # nothing to apply (--every-schema: Django still sends the signals) or backwards:
    # Django's command as is
    if not plan or any(backwards for _m, backwards in plan):
        migrate_schemas_call(conn.schema_name)
        return
    # what the states depend on: the migrations recorded, those to apply, and the code
    # they were read from (a test may point MIGRATION_MODULES elsewhere)
    key = (
        tuple((m.app_label, m.name) for m, _b in plan),
        frozenset(loader.applied_migrations),
        frozenset(type(m).__module__ for m in loader.disk_migrations.values()),
    )
    shared = _SHARED.get(key)
    if shared is None:
        if len(_SHARED) >= MAX_SHARED:
            _SHARED.clear()
        pre_state = executor._create_project_state(with_applied_migrations=True)
        pre_state.apps  # noqa: B018  render once: every schema with this key copies it
        shared = _SHARED[key] = _Shared(pre_state)
    out = io.StringIO()
    emit_pre_migrate_signal(0, False, conn.alias, stdout=out, apps=shared.pre_state.apps, plan=plan)
    post_state = executor.migrate(targets, plan=plan, state=shared.pre_state.clone())
    if shared.post_apps is None:
        shared.post_apps = _post_migrate_apps(post_state)
    emit_post_migrate_signal(0, False, conn.alias, stdout=out, apps=shared.post_apps, plan=plan)


def _post_migrate_apps(post_state: ProjectState) -> StateApps:
    """What Django's ``migrate`` gives the ``post_migrate`` receivers: the final state's
    models, the project's real models re-rendered with their relations."""
    post_state.clear_delayed_apps_cache()
    post_apps = post_state.apps
    with post_apps.bulk_update():
        model_keys = []
        for model_state in post_apps.real_models:
            model_key = model_state.app_label, model_state.name_lower
            model_keys.append(model_key)
            post_apps.unregister_model(*model_key)
    post_apps.render_multiple(
        [ModelState.from_model(global_apps.get_model(*model)) for model in model_keys]
    )
    return post_apps
