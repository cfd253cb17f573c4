"""The same DDL once: apply a schema migration to many schemas by replaying what Django
executed in one of them.

How it works
------------
Schemas that lack the same migrations form a group. For a group whose migrations are
made only of schema operations (``SAFE_OPERATIONS``: AddField, CreateModel, AddIndex,
AlterField, …) and ``RunSQL`` (below) — no RunPython that runs in a cooperative's
schema, no callable default, every migration atomic — ``script_build`` migrates the
first schema of the group the way Django's executor does (``migration.apply`` with one
schema editor per migration) and records, through a cursor execute wrapper, every
statement sent: the DDL and also the catalog reads Django's schema editor made to decide
that DDL (constraint and index introspection), with the rows they returned. The
reference schema's migration records are inserted in the same transaction, which then
commits.

``script_replay`` sends the same statements, in the same order, to another schema of the
group, inside one transaction that also inserts its ``django_migrations`` rows; every
read must return the rows it returned in the reference schema. Given the same migration
files and the same answers to every read, Django's executor would have sent exactly
these statements to that schema, so the result is what the normal path gives — proven
per schema, not assumed. A read that answers differently, a statement that fails, or a
schema whose applied migrations are not those of the reference rolls the schema's
transaction back and the schema goes through Django's executor instead (which reports
its own error if it fails there too).

Two differences in a read's answer are not differences in the catalog, and are allowed:

- Order, for a read that does not order its rows itself (no top-level ``ORDER BY``).
  Django's introspection reads do not (its constraint and index queries end in ``WHERE``
  / ``GROUP BY`` and fill a dict): PostgreSQL returns the rows in the order it finds them
  in ``pg_constraint`` / ``pg_index``, which depends on where free space was when each
  schema was cloned, so it differs between schemas with the same catalog once schemas
  have been dropped. Such rows are compared as a multiset: the server could have given
  the executor the reference's order, and the executor would then have sent these very
  statements.
- The schema's own name qualifying a name (``coop_a.members_member``): Django reads
  ``pg_get_indexdef()`` of expression indexes (the trigram indexes on ``UPPER(col)``),
  which always qualifies the table. The schema editor does not use that text (Django's
  ``"definition"``), and no statement it sends may name the schema (below), so the
  answers are compared with each schema's qualifier written as ``<schema>.``.

No statement may name the reference schema: django-tenants' introspection pins the
``search_path`` to the schema (``SET search_path = "coop_x"`` … ``SET search_path =
<what SHOW returned>``); those statements are recorded as such and replayed with the
target schema. Any other statement that names the reference schema (in its text or its
parameters) makes the group go through the executor.

RunSQL
------
``RunSQL.database_forwards`` sends the migration's fixed SQL through the schema editor's
``execute()`` when the router allows it, and nothing else: a string as
``prepare_sql_script`` gives it (on PostgreSQL the whole script in one ``execute()``), or
each item of a list (a ``(sql, params)`` pair merged client-side). What it sends depends
on neither the schema nor the data, so the executor would send any schema of the group
exactly the reference's statements, which the recorder holds and the replay sends in the
schema's transaction. What those statements do with the schema's data (an ``UPDATE``
that backfills, a trigger function replaced) is done by the server in that schema, as
with the executor; one that fails there (a constraint the schema's data violates) rolls
the schema back, and the executor then reports the error.

- Answers. A statement sent through the schema editor's ``execute()`` — its DDL and every
  RunSQL statement — has its answer discarded by Django (``execute()`` closes the cursor
  without fetching): a ``SELECT setval(…, max(id))`` answers per schema and nothing reads
  it. ``script_build`` wraps each schema editor's ``execute()`` so that the recorder keeps
  no rows for what it sends, and the replay does not compare them: comparing would be
  safe, but would send every schema where the answer is data to the executor for nothing,
  and would prove nothing, since no statement sent afterwards depends on that answer.
  Reads Django does use (introspection through its own cursors) are still compared.
- Eligibility, read from the migration before anything runs: transaction control in the
  SQL (``BEGIN``, ``COMMIT``, ``ROLLBACK``, ``SAVEPOINT``, …) makes the group go through
  the executor, since in the reference it would commit part of the migration outside its
  transaction; so does a ``search_path`` change of its own (``SET search_path``,
  ``set_config('search_path', …)``: refused rather than reasoned about). A non-atomic
  migration stays ineligible (as for any operation). As the reference runs, a statement
  naming the reference schema does too (the rule above); trigger functions name their
  tables through ``TG_TABLE_SCHEMA``, not the schema's name.
- ``state_operations`` only change the migration state, which is the same for every schema
  of the group (same migration files, same applied migrations); ``hints`` go to the router
  as Django passes them (a RunSQL the router keeps out of cooperative schemas sends nothing
  and is only recorded); ``elidable`` matters only when squashing.
- RunPython stays ineligible: its Python reads the schema's data and decides what to send.
- A subclass of RunSQL (exact types only) may override ``database_forwards``: ineligible.

``post_migrate`` (content types and permissions) is sent per schema, inside its
transaction, when the group creates a model or changes model options (at any depth:
``state_operations`` of RunSQL and SeparateDatabaseAndState included), as the normal
``migrate`` does; for other operations it would find nothing to do.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import sqlparse
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection, router, transaction
from django.db.migrations import operations as ops
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations.special import RunPython, RunSQL, SeparateDatabaseAndState
from django.utils import timezone
from django_tenants.utils import quote_schema_name

from tenants.schema_template import qi

from .executor import recorder_table_lookup

# Operations whose database effect is DDL computed from the migration state (and, for some,
# catalog introspection, which the replay checks). Exact types: a subclass may override
# database_forwards with anything.
SAFE_OPERATIONS = frozenset(
    {
        ops.CreateModel,
        ops.DeleteModel,
        ops.AddField,
        ops.RemoveField,
        ops.AlterField,
        ops.RenameField,
        ops.AddIndex,
        ops.RemoveIndex,
        ops.RenameIndex,
        ops.AddConstraint,
        ops.RemoveConstraint,
        ops.AlterUniqueTogether,
        ops.AlterIndexTogether,
        ops.AlterModelTable,
        ops.AlterModelTableComment,
        ops.AlterModelOptions,
        ops.AlterModelManagers,
        ops.AlterOrderWithRespectTo,
    }
)
# Operations after which ``migrate`` has work for post_migrate (new content types or
# permissions).
POST_MIGRATE_OPERATIONS = (ops.CreateModel, ops.AlterModelOptions)


class Diverged(Exception):
    """The schema is not in the reference schema's state: replay refused."""


