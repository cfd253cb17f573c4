#!/usr/bin/env python
"""The request path under load: gunicorn as deployed, locust in a second process.

    .venv/bin/python bench/load_bench.py [--cooperatives 20] [--users 50] [--seconds 60]
                                         [--port 8765] [--no-docs]

Uses its own database (BENCH_DB, default ``lumbung_bench_load``, re-created). Makes N
cooperatives the way sign-up does with the scale bench's data (``coop_data``: 50–500
members, a loan for one member in three, a month of postings), logs one bendahara in
per cooperative (a session made server-side, as ``Client.force_login`` does), starts
gunicorn with ``deploy/gunicorn.conf.py`` and runs ``locust --headless`` against it:
each request picks a cooperative at random and GETs its dashboard, member list, a loan
page or the trial balance. Prints p50/p95 per page and overall, req/s and errors, and
writes its section of docs/benchmarks.md with ``uptime`` (not with --no-docs). The load
generator shares the 2 cores with the server: the figures include that.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import recreate_database, server_url, write_docs_section

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent


def build(n: int) -> list[dict]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from scale_bench import make_cooperatives

    from core.loans.models import Loan
    from core.users.models import User
    from tenants.models import Cooperative
    from tenants.services import tenant_host

    make_cooperatives(n, random.Random(20))
    targets = []
    for coop in Cooperative.objects.exclude(schema_name="public").order_by("pk"):
        connection.set_tenant(coop)
        user = User.objects.get(username="bendahara@scale")
        client = Client()
        client.force_login(user)
        loan = Loan.objects.order_by("pk").values_list("pk", flat=True).first()
        targets.append(
            {
                "host": tenant_host(coop.slug),
                "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "loan": loan,
            }
        )
        connection.set_schema_to_public()
    return targets


def wait_up(url: str, host: str, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            req = urllib.request.Request(url, headers={"Host": host})
            urllib.request.urlopen(req, timeout=2)
            return
        except Exception:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cooperatives", type=int, default=20)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    db = os.environ.get("BENCH_DB", "lumbung_bench_load")
    env = dict(
        os.environ,
        DATABASE_URL=f"{server_url()}/{db}",
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        DJANGO_SETTINGS_MODULE="lumbung.settings",
        DJANGO_DEBUG="false",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
    )
    os.environ.update(env)
    sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
    recreate_database(db)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from tenants.services import public_tenant_ensure

    t = time.perf_counter()
    call_command("migrate_schemas", executor="standard", interactive=False, verbosity=0)
    public_tenant_ensure()
    targets = build(args.cooperatives)
    print(f"{len(targets)} cooperatives ready in {time.perf_counter() - t:.0f} s", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="load_bench_"))
    (tmp / "targets.json").write_text(
        json.dumps({"targets": targets, "cookie_name": settings.SESSION_COOKIE_NAME})
    )
    genv = dict(env, GUNICORN_BIND=f"127.0.0.1:{args.port}")
    log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115 (closed after the run)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
        + ["lumbung.wsgi:application"],
        cwd=ROOT,
        env=genv,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_up(f"http://127.0.0.1:{args.port}/masuk/", targets[0]["host"])
        load_before = os.getloadavg()
        proc = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(BENCH / "load_bench_locustfile.py")]
            + ["--headless", "-u", str(args.users), "-r", str(max(1, args.users // 5))]
            + ["-t", f"{args.seconds}s", "--host", f"http://127.0.0.1:{args.port}"]
            + ["--csv", str(tmp / "out"), "--only-summary"],
            env=dict(env, LOAD_TARGETS=str(tmp / "targets.json")),
            capture_output=True,
            text=True,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    with open(tmp / "out_stats.csv") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise SystemExit(proc.stdout + proc.stderr)
    workers = subprocess.run(
        [
            sys.executable,
            "-c",
            "exec(open('deploy/gunicorn.conf.py').read()); print(workers, threads)",
        ],
        cwd=ROOT,
        env=genv,
        capture_output=True,
        text=True,
    ).stdout.split()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"{len(targets)} cooperatives, {args.users} users for {args.seconds} s; gunicorn "
        f"workers={workers[0] if workers else '?'} threads={workers[1] if workers else '?'}; "
        f"load before {load_before[0]:.2f}",
        "",
        "| page | requests | errors | p50 ms | p95 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['Name']} | {r['Request Count']} | {r['Failure Count']} | "
            f"{r['50%']} | {r['95%']} | {float(r['Requests/s']):.1f} |"
        )
    lines += ["", f"uptime: {uptime}"]
    text = "\n".join(lines)
    print(text)
    agg = rows[-1]
    print(
        f"overall: p50 {agg['50%']} ms, p95 {agg['95%']} ms, "
        f"{float(agg['Requests/s']):.1f} req/s, {agg['Failure Count']} errors"
    )
    if not args.no_docs:
        heading = "## Request path under load (bench/load_bench.py)"
        write_docs_section(
            heading,
            heading + "\n\nLogged-in GETs of the dashboard, member list, a loan page and the trial "
            "balance of cooperatives chosen at random, gunicorn with deploy/gunicorn.conf.py, "
            "locust in a second process on the same 2 cores.\n\n" + text,
        )


if __name__ == "__main__":
    main()
