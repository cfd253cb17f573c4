#!/usr/bin/env python
"""The request path under load: gunicorn as deployed, logged-in traffic to many
cooperatives from a second process (locust).

    .venv/bin/python bench/load_bench.py [--cooperatives 1000] [--users 50] [--duration 120]
        [--big-members 5000] [--members 20] [--wait 1] [--workers N] [--reuse-db]
        [--no-baseline] [--no-docs] [--drop] [--from-db DB] [--client fast|requests]

1. Prepares its database (BENCH_DB, default ``lumbung_bench_load``; dropped and made
   again unless --reuse-db, which keeps the cooperatives of an earlier run and adds the
   rest): ``--cooperatives`` cooperatives made the way sign-up makes them
   (``cooperative_create``: the template schema cloned, the seeders, the first admin),
   each with a realistic few (3 agencies, 3 staff, ``--members`` members, a loan for one
   member in three, 5 days of postings: bench/scale_bench.py's ``coop_data``), one of them
   the big one with ``--big-members`` members (and a loan for one in three). Each
   cooperative's admin gets a session; the queries of each page are counted on a small
   and on the big cooperative (the second request of each).
2. Starts gunicorn with deploy/gunicorn.conf.py on a free port against that database.
3. Runs locust headless in a second process (bench/load_locustfile.py): ``--users``
   users (a wait of ``--wait`` s ± 50 % between requests; 0: none) for ``--duration``
   seconds, each request to a cooperative chosen at random: the dashboard, the member
   list, the loan page, the trial balance, and the big cooperative's member list. Its HTTP
   client is locust's FastHttpUser (``--client requests``: HttpUser, python-requests,
   several times the CPU per request on the cores the server shares with it). Where the
   machine's CPU went during the run is printed: the cores busy, and the CPU seconds of
   gunicorn, every PostgreSQL process of the machine and locust (read every 0.25 s: a
   process that ends during the run counts up to its last reading), so run it with no
   other job.
4. Prints p50/p95/p99, failures and throughput; then the same with a database holding
   one cooperative (``<BENCH_DB>_one``: one small cooperative and the big one for the
   5,000-member list) for the throughput comparison (not with --no-baseline).

Targets (issue #20): p95 ≤ 250 ms, 0 errors, throughput within 1.5× of the one-cooperative
database. Writes its section of docs/benchmarks.md with ``uptime`` (not with --no-docs).
--drop drops the bench databases at the end (the smoke test's run). With $BENCH_TEMPLATE_DB
set (a migrated database: the smoke test's, made once per test run) the databases are
copies of it instead of being migrated from scratch.

``--from-db DB`` measures on an existing, migrated database instead (bench/scale_bench.py's
3,410 cooperatives, say): ``--cooperatives`` of its cooperatives at random plus the big
one, made there if missing; the database is neither dropped nor copied. With
``--members 0`` the baseline's small cooperative has the scale bench's data (50–500
members, a month of postings), so both sides hold cooperatives of the same kind.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from _common import (
    ROOT,
    TEMPLATE_HELP,
    CpuSampler,
    _admin_connection,
    bench_redis_url,
    ensure_database,
    free_port,
    fresh_database,
    machine_busy_s,
    postgres_procs,
    process_tree,
    project_pythonpath,
    server_url,
    template_database,
    write_docs_section,
)

BIN = Path(sys.executable).parent
PAGES = {
    "dashboard": "/",
    "member list": "/anggota/",
    "loan": "/pinjaman/{loan}/",
    "trial balance": "/buku-besar/laporan/neraca-saldo/",
}
SECTION = "## Request path under load"
SMALL_PREFIX = "beban-"
BIG_SLUG = "beban-besar"


def _env(db: str) -> dict:
    return dict(
        os.environ,
        DATABASE_URL=f"{server_url()}/{db}",
        REDIS_URL=bench_redis_url(13),
        DJANGO_SETTINGS_MODULE="lumbung.settings",
        DJANGO_DEBUG="false",
        PYTHONPATH=project_pythonpath(),
    )


# ------------------------------------------------------------------ 1. the database


def prepare(args) -> None:
    """In its own process (Django set up on ``args.db``): the cooperatives, their
    sessions, the query counts; the targets written to ``args.targets``."""
    os.environ.update(_env(args.db))
    sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
    copied = False  # from $BENCH_TEMPLATE_DB: migrated already
    t = time.perf_counter()
    if not args.existing and (not args.reuse_db or ensure_database(args.db)):
        copied = fresh_database(args.db)

    # Django is set up here, not at the top: each database (the many-cooperative one and
    # the one-cooperative baseline) is prepared in its own process.
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from scale_bench import coop_data

    from tenants.models import Cooperative
    from tenants.services import cooperative_create, public_tenant_ensure, tenant_host

    rng = random.Random(20)
    if args.existing:
        # Another bench's database, migrated and filled (bench/scale_bench.py): its own
        # cooperatives, ``--cooperatives`` - 1 of them chosen at random, and the big one.
        others = sorted(
            Cooperative.objects.exclude(schema_name="public")
            .exclude(slug=BIG_SLUG)
            .values_list("slug", flat=True)
        )
        if len(others) < args.cooperatives - 1:
            raise SystemExit(f"{args.db} holds {len(others)} cooperatives, fewer than asked")
        wanted = [BIG_SLUG] + rng.sample(others, args.cooperatives - 1)
        pool = len(others) + 1
    else:
        if copied:
            public_tenant_ensure()
            print(
                f"[{args.db}] copied from the migrated {template_database()} in "
                f"{time.perf_counter() - t:.1f} s",
                flush=True,
            )
        else:
            t = time.perf_counter()
            call_command("migrate_schemas", executor="standard", interactive=False, verbosity=0)
            public_tenant_ensure()
            print(f"[{args.db}] migrated in {time.perf_counter() - t:.1f} s", flush=True)
        wanted = [BIG_SLUG] + [f"{SMALL_PREFIX}{i:05d}" for i in range(args.cooperatives - 1)]
        pool = len(wanted)
    have = set(Cooperative.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    missing = [s for s in wanted if s not in have]
    started = time.perf_counter()
    for k, slug in enumerate(missing):
        coop = cooperative_create(
            slug=slug, name=f"KPRI {slug}", admin_email=f"admin@{slug}.test", actor="bench"
        ).cooperative
        connection.set_tenant(coop)
        try:
            if slug == BIG_SLUG:
                coop_data(rng, 0, members=args.big_members, days=30)
            elif args.members:
                coop_data(rng, k, members=args.members, days=5)
            else:  # as the scale bench makes them: 50-500 members, a month of postings
                coop_data(rng, k)
        finally:
            connection.set_schema_to_public()
            connection.close()  # the next clone on a new server connection (scale_bench)
        if (k + 1) % 50 == 0 or k + 1 == len(missing):
            print(
                f"[{args.db}] {len(have) + k + 1} cooperatives "
                f"({time.perf_counter() - started:.0f} s this run)",
                flush=True,
            )
    made_s = time.perf_counter() - started

    targets = []
    for coop in Cooperative.objects.filter(slug__in=wanted).order_by("pk"):
        host = tenant_host(coop.slug)
        connection.set_tenant(coop)
        try:
            targets.append({**_session(host), "big": coop.slug == BIG_SLUG})
        finally:
            connection.set_schema_to_public()
    counts = {
        "small": _query_counts(
            next(t for t in targets if not t["big"]) if len(targets) > 1 else None
        ),
        "big": _query_counts(next(t for t in targets if t["big"])),
    }
    Path(args.targets).write_text(
        json.dumps(
            {
                "targets": targets,
                "counts": counts,
                "made": len(missing),
                "made_s": made_s,
                "pool": pool,
            }
        )
    )


def _session(host: str) -> dict:
    """The admin's session (made as a login makes it) and a loan of the current schema."""
    from django.test import Client

    from core.loans.models import Loan
    from core.users.models import User

    client = Client(HTTP_HOST=host)
    client.force_login(User.objects.filter(role=User.Role.ADMIN).order_by("pk").first())
    loan = Loan.objects.order_by("pk").values_list("pk", flat=True).first()
    return {"host": host, "session": client.cookies["sessionid"].value, "loan": loan}


