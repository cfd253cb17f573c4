"""The same DDL once (lumbung.console.fastpath): schemas lacking the same pure-schema
migrations get the statements recorded in one of them, replayed. Proven against the normal
path: after the fast path each schema's catalog (tables, columns, types, defaults,
nullability, constraints, indexes, triggers, functions, sequences) equals that of a schema
migrated by Django's executor, for schema operations and for RunSQL (whose data changes
are made in each schema). A RunPython migration, a schema whose catalog answers
differently and a schema where the statements fail go through the executor; a failure is
listed and the others migrate.

The extra migrations live in a temporary copy of the members migrations package that
``MIGRATION_MODULES`` points at for the test; the cooperatives are scratch ones, dropped
afterwards (fixtures ``extra_migrations`` and ``scratch`` in conftest.py)."""

from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from lumbung.console.fastpath import (
    _op_ineligible,
    _Recorder,
    has_own_order,
    ineligible,
    same_rows,
    script_build,
)
from lumbung.console.migrate import migrate_all, migration_plan
from tenants.schema_template import qi

SCHEMA_MIGRATIONS = {
    "9001_fast_fields": """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("members", "{leaf}")]
    operations = [
        migrations.AddField("member", "fast_note", models.TextField(null=True, blank=True)),
        migrations.AddField("member", "fast_flag", models.BooleanField(default=False)),
        migrations.AddIndex(
            "member", models.Index(fields=["fast_note"], name="members_fast_note_idx")
        ),
    ]
""",
    "9002_fast_alter_and_model": """
from django.db import migrations, models
from django.db.models import Q
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [("members", "9001_fast_fields")]
    operations = [
        migrations.AlterField(
            "member", "fast_note", models.CharField(max_length=40, null=True, db_index=True)
        ),
        migrations.AddConstraint(
            "member",
            models.CheckConstraint(
                condition=Q(fast_note__isnull=True) | ~Q(fast_note=""),
                name="members_fast_note_not_blank",
            ),
        ),
        migrations.CreateModel(
            name="FastThing",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("label", models.CharField(max_length=20, unique=True)),
                ("amount", models.DecimalField(max_digits=18, decimal_places=0, default=0)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="members.member"
                    ),
                ),
            ],
        ),
        migrations.RenameField("fastthing", "label", "title"),
        migrations.AlterUniqueTogether("fastthing", {{("member", "amount")}}),
        # Dropping the index: Django reads the table's constraints to find its name.
        migrations.AlterField("member", "fast_note", models.CharField(max_length=40, null=True)),
    ]
""",
}

# On the last migration on disk: the schemas need not be migrated by SCHEMA_MIGRATIONS
# first (two more migrations in each schema, for nothing this proves).
DATA_MIGRATION = {
    "9003_fast_data": """
from django.db import migrations


def fill(apps, schema_editor):
    apps.get_model("members", "Agency").objects.update(treasurer_name="Bendahara")


class Migration(migrations.Migration):
    dependencies = [("members", "{leaf}")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
""",
}


# RunSQL replays: a trigger function and its trigger, a backfill through it with
# parameters, reads whose answers differ between schemas (Django discards them), a table
# made by SQL with the model in ``state_operations`` (so post_migrate has work), then a
# schema operation on that model.
SQL_MIGRATION = {
    "9001_fast_sql": '''
from django.db import migrations, models

TRIGGER = r"""
CREATE OR REPLACE FUNCTION members_agency_code_upper() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.code := upper(btrim(NEW.code));
  RETURN NEW;
END $$;
CREATE TRIGGER members_agency_code_upper BEFORE INSERT OR UPDATE OF code ON members_agency
  FOR EACH ROW EXECUTE FUNCTION members_agency_code_upper();
"""


class Migration(migrations.Migration):
    dependencies = [("members", "{leaf}")]
    operations = [
        migrations.RunSQL(
            TRIGGER,
            "DROP TRIGGER members_agency_code_upper ON members_agency; "
            "DROP FUNCTION members_agency_code_upper()",
            hints={{"model_name": "agency"}},
            elidable=True,
        ),
        migrations.RunSQL(
            [
                ("UPDATE members_agency SET code = code, treasurer_name = %s", ["Bendahara Gaji"]),
                "SELECT count(*) FROM members_agency",
                "SELECT setval(pg_get_serial_sequence('members_agency', 'id'), "
                "(SELECT max(id) FROM members_agency))",
            ],
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "CREATE TABLE members_fastlabel (id bigint GENERATED BY DEFAULT AS IDENTITY "
            "PRIMARY KEY, text varchar(40) NOT NULL UNIQUE)",
            "DROP TABLE members_fastlabel",
            state_operations=[
                migrations.CreateModel(
                    name="FastLabel",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("text", models.CharField(max_length=40, unique=True)),
                    ],
                ),
            ],
        ),
        migrations.AddField("fastlabel", "note", models.TextField(null=True)),
    ]
''',
}

