"""Start a real PgBouncer (Debian's `pgbouncer`) in front of the test PostgreSQL.

Used by the tenancy leak test: ``pool_mode = transaction`` with a tiny server pool, so
that consecutive transactions of one client land on different server connections.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def pgbouncer_running(
    *, host: str, port: int, user: str, pool_mode: str = "transaction", pool_size: int = 3
) -> Iterator[int]:
    """Run PgBouncer for every database of ``host:port``; yields the port it listens on."""
    binary = pgbouncer_binary()
    if binary is None:
        raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
    listen = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="lumbung-pgbouncer-"))
    os.chmod(workdir, 0o777)  # PgBouncer refuses root; it runs as 'nobody' below.
    (workdir / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={host} port={port} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = any
pool_mode = {pool_mode}
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
server_reset_query =
; A client stuck in a transaction (the broken session-mode run can strand one) frees its
; server after a few seconds instead of starving the tiny pool.
idle_transaction_timeout = 5
query_wait_timeout = 30
ignore_startup_parameters = extra_float_digits,options
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
"""
    )
    args = [binary, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        args[1:1] = ["-u", "nobody"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", listen), timeout=0.2),
            ):
                break
            if proc.poll() is not None:
                raise RuntimeError(
                    "pgbouncer exited: "
                    + proc.stderr.read().decode(errors="replace")
                    + (workdir / "pgbouncer.log").read_text(errors="replace")
                    if (workdir / "pgbouncer.log").exists()
                    else ""
                )
            time.sleep(0.05)
        else:
            raise RuntimeError("pgbouncer did not start listening within 5 s")
        yield listen
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
