"""The template schema: a migrated, empty cooperative schema that new cooperatives are
cloned from, so that creating one takes a fraction of a second instead of running every
tenant migration.

How it works
------------
``template_refresh()`` builds the template from scratch in a staging schema by running
the tenant migrations (``migrate_schemas --tenant --schema=...``), reads the staging
schema's catalog once and turns it into a *snapshot*: a SQL script of unqualified DDL
(types, functions, sequences, tables, data copy, constraints, indexes, views, triggers)
that recreates the schema under any name. It then proves the snapshot on a throw-away
clone (the clone's catalog must equal the template's), swaps the staging schema in as
``TEMPLATE_SCHEMA`` and stores the snapshot in ``tenants.SchemaTemplate``.

``schema_clone(target=...)`` runs the script inside the caller's transaction: one
``CREATE SCHEMA`` plus one multi-statement ``execute``, with no catalog scans, so its
cost does not grow with the number of cooperatives. It refuses a stale template: the
template's applied migrations (its ``django_migrations`` table) must include every
migration on disk.

Why not django-tenants' ``clone_schema()`` SQL function: it renames unique constraints
(``..._uniq`` becomes ``..._key``), so a later ``RemoveConstraint`` migration would fail
on cloned cooperatives, and it scans the catalog on every call.

The refresh runs automatically after ``migrate_schemas`` migrates the public schema
(see ``TenantsConfig.ready``) and by hand or in deploys with
``manage.py template_schema_refresh``. Refresh and clone serialise on an advisory lock.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError
from tenants.errors import TenantErrors

from .connections import connection_renew
from .models import SchemaTemplate, SpareSchema

log = logging.getLogger(__name__)

TEMPLATE_SCHEMA = "lumbung_template"
STAGING_SCHEMA = "lumbung_template_next"
CHECK_SCHEMA = "lumbung_template_check"
SPARE_PREFIX = "lumbung_spare_"
SOURCE_TOKEN = "__LUMBUNG_TEMPLATE_SOURCE__"
TARGET_TOKEN = "'__LUMBUNG_CLONE_TARGET__'"
LOCK_KEY = 0x4C756D62  # "Lumb": pg advisory lock shared by clone (shared) and refresh


class TemplateUnsupported(Exception):
    """The template holds an object kind the snapshot cannot recreate."""


def qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- migrations


@functools.cache
def expected_migrations() -> frozenset[tuple[str, str]]:
    """Every migration on disk (squashed ones replace what they squash). Cached per
    process: migration files do not change under a running process."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes.keys())


def migrations_fingerprint(names: frozenset[tuple[str, str]] | None = None) -> str:
    names = expected_migrations() if names is None else names
    text = "\n".join(f"{a}.{n}" for a, n in sorted(names))
    return hashlib.sha256(text.encode()).hexdigest()


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cur.fetchone() is not None