@dataclass
class Script:
    reference: str
    migrations: list[tuple[str, str]]  # (app, name), in the order applied
    applied_before: frozenset[tuple[str, str]]  # the reference's records, on-disk ones
    on_disk: frozenset[tuple[str, str]] = frozenset()
    items: list[tuple] = field(default_factory=list)
    post_migrate: bool = False
    post_apps: object = None  # the migration state's apps after the group, for post_migrate
    seconds: float = 0.0

    @property
    def statements(self) -> int:
        return len(self.items)


def ineligible(migrations) -> str:
    """Why these migrations cannot take the fast path ('' when they can). Must be called
    with the connection set to a cooperative's schema (the router's answer depends on it)."""
    for migration in migrations:
        if not migration.atomic:
            return f"{migration.app_label}.{migration.name}: not atomic"
        for op in migration.operations:
            why = _op_ineligible(migration.app_label, op)
            if why:
                return f"{migration.app_label}.{migration.name}: {why}"
    return ""


def _op_ineligible(app_label: str, op) -> str:
    if isinstance(op, SeparateDatabaseAndState):
        for inner in op.database_operations:
            why = _op_ineligible(app_label, inner)
            if why:
                return why
        return ""
    if type(op) in (RunPython, RunSQL):
        # A data operation of an app that is not migrated in cooperative schemas (a
        # public-schema app) does nothing here: the migration is only recorded.
        if router.allow_migrate(DEFAULT_DB_ALIAS, app_label, **op.hints) is False:
            return ""
        if type(op) is RunSQL:
            return _run_sql_ineligible(op)
        return "RunPython runs in the cooperative's schema"
    if type(op) not in SAFE_OPERATIONS:
        return f"{type(op).__name__} is not a plain schema operation"
    # Django fills existing rows with one value computed per schema (uuid4, now): a
    # replay would copy the reference's value everywhere.
    if (
        isinstance(op, (ops.AddField, ops.AlterField))
        and op.field.has_default()
        and callable(op.field.default)
    ):
        return f"{type(op).__name__} {op.name}: callable default"
    return ""


# A statement that ends, opens or rolls back a transaction: run in the reference, it would
# commit part of the migration outside the schema's one transaction (and could not be
# undone when the group then turns out ineligible).
_TRANSACTION_CONTROL = re.compile(
    r"(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE"
    r"\s+TRANSACTION)\b",
    re.IGNORECASE,
)


# Any other way of setting the search_path than django-tenants' ``SET search_path = …``.
_SETS_PATH = re.compile(
    r"^SET\s+(?:SESSION\s+|LOCAL\s+)?SEARCH_PATH\b|SET_CONFIG\s*\(\s*'SEARCH_PATH'"
)


