"""What every benchmark in bench/ shares: Django set up on its own database on the
developer's server, percentiles, and replacing its own section of docs/benchmarks.md.

Benchmarks run as scripts (`.venv/bin/python bench/<name>.py`), so this folder is on
sys.path and they import this module as `_common`. A benchmark calls ``django_setup``
right after its standard-library imports and imports Django and the project below that
call (hence E402 is off for bench/ in pyproject.toml)."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import django
import psutil
import psycopg2
import psycopg2.errors
from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"


def server_url() -> str:
    """$DATABASE_URL without its database name (default: the server on 127.0.0.1)."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    return base.rsplit("/", 1)[0]


def bench_redis_url(db: int) -> str:
    """The Redis a benchmark uses: $BENCH_REDIS_URL, else database ``db`` of the Redis server
    of $REDIS_URL (under ``make test`` the one the test command uses, which it starts itself
    where none listens on 6379), else of 127.0.0.1:6379. A database of its own, so that no
    other Celery worker picks up the benchmark's tasks."""
    if os.environ.get("BENCH_REDIS_URL"):
        return os.environ["BENCH_REDIS_URL"]
    server = urllib.parse.urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379")
    return urllib.parse.urlunsplit((server.scheme, server.netloc, f"/{db}", "", ""))


def project_pythonpath() -> str:
    """PYTHONPATH for a benchmark's subprocesses (gunicorn, Celery, ``manage.py``): the
    project, then the caller's own entries (under a fake clock the shim of
    ``tests/tools/faketime_site`` must reach them: without it ``time.sleep`` fails with
    EINVAL and gunicorn's arbiter dies spawning its workers)."""
    path = [str(ROOT), str(ROOT / "platform")]
    own = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join(path + [p for p in own if p not in path])


def manage_subprocess_env(redis_db: int = 13) -> dict[str, str]:
    """The environment a benchmark's ``manage.py`` subprocesses need besides the database
    (pass it as ``django_setup``'s ``env``): Redis (``bench_redis_url(redis_db)``), the
    project's settings without debug, and the project on PYTHONPATH."""
    return {
        "REDIS_URL": bench_redis_url(redis_db),
        "DJANGO_SETTINGS_MODULE": "lumbung.settings",
        "DJANGO_DEBUG": "false",
        "PYTHONPATH": project_pythonpath(),
    }


def django_setup(
    default_db: str, *, env: dict[str, str] | None = None, defaults: dict[str, str] | None = None
) -> str:
    """Point Django at the benchmark's own database (``$BENCH_DB``, else ``default_db``) on
    the server of $DATABASE_URL, set ``env`` (and ``defaults`` where unset), then
    ``django.setup()``. Returns the database's name. It does not create the database: Django
    connects only when first used, after the benchmark has made it. Where Django is already
    set up (a test importing the benchmark), it changes nothing."""
    db = os.environ.get("BENCH_DB", default_db)
    if apps.ready:
        return db
    sys.path[:0] = [p for p in (str(ROOT), str(ROOT / "platform")) if p not in sys.path]
    os.environ["DATABASE_URL"] = f"{server_url()}/{db}"
    os.environ.update(env or {})
    for key, value in {"DJANGO_SETTINGS_MODULE": "lumbung.settings", **(defaults or {})}.items():
        os.environ.setdefault(key, value)
    django.setup()
    return db


class CpuSampler(threading.Thread):
    """CPU seconds (user + system) used by a set of processes (``procs()``, called at
    each reading) from ``start()`` to ``stop()``: each process's CPU read every ``every``
    s, so one that ends during the run (a PostgreSQL backend closed after
    DB_CONN_MAX_AGE) counts up to its last reading, and one that starts counts whole."""

    def __init__(self, procs, every: float = 0.25):
        super().__init__(daemon=True)
        self.procs, self.every = procs, every
        self.first: dict[tuple[int, float], float] = {}
        self.last: dict[tuple[int, float], float] = {}
        self._done = threading.Event()
        self._read(first=True)

    def _read(self, *, first: bool = False) -> None:
        for proc in self.procs():
            with contextlib.suppress(psutil.Error):
                t = proc.cpu_times()
                key = (proc.pid, proc.create_time())
                self.last[key] = t.user + t.system
                self.first.setdefault(key, self.last[key] if first else 0.0)

    def run(self) -> None:
        while not self._done.wait(self.every):
            self._read()

    def stop(self) -> float:
        self._done.set()
        self.join()
        self._read()
        return sum(cpu - self.first[key] for key, cpu in self.last.items())