# A constraint added by SQL: it fails in a schema whose data violates it.
SQL_CHECK_MIGRATION = {
    "9001_fast_sql_check": """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("members", "{leaf}")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE members_agency ADD CONSTRAINT members_agency_code_short "
            "CHECK (length(code) <= 12)",
            "ALTER TABLE members_agency DROP CONSTRAINT members_agency_code_short",
        ),
    ]
""",
}


def _rows(sql: str, schema: str) -> list[tuple]:
    """Rows as text, the schema's name (qualifying names) left out."""
    with connection.cursor() as cur:
        cur.execute(sql, [schema])
        return [
            tuple(str(v).replace(f"{qi(schema)}.", "").replace(f"{schema}.", "") for v in row)
            for row in cur.fetchall()
        ]


def catalog(schema: str) -> dict[str, list[tuple]]:
    """The schema's catalog, schema names left out (so two schemas compare)."""
    ns = "%s::regnamespace"
    out = {
        "tables": _rows(
            f"SELECT relname, relkind, relpersistence FROM pg_class WHERE relnamespace = {ns} "
            "ORDER BY 1",
            schema,
        ),
        "columns": _rows(
            "SELECT table_name, column_name, ordinal_position, data_type, "
            "character_maximum_length, numeric_precision, numeric_scale, is_nullable, "
            "column_default, is_identity, identity_generation, collation_name "
            "FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2",
            schema,
        ),
        "constraints": _rows(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid), "
            f"condeferrable, condeferred, convalidated FROM pg_constraint WHERE connamespace = "
            f"{ns} ORDER BY 1, 2",
            schema,
        ),
        "indexes": _rows(
            "SELECT tablename, indexname, indexdef "
            "FROM pg_indexes WHERE schemaname = %s ORDER BY 1, 2",
            schema,
        ),
        "triggers": _rows(
            "SELECT c.relname, t.tgname, t.tgenabled, "
            "pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            f"WHERE c.relnamespace = {ns} AND NOT t.tgisinternal ORDER BY 1, 2",
            schema,
        ),
        "functions": _rows(
            "SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = "
            f"{ns} ORDER BY 1, 2",
            schema,
        ),
        "sequences": _rows(
            "SELECT sequencename, data_type::text, start_value, increment_by, max_value "
            "FROM pg_sequences WHERE schemaname = %s ORDER BY 1",
            schema,
        ),
    }
    return out


