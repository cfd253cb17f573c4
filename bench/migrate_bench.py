#!/usr/bin/env python
"""Bulk migration of many cooperatives: nothing to apply, and one new nullable column.

    .venv/bin/python bench/migrate_bench.py [--tenants 200] [--processes 2] [--reuse-db]
                                            [--skip-old-column] [--no-docs]

Uses its own database (BENCH_DB, default ``lumbung_bench_migrate``, dropped and
re-created unless --reuse-db; the server is that of $DATABASE_URL, else 127.0.0.1:5432;
with $BENCH_TEMPLATE_DB set, made as a copy of that migrated database instead).
Cooperatives are cloned from the template schema (a row, a domain and a full schema, no
seeders), so the catalog is that of N real cooperatives. It measures, each as its own
``manage.py`` process (start-up included, as in a deploy):

- no-op, old path: django-tenants' ``migrate_schemas --tenant --executor=multiprocessing``
  (``MIGRATE_PROCESSES`` = --processes), which opens every schema;
- no-op, new path: ``migrate_all_tenants --processes P``, which reads every schema's
  migration records in one query and opens none; and the plan alone, in-process;
- one new nullable column on ``members_member``: a throw-away migration applied by
  ``migrate_all_tenants``, then (unless --skip-old-column) undone and applied again by
  the old path. The source tree is not touched: the members migrations are copied into
  a temporary package with the extra migration, and the commands run with settings that
  point ``MIGRATION_MODULES["members"]`` at it; the column and its records are dropped
  at the end.

Writes its section of docs/benchmarks.md (not with --no-docs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    ROOT,
    django_setup,
    ensure_database,
    fresh_database,
    manage_subprocess_env,
    write_docs_section,
)

DB = django_setup("lumbung_bench_migrate", env=manage_subprocess_env())

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from lumbung.console.migrate import migration_plan, tenant_schemas
from tenants.models import Cooperative, Domain
from tenants.schema_template import qi, schema_clone
from tenants.services import public_tenant_ensure, schema_name_for, tenant_host

SECTION = "## Migrations: many cooperatives"
COLUMN = "bench_throwaway"
MIGRATION = "9999_bench_throwaway_column"
MIGRATIONS_DIR = ROOT / "core" / "members" / "migrations"


def _manage(args: list[str], env: dict) -> float:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds


def _migrations_package(tmp: Path, leaf: str) -> dict:
    """A copy of the members migrations plus the throw-away one, and the settings module
    that uses it; returns the environment for the commands that should see it."""
    pkg = tmp / "bench_members_migrations"
    pkg.mkdir()
    for src in MIGRATIONS_DIR.glob("*.py"):
        (pkg / src.name).write_text(src.read_text())
    (pkg / f"{MIGRATION}.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('members', '{leaf}')]\n"
        "    operations = [\n"
        f"        migrations.AddField('member', '{COLUMN}', "
        "models.TextField(null=True, blank=True)),\n"
        "    ]\n"
    )
    (tmp / "bench_migrate_settings.py").write_text(
        "from lumbung.settings import *  # noqa: F403\n\n"
        "MIGRATION_MODULES = {'members': 'bench_members_migrations'}\n"
    )
    return {
        "DJANGO_SETTINGS_MODULE": "bench_migrate_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp), os.environ["PYTHONPATH"]]),
    }


def _undo_column(schemas: list[str]) -> None:
    """Drop the throw-away column and its records from every schema (one connection)."""
    with connection.cursor() as cur:
        for schema in schemas:
            cur.execute(f"ALTER TABLE {qi(schema)}.members_member DROP COLUMN IF EXISTS {COLUMN}")
            cur.execute(
                f"DELETE FROM {qi(schema)}.django_migrations WHERE app = 'members' AND name = %s",
                [MIGRATION],
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument("--skip-old-column", action="store_true")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    db = DB
    env = dict(os.environ, MIGRATE_PROCESSES=str(args.processes))
    os.environ.update(env)
    settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = args.processes  # as MIGRATE_PROCESSES does
    fresh = not args.reuse_db or ensure_database(db)
    copied = fresh and fresh_database(db)  # $BENCH_TEMPLATE_DB: a migrated copy
    print(f"database {db}; migrating (builds the template schema too)…", flush=True)

    if fresh and not copied:
        call_command("migrate_schemas", executor="standard", interactive=False, verbosity=0)
    else:  # the cooperatives are the bench's own, cloned from an earlier template
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    schemas = tenant_schemas()
    _undo_column(schemas)  # a killed earlier run (with --reuse-db)
    t = time.perf_counter()
    for i in range(len(schemas), args.tenants):
        slug = f"mig-{i:04d}"
        with transaction.atomic():
            coop = Cooperative(
                slug=slug,
                name=f"KPRI Migrasi {i}",
                schema_name=schema_name_for(slug),
                status=Cooperative.Status.ACTIVE,
            )
            coop.auto_create_schema = False
            coop.save()
            schema_clone(target=coop.schema_name, use_spare=False)
            Domain.objects.create(domain=tenant_host(slug), tenant=coop, is_primary=True)
        if (i + 1) % 100 == 0:
            print(f"  {i + 1} cooperatives", flush=True)
    schemas = tenant_schemas()
    n = len(schemas)
    print(f"{n} cooperatives ({time.perf_counter() - t:.1f} s to clone)", flush=True)

    figures: dict[str, float] = {}
    new_cmd = ["migrate_all_tenants", "--processes", str(args.processes), "--no-template"]
    old_cmd = ["migrate_schemas", "--tenant", "--executor=multiprocessing", "--noinput"]
    figures["noop_new"] = _manage(new_cmd, env)
    print(f"no-op, migrate_all_tenants: {figures['noop_new']:.2f} s", flush=True)
    plan = migration_plan(schemas)
    assert not plan.pending, plan.pending
    figures["plan"] = plan.seconds
    print(f"  of which the plan over {n} schemas: {plan.seconds:.3f} s", flush=True)
    figures["noop_old"] = _manage(old_cmd, env)
    print(f"no-op, migrate_schemas --tenant: {figures['noop_old']:.2f} s", flush=True)

    (leaf,) = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes("members")
    tmp = Path(tempfile.mkdtemp(prefix="lumbung-bench-migrate-"))
    try:
        column_env = {**env, **_migrations_package(tmp, leaf[1])}
        figures["column_new"] = _manage(new_cmd, column_env)
        print(f"new column, migrate_all_tenants: {figures['column_new']:.2f} s", flush=True)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_name = 'members_member' AND column_name = %s",
                [COLUMN],
            )
            added = cur.fetchone()[0]
        assert added >= n, f"the column reached {added} of {n} schemas"
        if not args.skip_old_column:
            _undo_column(schemas)
            figures["column_old"] = _manage(old_cmd, column_env)
            print(f"new column, migrate_schemas --tenant: {figures['column_old']:.2f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _undo_column(schemas)
    if not args.no_docs:
        write_docs(figures, n=n, processes=args.processes)


def write_docs(f: dict[str, float], *, n: int, processes: int) -> None:
    def row(label: str, key: str, fixed: float = 0.0) -> str:
        """``fixed``: the part that does not grow with the number of cooperatives."""
        if key not in f:
            return f"| {label} | — | — | — | — |"
        per = (f[key] - fixed) / n
        at = [fixed + per * size for size in (1000, 3410)]
        return (
            f"| {label} | {f[key]:.1f} s | {per * 1000:.1f} ms | ≈{at[0]:.0f} s | ≈{at[1]:.0f} s |"
        )

    load = os.getloadavg()[0]
    startup = f.get("noop_new", 0.0) - f.get("plan", 0.0)
    text = f"""{SECTION}

