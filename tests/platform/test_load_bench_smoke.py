"""Smoke run of bench/load_bench.py (3 cooperatives, a few seconds of locust against
gunicorn) so the harness never rots: it makes its own two databases, drops them at the
end, and must report every figure with no failed request."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_load_bench_smoke_run():
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    db = f"{url.rsplit('/', 1)[1]}_bench_load_smoke"
    env = dict(
        os.environ,
        BENCH_DB=db,
        BENCH_REDIS_URL=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
    )
    args = shlex.split(
        "--cooperatives 3 --big-members 30 --members 5 --users 4 --spawn-rate 4 "
        "--duration 10 --wait 0.5 --no-docs --drop"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", str(ROOT / "bench" / "load_bench.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
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
    # Its databases are gone.
    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", [f"{db}%"])
            assert cur.fetchone()[0] == 0
    finally:
        conn.close()