def _applied(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT app, name FROM {qi(schema)}.django_migrations")
        return set(cur.fetchall())


def _content_types(schema: str) -> list[tuple]:
    return _rows(
        "SELECT ct.app_label || '.' || ct.model || ':' || "
        f"(SELECT count(*) FROM {qi(schema)}.auth_permission p WHERE p.content_type_id = ct.id) "
        f"FROM {qi(schema)}.django_content_type ct WHERE ct.app_label = %s ORDER BY 1",
        "members",
    )


def test_fast_path_catalog_equals_the_normal_path(scratch, extra_migrations):
    normal, *fast = scratch(4)
    before = catalog(normal)
    extra_migrations(SCHEMA_MIGRATIONS)
    plan = migration_plan([normal, *fast])
    assert set(plan.pending) == {normal, *fast}
    assert plan.pending[normal] == ["members.9001_fast_fields", "members.9002_fast_alter_and_model"]

    result = migrate_all(schemas=[normal], processes=1, refresh_template=False, fast=False)
    assert result.ok and [r.how for r in result.results] == ["executor"], result.failed
    result = migrate_all(schemas=fast, processes=2, refresh_template=False)
    assert result.ok, result.failed
    how = {r.schema: r.how for r in result.results}
    assert how == {fast[0]: "reference", fast[1]: "fast", fast[2]: "fast"}, (
        result.fast_notes,
        [r.note for r in result.results],
    )
    assert migration_plan([normal, *fast]).pending == {}

    expected = catalog(normal)
    assert expected != before  # the migrations did change something
    assert any("fastthing" in row[0] for row in expected["tables"])
    _assert_migrated_like(normal, expected, fast)
    assert "fastthing:4" in [r[0] for r in _content_types(fast[1])]


def test_the_reference_schema_records_are_read_without_listing_its_tables(
    scratch, extra_migrations, monkeypatch
):
    """Django asks whether django_migrations exists by listing every table of the schema
    (a scan of all of pg_class: 0.7 s at 3,410 cooperatives); the reference's loader asks
    by name instead, and Django's check is back afterwards."""
    (schema,) = scratch(1)
    extra_migrations(SCHEMA_MIGRATIONS)
    pending = migration_plan([schema]).pending[schema]
    listed = []
    introspection = type(connection.introspection)
    table_names = introspection.table_names
    monkeypatch.setattr(
        introspection,
        "table_names",
        lambda self, *a, **kw: (
            listed.append(self.connection.schema_name) or table_names(self, *a, **kw)
        ),
    )
    django_has_table = MigrationRecorder.has_table

    script = script_build(schema, pending)

    assert not isinstance(script, str), script
    assert script.migrations == [tuple(k.split(".", 1)) for k in pending]
    assert listed == []
    assert MigrationRecorder.has_table is django_has_table
    assert _applied(schema) >= set(script.migrations)


def _assert_migrated_like(normal: str, expected: dict, schemas) -> None:
    """Each of ``schemas`` has the catalog ``expected`` (the executor-migrated ``normal``
    schema's), its migration records, and — post_migrate ran there — its content types
    and permissions."""
    for schema in schemas:
        got = catalog(schema)
        for key in expected:
            assert got[key] == expected[key], (schema, key)
        assert _applied(schema) == _applied(normal)
        assert _content_types(schema) == _content_types(normal)


def _constraint_order(schema: str) -> list[str]:
    """The names Django's introspection reads for members_member, in the order it gets
    them."""
    connection.set_schema(schema)
    try:
        with connection.cursor() as cur:
            return list(connection.introspection.get_constraints(cur, "members_member"))
    finally:
        connection.set_schema_to_public()


def test_catalog_rows_in_another_physical_order_still_replay(scratch, extra_migrations):
    """Dropping and re-adding a constraint moves its pg_constraint row: the catalog is the
    same, Django's introspection (no ORDER BY) reads the rows in another order when the
    server scans the catalog table (on a bigger catalog it may use an index and answer in
    name order: sequential scans are forced here, on this test's one connection). Schemas
    cloned at different times differ this way once schemas have been dropped."""
    ref, moved = scratch(2)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'c' ORDER BY conname LIMIT 1",
            [f"{moved}.members_member"],
        )
        name, definition = cur.fetchone()
        cur.execute(
            f"ALTER TABLE {qi(moved)}.members_member DROP CONSTRAINT {qi(name)}, "
            f"ADD CONSTRAINT {qi(name)} {definition}"
        )
        for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
            cur.execute(f"SET {setting} = off")
    try:
        _replay_in_another_order(ref, moved, extra_migrations)
    finally:
        with connection.cursor() as cur:
            cur.execute(
                "RESET enable_indexscan; RESET enable_indexonlyscan; RESET enable_bitmapscan"
            )


def _replay_in_another_order(ref: str, moved: str, extra_migrations) -> None:
    assert _constraint_order(moved) != _constraint_order(ref)
    assert sorted(_constraint_order(moved)) == sorted(_constraint_order(ref))
    extra_migrations(SCHEMA_MIGRATIONS)
    result = migrate_all(schemas=[ref, moved], processes=1, refresh_template=False)
    assert result.ok, result.failed
    how = {r.schema: (r.how, r.note) for r in result.results}
    assert how == {ref: ("reference", ""), moved: ("fast", "")}, result.fast_notes
    assert catalog(moved) == catalog(ref)


def test_same_rows_allows_order_and_the_schema_qualifier_only():
    unordered = "SELECT indexname, exprdef FROM s2 GROUP BY indexname, exprdef"
    ref = [
        ("a_idx", "CREATE INDEX a_idx ON coop_ref.members_member USING gin (x)"),
        ("b_idx", None),
    ]
    mine = [
        ("b_idx", None),
        ("a_idx", 'CREATE INDEX a_idx ON "coop_me".members_member USING gin (x)'),
    ]
    assert same_rows(unordered, mine, ref, schema="coop_me", reference="coop_ref")
    # another schema's name is a difference; so is any other change
    other = [("b_idx", None), ("a_idx", ref[0][1].replace("coop_ref", "coop_other"))]
    assert not same_rows(unordered, other, ref, schema="coop_me", reference="coop_ref")
    assert not same_rows(
        unordered, [("b_idx", None), ("a_idx", None)], ref, schema="coop_me", reference="coop_ref"
    )
    assert not same_rows(unordered, ref[:1], ref, schema="coop_me", reference="coop_ref")
    # a read that orders its rows itself must answer in the same order
    ordered = "SELECT indexname, exprdef FROM s2 ORDER BY indexname"
    assert not same_rows(ordered, mine, ref, schema="coop_me", reference="coop_ref")
    assert same_rows(ordered, mine[::-1], ref, schema="coop_me", reference="coop_ref")