def _run_sql_ineligible(op: RunSQL) -> str:
    """Why this RunSQL's statements cannot be replayed ('' when they can): transaction
    control or a ``search_path`` change in them. Read from the migration, before anything
    runs (a statement naming the schema is found as the reference runs them, the recorder
    checking the ``search_path`` again).
    PostgreSQL's ``prepare_sql_script`` does not split a script (it goes to the server as
    one ``execute()``), so the statements in each text are found with sqlparse."""
    sqls = op.sql if isinstance(op.sql, (list, tuple)) else [op.sql]
    for sql in sqls:
        text = sql[0] if isinstance(sql, (list, tuple)) else sql
        for statement in sqlparse.split(str(text)):
            bare = sqlparse.format(statement, strip_comments=True).strip()
            if _TRANSACTION_CONTROL.match(bare):
                return f"RunSQL controls the transaction: {bare[:200]}"
            if _SETS_PATH.search(bare.upper()):
                return f"RunSQL sets the search_path: {bare[:200]}"
    return ""


def _operations(op):
    """``op`` and the operations inside it (SeparateDatabaseAndState's, RunSQL's
    ``state_operations``)."""
    yield op
    inner = [*getattr(op, "state_operations", ()), *getattr(op, "database_operations", ())]
    for each in inner:
        yield from _operations(each)


def has_own_order(sql: str) -> bool:
    """Whether the statement orders its rows: an ``ORDER BY`` outside any parentheses
    (one inside an aggregate or a subquery does not order the result), string literals
    and quoted names left out."""
    text = re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", " ", sql)
    depth = 0
    top: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            top.append(char)
    return re.search(r"\bORDER\s+BY\b", "".join(top), re.IGNORECASE) is not None


def _unqualified(value, schema: str):
    """``value`` (a row, or a value in it) with ``schema.`` / ``"schema".`` written
    ``<schema>.``."""
    if isinstance(value, str):
        if schema not in value:
            return value
        return re.sub(
            rf'(?<![\w$"])(?:{re.escape(quote_schema_name(schema))}|{re.escape(schema)})\.',
            "<schema>.",
            value,
        )
    if isinstance(value, (list, tuple)):
        return type(value)(_unqualified(v, schema) for v in value)
    return value


def same_rows(
    sql: str, got: list[tuple], expected: list[tuple], *, schema: str, reference: str
) -> bool:
    """Whether a read in ``schema`` answered as it did in ``reference`` (see the module
    doc for the two differences allowed)."""
    if got == expected:
        return True
    if len(got) != len(expected):
        return False
    got = [_unqualified(row, schema) for row in got]
    expected = [_unqualified(row, reference) for row in expected]
    if got == expected:
        return True
    if has_own_order(sql):
        return False
    return sorted(got, key=repr) == sorted(expected, key=repr)


class _Recorder:
    """Cursor execute wrapper recording what a migration sends (see the module doc)."""

    def __init__(self, schema: str):
        self.schema = schema
        self.items: list[tuple] = []
        self.unsafe = ""
        self._last_show: str | None = None
        self._unread = 0  # > 0 while the schema editor's execute() runs

    def editor_execute(self, execute):
        """``execute`` (a schema editor's) marking what it sends as statements whose answer
        nobody reads: it closes its cursor without fetching (see the module doc)."""

        def wrapped(sql, params=()):
            self._unread += 1
            try:
                return execute(sql, params)
            finally:
                self._unread -= 1

        return wrapped

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        raw = context["cursor"].cursor
        text = sql if isinstance(sql, str) else str(sql)
        bare = text.strip().rstrip(";").strip()
        upper = bare.upper()
        if upper.startswith(("SAVEPOINT ", "RELEASE SAVEPOINT ")):
            return result  # the schema editor's atomic blocks: the replay has its own
        if upper.startswith("ROLLBACK"):
            self.unsafe = self.unsafe or "a rollback inside the migration"
            return result
        if upper == "SHOW SEARCH_PATH":
            self._last_show = raw.fetchone()[0]
            raw.scroll(0, mode="absolute")
            self.items.append(("show",))
            return result
        if upper.startswith("SET SEARCH_PATH = "):
            value = bare[len("SET search_path = ") :]
            if value == _own_path(context["connection"]):
                # django-tenants setting the connection's path for a new cursor: the
                # replaying connection sets its own the same way.
                return result
            if value == quote_schema_name(self.schema):
                self.items.append(("set_schema",))
            elif self._last_show is not None and value == self._last_show:
                self.items.append(("set_back",))
            else:
                self.unsafe = self.unsafe or f"unexpected search_path statement: {bare[:200]}"
            return result
        if _SETS_PATH.search(upper):
            # A search_path change of the migration's own (RunSQL): refused, not reasoned
            # about. Rolled back with the reference's transaction.
            self.unsafe = self.unsafe or f"a statement sets the search_path: {bare[:200]}"
        if self.schema in text or self.schema in repr(params):
            self.unsafe = self.unsafe or f"a statement names the schema: {text[:200]}"
        rows = None
        if raw.description is not None and not self._unread:
            rows = raw.fetchall()
            raw.scroll(0, mode="absolute")
        self.items.append(("sql", sql, params, many, rows))
        return result


