#!/usr/bin/env python
"""Many cooperatives on one PostgreSQL: migrations, provisioning, catalog size, memory.

    .venv/bin/python bench/scale_bench.py [--cooperatives 100] [--processes 2] [--reuse-db]
                                          [--no-docs] [--fast-only] [--scenarios column,index]
                                          [--make-processes 2] [--measure-last 30]

Uses its own database (BENCH_DB, default ``lumbung_bench_scale``, dropped and re-created
unless --reuse-db, which keeps the cooperatives made by an earlier run and adds the rest:
100 first, then 1,000). Each cooperative is made the way sign-up makes it
(``cooperative_create``: the template schema cloned, the seeders, the first admin) and
then given realistic small data: 3 agencies, 3 staff users, 50–500 members, a loan with
its schedule for one member in three (one opening journal entry) and a month of postings
(30 journal entries).

Measured, each migration command as its own ``manage.py`` process (start-up included, as
in a deploy):

- no-op ``migrate_all_tenants``;
- one new nullable column, one new index (``AddIndex``), a data migration updating every
  member row (``RunPython``), and a trigger function with its trigger and a backfill of
  every member row (``RunSQL``, replayed): each applied by ``migrate_all_tenants`` (the
  fast path where it applies) and, after undoing it, by ``migrate_all_tenants --no-fast-path
  --plain-executor`` (django-tenants' ``migrate_schemas`` per schema; skipped with --fast-only, when time is short: the
  executor's cost per schema does not depend on N). The throw-away migrations live in a temporary copy of
  the members migrations (``MIGRATION_MODULES``); the source tree is not touched;
- provisioning: ``cooperative_create`` time for the cooperatives made in this run, with
  the number that existed before each;
- catalog size: ``pg_class`` rows, database size, ``pg_dump -n`` of one cooperative
  (seconds and bytes);
- memory of one backend after serving 100 different cooperatives (a few typical reads
  in each): ``pg_backend_memory_contexts`` and, when the server runs on this machine,
  the backend's RSS.

With ``--make-processes K`` the cooperatives are made by K processes side by side (the
machine's cores in use; their times are not reported), except the last ``--measure-last``
(30), made one by one and timed: the provisioning figures at N existing.
``--scenarios column,index`` runs only those migration scenarios (the RunPython one goes
through Django's executor, with the states shared: ≈ 0.15 s per cooperative at 200, two
processes; the ``--plain-executor`` run costs more per cooperative as the catalogue grows).

Writes its section (one per N) of docs/benchmarks.md, with ``uptime`` (not with --no-docs).

With $BENCH_TEMPLATE_DB set (a migrated database: the smoke test's, made once per test run)
the database is a copy of it instead of being migrated from scratch.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from _common import (
    ROOT,
    TEMPLATE_HELP,
    django_setup,
    ensure_database,
    fresh_database,
    manage_subprocess_env,
    pct,
    server_url,
    template_database,
    write_docs_section,
)

DB = django_setup("lumbung_bench_scale", env=manage_subprocess_env())

import psycopg2
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.ledger.services.fiscal import books_start
from core.loans import schedules as S
from core.loans.models import Instalment, Loan, LoanProduct
from core.members.models import Agency, Member
from core.users.models import User
from lumbung.console.migrate import migration_plan, tenant_schemas
from tenants.schema_template import qi
from tenants.services import cooperative_create, public_tenant_ensure, schema_name_for

MIGRATIONS_DIR = ROOT / "core" / "members" / "migrations"
MIGRATION = "9999_scale_bench"

SCENARIOS = {
    "column": (
        "one new nullable column",
        "migrations.AddField('member', 'scale_bench_col', models.TextField(null=True, blank=True))",
        "ALTER TABLE members_member DROP COLUMN IF EXISTS scale_bench_col",
    ),
    "index": (
        "one new index",
        "migrations.AddIndex('member', models.Index(fields=['join_date', 'full_name'], "
        "name='scale_bench_idx'))",
        "DROP INDEX IF EXISTS scale_bench_idx",
    ),
    "data": (
        "a data migration updating every member (RunPython)",
        "migrations.RunPython(touch, migrations.RunPython.noop)",
        "",
    ),
    "sql": (
        "a trigger function, its trigger and a backfill of every member (RunSQL)",
        "migrations.RunSQL(SQL, migrations.RunSQL.noop)",
        "DROP TRIGGER IF EXISTS scale_bench_trg ON members_member; "
        "DROP FUNCTION IF EXISTS scale_bench_fn()",
    ),
}
SQL_SCENARIO = '''SQL = """
CREATE OR REPLACE FUNCTION scale_bench_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.full_name := btrim(NEW.full_name);
  RETURN NEW;
