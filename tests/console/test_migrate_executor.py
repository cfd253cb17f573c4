"""Django's executor with shared project states (lumbung.console.executor): a schema
migrated this way ends up as one migrated by django-tenants' ``migrate_schemas`` (catalog,
migration records, content types and permissions of new models, RunPython's data
changes); the states are built once per set of recorded migrations; the migration table
is found with one look-up that answers as Django's introspection does."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from lumbung.console import executor as ex
from lumbung.console.migrate import migrate_all, migrate_schema, migrate_schema_sharing
from tenants.schema_template import qi

from .test_migrate_fastpath import SCHEMA_MIGRATIONS, _agency, _applied, _content_types, catalog

# RunPython through the state's models: the agencies' treasurer named after the fields
# the state's Member has (9001 added ``fast_note``), in the schema being migrated
DATA_MIGRATION = {
    "9003_exec_data": """
from django.db import migrations


def fill(apps, schema_editor):
    member_fields = {{f.name for f in apps.get_model("members", "Member")._meta.fields}}
    apps.get_model("members", "Agency").objects.update(
        treasurer_name="fast_note" if "fast_note" in member_fields else "no fast_note"
    )


class Migration(migrations.Migration):
    dependencies = [("members", "9002_fast_alter_and_model")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
""",
}


def _treasurers(schema: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT code, treasurer_name FROM {qi(schema)}.members_agency ORDER BY 1")
        return cur.fetchall()


@pytest.fixture
def states_built(monkeypatch):
    """How many times a project state of the applied migrations was built."""
    calls = []
    django_build = MigrationExecutor._create_project_state

    def counting(self, with_applied_migrations=False):
        calls.append(with_applied_migrations)
        return django_build(self, with_applied_migrations=with_applied_migrations)

    monkeypatch.setattr(MigrationExecutor, "_create_project_state", counting)
    ex.shared_states_clear()
    yield calls
    ex.shared_states_clear()


def test_shared_states_migrate_a_schema_as_migrate_schemas_does(
    scratch, extra_migrations, states_built
):
    normal, *shared = scratch(3)
    for schema in (normal, *shared):
        _agency(schema, "EXEC")
    extra_migrations({**SCHEMA_MIGRATIONS, **DATA_MIGRATION})

    res = migrate_schema(normal)
    assert res.ok, res.error
    states_built.clear()
    for schema in shared:
        res = migrate_schema_sharing(schema)
        assert res.ok, res.error
    # one state of the applied migrations for the two schemas lacking the same ones
    assert states_built == [True]

    expected = catalog(normal)
    assert any("fastthing" in row[0] for row in expected["tables"])
    for schema in shared:
        assert catalog(schema) == expected
        assert _applied(schema) == _applied(normal)
        # post_migrate ran in the schema: the new model's content type and 4 permissions
        assert _content_types(schema) == _content_types(normal)
        assert "fastthing:4" in [r[0] for r in _content_types(schema)]
        # RunPython ran with the state's models, in this schema
        assert _treasurers(schema) == _treasurers(normal) == [("EXEC", "fast_note")]


def test_another_set_of_recorded_migrations_gets_its_own_state(
    scratch, extra_migrations, states_built
):
    first, second = scratch(2)
    _agency(first, "EXEC")
    _agency(second, "EXEC")
    extra_migrations(SCHEMA_MIGRATIONS)
    assert migrate_schema_sharing(first).ok
    extra_migrations(DATA_MIGRATION)
    # ``first`` lacks one migration, ``second`` three: two states
    for schema in (first, second):
        res = migrate_schema_sharing(schema)
        assert res.ok, res.error
    assert states_built == [True, True, True]
    assert _applied(first) == _applied(second)
    assert _treasurers(first) == _treasurers(second) == [("EXEC", "fast_note")]


def test_migrate_all_sends_the_executor_schemas_through_the_shared_states(
    scratch, extra_migrations, states_built
):
    # two schemas prove the one state is shared (each more migrates for seconds)
    schemas = scratch(2)
    extra_migrations(DATA_MIGRATION | SCHEMA_MIGRATIONS)
    result = migrate_all(schemas=schemas, processes=1, refresh_template=False, fast=False)
    assert result.ok, result.failed
    assert [r.how for r in result.results] == ["executor"] * 2
    assert states_built == [True]
    assert ex._SHARED == {}  # forgotten at the end of the run
    for schema in schemas:
        assert ("members", "9003_exec_data") in _applied(schema)


def test_a_failing_migration_is_reported_and_django_has_table_is_back(scratch, extra_migrations):
    (schema,) = scratch(1)
    with connection.cursor() as cur:
        cur.execute(f"ALTER TABLE {qi(schema)}.members_member ADD COLUMN fast_flag integer")
    extra_migrations(SCHEMA_MIGRATIONS)
    django_has_table = MigrationRecorder.has_table
    res = migrate_schema_sharing(schema)
    assert not res.ok and "already exists" in res.error
    assert MigrationRecorder.has_table is django_has_table
    assert ("members", "9001_fast_fields") not in _applied(schema)
    missing = migrate_schema_sharing("coop_does_not_exist")
    assert not missing.ok and "does not exist" in missing.error


def _both_answers(schema: str) -> tuple[bool, bool]:
    connection.set_schema(schema)
    try:
        django = MigrationRecorder(connection).has_table()
        ours = ex._recorder_has_table(MigrationRecorder(connection))
    finally:
        connection.set_schema_to_public()
    return django, ours


def test_recorder_has_table_answers_as_django(db):
    # DDL in the test's transaction, rolled back after it
    with connection.cursor() as cur:
        cur.execute("CREATE SCHEMA coop_rec_a")
        cur.execute("CREATE SCHEMA coop_rec_b")
    # nothing in the schema (public has a django_migrations: not looked at)
    assert _both_answers("coop_rec_a") == (False, False)
    # a view of that name is not the table
    with connection.cursor() as cur:
        cur.execute("CREATE VIEW coop_rec_a.django_migrations AS SELECT 1 AS id")
    assert _both_answers("coop_rec_a") == (False, False)
    # the table
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE coop_rec_b.django_migrations (id bigint, app text, name text)")
    assert _both_answers("coop_rec_b") == (True, True)