def _query_counts(target: dict | None) -> dict:
    """Queries of each page (its second request) for one cooperative's admin."""
    if target is None:
        return {}
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=target["host"])
    client.cookies["sessionid"] = target["session"]
    out = {}
    for name, path in PAGES.items():
        url = path.format(loan=target["loan"])
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(url).status_code
        out[name] = len(ctx) if status == 200 else f"HTTP {status}"
        connection.set_schema_to_public()
    return out


# ---------------------------------------------------------------- 2.–3. server, locust


def _wait_ready(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz")


def _ms(value: str) -> float:
    try:
        return float(value)
    except ValueError:  # "N/A": no request of that kind finished
        return 0.0


def _warm_up(url: str, targets: list[dict], workers: int) -> None:
    """Each gunicorn worker loads the app on its first requests (several seconds here):
    send every page a few times before measuring."""
    from concurrent.futures import ThreadPoolExecutor

    def get(i: int) -> None:
        target = targets[i % len(targets)]
        path = list(PAGES.values())[i % len(PAGES)].format(loan=target["loan"])
        request = urllib.request.Request(
            url + path,
            headers={"Host": target["host"], "Cookie": f"sessionid={target['session']}"},
        )
        with contextlib.suppress(OSError):  # counted by the measured run, if it persists
            urllib.request.urlopen(request, timeout=120).read()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, range(max(workers, 1) * 4 * len(PAGES))))