END $$;
CREATE TRIGGER scale_bench_trg BEFORE INSERT OR UPDATE OF full_name ON members_member
  FOR EACH ROW EXECUTE FUNCTION scale_bench_fn();
UPDATE members_member SET full_name = full_name;
"""


'''
DATA_FUNCTION = (
    "def touch(apps, schema_editor):\n"
    "    from django.db.models import F\n"
    "    apps.get_model('members', 'Member').objects.update(updated_at=F('updated_at'))\n\n\n"
)


# ---------------------------------------------------------------------------- the data


def coop_data(
    rng: random.Random, i: int, *, members: int | None = None, days: int = 30, tenor: int = 24
) -> dict:
    """Fill the current cooperative's schema with a small, realistic amount of data:
    ``members`` members (default 50–500 at random), a loan of ``tenor`` months for one
    member in three, ``days`` days of postings."""
    today = timezone.localdate()  # the cooperative's today, as the postings check it
    agencies = Agency.objects.bulk_create(
        [Agency(code=f"INST{k}", name=f"Instansi {k}") for k in range(3)]
    )
    staff = []
    for role in ("petugas", "ketua", "bendahara"):
        user = User(username=f"{role}@scale", role=role)
        user.set_unusable_password()
        staff.append(user)
    staff = User.objects.bulk_create(staff)
    n = members if members is not None else rng.randint(50, 500)
    members = Member.objects.bulk_create(
        [
            Member(
                number=f"A{k:05d}",
                full_name=f"Anggota {i}-{k}",
                nip=f"{198001012005011000 + k:018d}",
                nik=f"{6201010101800000 + k:016d}",
                agency=agencies[k % 3],
                join_date=date(2015 + k % 10, 1 + k % 12, 1),
                take_home_pay=Decimal(3_000_000 + 10_000 * (k % 200)),
            )
            for k in range(n)
        ],
        batch_size=1000,
    )
    product = LoanProduct.objects.filter(method="flat").order_by("pk").first()
    loans, plans = [], []
    for k, member in enumerate(members[::3]):
        first_due = S.add_months(today.replace(day=1), 1)
        principal = Decimal(5_000_000 + (k % 10) * 1_000_000)
        plans.append(
            S.build_schedule(
                method="flat",
                principal=principal,
                rate=S.monthly_rate(Decimal("1"), "month"),
                tenor=tenor,
                first_due=first_due,
            )
        )
        loans.append(
            Loan(
                number=f"PJ-{k:06d}",
                member=member,
                product=product,
                status=Loan.Status.DISBURSED,
                principal=principal,
                tenor=tenor,
                method="flat",
                rate=Decimal("1"),
                rate_period="month",
                applied_on=today - timedelta(days=20),
                applied_by=staff[0],
                verified_by=staff[2],
                approved_by=staff[1],
                disbursed_on=today - timedelta(days=20),
                disbursed_by=staff[2],
                net_disbursed=principal,
                first_due_date=first_due,
                principal_outstanding=principal,
            )
        )
    if loans:
        entry = journal_post(
            on=today - timedelta(days=20),
            description="Saldo awal pinjaman",
            lines=[
                *[
                    LineSpec(
                        account=account_for_role("loan_receivable"),
                        debit=ln.principal,
                        member_id=ln.member_id,
                    )
                    for ln in loans
                ],
                LineSpec(
                    account=account_for_role("bank"),
                    credit=sum((ln.principal for ln in loans), Decimal(0)),
                ),
            ],
            source="opening",
            source_ref="scale-loans",
            by=staff[2],
        )
        for ln in loans:
            ln.disbursement_entry = entry
        Loan.objects.bulk_create(loans)
        Instalment.objects.bulk_create(
            Instalment(
                loan=ln, number=r.number, due_date=r.due_date, principal=r.principal, jasa=r.jasa
            )
            for ln, plan in zip(loans, plans, strict=True)
            for r in plan.rows
        )
    cash, bank = account_for_role("cash"), account_for_role("bank")
    # ``days`` postings, one a day back from today, but none before the books start
    # (early in a year, days back would reach the year before the first fiscal year,
    # which only opening balances may open): there they wrap round to today.
    first = max(today - timedelta(days=days - 1), books_start())
    span = (today - first).days + 1
    for day in range(days):
        amount = Decimal(100_000 * (1 + rng.randint(0, 50)))
        journal_post(
            on=today - timedelta(days=day % span),
            description=f"Setoran kas ke bank hari ke-{day}",
            lines=[LineSpec(bank, debit=amount), LineSpec(cash, credit=amount)],
            by=staff[2],
        )
    return {"members": n, "loans": len(loans)}


def _slug(i: int) -> str:
    return f"skala-{i:05d}"


def make_cooperatives(
    target: int, *, part: tuple[int, int] = (0, 1), upto: int | None = None
) -> dict:
    """Create the cooperatives ``skala-00000`` … up to ``target`` that do not exist yet
    (as sign-up does), with their data; with ``part=(k, K)`` only those whose number is k
    modulo K (one of K processes making them side by side) and with ``upto`` only the
    numbers below it. Returns the provisioning times [(number, seconds)] and the data
    totals. Each cooperative's data comes from its own seeded generator, so a cooperative
    is the same whichever process made it."""
    have = set(tenant_schemas())
    k, parts = part
    wanted = [
        i
        for i in range(min(target, upto) if upto is not None else target)
        if i % parts == k and schema_name_for(_slug(i)) not in have
    ]
    made: list[tuple[int, float]] = []
    members = loans = 0
    started = time.perf_counter()
    for done, i in enumerate(wanted, start=1):
        slug = _slug(i)
        t = time.perf_counter()
        coop = cooperative_create(
            slug=slug, name=f"KPRI Skala {i}", admin_email=f"admin@{slug}.test", actor="bench"
        ).cooperative
        made.append((i, time.perf_counter() - t))
        connection.set_tenant(coop)
        try:
            counts = coop_data(random.Random(i), i)
        finally:
            connection.set_schema_to_public()
            # A new server connection for the next one, as a worker that recycles its
            # connections (DB_CONN_MAX_AGE) and as sign-up's task does
            # (tenants.connections): a backend that has touched hundreds of schemas
            # carries their catalogue caches, and every DDL statement of the next clone
            # pays for invalidating them (the clone script: 0.26 s on a fresh
            # connection, 3-4 s on this one after 250 cooperatives).
            connection.close()
        members += counts["members"]
        loans += counts["loans"]
        if done % 50 == 0 or done == len(wanted):
            print(
                f"  [{k + 1}/{parts}] {done} of {len(wanted)} made, up to skala-{i:05d} "
                f"({time.perf_counter() - started:.0f} s this run)",
                flush=True,
            )
    return {"made": made, "members": members, "loans": loans}


def make_in_parallel(target: int, processes: int, env: dict) -> dict:
    """Make the missing cooperatives below ``target`` with ``processes`` processes side by
    side (their provisioning times are not reported: they share the cores)."""
    tmp = Path(tempfile.mkdtemp(prefix="lumbung-scale-make-"))
    reports = [tmp / f"part-{k}.json" for k in range(processes)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--make-part", f"{k}/{processes}"]
            + ["--make-report", str(reports[k]), "--cooperatives", str(target)],
            env=env,
        )
        for k in range(processes)
    ]
    failed = [proc.wait() for proc in procs]
    if any(failed):
        raise SystemExit(f"a maker process failed: exit statuses {failed}")
    parts = [json.loads(path.read_text()) for path in reports]
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "made": [],
        "members": sum(p["members"] for p in parts),
        "loans": sum(p["loans"] for p in parts),
    }


# ------------------------------------------------------------------------- migrations


def _manage(args: list[str], env: dict) -> tuple[float, str]:
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
    return seconds, proc.stdout


def _package(tmp: Path, key: str, leaf: str, env: dict) -> dict:
    pkg_name = f"scale_members_{key}"
    pkg = tmp / pkg_name
    pkg.mkdir()
    for src in MIGRATIONS_DIR.glob("*.py"):
        (pkg / src.name).write_text(src.read_text())
    _label, operation, _undo = SCENARIOS[key]
    (pkg / f"{MIGRATION}.py").write_text(
        "from django.db import migrations, models\n\n\n"
        + (DATA_FUNCTION if key == "data" else "")
        + (SQL_SCENARIO if key == "sql" else "")
        + "class Migration(migrations.Migration):\n"
        f"    dependencies = [('members', '{leaf}')]\n"
        f"    operations = [{operation}]\n"
    )
    (tmp / f"scale_settings_{key}.py").write_text(
        "from lumbung.settings import *  # noqa: F403\n\n"
        f"MIGRATION_MODULES = {{'members': '{pkg_name}'}}\n"
    )
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": f"scale_settings_{key}",
        "PYTHONPATH": os.pathsep.join([str(tmp), env["PYTHONPATH"]]),
    }


def _undo(key: str, schemas: list[str]) -> None:
    undo = SCENARIOS[key][2]
    with connection.cursor() as cur:
        for schema in schemas:
            cur.execute("SELECT set_config('search_path', %s, false)", [qi(schema)])
            if undo:
                cur.execute(undo)
            cur.execute(
                "DELETE FROM django_migrations WHERE app = 'members' AND name = %s", [MIGRATION]
            )
    connection.close()  # its search_path was changed behind django-tenants' back


def _applied_count(schemas: list[str]) -> int:
    with connection.cursor() as cur:
        cur.execute(
            " + ".join(
                f"(SELECT count(*) FROM {qi(s)}.django_migrations "
                f"WHERE app = 'members' AND name = %s)"
                for s in schemas
            ).join(["SELECT ", ""]),
            [MIGRATION] * len(schemas),
        )
        return cur.fetchone()[0]


def bench_migrations(
    env: dict,
    processes: int,
    schemas: list[str],
    *,
    fast_only: bool = False,
    scenarios: list[str] | tuple[str, ...] = tuple(SCENARIOS),
) -> dict:
    out: dict = {}
    base = ["migrate_all_tenants", "--processes", str(processes), "--no-template"]
    out["noop"], _ = _manage(base, env)
    out["plan"] = migration_plan(schemas).seconds
    print(f"no-op migrate_all_tenants: {out['noop']:.2f} s (plan {out['plan']:.3f} s)", flush=True)
    (leaf,) = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes("members")
    tmp = Path(tempfile.mkdtemp(prefix="lumbung-scale-bench-"))
    try:
        for key in scenarios:
            _undo(key, schemas)
            scenario_env = _package(tmp, key, leaf[1], env)
            seconds, stdout = _manage(base, scenario_env)
            fast = re.search(r"Jalur cepat \(.*\): (\d+) skema", stdout)
            out[f"{key}_fast"] = seconds
            out[f"{key}_fast_n"] = int(fast.group(1)) if fast else 0
            print(
                f"{key}, migrate_all_tenants: {seconds:.2f} s "
                f"({out[f'{key}_fast_n']} schemas by the fast path)",
                flush=True,
            )
            applied = _applied_count(schemas)
            assert applied == len(schemas), f"{key}: applied in {applied} of {len(schemas)}"
            _undo(key, schemas)
            if fast_only:
                out[f"{key}_normal"] = None
                continue
            seconds, _ = _manage([*base, "--no-fast-path", "--plain-executor"], scenario_env)
            out[f"{key}_normal"] = seconds
            print(
                f"{key}, migrate_all_tenants --no-fast-path --plain-executor: {seconds:.2f} s",
                flush=True,
            )
            _undo(key, schemas)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ------------------------------------------------------------------- catalog and memory


def catalog_size(db: str, schema: str) -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_class")
        relations = cur.fetchone()[0]
        cur.execute("SELECT pg_database_size(current_database())")
        size = cur.fetchone()[0]
    url = server_url()
    t = time.perf_counter()
    proc = subprocess.run(
        [os.environ.get("PG_DUMP", "pg_dump"), "-d", f"{url}/{db}", "-n", schema],
        capture_output=True,
    )
    dump_s = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"pg_dump failed: {proc.stderr.decode()[-2000:]}")
    return {
        "relations": relations,
        "db_bytes": size,
        "dump_s": dump_s,
        "dump_bytes": len(proc.stdout),
    }


# The backend's memory contexts in all, and the catalog caches: CacheMemoryContext and the
# contexts directly under it. PostgreSQL 18 names a context's parent by its place in
# ``path`` (the ids from the top context down to the context itself; ``level`` counts from 1)
# instead of the ``parent`` column of earlier versions; the ids hold within one read of the
# view, so the cache's id and level are taken in the same scan.
_MEMORY_SQL = {
    "parent": (
        "SELECT sum(total_bytes), sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext' "
        "OR parent = 'CacheMemoryContext') FROM pg_backend_memory_contexts"
    ),
    "path": (
        "SELECT sum(total_bytes), sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext' "
        "OR (level = cache_level + 1 AND path[cache_level] = cache_id)) "
        "FROM (SELECT name, level, path, total_bytes, "
        "max(level) FILTER (WHERE name = 'CacheMemoryContext') OVER () AS cache_level, "
        "max(path[level]) FILTER (WHERE name = 'CacheMemoryContext') OVER () AS cache_id "
        "FROM pg_backend_memory_contexts) c"
    ),
}


def _backend_memory(cur) -> dict:
    cur.execute(_MEMORY_SQL["path" if cur.connection.server_version >= 180000 else "parent"])
    total, cache = cur.fetchone()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    rss = None
    try:  # only when the server runs on this machine (and we may read its /proc)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {"total": int(total or 0), "cache": int(cache or 0), "rss_anon": rss}


def backend_memory(db: str, schemas: list[str]) -> dict:
    """One fresh server connection serves ``schemas`` in turn (a few typical reads each)."""
    conn = psycopg2.connect(f"{server_url()}/{db}")
    conn.autocommit = True
    reads = [
        "SELECT count(*) FROM members_member",
        "SELECT id, number, full_name FROM members_member ORDER BY number LIMIT 20",
        "SELECT l.number, m.full_name, l.principal_outstanding FROM loans_loan l "
        "JOIN members_member m ON m.id = l.member_id ORDER BY l.id LIMIT 20",
        "SELECT a.code, sum(jl.debit), sum(jl.credit) FROM ledger_journalline jl "
        "JOIN ledger_account a ON a.id = jl.account_id GROUP BY a.code",
        "SELECT count(*) FROM loans_instalment WHERE due_date <= current_date + 31",
    ]
    with conn.cursor() as cur:
        out = {}
        for k, schema in enumerate(schemas):
            cur.execute(f"SET search_path = {qi(schema)}, public")
            for sql in reads:
                cur.execute(sql)
                cur.fetchall()
            if k == 0:
                out["after_1"] = _backend_memory(cur)
        out[f"after_{len(schemas)}"] = _backend_memory(cur)
    conn.close()
    return out


# ------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(epilog=TEMPLATE_HELP)
    parser.add_argument("--cooperatives", type=int, default=100)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--fast-only", action="store_true", help="skip the --no-fast-path runs")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated migration scenarios to run (default: all of %(default)s)",
    )
    parser.add_argument(
        "--make-processes",
        type=int,
        default=1,
        help="make the cooperatives with this many processes side by side, all but the "
        "last --measure-last, which are made one by one and timed (default 1: all timed)",
    )
    parser.add_argument("--measure-last", type=int, default=30)
    parser.add_argument("--make-part", help=argparse.SUPPRESS)
    parser.add_argument("--make-report", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_part:  # one of --make-processes' processes
        k, parts = (int(x) for x in args.make_part.split("/"))
        out = make_cooperatives(args.cooperatives, part=(k, parts))
        Path(args.make_report).write_text(json.dumps({**out, "made": len(out["made"])}))
        return
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; known: {list(SCENARIOS)}")

    db = DB
    env = dict(os.environ, MIGRATE_PROCESSES=str(args.processes))
    os.environ.update(env)
    settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = args.processes  # as MIGRATE_PROCESSES does
    fresh = not args.reuse_db or ensure_database(db)
    if fresh and fresh_database(db):  # a copy of $BENCH_TEMPLATE_DB: migrated already
        fresh = False
        print(f"database {db} copied from the migrated {template_database()}", flush=True)
    load_before = os.getloadavg()
    print(f"database {db}; migrating (builds the template schema too)…", flush=True)

    t = time.perf_counter()
    # Reusing a database: its cooperatives are current (this bench's own migrations are
    # undone after each scenario); only the public schema is checked, not thousands.
    call_command(
        "migrate_schemas", executor="standard", interactive=False, verbosity=0, shared=not fresh
    )
    public_tenant_ensure()
    print(f"migrated in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    n_before = len(tenant_schemas())
    if args.make_processes > 1:
        early = max(0, args.cooperatives - args.measure_last)
        before = make_in_parallel(early, args.make_processes, env)
        print(f"{early} cooperatives ready ({time.perf_counter() - t:.0f} s)", flush=True)
        made = make_cooperatives(args.cooperatives)
        made["members"] += before["members"]
        made["loans"] += before["loans"]
    else:
        made = make_cooperatives(args.cooperatives)
    schemas = tenant_schemas()
    n = len(schemas)
    create_s = time.perf_counter() - t
    print(
        f"{n} cooperatives ({n - n_before} made in {create_s:.1f} s, "
        f"{len(made['made'])} of them one by one and timed)",
        flush=True,
    )
    prov = [s for _, s in made["made"]]
    if prov:
        tail = prov[-max(1, len(prov) // 10) :]
        print(
            f"provisioning (cooperative_create): p50 {pct(prov, 50):.2f} s, p90 "
            f"{pct(prov, 90):.2f} s; last {len(tail)} (at ≈{n} existing): p50 "
            f"{pct(tail, 50):.2f} s",
            flush=True,
        )

    figures = bench_migrations(
        env, args.processes, schemas, fast_only=args.fast_only, scenarios=scenarios
    )
    cat = catalog_size(db, schemas[len(schemas) // 2])
    print(
        f"catalog: {cat['relations']} pg_class rows, database {cat['db_bytes'] / 2**20:.0f} MB, "
        f"pg_dump -n one cooperative {cat['dump_s']:.2f} s, {cat['dump_bytes'] / 1024:.0f} KB",
        flush=True,
    )
    mem = backend_memory(db, schemas[:100])
    for key, m in mem.items():
        rss = f", RssAnon {m['rss_anon'] / 2**20:.1f} MB" if m["rss_anon"] else ""
        print(
            f"backend memory {key.replace('_', ' ')} cooperatives: contexts "
            f"{m['total'] / 2**20:.1f} MB (catalog caches {m['cache'] / 2**20:.1f} MB){rss}",
            flush=True,
        )
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"uptime: {uptime}", flush=True)
    if not args.no_docs:
        write_docs(
            n=n,
            processes=args.processes,
            made=made,
            prov=prov,
            figures=figures,
            cat=cat,
            mem=mem,
            uptime=uptime,
            load_before=load_before,
        )


def write_docs(*, n, processes, made, prov, figures, cat, mem, uptime, load_before) -> None:
    section = f"## Scale: {n:,} cooperatives on one PostgreSQL"

    def mig_row(key: str) -> str:
        label = SCENARIOS[key][0]
        if f"{key}_fast" not in figures:
            return f"| {label} | not run (--scenarios) | — | — |"
        fast, normal = figures[f"{key}_fast"], figures[f"{key}_normal"]
        if normal is None:
            return (
                f"| {label} | {fast:.1f} s ({figures[f'{key}_fast_n']} by the fast path) | "
                "not run (--fast-only) | — |"
            )
        return (
            f"| {label} | {fast:.1f} s ({figures[f'{key}_fast_n']} by the fast path) | "
            f"{normal:.1f} s | {normal / fast:.1f}× |"
        )

    tail = prov[-max(1, len(prov) // 10) :] if prov else []
    prov_text = (
        f"{len(prov)} made in this run: p50 {pct(prov, 50):.2f} s, p90 {pct(prov, 90):.2f} s, "
        f"max {max(prov):.2f} s; the last {len(tail)} (with ≈{n - len(tail)}–{n} existing): "
        f"p50 {pct(tail, 50):.2f} s"
        if prov
        else "none made in this run (--reuse-db)"
    )

    def mb(value) -> str:
        return f"{value / 2**20:.1f} MB" if value else "—"

    mem_rows = "\n".join(
        f"| after {key.split('_')[1]} cooperative(s) | {mb(m['total'])} | {mb(m['cache'])} | "
        f"{mb(m['rss_anon'])} |"
        for key, m in mem.items()
    )
    text = f"""{section}

