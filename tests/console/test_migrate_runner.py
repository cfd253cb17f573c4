"""The bulk migration runner on real schemas: the plan is read from every schema's
migration records at once and only schemas that lack a migration are opened; a schema
missing one migration gets exactly it; a failing schema is listed while the others
migrate; a re-run resumes with what is left."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.models import Max

from lumbung.console.migrate import migrate_all, migrate_schema, migration_plan, tenant_schemas
from lumbung.console.models import MigrationRun
from tenants.schema_template import expected_migrations, qi


def _leaf() -> tuple[str, str, str]:
    """A migration nothing depends on, of a cooperative app, made of reversible schema
    operations only, and the one before it in its app: (app, name, parent name)."""
    from django.conf import settings

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    labels = {a.rsplit(".", 1)[-1] for a in settings.TENANT_APPS}
    simple = {"AddField", "AlterField", "AddIndex"}
    for app, name in sorted(graph.leaf_nodes()):
        ops = graph.nodes[(app, name)].operations
        if graph.node_map[(app, name)].children:
            continue  # another app depends on it: going back would take that along
        if app in labels and ops and {type(op).__name__ for op in ops} <= simple:
            parents = [p.key[1] for p in graph.node_map[(app, name)].parents if p.key[0] == app]
            if len(parents) == 1:
                return app, name, parents[0]
    raise AssertionError("no simple leaf migration on disk")


def _unapply_leaf(schema: str) -> str:
    """Migrate ``schema`` back one leaf migration, the Django way; returns its key."""
    app, leaf, parent = _leaf()
    call_command("migrate_schemas", app, parent, schema_name=schema, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    return f"{app}.{leaf}"


def _hide_records(schema: str, *, back: bool = False) -> None:
    """Move the schema's migration records aside (migrating it then starts from the first
    migration and fails on a table that exists), or put them back."""
    with connection.cursor() as cur:
        if back:
            cur.execute(f"DROP TABLE IF EXISTS {qi(schema)}.django_migrations")
            cur.execute(f"ALTER TABLE {qi(schema)}.mig_saved RENAME TO django_migrations")
        else:
            cur.execute(f"ALTER TABLE {qi(schema)}.django_migrations RENAME TO mig_saved")


def _applied(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT app, name FROM {qi(schema)}.django_migrations")
        return set(cur.fetchall())


@pytest.fixture
def scratch_runs(scratch, django_db_blocker):
    """``scratch(n)``: n cooperatives whose writes commit (migrations commit), dropped
    afterwards, with the migration runs the test recorded."""
    with django_db_blocker.unblock():
        # migrate_all_tenants records its runs (committed here): left behind, they would
        # be another test's MigrationRun rows.
        runs_before = MigrationRun.objects.aggregate(last=Max("pk"))["last"] or 0
        try:
            yield scratch
        finally:
            connection.set_schema_to_public()
            MigrationRun.objects.filter(pk__gt=runs_before).delete()


def _counting():
    opened: list[str] = []

    def one(schema):
        opened.append(schema)
        return migrate_schema(schema)

    return opened, one


@pytest.mark.django_db
def test_a_no_op_run_opens_no_schema(tenant_a, tenant_b):
    schemas = tenant_schemas()
    assert {tenant_a.schema_name, tenant_b.schema_name} <= set(schemas)
    opened, one = _counting()
    result = migrate_all(processes=1, migrate_one=one)
    assert opened == [] and result.results == [] and result.ok
    assert result.plan.pending == {} and result.plan.current == schemas
    assert result.plan.expected == len(expected_migrations())
    assert result.template == ""  # nothing applied: the template is left alone


def test_a_schema_missing_one_migration_gets_exactly_it(scratch_runs):
    # one schema up to date proves it is left unopened (a clone costs seconds)
    schemas = scratch_runs(2)
    stale, *current = schemas
    key = _unapply_leaf(stale)
    before = _applied(stale)
    plan = migration_plan(schemas)
    assert plan.pending == {stale: [key]} and plan.current == current
    opened, one = _counting()
    result = migrate_all(schemas=schemas, processes=1, migrate_one=one)
    assert opened == [stale] and result.ok, result.failed
    assert _applied(stale) - before == {tuple(key.split("."))}
    assert migration_plan(schemas).pending == {}
    assert result.template in ("current", "refreshed")


def test_a_failing_schema_is_listed_others_migrate_and_a_rerun_resumes(scratch_runs, capsys):
    scratch_three = scratch_runs(3)
    broken, stale, current = scratch_three
    key = _unapply_leaf(broken)
    _unapply_leaf(stale)
    _hide_records(broken)
    with pytest.raises(CommandError):
        call_command("migrate_all_tenants", schema=scratch_three, processes=2)
    out = capsys.readouterr().out
    assert "3 skema, 1 sudah mutakhir (tidak dibuka), 2 perlu dimigrasikan" in out
    assert f"{stale}: ok" in out and current not in out
    assert f"1 dari 2 skema gagal:\n  {broken}: " in out
    assert "already exists" in out.split("skema gagal:")[1]
    assert list(migration_plan(scratch_three).pending) == [broken]

    # Repaired (its records back), the re-run opens that schema alone and applies what
    # is left.
    _hide_records(broken, back=True)
    assert migration_plan(scratch_three).pending == {broken: [key]}
    opened, one = _counting()
    result = migrate_all(schemas=scratch_three, processes=1, migrate_one=one)
    assert opened == [broken] and result.ok
    assert migration_plan(scratch_three).pending == {}


def test_parallel_run_and_a_schema_without_migration_records(scratch_runs, capsys):
    # two stale schemas make the parallel run (an up-to-date one is the test above's)
    schemas = scratch_runs(2)
    a, b = schemas
    _unapply_leaf(a)
    _unapply_leaf(b)
    with connection.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS mig_empty_schema")
    try:
        plan = migration_plan([*schemas, "mig_empty_schema", "mig_no_such_schema"])
        assert len(plan.pending["mig_empty_schema"]) == plan.expected
        assert len(plan.pending["mig_no_such_schema"]) == plan.expected
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA mig_empty_schema CASCADE")
    call_command("migrate_all_tenants", schema=schemas, processes=2, no_template=True)
    out = capsys.readouterr().out
    assert "[1/2]" in out and "[2/2]" in out and "2 skema dimigrasikan" in out
    assert migration_plan(schemas).pending == {}