def _cpu_report(machine0, machine1, wall: float, *, server: float, pg: float, locust: float):
    """Where the machine's CPU went during the measured run."""
    return {
        "cores": psutil.cpu_count(),
        "busy_cores": machine_busy_s(machine0, machine1) / wall if wall else 0.0,
        "server_s": server,
        "postgres_s": pg,
        "locust_s": locust,
        "wall_s": wall,
    }


def run_load(db: str, targets_path: Path, args, out_dir: Path) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(db)
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", LOG_LEVEL="warning", LOG_JSON="false")
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    log = open(out_dir / f"gunicorn-{db}.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_ready(url, server)
        _warm_up(url, json.loads(targets_path.read_text()), args.workers or 5)
        prefix = out_dir / db
        load_at_start = os.getloadavg()[0]
        samplers = [CpuSampler(lambda: process_tree(server.pid)), CpuSampler(postgres_procs)]
        cpu0 = (
            psutil.cpu_times(),
            resource.getrusage(resource.RUSAGE_CHILDREN),  # locust is the one child reaped
        )
        for sampler in samplers:
            sampler.start()
        t = time.perf_counter()
        proc = subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "load_locustfile.py"),
                "--headless",
                "--only-summary",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.duration}s",
                "--stop-timeout",
                "10",
                "--host",
                url,
                "--csv",
                str(prefix),
            ],
            cwd=ROOT,
            env=dict(
                os.environ,
                LOAD_TARGETS=str(targets_path),
                LOAD_WAIT=str(args.wait),
                LOAD_CLIENT=args.client,
            ),
            capture_output=True,
            text=True,
            timeout=args.duration + 300,
        )
        wall = time.perf_counter() - t
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = _cpu_report(
            cpu0[0],
            psutil.cpu_times(),
            wall,
            server=samplers[0].stop(),
            pg=samplers[1].stop(),
            locust=children.ru_utime + children.ru_stime - cpu0[1].ru_utime - cpu0[1].ru_stime,
        )
        load_at_end = os.getloadavg()[0]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    stats = prefix.with_name(prefix.name + "_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust wrote no figures (exit {proc.returncode}):\n{proc.stderr}")
    rows = {}
    with open(stats) as fh:
        for row in csv.DictReader(fh):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": _ms(row["50%"]),
                "p95": _ms(row["95%"]),
                "p99": _ms(row["99%"]),
                "max": _ms(row["Max Response Time"]),
            }
    failures = []
    fail_csv = prefix.with_name(prefix.name + "_failures.csv")
    if fail_csv.exists():
        with open(fail_csv) as fh:
            failures = [
                f"{r['Occurrences']}× {r['Name']}: {r['Error']}" for r in csv.DictReader(fh)
            ]
    return {
        "rows": rows,
        "failures": failures,
        "wall": wall,
        "locust_exit": proc.returncode,
        "load": (load_at_start, load_at_end),
        "cpu": cpu,
    }


# ------------------------------------------------------------------------- 4. report