`bench/scale_bench.py --cooperatives {n} --processes {processes}`: {n} cooperatives made as
sign-up makes them (template clone, seeders, first admin), each with 3 agencies, 3 staff,
50–500 members ({made["members"]:,} members and {made["loans"]:,} loans made in this run),
a loan for one member in three and a month of postings. Each migration command is its own
`manage.py` process (start-up included). Machine: 2 cores shared with other work; load
average at the start {load_before[0]:.1f}; at the end `{uptime}`.

| over {n} cooperatives | `migrate_all_tenants` | `--no-fast-path --plain-executor` (`migrate_schemas` per schema) | ratio |
|---|---:|---:|---:|
| nothing to apply | {figures["noop"]:.1f} s (plan query {figures["plan"]:.2f} s) | — | — |
{mig_row("column")}
{mig_row("index")}
{mig_row("data")}
{mig_row("sql")}

A RunPython migration is not replayed: it goes through Django's executor, with the project
states built once per process and `django_migrations` found by one look-up
(`lumbung.console.executor`); the right-hand column runs django-tenants' `migrate_schemas`
for each schema instead. A RunSQL migration is replayed like the schema operations.

Provisioning (`cooperative_create`, sign-up's path): {prov_text}.

Catalog: {cat["relations"]:,} `pg_class` rows; database {cat["db_bytes"] / 2**20:,.0f} MB;
`pg_dump -n` of one cooperative {cat["dump_s"]:.2f} s, {cat["dump_bytes"] / 1024:,.0f} KB.

One server connection serving cooperatives in turn (five typical reads in each):

| backend | memory contexts | of which catalog caches | RssAnon |
|---|---:|---:|---:|
{mem_rows}
"""
    write_docs_section(section, text)


if __name__ == "__main__":
    main()
