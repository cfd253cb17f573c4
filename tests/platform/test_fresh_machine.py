"""`make demo` the way a newcomer runs it, on a machine with nothing running.

A private network namespace stands for the newcomer's laptop: inside it nothing listens on
5432 or 6379, so `lumbung-dev demo` has to start an embedded PostgreSQL (and redis-server,
where the binary is installed) in a fresh data directory, migrate, seed and serve. From
inside the same namespace the test then asks what a browser would: /healthz, the demo
cooperative's login page, a logged-in dashboard (and the ledger's index page), the member
portal with the demo's anggota login, and the apex sign-up page.

The packages come from this venv (pip cannot reach a registry inside the namespace).
Needs root and iproute2 (`ip netns`); skipped, saying why, only where namespaces cannot
be made. Everything started is stopped and the namespace deleted, whatever happens.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("demo_probe.py")
VENV_BIN = Path(sys.executable).parent
PORT = 8000
SERVE_TIMEOUT = 300  # seconds; measured ~60 s on a busy 2-core machine


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


def _namespace_pids(name: str) -> list[int]:
    out = _ip("netns", "pids", name).stdout
    return [int(p) for p in out.split() if p.strip().isdigit()]


def _stop_everything_in(name: str) -> None:
    """Every process in the namespace is one this test started (the demo and what it
    started): TERM, a grace period, then KILL."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        pids = _namespace_pids(name)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while _namespace_pids(name) and time.monotonic() < deadline:
            time.sleep(0.3)


@pytest.fixture
def empty_machine():
    """A network namespace with only a loopback interface: nothing listens anywhere."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns add)")
    if not shutil.which("ip"):
        pytest.skip("iproute2 is not installed (no `ip` command): apt-get install iproute2")
    name = f"lumbung-fresh-{os.getpid()}"
    made = _ip("netns", "add", name)
    if made.returncode != 0:
        pytest.skip(f"network namespaces are not available here: {made.stderr.strip()}")
    try:
        up = _ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        assert up.returncode == 0, up.stderr
        yield name
    finally:
        _stop_everything_in(name)
        _ip("netns", "del", name)


def _newcomer_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "TEST_DATABASE_NAME")
        and not k.startswith(("PYTEST", "DJANGO_"))
    }
    env.update(LUMBUNG_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    return env


def _in(namespace: str, *command: str) -> list[str]:
    return ["ip", "netns", "exec", namespace, *command]


def test_make_demo_on_a_machine_with_nothing_running(empty_machine, record_property):
    listening = subprocess.run(
        _in(empty_machine, sys.executable, "-c", PORTS_FREE),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listening.stdout.split() == ["free", "free", "free"], listening.stderr

    data_dir = Path(tempfile.mkdtemp(prefix="lumbung-fresh-"))
    log_path = data_dir.with_name(data_dir.name + ".log")
    lumbung_dev = VENV_BIN / "lumbung-dev"
    demo_cmd = (
        [str(lumbung_dev)] if lumbung_dev.exists() else [sys.executable, "-m", "lumbung.devenv"]
    )
    started = time.monotonic()
    with open(log_path, "w") as log:
        demo = subprocess.Popen(
            _in(empty_machine, *demo_cmd, "demo"),
            cwd=ROOT,
            env=_newcomer_env(data_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        probe = subprocess.Popen(
            _in(empty_machine, sys.executable, str(PROBE), str(PORT), str(SERVE_TIMEOUT)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while probe.poll() is None:
            if demo.poll() is not None:
                probe.kill()
                pytest.fail(
                    f"lumbung-dev demo stopped (exit {demo.returncode}) before serving:\n"
                    + log_path.read_text()[-4000:]
                )
            time.sleep(0.2)  # the probe's end is the test's next step: see it at once
        out, err = probe.communicate()
        serving_after = time.monotonic() - started
        record_property("serving_seconds", round(serving_after))
        assert probe.returncode == 0, err
        result = json.loads(out.strip().splitlines()[-1])
        log_text = log_path.read_text()
        assert result["waited"] >= 0, f"not serving within {SERVE_TIMEOUT} s:\n{log_text[-4000:]}"
        sys.stdout.write(f"\n[fresh machine] lumbung-dev demo served after {serving_after:.0f} s\n")

        assert "embedded server on 127.0.0.1:" in log_text  # nothing on 5432: it started one
        assert "anggota    anggota@demo.lumbung.id / lumbung-demo" in log_text
        assert "tenants.W001" not in log_text
        assert result["healthz"] == 200
        assert result["login_page"] == [200, True]
        assert result["admin_login"] == [302, "/"]
        assert result["dashboard"] == [200, True, True]
        assert result["ledger_index"] == [200, True]
        assert result["member_login"] == [302, "/"]
        assert result["portal"] == [200, True]
        assert result["signup"] == [200, True]
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGTERM)  # lumbung-dev stops what it started
            try:
                demo.wait(timeout=40)
            except subprocess.TimeoutExpired:
                demo.kill()
        _stop_everything_in(empty_machine)
        shutil.rmtree(data_dir, ignore_errors=True)
        log_path.unlink(missing_ok=True)


PORTS_FREE = """
import socket
for port in (5432, 6379, 8000):
    with socket.socket() as s:
        s.settimeout(1)
        print("taken" if s.connect_ex(("127.0.0.1", port)) == 0 else "free")
"""