def _cpu_line(cpu: dict, agg: dict) -> str:
    """CPU seconds of the run by process, and per request."""
    n = max(agg["requests"], 1)
    parts = ", ".join(
        f"{label} {cpu[key]:.2f} s ({cpu[key] * 1000 / n:.1f} ms a request)"
        for label, key in (
            ("gunicorn", "server_s"),
            ("PostgreSQL", "postgres_s"),
            ("locust", "locust_s"),
        )
    )
    rest = cpu["busy_cores"] * cpu["wall_s"] - cpu["server_s"] - cpu["postgres_s"] - cpu["locust_s"]
    return (
        f"CPU over {cpu['wall_s']:.0f} s: machine {cpu['busy_cores']:.2f} of "
        f"{cpu['cores']} cores busy; {parts}; the rest {rest:.2f} s"
    )


def _line(label: str, r: dict) -> str:
    return (
        f"{label}: {r['requests']} requests, {r['failures']} failures, {r['rps']:.1f} req/s, "
        f"p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, p99 {r['p99']:.0f} ms"
    )


def scenario(
    db: str,
    n: int,
    args,
    out_dir: Path,
    *,
    reuse: bool,
    measure: bool = True,
    existing: bool = False,
) -> dict:
    targets = out_dir / f"{db}.json"
    cmd = [sys.executable, __file__, "--prepare", "--db", db, "--targets", str(targets)]
    cmd += ["--cooperatives", str(n), "--members", str(args.members)]
    cmd += ["--big-members", str(args.big_members)] + (["--reuse-db"] if reuse else [])
    cmd += ["--existing"] if existing else []
    subprocess.run(cmd, cwd=ROOT, env=_env(db), check=True)
    prepared = json.loads(targets.read_text())
    Path(targets).write_text(json.dumps(prepared["targets"]))
    print(f"[{db}] queries per page (second request): {prepared['counts']}", flush=True)
    if not measure:
        return {}
    result = run_load(db, targets, args, out_dir)
    result.update(n=len(prepared["targets"]), counts=prepared["counts"])
    result.update(made=prepared["made"], made_s=prepared["made_s"], pool=prepared["pool"])
    print(
        f"[{db}] load average (1 min) at the start of the run "
        f"{result['load'][0]:.1f}, at its end {result['load'][1]:.1f}",
        flush=True,
    )
    for name, row in result["rows"].items():
        print(f"[{db}] " + _line(name, row), flush=True)
    print(f"[{db}] " + _cpu_line(result["cpu"], result["rows"]["Aggregated"]), flush=True)
    for failure in result["failures"][:10]:
        print(f"[{db}] failure: {failure}", flush=True)
    return result


def _copy_database(*, source: str, target: str) -> None:
    conn = _admin_connection()
    with conn.cursor() as cur:
        for name in (source, target):
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )
        cur.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cur.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(epilog=TEMPLATE_HELP)
    parser.add_argument("--cooperatives", type=int, default=1000)
    parser.add_argument("--big-members", type=int, default=5000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=120)
    parser.add_argument("--wait", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument(
        "--client",
        choices=("fast", "requests"),
        default="fast",
        help="locust's HTTP client: fast (FastHttpUser, default) or requests (HttpUser)",
    )
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--drop", action="store_true")
    parser.add_argument(
        "--from-db",
        help="measure on this existing, migrated database (e.g. bench/scale_bench.py's): "
        "--cooperatives of its cooperatives at random plus the big one (made if missing); "
        "with --members 0 the baseline's small cooperative is made like the scale bench's",
    )
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--existing", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--targets", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args)
        return

    db = os.environ.get("BENCH_DB", "lumbung_bench_load")
    load_before = os.getloadavg()
    out_dir = Path(tempfile.mkdtemp(prefix="lumbung-load-bench-"))
    dbs = [db, f"{db}_one"]
    try:
        # The one-cooperative database first (migrated, the big cooperative and a small
        # one); the bench database starts as its copy (CREATE DATABASE … TEMPLATE), so
        # the migrations and the big cooperative are made once.
        one = scenario(dbs[-1], 2, args, out_dir, reuse=args.reuse_db, measure=not args.no_baseline)
        if args.from_db:
            dbs = [dbs[-1]]  # --drop never drops the other bench's database
            many = scenario(
                args.from_db, max(2, args.cooperatives), args, out_dir, reuse=True, existing=True
            )
        else:
            if not args.reuse_db or ensure_database(db):
                _copy_database(source=dbs[-1], target=db)
            many = scenario(db, max(2, args.cooperatives), args, out_dir, reuse=True)
    finally:
        if args.drop:
            conn = _admin_connection()
            with conn.cursor() as cur:
                for name in dbs:
                    cur.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                        [name],
                    )
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.close()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    agg = many["rows"]["Aggregated"]
    print(_line(f"all pages, {many['n']} cooperatives", agg), flush=True)
    ratio = None
    if one:
        base = one["rows"]["Aggregated"]
        print(_line("all pages, one cooperative", base), flush=True)
        ratio = base["rps"] / agg["rps"] if agg["rps"] else float("inf")
        print(f"throughput one cooperative / {many['n']}: {ratio:.2f}× (target ≤ 1.5×)")
    print(
        f"targets: p95 {agg['p95']:.0f} ms (≤ 250 ms: {'met' if agg['p95'] <= 250 else 'missed'}), "
        f"failures {agg['failures']} (0: {'met' if agg['failures'] == 0 else 'missed'})",
        flush=True,
    )
    print(f"uptime: {uptime}", flush=True)
    if not args.no_docs:
        write_docs(many=many, one=one, ratio=ratio, args=args, uptime=uptime, load=load_before)


