"""The embedded PostgreSQL `lumbung-dev` starts when no server answers: a loopback TCP
URL Django's settings take as they are (the old socket URL reached Django as the host name
"%2Ftmp%2F...": "could not translate host name"), reused after a run that was killed,
stopped at exit."""

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

from lumbung.devenv import EmbeddedPostgres

pytestmark = pytest.mark.slow


@pytest.fixture
def pgdata():
    path = Path(tempfile.mkdtemp(prefix="lumbung-embedded-")) / "postgres"
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)


def _answers(port: int) -> bool:
    try:
        psycopg2.connect(
            f"postgres://postgres@127.0.0.1:{port}/postgres", connect_timeout=3
        ).close()
        return True
    except psycopg2.OperationalError:
        return False


def test_starts_on_loopback_tcp_is_adopted_after_a_kill_and_stops(pgdata):
    import environ

    first = EmbeddedPostgres(pgdata)
    port = first.start()
    try:
        url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        config = environ.Env.db_url_config(url, engine=settings.DATABASES["default"]["ENGINE"])
        assert (config["HOST"], config["PORT"]) == ("127.0.0.1", port)
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SHOW server_version_num")
            assert int(cur.fetchone()[0]) >= 160000

        # The run that started it was killed (nothing stopped it): the next run adopts it.
        second = EmbeddedPostgres(pgdata)
        assert second.start() == port
        second.stop()
        assert not _answers(port)

        # A later run starts the existing cluster again (no new initdb).
        third = EmbeddedPostgres(pgdata)
        assert _answers(third.start())
        third.stop()
    finally:
        first.stop()


def test_a_port_held_by_a_socket_that_does_not_listen_is_given_up_for_another(pgdata):
    """54320 is in Linux's ephemeral port range: the client end of any connection can hold
    it, so nothing answers there and yet PostgreSQL cannot bind it ("Address already in
    use"; seen once in the full suite). The start moves to another free port."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))  # bound, not listening: a connect to it is refused
    try:
        busy = holder.getsockname()[1]
        server = EmbeddedPostgres(pgdata)
        server.PREFERRED_PORT = busy
        assert not _answers(busy)
        port = server.start()
        try:
            assert port != busy
            assert _answers(port)
            assert "Address already in use" in (pgdata / "server.log").read_text()
        finally:
            server.stop()
    finally:
        holder.close()


def test_a_server_still_stopping_is_waited_for_and_started_again_not_adopted(pgdata):
    """`make demo` stopped (or killed) a moment before `make test`: its server is still
    shutting down and refuses every connection ("the database system is shutting down").
    Adopting it failed the run; the start waits for it to stop and starts it again."""
    first = EmbeddedPostgres(pgdata)
    port = first.start()
    commands, _utils = first._tools()
    kw = {"user": first.user} if first.user else {}
    holder = psycopg2.connect(f"postgres://postgres@127.0.0.1:{port}/postgres")
    try:
        # a smart shutdown waits for the open connection: the server stays "stopping"
        commands.pg_ctl(["-m", "smart", "-W", "stop"], pgdata=pgdata, timeout=30, **kw)
        deadline = time.monotonic() + 10
        while _answers(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _answers(port)
        threading.Timer(2.0, holder.close).start()

        second = EmbeddedPostgres(pgdata)
        again = second.start()
        try:
            assert _answers(again)
        finally:
            second.stop()
    finally:
        if not holder.closed:
            holder.close()
        first.started = False  # stopped above; nothing of it is left to stop