def test_has_own_order():
    assert has_own_order("SELECT a FROM t ORDER BY a")
    assert has_own_order("select a from t order\n  by a limit 1")
    assert not has_own_order("SELECT array_agg(a ORDER BY b) FROM t GROUP BY c")
    assert not has_own_order("SELECT array(SELECT x FROM u ORDER BY x) FROM t")
    assert not has_own_order("SELECT 'ORDER BY' AS \"order by\" FROM t")
    assert not has_own_order("SELECT reordered_by FROM t")


def test_a_data_migration_goes_through_the_executor(scratch, extra_migrations):
    schemas = scratch(2)
    extra_migrations(DATA_MIGRATION)
    result = migrate_all(schemas=schemas, processes=1, refresh_template=False)
    assert result.ok, result.failed
    assert [r.how for r in result.results] == ["executor", "executor"]
    (note,) = result.fast_notes
    assert "RunPython runs in the cooperative's schema" in note
    for schema in schemas:
        assert ("members", "9003_fast_data") in _applied(schema)


def test_a_failing_schema_is_listed_and_a_diverging_one_falls_back(scratch, extra_migrations):
    ref, ok, diverging, broken = scratch(4)
    with connection.cursor() as cur:
        # An extra constraint: Django's introspection of members_member answers otherwise.
        cur.execute(
            f"ALTER TABLE {qi(diverging)}.members_member ADD CONSTRAINT extra_chk CHECK (true)"
        )
        # The column the migration adds is there already: the statements fail here.
        cur.execute(f"ALTER TABLE {qi(broken)}.members_member ADD COLUMN fast_flag integer")
    extra_migrations(SCHEMA_MIGRATIONS)
    result = migrate_all(schemas=[ref, ok, diverging, broken], processes=1, refresh_template=False)
    by = {r.schema: r for r in result.results}
    assert by[ref].how == "reference" and by[ok].how == "fast" and by[ok].ok
    assert by[diverging].ok and by[diverging].how == "executor"
    assert "Diverged" in by[diverging].note
    assert [r.schema for r in result.failed] == [broken]
    assert "already exists" in by[broken].error
    assert list(migration_plan([ref, ok, diverging, broken]).pending) == [broken]
    for key, rows in catalog(ref).items():
        assert catalog(diverging)[key] == rows or key == "constraints"


def test_a_statement_naming_the_schema_is_refused(db):
    recorder = _Recorder("coop_zzfast")
    with connection.execute_wrapper(recorder), connection.cursor() as cur:
        cur.execute("SELECT 1")
        assert not recorder.unsafe
        cur.execute("SELECT %s", ["coop_zzfast"])
        assert cur.fetchone() == ("coop_zzfast",)  # the caller still gets its rows
    assert "names the schema" in recorder.unsafe


def _agency(schema: str, code: str) -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {qi(schema)}.members_agency (code, name, treasurer_name, "
            "treasurer_phone, treasurer_email, address, is_active, created_at, updated_at) "
            "VALUES (%s, %s, '', '', '', '', true, now(), now())",
            [code, f"Instansi {code}"],
        )


def _agencies(schema: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT code, treasurer_name FROM {qi(schema)}.members_agency "
            "WHERE name LIKE 'Instansi %%' ORDER BY code"
        )
        return cur.fetchall()


def test_run_sql_replays_and_makes_its_data_changes_in_each_schema(scratch, extra_migrations):
    normal, *fast = scratch(4)
    for schema in (normal, *fast):
        _agency(schema, " uji-a ")
    # A second row in one schema: the RunSQL reads (count, setval) answer otherwise there.
    _agency(fast[2], "uji-b  ")
    extra_migrations(SQL_MIGRATION)

    result = migrate_all(schemas=[normal], processes=1, refresh_template=False, fast=False)
    assert result.ok and [r.how for r in result.results] == ["executor"], result.failed
    result = migrate_all(schemas=fast, processes=2, refresh_template=False)
    assert result.ok, result.failed
    how = {r.schema: (r.how, r.note) for r in result.results}
    assert how == {fast[0]: ("reference", ""), fast[1]: ("fast", ""), fast[2]: ("fast", "")}, (
        result.fast_notes
    )
    assert migration_plan([normal, *fast]).pending == {}

    expected = catalog(normal)
    assert any(row[0] == "members_agency_code_upper" for row in expected["functions"])
    assert any(row[1] == "members_agency_code_upper" for row in expected["triggers"])
    assert any(row[0] == "members_fastlabel" for row in expected["tables"])
    _assert_migrated_like(normal, expected, fast)
    assert "fastlabel:4" in [r[0] for r in _content_types(fast[1])]
    # The backfill ran in each schema, through the trigger the migration made there.
    for schema in (normal, fast[0], fast[1]):
        assert _agencies(schema) == [("UJI-A", "Bendahara Gaji")], schema
    assert _agencies(fast[2]) == [("UJI-A", "Bendahara Gaji"), ("UJI-B", "Bendahara Gaji")]
    _agency(fast[1], " uji-c")  # the trigger is live in a replayed schema
    assert ("UJI-C", "") in _agencies(fast[1])