def process_tree(pid: int) -> list:
    """The process ``pid`` and all its descendants (empty once it has ended)."""
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    return []


def postgres_procs() -> list:
    """Every PostgreSQL process of the machine (the server on 127.0.0.1 is the only one a
    benchmark here uses; CPU read from them is the bench's only when nothing else runs)."""
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]


def postgres_backends(db: str) -> list:
    """The PostgreSQL backends connected to database ``db`` (their process title names it):
    a benchmark's own server CPU on a machine where other jobs use the same server."""
    out = []
    for p in psutil.process_iter(["name", "cmdline"]):
        title = " ".join(p.info["cmdline"] or [])  # "postgres: 15/main: user db host idle"
        if p.info["name"] == "postgres" and f" {db} " in title:
            out.append(p)
    return out


def machine_busy_s(times0, times1) -> float:
    """CPU seconds the whole machine spent busy between two ``psutil.cpu_times()``."""
    # every field but idle and iowait; guest time is already in user time
    fields = [f for f in times1._fields if f not in ("idle", "iowait", "guest", "guest_nice")]
    return sum(getattr(times1, f) - getattr(times0, f) for f in fields)


def _admin_connection():
    conn = psycopg2.connect(f"{server_url()}/postgres")
    conn.autocommit = True
    return conn


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a server the benchmark starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_exists(name: str) -> bool:
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cur.fetchone() is not None
    conn.close()
    return found


def ensure_database(name: str) -> bool:
    """Create the database if missing (a copy of $BENCH_TEMPLATE_DB when set, see
    ``fresh_database``); True when it was created."""
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cur.fetchone() is not None
        if not exists and not template_database():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    if not exists and template_database():
        copy_database(source=template_database(), target=name)
    return not exists


def recreate_database(name: str) -> None:
    """Drop (ending its sessions) and create the database."""
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


TEMPLATE_ENV = "BENCH_TEMPLATE_DB"
TEMPLATE_HELP = (
    f"${TEMPLATE_ENV}: when set, the bench's database is made as a copy of that migrated "
    "database (CREATE DATABASE … TEMPLATE; the test run's shared one) instead of being "
    "created empty and migrated from scratch"
)


def template_database() -> str | None:
    """$BENCH_TEMPLATE_DB: a migrated database (``migrate_schemas --executor standard`` on
    an empty one, nothing else) to copy instead of migrating from scratch."""
    return os.environ.get(TEMPLATE_ENV) or None


def copy_database(*, source: str, target: str, attempts: int = 60) -> None:
    """Drop ``target`` (ending its sessions) and create it as a copy of ``source``.
    PostgreSQL refuses the copy while a session is open on ``source`` (another copy of it
    starting at the same moment, autovacuum): tried again every 0.5 s meanwhile."""
    conn = _admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [target],
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{target}"')
            for attempt in range(attempts):
                try:
                    cur.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
                    return
                except psycopg2.errors.ObjectInUse:
                    if attempt == attempts - 1:
                        raise
                    time.sleep(0.5)
    finally:
        conn.close()


def fresh_database(name: str) -> bool:
    """Drop and make the database ``name`` again: a copy of $BENCH_TEMPLATE_DB when set
    (True: already migrated), else empty (False: the bench migrates it)."""
    template = template_database()
    if template:
        copy_database(source=template, target=name)
        return True
    recreate_database(name)
    return False


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def write_docs_section(section: str, text: str) -> None:
    """Replace the section headed ``section`` in docs/benchmarks.md with ``text`` (which
    starts with that heading), or append it; other sections are left as they are."""
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    # the heading as a whole line: "## … 20 agencies" is also the start of "## … 20 agencies,
    # wajib accounts 120 months old"
    start = current.find(section + "\n")
    if start == -1:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        nxt = current.find("\n## ", start + len(section))
        new = current[:start] + text + ("\n" + current[nxt + 1 :] if nxt != -1 else "")
    DOCS.write_text(new)
    print(f"wrote {DOCS.relative_to(ROOT)}")