def applied_migrations(schema: str) -> frozenset[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT app, name FROM {qi(schema)}.django_migrations")
        return frozenset((a, n) for a, n in cur.fetchall())


def missing_migrations(schema: str = TEMPLATE_SCHEMA) -> list[str]:
    """Migrations on disk that the schema has not applied ([] = in step)."""
    missing = expected_migrations() - applied_migrations(schema)
    return sorted(f"{a}.{n}" for a, n in missing)


@dataclass
class TemplateState:
    exists: bool
    missing: list[str]
    snapshot: bool

    @property
    def current(self) -> bool:
        return self.exists and self.snapshot and not self.missing


def template_state() -> TemplateState:
    if not _schema_exists(TEMPLATE_SCHEMA):
        return TemplateState(exists=False, missing=[], snapshot=False)
    snap = SchemaTemplate.objects.filter(name=TEMPLATE_SCHEMA).only("fingerprint").first()
    return TemplateState(
        exists=True,
        missing=missing_migrations(TEMPLATE_SCHEMA),
        snapshot=snap is not None and snap.fingerprint == migrations_fingerprint(),
    )


# ----------------------------------------------------------------------------- snapshot


def _rows(cur, sql: str, params=None) -> list[tuple]:
    cur.execute(sql, params or [])
    return cur.fetchall()


def _refuse_unsupported(cur, ns: str) -> None:
    odd = _rows(
        cur,
        "SELECT relname, relkind FROM pg_class WHERE relnamespace = %s::regnamespace "
        "AND relkind NOT IN ('r', 'i', 'S', 'v')",
        [ns],
    )
    if odd:
        raise TemplateUnsupported(f"relations of unsupported kind: {odd}")
    if _rows(
        cur,
        "SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE c.relnamespace = %s::regnamespace",
        [ns],
    ):
        raise TemplateUnsupported("table inheritance or partitions")
    types = _rows(
        cur,
        "SELECT typname, typtype FROM pg_type WHERE typnamespace = %s::regnamespace "
        "AND typrelid = 0 AND typelem = 0 AND typtype <> 'e'",
        [ns],
    )
    if types:
        raise TemplateUnsupported(f"types other than enums: {types}")
    if _rows(
        cur,
        "SELECT 1 FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
        "WHERE c.relnamespace = %s::regnamespace",
        [ns],
    ):
        raise TemplateUnsupported("row level security policies")
    if _rows(
        cur,
        "SELECT 1 FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
        "WHERE c.relnamespace = %s::regnamespace AND r.rulename <> '_RETURN'",
        [ns],
    ):
        raise TemplateUnsupported("rules")
    if _rows(
        cur,
        "SELECT 1 FROM pg_proc WHERE pronamespace = %s::regnamespace AND prokind NOT IN ('f', 'p')",
        [ns],
    ):
        raise TemplateUnsupported("aggregates or window functions")


def _strip(text: str, source: str, *prefixes: str) -> str:
    for prefix in prefixes:
        text = text.replace(f"{prefix}{qi(source)}.", prefix).replace(f"{prefix}{source}.", prefix)
    return text


def snapshot_build(source: str) -> dict:
    """Read ``source``'s catalog and return the snapshot (see the module docstring).

    The DDL is unqualified (generated with search_path = source) so it recreates the
    schema under whatever search_path it runs with; the data copy names the source by
    SOURCE_TOKEN."""
    out: list[str] = []
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT current_setting('search_path')")
        prev = cur.fetchone()[0]
        cur.execute("SELECT set_config('search_path', %s, true)", [qi(source)])
        _refuse_unsupported(cur, source)
        ns = [source]

        for (stmt,) in _rows(
            cur,
            "SELECT format('CREATE TYPE %%I AS ENUM (%%s)', t.typname, "
            "string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)) "
            "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
            "WHERE t.typnamespace = %s::regnamespace GROUP BY t.oid, t.typname ORDER BY t.oid",
            ns,
        ):
            out.append(stmt)

        for (text,) in _rows(
            cur,
            "SELECT pg_get_functiondef(oid) FROM pg_proc "
            "WHERE pronamespace = %s::regnamespace ORDER BY oid",
            ns,
        ):
            text = _strip(text, source, "FUNCTION ", "PROCEDURE ")
            # Functions pinned to their own schema (SET search_path TO 'schema', ...,
            # e.g. from SET search_path FROM CURRENT) must be pinned to the clone.
            text = "\n".join(
                ln.replace(_lit(source), TARGET_TOKEN).replace(qi(source), TARGET_TOKEN)
                if ln.lstrip().upper().startswith("SET SEARCH_PATH")
                else ln
                for ln in text.split("\n")
            )
            if source in text:
                raise TemplateUnsupported("a function body names the template schema")
            out.append(text.rstrip().rstrip(";"))

        # Sequences that are not identity sequences (e.g. serial columns).
        seqs = _rows(
            cur,
            "SELECT c.relname, format('CREATE SEQUENCE %%I AS %%s INCREMENT %%s MINVALUE %%s "
            "MAXVALUE %%s START %%s CACHE %%s %%s', c.relname, format_type(s.seqtypid, NULL), "
            "s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, "
            "CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END), "
            "(SELECT format('ALTER SEQUENCE %%I OWNED BY %%I.%%I', c.relname, t.relname, "
            "a.attname) FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
            "WHERE d.objid = c.oid AND d.deptype = 'a' AND d.classid = 'pg_class'::regclass "
            "LIMIT 1), ps.last_value "
            "FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid "
            "JOIN pg_sequences ps ON ps.schemaname = %s AND ps.sequencename = c.relname "
            "WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'S' AND NOT EXISTS "
            "(SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i') "
            "ORDER BY c.oid",
            [source, source],
        )
        out.extend(s[1] for s in seqs)

        tables = _rows(
            cur,
            "SELECT oid, relname, relpersistence, array_to_string(reloptions, ', ') "
            "FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r' ORDER BY oid",
            ns,
        )
        copies: list[str] = []
        setvals: list[str] = []
        for oid, table, persistence, options in tables:
            cols = _rows(
                cur,
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
                "a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid), "
                "CASE WHEN a.attcollation <> t.typcollation THEN quote_ident(co.collname) END, "
                "pg_get_serial_sequence(%s, a.attname) "
                "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                "LEFT JOIN pg_collation co ON co.oid = a.attcollation "
                "WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY a.attnum",
                [f"{qi(source)}.{qi(table)}", oid],
            )
            defs, plain = [], []
            for name, typ, notnull, identity, generated, default, collation, seq in cols:
                part = f"{qi(name)} {typ}"
                if collation:
                    part += f" COLLATE {collation}"
                if generated == "s":
                    part += f" GENERATED ALWAYS AS ({default}) STORED"
                else:
                    plain.append(qi(name))
                    if identity:
                        kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
                        part += f" GENERATED {kind} AS IDENTITY"
                    elif default is not None:
                        part += f" DEFAULT {default}"
                if notnull:
                    part += " NOT NULL"
                defs.append(part)
                if identity and seq:
                    last = _rows(cur, f"SELECT last_value, is_called FROM {seq}")[0]
                    if last[1]:
                        setvals.append(
                            f"SELECT setval(pg_get_serial_sequence({_lit(table)}, "
                            f"{_lit(name)}), {int(last[0])}, true)"
                        )
            unlogged = "UNLOGGED " if persistence == "u" else ""
            with_opts = f" WITH ({options})" if options else ""
            out.append(f"CREATE {unlogged}TABLE {qi(table)} ({', '.join(defs)}){with_opts}")
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {qi(source)}.{qi(table)})")
            if cur.fetchone()[0]:
                columns = ", ".join(plain)
                copies.append(
                    f"INSERT INTO {qi(table)} ({columns}) OVERRIDING SYSTEM VALUE "
                    f"SELECT {columns} FROM {SOURCE_TOKEN}.{qi(table)}"
                )
        out.extend(copies)
        out.extend(setvals)
        for name, _create, owned, last in seqs:
            if owned:
                out.append(owned)
            if last is not None:
                out.append(f"SELECT setval({_lit(name)}, {int(last)}, true)")

        for table, name, definition in _rows(
            cur,
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = %s::regnamespace AND conrelid <> 0 "
            "AND contype IN ('p', 'u', 'x', 'c') "
            "ORDER BY array_position(ARRAY['p', 'u', 'x', 'c'], contype::text), oid",
            ns,
        ):
            out.append(f"ALTER TABLE {table} ADD CONSTRAINT {qi(name)} {definition}")

        for (definition,) in _rows(
            cur,
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relnamespace = %s::regnamespace AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
            "AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')) ORDER BY c.oid",
            ns,
        ):
            out.append(_strip(definition, source, "ON ", "ON ONLY "))

        for table, name, definition in _rows(
            cur,
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = %s::regnamespace AND contype = 'f' "
            "ORDER BY oid",
            ns,
        ):
            out.append(f"ALTER TABLE {table} ADD CONSTRAINT {qi(name)} {definition}")

        for name, definition in _rows(
            cur,
            "SELECT relname, pg_get_viewdef(oid) FROM pg_class "
            "WHERE relnamespace = %s::regnamespace AND relkind = 'v' ORDER BY oid",
            ns,
        ):
            out.append(f"CREATE VIEW {qi(name)} AS {definition.rstrip().rstrip(';')}")

        for (definition,) in _rows(
            cur,
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal ORDER BY t.oid",
            ns,
        ):
            out.append(_strip(definition, source, "ON "))
        # (on error the atomic block's rollback restores the search_path)
        cur.execute("SELECT set_config('search_path', %s, true)", [prev])
    # Run without query parameters, so any % in the DDL reaches PostgreSQL as is.
    script = ";\n".join(out) + ";\n"
    return {"script": script, "statements": len(out)}


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _run_script(*, script: str, source: str, target: str) -> None:
    """Create schema ``target`` from a snapshot script (inside the current transaction)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT current_setting('search_path'), current_setting('check_function_bodies')"
        )
        prev, prev_check = cur.fetchone()
        cur.execute(f"CREATE SCHEMA {qi(target)}")
        cur.execute("SELECT set_config('search_path', %s, true)", [qi(target)])
        # Functions come before the tables their (SQL) bodies may name, as in pg_dump.
        cur.execute("SELECT set_config('check_function_bodies', 'off', true)")
        # On error the caller's transaction rolls back, these settings with it.
        cur.execute(script.replace(SOURCE_TOKEN, qi(source)).replace(TARGET_TOKEN, _lit(target)))
        cur.execute("SELECT set_config('check_function_bodies', %s, true)", [prev_check])
        cur.execute("SELECT set_config('search_path', %s, true)", [prev])


# ------------------------------------------------------------------------ clone / check


def spare_target() -> int:
    """How many ready spare schemas to keep (settings.TENANT_SPARE_SCHEMAS, 2)."""
    return getattr(settings, "TENANT_SPARE_SCHEMAS", 2)


def _take_spare(*, target: str, fingerprint: str) -> bool:
    """Rename a ready spare clone to ``target`` (inside the caller's transaction: a
    rollback gives the spare back, though sequences it advanced stay advanced — ids
    then start a little higher, which is harmless). False when there is none."""
    spare = (
        SpareSchema.objects.select_for_update(skip_locked=True)
        .filter(fingerprint=fingerprint)
        .order_by("pk")
        .first()
    )
    if spare is None:
        return False
    if not _schema_exists(spare.name):
        spare.delete()
        return False
    with connection.cursor() as cur:
        cur.execute(f"ALTER SCHEMA {qi(spare.name)} RENAME TO {qi(target)}")
        # Functions pinned to their schema (SET search_path) follow the new name.
        cur.execute(
            "SELECT p.oid::regprocedure::text, c.setting FROM pg_proc p, "
            "LATERAL unnest(p.proconfig) AS c(setting) "
            "WHERE p.pronamespace = %s::regnamespace AND c.setting LIKE 'search_path=%%'",
            [target],
        )
        for signature, setting in cur.fetchall():
            value = setting.split("=", 1)[1]
            value = value.replace(qi(spare.name), qi(target)).replace(spare.name, qi(target))
            cur.execute(f"ALTER FUNCTION {signature} SET search_path = {value}")
    spare.delete()
    return True


def schema_clone(*, target: str, use_spare: bool = True) -> None:
    """Create schema ``target`` as a copy of the template: a ready spare renamed when
    there is one (milliseconds), else the snapshot script run (DDL). Runs in the caller's
    transaction (so a later failure rolls the schema back too). Refuses a missing or
    stale template with ApplicationError ``template_missing`` / ``template_stale``."""
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_KEY])
        snap = SchemaTemplate.objects.filter(name=TEMPLATE_SCHEMA).first()
        if snap is None or not _schema_exists(TEMPLATE_SCHEMA):
            raise ApplicationError(
                TenantErrors.TEMPLATE_MISSING,
                _("Skema templat belum dibuat. Jalankan 'manage.py template_schema_refresh'."),
                status=503,
            )
        missing = missing_migrations(TEMPLATE_SCHEMA)
        if missing:
            raise ApplicationError(
                TenantErrors.TEMPLATE_STALE,
                _(
                    "Skema templat tertinggal %(n)d migrasi (%(first)s, ...). Jalankan "
                    "'manage.py template_schema_refresh'."
                )
                % {"n": len(missing), "first": missing[0]},
                status=503,
            )
        if use_spare and _take_spare(target=target, fingerprint=snap.fingerprint):
            return
        _run_script(script=snap.script, source=TEMPLATE_SCHEMA, target=target)


def spares_fill(*, count: int | None = None) -> int:
    """Top the spare schemas up to ``count`` (default spare_target()), dropping spares of
    an older template. Each spare is its own transaction; one filler at a time (an
    advisory lock; a second caller returns 0 at once). Returns how many were made."""
    want = spare_target() if count is None else count
    connection_renew()  # outside a transaction: clone on a new server connection
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY + 1])
        if not cur.fetchone()[0]:
            return 0
    made = 0
    try:
        connection.set_schema_to_public()
        snap = SchemaTemplate.objects.filter(name=TEMPLATE_SCHEMA).first()
        for old in SpareSchema.objects.exclude(fingerprint=snap.fingerprint if snap else ""):
            with transaction.atomic():
                _drop(old.name)
                old.delete()
        if snap is None or not template_state().current:
            return 0
        while SpareSchema.objects.filter(fingerprint=snap.fingerprint).count() < want:
            name = SPARE_PREFIX + uuid.uuid4().hex[:12]
            with transaction.atomic():
                schema_clone(target=name, use_spare=False)
                SpareSchema.objects.create(name=name, fingerprint=snap.fingerprint)
            made += 1
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY + 1])
    return made


def schema_signature(schema: str) -> dict:
    """What a clone must share with its template: relations, columns, constraints,
    indexes, triggers, functions, views, sequence positions, row counts."""
    sig: dict = {}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT current_setting('search_path')")
        prev = cur.fetchone()[0]
        cur.execute("SELECT set_config('search_path', %s, true)", [qi(schema)])
        ns = [schema]
        sig["relations"] = _rows(
            cur,
            "SELECT relname, relkind, relpersistence FROM pg_class "
            "WHERE relnamespace = %s::regnamespace AND relkind <> 'S' ORDER BY 1",
            ns,
        )
        sig["columns"] = _rows(
            cur,
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
            "a.attnotnull, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid), "
            "a.attcollation FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'v') "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2",
            ns,
        )
        sig["constraints"] = _rows(
            cur,
            # A CHECK expression re-parsed from its text may print differently (casts
            # move) while meaning the same: for those compare name and columns.
            "SELECT conrelid::regclass::text, conname, contype, "
            "CASE WHEN contype = 'c' THEN (SELECT string_agg(attname, ',' ORDER BY attname) "
            "FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY (conkey)) "
            "ELSE pg_get_constraintdef(k.oid) END, "
            "condeferrable, condeferred, convalidated FROM pg_constraint k "
            "WHERE connamespace = %s::regnamespace ORDER BY 1, 2",
            ns,
        )
        sig["indexes"] = [
            (n, _strip(d, schema, "ON ", "ON ONLY "))
            for n, d in _rows(
                cur,
                "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_class c "
                "WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'i' ORDER BY 1",
                ns,
            )
        ]
        sig["triggers"] = [
            (t, n, _strip(d, schema, "ON "))
            for t, n, d in _rows(
                cur,
                "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = %s::regnamespace "
                "AND NOT t.tgisinternal ORDER BY 1, 2",
                ns,
            )
        ]
        sig["functions"] = [
            (n, _strip(d, schema, "FUNCTION ", "PROCEDURE ").replace(_lit(schema), "'?'"))
            for n, d in _rows(
                cur,
                "SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
                "WHERE pronamespace = %s::regnamespace ORDER BY 1",
                ns,
            )
        ]
        sig["views"] = _rows(
            cur,
            "SELECT relname, pg_get_viewdef(oid) FROM pg_class "
            "WHERE relnamespace = %s::regnamespace AND relkind = 'v' ORDER BY 1",
            ns,
        )
        sig["sequences"] = _rows(
            cur,
            "SELECT sequencename, data_type::text, increment_by, last_value FROM pg_sequences "
            "WHERE schemaname = %s ORDER BY 1",
            ns,
        )
        counts = []
        for (table,) in _rows(
            cur,
            "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace "
            "AND relkind = 'r' ORDER BY 1",
            ns,
        ):
            cur.execute(f"SELECT count(*) FROM {qi(schema)}.{qi(table)}")
            counts.append((table, cur.fetchone()[0]))
        sig["rows"] = counts
        # (on error the atomic block's rollback restores the search_path)
        cur.execute("SELECT set_config('search_path', %s, true)", [prev])
    return sig


def signature_diff(a: dict, b: dict) -> dict:
    diff = {}
    for key in a.keys() | b.keys():
        left, right = set(map(tuple, a.get(key, []))), set(map(tuple, b.get(key, [])))
        if left != right:
            diff[key] = {"only_template": sorted(left - right), "only_clone": sorted(right - left)}
    return diff


# ------------------------------------------------------------------------------ refresh


def _drop(name: str) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {qi(name)} CASCADE")


def _migrate_into(schema: str, verbosity: int) -> None:
    with connection.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {qi(schema)}")
    call_command(
        "migrate_schemas",
        tenant=True,
        schema_name=schema,
        interactive=False,
        verbosity=max(verbosity - 1, 0),
    )
    connection.set_schema_to_public()


@dataclass
class RefreshResult:
    rebuilt: bool
    seconds: float
    statements: int
    migrations: int


def template_refresh(*, force: bool = False, verbosity: int = 1) -> RefreshResult:
    """Bring the template in step with the migrations on disk (no-op when it already is,
    unless ``force``). Must not run inside a transaction (migrations commit)."""
    started = time.perf_counter()
    connection.set_schema_to_public()
    if not force:
        state = template_state()
        if state.current:
            spares_fill()
            return RefreshResult(False, time.perf_counter() - started, 0, 0)
    _drop(STAGING_SCHEMA)
    _migrate_into(STAGING_SCHEMA, verbosity)
    missing = missing_migrations(STAGING_SCHEMA)
    if missing:
        _drop(STAGING_SCHEMA)
        raise RuntimeError(f"template migration left migrations unapplied: {missing}")
    snap = snapshot_build(STAGING_SCHEMA)
    # Prove the snapshot: a clone of the staging schema must match it exactly.
    with transaction.atomic():
        _run_script(script=snap["script"], source=STAGING_SCHEMA, target=CHECK_SCHEMA)
        diff = signature_diff(schema_signature(STAGING_SCHEMA), schema_signature(CHECK_SCHEMA))
        transaction.set_rollback(True)
    if diff:
        _drop(STAGING_SCHEMA)
        raise TemplateUnsupported(f"a clone differs from the template: {diff}")
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cur.execute(f"DROP SCHEMA IF EXISTS {qi(TEMPLATE_SCHEMA)} CASCADE")
            cur.execute(f"ALTER SCHEMA {qi(STAGING_SCHEMA)} RENAME TO {qi(TEMPLATE_SCHEMA)}")
        SchemaTemplate.objects.update_or_create(
            name=TEMPLATE_SCHEMA,
            defaults={
                "script": snap["script"],
                "fingerprint": migrations_fingerprint(),
                "migration_count": len(expected_migrations()),
                "build_seconds": round(time.perf_counter() - started, 3),
            },
        )
    seconds = time.perf_counter() - started
    log.info("Template schema refreshed in %.2f s (%d statements)", seconds, snap["statements"])
    spares_fill()  # drops the spares of the old template, clones new ones
    return RefreshResult(True, seconds, snap["statements"], len(expected_migrations()))


def refresh_after_public_migrate(sender=None, schema_name: str = "", **kwargs) -> None:
    """django-tenants' ``schema_migrated`` receiver: once the public schema is migrated,
    rebuild the template if the migrations changed."""
    if schema_name != getattr(settings, "PUBLIC_SCHEMA_NAME", "public"):
        return
    if not getattr(settings, "TENANT_TEMPLATE_AUTO_REFRESH", True):
        return
    if connection.in_atomic_block:
        log.warning("Template schema not refreshed: migrate ran inside a transaction")
        return

    connection.set_schema_to_public()
    tables = set(connection.introspection.table_names())
    if not {SchemaTemplate._meta.db_table, SpareSchema._meta.db_table} <= tables:
        return  # migrated to a point before the template existed
    try:
        template_refresh(verbosity=0)
    except Exception:
        # Do not fail the whole migrate for it: until `template_schema_refresh` succeeds,
        # cooperative_create() runs the migrations itself and sign-ups wait (refused as
        # template_missing/stale, retried); `check --database default` warns.
        log.exception("Template schema could not be refreshed after migrate")
