"""What the benchmarks share (bench/_common.py) and the one figure that reads a server view
whose columns changed between PostgreSQL versions: each must work on the machine the test
command runs on, including a newcomer's (an embedded PostgreSQL 18, a Redis started on
another port)."""

import sys
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import _common
import scale_bench


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BENCH_REDIS_URL": "redis://cache:6380/9"}, "redis://cache:6380/9"),
        ({"REDIS_URL": "redis://127.0.0.1:6390/4"}, "redis://127.0.0.1:6390/13"),
        (
            {"REDIS_URL": "redis://:secret@redis.internal:6379/0"},
            "redis://:secret@redis.internal:6379/13",
        ),
        ({}, "redis://127.0.0.1:6379/13"),
    ],
)
def test_a_benchmark_uses_its_own_database_on_the_redis_server_in_use(monkeypatch, env, expected):
    for key in ("BENCH_REDIS_URL", "REDIS_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert _common.bench_redis_url(13) == expected
    assert _common.manage_subprocess_env(13)["REDIS_URL"] == expected


@pytest.mark.django_db
def test_backend_memory_reads_the_catalog_caches_on_this_server():
    # PostgreSQL 18 dropped pg_backend_memory_contexts.parent (the scale bench failed there)
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_class LIMIT 1")  # the caches hold something
        mem = scale_bench._backend_memory(cur.cursor)
    assert mem["total"] > mem["cache"] > 0