def write_docs(*, many, one, ratio, args, uptime, load) -> None:
    def rows(result: dict) -> str:
        return "\n".join(
            f"| {name} | {r['requests']:,} | {r['failures']} | {r['rps']:.1f} | {r['p50']:.0f} | "
            f"{r['p95']:.0f} | {r['p99']:.0f} |"
            for name, r in result["rows"].items()
        )

    head = "| page | requests | failures | req/s | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|---:|"
    counts = "\n".join(
        f"| {page} | {many['counts']['small'].get(page, '—')} | {many['counts']['big'][page]} |"
        for page in PAGES
    )
    agg = many["rows"]["Aggregated"]
    workers = args.workers or min((os.cpu_count() or 1) * 2 + 1, 8)
    baseline = (
        f"""
Same pages, same load, on a database with one cooperative (and the 5,000-member one for
the member-list page); load average {one["load"][0]:.1f} → {one["load"][1]:.1f} during the run:

{head}
{rows(one)}

Throughput, one cooperative / {many["n"]:,}: **{ratio:.2f}×** (target ≤ 1.5×).
"""
        if one
        else ""
    )
    if args.from_db:
        made = (
            f"`{args.from_db}` (`--from-db`, made by `bench/scale_bench.py`): {many['n']:,} of "
            f"its {many['pool']:,} cooperatives chosen at random (each made as sign-up makes "
            "them, with 3 staff, 50–500 members, a loan for one member in three, a month of "
            f"postings) and one with {args.big_members:,} members"
        )
    else:
        made = (
            f"the bench database, {many['n']:,} cooperatives made as sign-up makes them (each "
            f"with 3 staff, {args.members} members, a loan for one member in three, 5 days of "
            f"postings; one with {args.big_members:,} members)"
        )
    text = f"""{SECTION}

`bench/load_bench.py --cooperatives {args.cooperatives} --users {args.users} --duration {args.duration} --wait {args.wait}{f" --from-db {args.from_db} --members {args.members}" if args.from_db else ""}`:
gunicorn with `deploy/gunicorn.conf.py` ({workers} workers × 4 threads)
on {made}, and locust in a second process on the same machine:
{args.users} logged-in users (wait {args.wait} s ± 50 % between requests), each request to
a cooperative chosen at random (dashboard, member list, loan page, trial balance) or the
big cooperative's member list. The host lookup of each request is cached
(`tenants.host_cache`). Machine: 2 cores shared with other work and with the load
generator; load average at the start {load[0]:.1f}; at the end `{uptime}`.

Load average {many["load"][0]:.1f} → {many["load"][1]:.1f} during the run. locust's
client: {"FastHttpUser" if args.client == "fast" else "HttpUser (python-requests)"}.
{_cpu_line(many["cpu"], agg)}.

{head}
{rows(many)}

p95 {agg["p95"]:.0f} ms (target ≤ 250 ms: {"met" if agg["p95"] <= 250 else "missed"}),
{agg["failures"]} failures (target 0: {"met" if agg["failures"] == 0 else "missed"}).
{baseline}
Queries per page (second request; `tests/platform/test_page_queries.py` holds that they do
not grow with the data):

| page | a small cooperative | the {args.big_members:,}-member cooperative |
|---|---:|---:|
{counts}
"""
    write_docs_section(SECTION, text)


if __name__ == "__main__":
    main()