def test_run_sql_failing_in_one_schema_falls_back_and_is_listed(scratch, extra_migrations):
    ref, ok, broken = scratch(3)
    _agency(broken, "kode-terlalu-panjang")  # the constraint the migration adds fails here
    extra_migrations(SQL_CHECK_MIGRATION)
    result = migrate_all(schemas=[ref, ok, broken], processes=1, refresh_template=False)
    by = {r.schema: r for r in result.results}
    assert (by[ref].how, by[ok].how) == ("reference", "fast") and by[ok].ok, result.fast_notes
    assert [r.schema for r in result.failed] == [broken]
    assert "fast path refused" in by[broken].note and "members_agency_code_short" in by[broken].note
    assert "members_agency_code_short" in by[broken].error
    assert list(migration_plan([ref, ok, broken]).pending) == [broken]
    assert "members_agency_code_short" in [row[1] for row in catalog(ok)["constraints"]]
    assert "members_agency_code_short" not in [row[1] for row in catalog(broken)["constraints"]]


def test_run_sql_eligibility(in_tenant_a):
    from django.db import migrations

    fine = migrations.RunSQL(
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;"
        "DO $$ BEGIN PERFORM 1; END $$; UPDATE t SET x = 1",
        hints={"model_name": "agency"},
        elidable=True,
        state_operations=[migrations.RemoveField("agency", "address")],
    )
    assert _op_ineligible("members", fine) == ""
    assert _op_ineligible("members", migrations.RunSQL([("UPDATE t SET x = %s", [1])])) == ""
    for sql in (
        "COMMIT",
        "UPDATE t SET x = 1; COMMIT;",
        ["BEGIN", "UPDATE t SET x = 1"],
        [("SAVEPOINT s", None)],
        "-- a comment\nrollback",
    ):
        assert "controls the transaction" in _op_ineligible("members", migrations.RunSQL(sql)), sql
    for sql in (
        "UPDATE t SET x = 1; SET search_path TO public",
        "SELECT set_config('search_path', 'public', true)",
    ):
        assert "sets the search_path" in _op_ineligible("members", migrations.RunSQL(sql)), sql
    assert "RunPython runs in the cooperative's schema" in _op_ineligible(
        "members", migrations.RunPython(migrations.RunPython.noop)
    )

    class OwnRunSQL(migrations.RunSQL):
        pass

    assert "not a plain schema operation" in _op_ineligible("members", OwnRunSQL("SELECT 1"))
    migration = migrations.Migration("9999_sql", "members")
    migration.operations = [fine]
    assert ineligible([migration]) == ""
    migration.atomic = False
    assert "not atomic" in ineligible([migration])


def test_recorder_keeps_no_answer_for_what_the_schema_editor_sends(db):
    recorder = _Recorder("coop_zzfast")
    with connection.execute_wrapper(recorder):
        with connection.schema_editor() as editor:
            editor.execute = recorder.editor_execute(editor.execute)
            editor.execute("SELECT 1")  # as RunSQL sends it: nobody reads the answer
        with connection.cursor() as cur:
            cur.execute("SELECT 2")  # as Django's introspection reads
            assert cur.fetchone() == (2,)
    sent = [(item[1], item[4]) for item in recorder.items if item[0] == "sql"]
    assert sent == [("SELECT 1", None), ("SELECT 2", [(2,)])]
    assert not recorder.unsafe


def test_recorder_refuses_a_search_path_change_of_the_migration(db):
    for sql in (
        "SELECT set_config('search_path', current_setting('search_path'), true)",
        "SET LOCAL search_path TO DEFAULT",
    ):
        recorder = _Recorder("coop_zzfast")
        with connection.execute_wrapper(recorder), connection.cursor() as cur:
            cur.execute(sql)
        assert "sets the search_path" in recorder.unsafe, sql
