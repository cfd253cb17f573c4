#!/usr/bin/env python
"""What one request of each load-bench page costs on a warm process: wall and CPU time
of this (the Django) process, the number of queries and the time spent in them.

    BENCH_DB=lumbung_bench_load .venv/bin/python bench/page_cost.py [--n 30]
        [--profile PAGE | --queries PAGE | --rotate] [--pg-cpu [--fresh]] [--conn-max-age 0]

Runs on a database prepared by bench/load_bench.py (its cooperatives ``beban-*``; the
big one ``beban-besar``), with the production settings of its server
(``DJANGO_SETTINGS_MODULE=lumbung.settings``, ``DEBUG`` false). Each request goes
through Django's WSGI handler as gunicorn calls it (``request_started`` and
``request_finished`` included: with ``DB_CONN_MAX_AGE=0`` each request opens its own
database connection, as under gunicorn). For each page: a few requests to warm up, then
``--n`` timed ones; the median and p90 are printed (and the CPU's 10th percentile: on a
shared machine the least disturbed requests). ``--profile PAGE`` prints cProfile's
top functions for that page (cumulative time) instead, ``--queries PAGE`` each query's
time and SQL. ``--rotate`` requests each page on every small cooperative over one kept
connection, first with schemas new to the server process (as when many cooperatives share
it), then again.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time

import psutil

sys.path[:0] = [os.path.dirname(__file__)]
from load_bench import BIG_SLUG, PAGES, SMALL_PREFIX, _env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--profile", help="page name to profile (e.g. dashboard)")
    parser.add_argument("--queries", help="page name whose queries to print (ms, sql)")
    parser.add_argument("--conn-max-age", default=None, help="DB_CONN_MAX_AGE for this run")
    parser.add_argument(
        "--pg-cpu",
        action="store_true",
        help="also the CPU of the PostgreSQL server process of each request (read from "
        "/proc: the server on this machine); keeps the connection (DB_CONN_MAX_AGE=600) "
        "and with --fresh opens a new one for each request, as DB_CONN_MAX_AGE=0 does",
    )
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--rotate",
        action="store_true",
        help="one kept connection, each page requested once on every small cooperative "
        "(its schema new to the server process: as with many cooperatives), then once "
        "more on each (seen before)",
    )
    args = parser.parse_args()

    db = os.environ.get("BENCH_DB", "lumbung_bench_load")
    os.environ.update(_env(db))
    if args.conn_max_age is not None:
        os.environ["DB_CONN_MAX_AGE"] = args.conn_max_age
    if args.pg_cpu or args.rotate:
        os.environ["DB_CONN_MAX_AGE"] = "600"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:0] = [root, os.path.join(root, "platform")]

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from tenants.models import Cooperative
    from tenants.services import tenant_host

    sys.path[:0] = [os.path.dirname(__file__)]
    from load_bench import _session

    def target(slug: str) -> dict:
        coop = Cooperative.objects.get(slug=slug)
        connection.set_tenant(coop)
        try:
            return _session(tenant_host(coop.slug))
        finally:
            connection.set_schema_to_public()

    small_slug = (
        Cooperative.objects.filter(slug__startswith=SMALL_PREFIX)
        .exclude(slug=BIG_SLUG)
        .order_by("slug")
        .values_list("slug", flat=True)
        .first()
    )
    small, big = target(small_slug), target(BIG_SLUG)
    connection.close()
    pages = [(name, small, path.format(loan=small["loan"])) for name, path in PAGES.items()]
    pages.append(("member list (big)", big, "/anggota/"))

    handler = WSGIHandler()
    queries = {"n": 0, "s": 0.0}

    def timing(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries["n"] += 1
            queries["s"] += time.perf_counter() - t
            queries.setdefault("log", []).append((time.perf_counter() - t, sql))

    def request(t: dict, path: str) -> int:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": t["host"],
            "HTTP_COOKIE": f"sessionid={t['session']}",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status = []
        response = handler(environ, lambda s, h, exc_info=None: status.append(s))
        try:
            for _chunk in response:
                pass
        finally:
            response.close()  # request_finished: the connection closed (max age 0)
        return int(status[0].split()[0])

    def pg_cpu_s() -> float:
        """utime + stime of this connection's server process, in seconds."""
        t = psutil.Process(connection.connection.get_backend_pid()).cpu_times()
        return t.user + t.system

    if args.rotate:
        rotate(args, request, timing, queries, connection, target)
        return
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)
    print(
        f"{'page':<22} {'wall ms':>8} {'p90':>6} {'cpu ms':>7} {'cpu p10':>7} {'queries':>7} "
        f"{'sql ms':>7}" + (f" {'pg cpu ms':>9}" if args.pg_cpu else "")
    )
    for name, t, path in pages:
        if (args.profile or args.queries) and name not in (args.profile, args.queries):
            continue
        for _ in range(args.warm):
            code = request(t, path)
            if code != 200:
                raise SystemExit(f"{name}: HTTP {code}")
        if args.queries:
            with connection.execute_wrapper(timing):
                for _ in range(args.n):
                    queries["log"] = []
                    request(t, path)
            for seconds, sql in queries["log"]:
                print(f"{seconds * 1000:7.2f}  {sql[:300]}")
            continue
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.n):
                request(t, path)
            prof.disable()
            if os.environ.get("PAGE_COST_PSTATS"):
                prof.dump_stats(os.environ["PAGE_COST_PSTATS"])
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(70)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(40)
            print(out.getvalue())
            continue
        wall, cpu, nq, sq, pg = [], [], [], [], []
        with connection.execute_wrapper(timing):
            for _ in range(args.n):
                queries.update(n=0, s=0.0)
                if args.fresh:
                    connection.close()
                pg_before = 0.0
                if args.pg_cpu and not args.fresh:
                    connection.ensure_connection()
                    pg_before = pg_cpu_s()
                w, c = time.perf_counter(), time.process_time()
                request(t, path)
                wall.append((time.perf_counter() - w) * 1000)
                cpu.append((time.process_time() - c) * 1000)
                if args.pg_cpu:
                    pg.append((pg_cpu_s() - pg_before) * 1000)
                nq.append(queries["n"])
                sq.append(queries["s"] * 1000)
        p90 = sorted(wall)[int(len(wall) * 0.9) - 1]
        print(
            f"{name:<22} {statistics.median(wall):8.1f} {p90:6.1f} "
            f"{statistics.median(cpu):7.1f} {sorted(cpu)[len(cpu) // 10]:7.1f} "
            f"{statistics.median(nq):7.0f} "
            f"{statistics.median(sq):7.1f}"
            + (f" {statistics.mean(pg):9.1f}" if args.pg_cpu else ""),
            flush=True,
        )
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)


