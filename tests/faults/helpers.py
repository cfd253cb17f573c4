"""Fault injection against the real services: a PostgreSQL backend terminated from another
connection, a private redis-server stopped and started, a Celery worker killed.

Each fault test records what it injected with ``record_fault`` (a junit-xml property read
by ``manage.py reliability_report``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_connection():
    """A psycopg2 connection of its own to the test database (autocommit)."""
    conn = psycopg2.connect(**connection.get_connection_params())
    conn.autocommit = True
    return conn


def backend_pid() -> int:
    """The PostgreSQL backend of Django's connection in this thread."""
    connection.ensure_connection()
    return connection.connection.get_backend_pid()


def kill_backend(pid: int) -> None:
    """``pg_terminate_backend(pid)`` from another connection. The backend ends at once
    (logged ``terminating connection due to administrator command``); the caller's next
    statement on that connection fails. (Its row may stay in pg_stat_activity a while
    after a big aborted transaction, while it cleans up: not waited for.)"""
    with raw_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cur.fetchone()[0], f"backend {pid} not terminated"
    time.sleep(0.1)


def reconnect() -> None:
    """Drop Django's (dead) connection; the next query opens a new one."""
    connection.close()
    connection.set_schema_to_public()


def record_fault(record_property, name: str) -> None:
    record_property("fault", name)


class RedisServer:
    """A redis-server of its own on a free port, stopped and started by the test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="lumbung-redis-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a Celery worker subprocess on this session's test database."""
    from django.conf import settings

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DATABASE_URL=f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
        DJANGO_SETTINGS_MODULE="lumbung.settings",
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    env.update(extra)
    return env
