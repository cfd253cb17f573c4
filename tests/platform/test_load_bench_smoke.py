"""Smoke run of bench/load_bench.py (3 cooperatives, a few seconds of locust against
gunicorn) so the harness never rots: it makes its own two databases, drops them at the
end, and must report every figure with no failed request. A second run measures on the
first run's database (``--from-db``, as on the scale bench's) with locust's other HTTP
client (``--client requests``) and must leave it alone."""

import os
import re
import shlex

import psycopg2
import pytest

from tests.bench_run import bench_run, bench_template_db, databases_drop


def _run(env: dict, args: str) -> str:
    return bench_run("load_bench.py", *shlex.split(args), env=env, timeout=1200)


def _databases(url: str, prefix: str) -> set[str]:
    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"])
            return {row[0] for row in cur.fetchall()}
    finally:
        conn.close()


def _assert_cpu_counted(out: str, db: str) -> None:
    """The run's CPU is reported, and each of the three kinds of process used some."""
    m = re.search(
        rf"\[{db}\] CPU over \d+ s: machine ([\d.]+) of \d+ cores busy; "
        r"gunicorn ([\d.]+) s .*PostgreSQL ([\d.]+) s .*locust ([\d.]+) s",
        out,
    )
    assert m, out
    assert all(float(x) > 0 for x in m.groups()), out


@pytest.mark.slow
def test_load_bench_smoke_run():
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    db = f"{url.rsplit('/', 1)[1]}_bench_load_smoke"
    env = dict(
        os.environ,
        BENCH_DB=db,
        BENCH_REDIS_URL=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13",
        BENCH_TEMPLATE_DB=bench_template_db(),  # migrated once per test run
    )
    try:
        out = _run(
            env,
            "--cooperatives 3 --big-members 30 --members 5 --users 4 --spawn-rate 4 "
            "--duration 10 --wait 0.5 --no-docs",
        )
        for line in (
            f"[{db}_one] queries per page (second request):",
            f"[{db}] queries per page (second request):",
            "all pages, 3 cooperatives: ",
            "all pages, one cooperative: ",
            "throughput one cooperative / 3: ",
            "targets: p95 ",
            "uptime:",
        ):
            assert line in out, out
        for label in ("3 cooperatives", "one cooperative"):
            m = re.search(rf"all pages, {label}: (\d+) requests, (\d+) failures", out)
            assert m and int(m.group(1)) > 0 and int(m.group(2)) == 0, out
        pages = re.findall(rf"\[{db}(?:_one)?\] ([\w ,()]+): \d+ requests, (\d+) failures", out)
        assert {"dashboard", "Aggregated"} <= {name for name, _ in pages}, out
        assert all(failures == "0" for _, failures in pages), out
        _assert_cpu_counted(out, db)

        # --from-db: two of that database's cooperatives (the big one and one at random),
        # nothing made there, and --drop drops only this run's own baseline database.
        other = f"{db}_from"
        out = _run(
            dict(env, BENCH_DB=other),
            f"--from-db {db} --cooperatives 2 --big-members 30 --members 0 --users 2 "
            "--spawn-rate 2 --duration 5 --wait 0.5 --no-baseline --no-docs --drop "
            "--client requests",
        )
        assert f"[{db}] queries per page (second request):" in out, out
        assert f"[{db}] 2 cooperatives" not in out, out  # none made: the big one is there
        m = re.search(r"all pages, 2 cooperatives: (\d+) requests, (\d+) failures", out)
        assert m and int(m.group(1)) > 0 and int(m.group(2)) == 0, out
        _assert_cpu_counted(out, db)
        assert _databases(url, db) == {db, f"{db}_one"}
    finally:
        databases_drop(url, _databases(url, db))
    assert _databases(url, db) == set()
