"""Smoke run of bench/backup_bench.py against the test database (read-only there) so the
harness never rots: with a committed cooperative it must back one up alone and in
groups, and print every figure."""

import os

import pytest
from django.db import connection

from tests.bench_run import bench_run


@pytest.mark.slow
def test_backup_bench_smoke_run(scratch_tenant):
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    env = dict(os.environ, BENCH_DB=connection.settings_dict["NAME"], DATABASE_URL=server)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = bench_run("backup_bench.py", "--groups", "1,2", "--no-docs", env=env, timeout=600)
    assert " cooperatives, " in out and " pg_class rows" in out
    assert out.count("single: ") == 1
    assert "group of 1: " in out and " s each, " in out
    assert "SQL equals the single dump's" in out and "DIFFERS" not in out
    assert "load average" in out