def _own_path(conn) -> str:
    return ",".join(quote_schema_name(s) for s in conn._get_cursor_search_paths())


def _applied(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT app, name FROM {qi(schema)}.django_migrations")
        return set(cur.fetchall())


def _record(schema: str, migrations: list[tuple[str, str]]) -> None:
    now = timezone.now()
    with connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {qi(schema)}.django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            [(app, name, now) for app, name in migrations],
        )


def _post_migrate(script: Script) -> None:
    emit_post_migrate_signal(0, False, DEFAULT_DB_ALIAS, apps=script.post_apps, plan=[])


def script_build(schema: str, pending: list[str]) -> Script | str:
    """Migrate ``schema`` (which lacks exactly ``pending``, "app.name" keys) the way the
    executor does while recording every statement; commit it with its migration records
    and return the script, or return why the fast path cannot be used (nothing is then
    applied: the transaction rolls back)."""
    started = time.perf_counter()
    connection.set_schema(schema)
    try:
        with recorder_table_lookup():  # its records read without listing every table
            executor = MigrationExecutor(connection)
        graph = executor.loader.graph
        plan = executor.migration_plan(graph.leaf_nodes())
        keys = [(m.app_label, m.name) for m, _ in plan]
        if any(backwards for _, backwards in plan) or set(keys) != {
            tuple(k.split(".", 1)) for k in pending
        }:
            return "the executor's plan for the reference differs from the migration plan"
        migrations = [m for m, _ in plan]
        why = ineligible(migrations)
        if why:
            return why
        on_disk = frozenset(graph.nodes)
        applied_before = frozenset(set(executor.loader.applied_migrations) & on_disk)
        state = executor._create_project_state(with_applied_migrations=True)
        recorder = _Recorder(schema)
        script = Script(
            reference=schema, migrations=keys, applied_before=applied_before, on_disk=on_disk
        )
        script.post_migrate = any(
            isinstance(inner, POST_MIGRATE_OPERATIONS)
            for m in migrations
            for op in m.operations
            for inner in _operations(op)
        )
        with transaction.atomic():
            with connection.execute_wrapper(recorder):
                for migration in migrations:
                    with connection.schema_editor(atomic=migration.atomic) as editor:
                        editor.execute = recorder.editor_execute(editor.execute)
                        state = migration.apply(state, editor)
            if recorder.unsafe:
                transaction.set_rollback(True)
                return recorder.unsafe
            _record(schema, keys)
            if script.post_migrate:
                script.post_apps = state.apps
                _post_migrate(script)
        script.items = recorder.items
        script.seconds = time.perf_counter() - started
        return script
    finally:
        connection.set_schema_to_public()


def script_replay(schema: str, script: Script) -> None:
    """Send ``script`` to ``schema`` in one transaction with its migration records.
    Raises Diverged (rolled back) when the schema is not where the reference was or a
    read answers differently; any database error propagates (rolled back too)."""
    connection.set_schema(schema)
    try:
        with transaction.atomic():
            applied = _applied(schema)
            if applied & script.on_disk != script.applied_before:
                raise Diverged("its applied migrations are not the reference's")
            last_show = None
            with connection.cursor() as cur:
                for item in script.items:
                    kind = item[0]
                    if kind == "show":
                        cur.execute("SHOW search_path")
                        last_show = cur.fetchone()[0]
                    elif kind == "set_schema":
                        cur.execute(f"SET search_path = {quote_schema_name(schema)}")
                    elif kind == "set_back":
                        cur.execute(f"SET search_path = {last_show}")
                    else:
                        _, sql, params, many, rows = item
                        if many:
                            cur.executemany(sql, params)
                        else:
                            cur.execute(sql, params)
                        if rows is not None and not same_rows(
                            sql, cur.fetchall(), rows, schema=schema, reference=script.reference
                        ):
                            raise Diverged(f"a catalog read answered differently: {sql[:200]}")
            _record(schema, script.migrations)
            if script.post_migrate:
                _post_migrate(script)
    finally:
        connection.set_schema_to_public()
