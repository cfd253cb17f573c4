"""`lumbung-dev`: find or start PostgreSQL and Redis, then run the demo or the tests.

    lumbung-dev demo   migrate, seed the demo cooperative, serve on :8000 (+ a Celery worker)
    lumbung-dev test   lint, checks and the whole test suite against real PostgreSQL + Redis
    lumbung-dev env    print the DATABASE_URL / REDIS_URL it would use

PostgreSQL: $DATABASE_URL if set; else a server on 127.0.0.1:5432 if one answers; else an
embedded PostgreSQL (the `pgserver` package) started under .data/pgserver.
Redis: $REDIS_URL if set; else 127.0.0.1:6379 if it answers; else a `redis-server` binary
started on 127.0.0.1:6390; else (demo only) Celery tasks run in-process with a warning.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".data"
PY = sys.executable
_keep_alive: list = []  # servers we started; they stop when this process exits


def _say(msg: str) -> None:
    print(f"[lumbung-dev] {msg}", flush=True)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _ensure_database(url: str, dbname: str) -> None:
    import psycopg2

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{dbname}"')
    conn.close()


def find_postgres(dbname: str = "lumbung") -> str:
    if os.environ.get("DATABASE_URL"):
        _say("PostgreSQL: using $DATABASE_URL")
        return os.environ["DATABASE_URL"]
    if _port_open("127.0.0.1", 5432):
        url = f"postgres://postgres@127.0.0.1:5432/{dbname}"
        try:
            _ensure_database(url, dbname)
            _say("PostgreSQL: using the server on 127.0.0.1:5432")
            return url
        except Exception as exc:
            _say(f"PostgreSQL on 127.0.0.1:5432 refused us ({exc}); starting an embedded one")
    import pgserver

    pgdata = DATA / "pgserver"
    pgdata.mkdir(parents=True, exist_ok=True)
    srv = pgserver.get_server(pgdata, cleanup_mode="stop")
    _keep_alive.append(srv)
    url = f"postgres://postgres@{quote(str(pgdata), safe='')}/{dbname}"
    _ensure_database(url, dbname)
    _say(f"PostgreSQL: embedded server in {pgdata}")
    return url


def find_redis(*, required: bool) -> str:
    if "REDIS_URL" in os.environ:
        _say("Redis: using $REDIS_URL")
        return os.environ["REDIS_URL"]
    if _port_open("127.0.0.1", 6379):
        _say("Redis: using the server on 127.0.0.1:6379")
        return "redis://127.0.0.1:6379/0"
    binary = shutil.which("redis-server")
    if binary:
        port = 6390
        if not _port_open("127.0.0.1", port):
            DATA.mkdir(exist_ok=True)
            proc = subprocess.Popen(
                [
                    binary,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(DATA),
                ],
                stdout=subprocess.DEVNULL,
            )
            _keep_alive.append(proc)
            for _ in range(50):
                if _port_open("127.0.0.1", port):
                    break
                time.sleep(0.1)
        _say(f"Redis: started redis-server on 127.0.0.1:{port}")
        return f"redis://127.0.0.1:{port}/0"
    if required:
        sys.exit(
            "[lumbung-dev] The tests need Redis: set REDIS_URL, start one on "
            "127.0.0.1:6379, or install redis-server (apt-get install redis-server)."
        )
    _say("WARNING: no Redis found; Celery tasks will run in-process (eager).")
    return ""


def _run(args: list[str], env: dict) -> None:
    _say("$ " + " ".join(args))
    rc = subprocess.call(args, cwd=ROOT, env=env)
    if rc != 0:
        sys.exit(rc)


def _manage(*args: str) -> list[str]:
    return [PY, str(ROOT / "manage.py"), *args]


def cmd_env() -> None:
    print(f"DATABASE_URL={find_postgres()}")
    print(f"REDIS_URL={find_redis(required=False)}")


def cmd_demo() -> None:
    env = dict(
        os.environ, DATABASE_URL=find_postgres("lumbung"), REDIS_URL=find_redis(required=False)
    )
    _run(_manage("migrate_schemas", "--executor=standard"), env)
    _run(_manage("compilemessages", "--ignore=.venv"), env) if shutil.which("msgfmt") else None
    _run(_manage("seed_demo"), env)
    procs = []
    if env["REDIS_URL"]:
        procs.append(
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "celery",
                    "-A",
                    "lumbung",
                    "worker",
                    "-B",
                    "--loglevel=INFO",
                    "--concurrency=2",
                    "-s",
                    str(DATA / "celerybeat-schedule"),
                ],
                cwd=ROOT,
                env=env,
            )
        )
    addr = os.environ.get("LUMBUNG_ADDR", "0.0.0.0:8000")
    _say(f"Serving on http://demo.localhost:{addr.rsplit(':', 1)[1]}/ (Ctrl-C to stop)")
    web = subprocess.Popen(_manage("runserver", addr), cwd=ROOT, env=env)
    procs.append(web)
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def cmd_test(extra: list[str]) -> None:
    env = dict(
        os.environ,
        DATABASE_URL=find_postgres("lumbung_test"),
        REDIS_URL=find_redis(required=True),
        DJANGO_SETTINGS_MODULE="lumbung.settings",
    )
    _run([PY, "-m", "ruff", "check", "."], env)
    _run([PY, "-m", "ruff", "format", "--check", "."], env)
    _run(_manage("check", "--fail-level", "WARNING"), env)
    _run(_manage("makemigrations", "--check", "--dry-run"), env)
    workers = os.environ.get("TEST_WORKERS", "2")
    args = [PY, "-m", "pytest", "-n", workers, "--dist", "loadfile", *extra]
    _say("$ " + " ".join(args))
    rc = subprocess.call(args, cwd=ROOT, env=env)
    if rc == 5:
        sys.exit("[lumbung-dev] pytest collected no tests: that is a failure here.")
    sys.exit(rc)


def main() -> None:
    argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    cmd, rest = argv[0], argv[1:]
    try:
        if cmd == "demo":
            cmd_demo()
        elif cmd == "test":
            cmd_test(rest)
        elif cmd == "env":
            cmd_env()
        else:
            sys.exit(f"unknown command {cmd!r}; see lumbung-dev --help")
    finally:
        for obj in _keep_alive:
            if isinstance(obj, subprocess.Popen) and obj.poll() is None:
                obj.terminate()


if __name__ == "__main__":
    main()