def rotate(args, request, timing, queries, connection, target) -> None:
    """Each page on every small cooperative with one kept connection: first a schema the
    server process has not seen, then again once it has."""
    from tenants.models import Cooperative

    slugs = list(
        Cooperative.objects.filter(slug__startswith=SMALL_PREFIX)
        .exclude(slug=BIG_SLUG)
        .order_by("slug")
        .values_list("slug", flat=True)
    )
    targets = [target(slug) for slug in slugs]
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)
    print(f"{len(targets)} cooperatives, one kept connection; medians")
    print(f"{'page':<16} {'schema':<6} {'wall ms':>8} {'sql ms':>7}")
    for name, path in PAGES.items():
        connection.close()  # a new server process for each page: none of the schemas seen
        for label in ("new", "seen"):
            wall, sq = [], []
            with connection.execute_wrapper(timing):
                for t in targets:
                    queries.update(n=0, s=0.0)
                    w = time.perf_counter()
                    code = request(t, path.format(loan=t["loan"]))
                    if code != 200:
                        raise SystemExit(f"{name}: HTTP {code}")
                    wall.append((time.perf_counter() - w) * 1000)
                    sq.append(queries["s"] * 1000)
            print(
                f"{name:<16} {label:<6} {statistics.median(wall):8.1f} "
                f"{statistics.median(sq):7.1f}",
                flush=True,
            )
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)


if __name__ == "__main__":
    main()