`bench/migrate_bench.py --tenants {n} --processes {processes}`: {n} cooperatives cloned
from the template, each command a separate `manage.py` process (start-up included, as in
a deploy); load average {load:.1f} on 2 cores shared with other work. Projections are
linear in the number of cooperatives, except that the new no-op's fixed part (process
start-up and reading the migration files, everything but the plan query) is counted once.

| over {n} cooperatives | seconds | per cooperative | at 1,000 | at 3,410 |
|---|---:|---:|---:|---:|
{row("no-op, `migrate_schemas --tenant --executor=multiprocessing` (old)", "noop_old")}
{row("no-op, `migrate_all_tenants` (new: nothing opened)", "noop_new", startup)}
{row("of which the plan: every schema's `django_migrations` in one query", "plan")}
{row("one new nullable column, `migrate_schemas --tenant` (old)", "column_old")}
{row("one new nullable column, `migrate_all_tenants`", "column_new")}

The no-op cost of `migrate_all_tenants` is Django's start-up plus reading the migration
files and one query; it does not open any schema. A pending pure-schema migration (the
new column) takes the fast path: the statements Django sends to one schema are recorded
and replayed to the others (`lumbung.console.fastpath`; `--no-fast-path` compared in
`bench/scale_bench.py`'s section).
"""
    write_docs_section(SECTION, text)


if __name__ == "__main__":
    main()
