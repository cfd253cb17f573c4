"""The web role for real: `deploy/entrypoint.sh web` starts gunicorn with
deploy/gunicorn.conf.py on a loopback port, in production mode with the settings of
deploy/.env.example, static files collected the way the image build does it, against this
session's test database (its `alpha` cooperative is committed at session start, so the
server's own connections see it). Requests then go through the whole stack: health checks,
/metrics summed over two gunicorn workers, a cooperative's login page and home page behind
a TLS-terminating proxy (X-Forwarded-Proto), JSON logs with request id, tenant and user."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.deploy.test_compose import env_example

pytestmark = pytest.mark.django_db  # the test database must exist (the server uses it)

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TENANT_HOST = "alpha.localhost"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def production_env(**overrides: str) -> dict[str, str]:
    """The environment a container gets: deploy/.env.example, pointed at this machine."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(env_example())
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        BASE_DOMAIN="localhost",
        ALLOWED_HOSTS="localhost,.localhost,127.0.0.1",
        CSRF_TRUSTED_ORIGINS="https://localhost,https://*.localhost",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHON=sys.executable,
    )
    env.update(overrides)
    return env


class Server:
    def __init__(self, port: int, log: Path):
        self.port = port
        self.log = log
        self.cookies: dict[str, str] = {}

    def request(self, method, path, *, host=TENANT_HOST, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        all_headers = {"Host": host, "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urlencode(body)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        content = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response, content

    def logs(self) -> str:
        return self.log.read_text()


def _static_sources_key() -> str:
    """A digest of every static file Django would collect (path, size, mtime) and of the
    build settings: the collected tree is reused while none of them changes."""
    import hashlib
    from importlib.metadata import version

    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256(version("whitenoise").encode())
    digest.update((ROOT / "deploy" / "build_settings.py").read_bytes())
    for finder in get_finders():
        for path, storage in sorted(finder.list([]), key=lambda item: item[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def collected_static() -> Path:
    """`collectstatic` exactly as the image build runs it (deploy/build_settings.py, no
    secrets, no database), cached under .data/ by the digest of the sources (compressing
    every file costs several CPU seconds)."""
    target = ROOT / ".data" / "test-static" / _static_sources_key()
    if (target / "staticfiles.json").exists():
        return target
    # Collected beside it and renamed into place: a concurrent run never sees half a tree.
    building = target.with_name(f"{target.name}.{os.getpid()}")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "DJANGO_SETTINGS_MODULE": "build_settings",
            "PYTHONPATH": str(ROOT / "deploy"),
            "STATIC_ROOT": str(building),
        },
        check=True,
        # ≈ 40 s of CPU; ≈ 100 s on a 2-core machine at load 11, where 180 s once ran out
        timeout=600,
    )
    try:
        building.rename(target)
    except OSError:  # another run got there first
        shutil.rmtree(building, ignore_errors=True)
    return target


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gunicorn")
    static_root = collected_static()
    assert (static_root / "staticfiles.json").exists()

    port = _free_port()
    log = tmp / "gunicorn.log"
    with django_db_blocker.unblock():
        env = production_env(
            GUNICORN_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="2",
            GUNICORN_THREADS="2",
            STATIC_ROOT=str(static_root),
            MEDIA_ROOT=str(tmp / "media"),
            PROMETHEUS_MULTIPROC_DIR=str(tmp / "prometheus"),
            TRUSTED_PROXY_COUNT="0",
        )
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["bash", str(ROOT / "deploy" / "entrypoint.sh"), "web"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv = Server(port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response, _ = srv.request("GET", "/healthz", host="127.0.0.1")
                if response.status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield srv
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_healthz_answers_on_any_host_including_a_bare_pod_ip(server):
    for host in ("127.0.0.1:8000", "10.0.3.17:8000", TENANT_HOST, "localhost"):
        response, body = server.request("GET", "/healthz", host=host)
        assert response.status == 200, (host, body)
        assert json.loads(body) == {"status": "ok"}


def test_readyz_reports_database_and_broker(server):
    response, body = server.request("GET", "/readyz", host="10.0.3.17:8000")
    assert response.status == 200, body
    checks = json.loads(body)["checks"]
    assert checks["database"]["ok"] and checks["broker"]["ok"]


def test_metrics_need_the_token_and_sum_every_gunicorn_worker(server):
    response, _ = server.request("GET", "/metrics", host="10.0.3.17:8000")
    assert response.status == 401

    token = env_example()["METRICS_TOKEN"]
    for _ in range(12):
        server.request("GET", "/healthz")
    response, body = server.request(
        "GET", "/metrics", host="10.0.3.17:8000", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/plain")
    total = sum(
        float(v)
        for v in re.findall(r"^django_http_requests_before_middlewares_total (\S+)$", body, re.M)
    )
    # Two worker processes: only the multi-process collector sees every request.
    assert total >= 12, body[:2000]
    assert "lumbung_celery_tasks_total" in body or "# HELP" in body


def test_cooperative_login_and_home_page_through_gunicorn(server, admin_password):
    response, body = server.request("GET", "/")
    assert response.status == 302
    assert response.getheader("Location").startswith("/masuk/")

    response, body = server.request("GET", "/masuk/")
    assert response.status == 200
    assert "KPRI Alpha" in body
    # Hashed, compressed static files from the manifest written at build time.
    css = re.search(r'href="(/static/lumbung/lumbung\.[0-9a-f]{12}\.css)"', body)
    assert css, body[:1500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    assert server.request("GET", css.group(1))[0].status == 200
    # Production cookies: secure (the proxy terminates TLS) and HttpOnly sessions.
    assert server.cookies.get("csrftoken")

    response, body = server.request(
        "POST",
        "/masuk/",
        body={"username": "admin@alpha.test", "password": admin_password, "next": "/"},
        headers={
            "X-CSRFToken": token,
            "Origin": f"https://{TENANT_HOST}",
            "Referer": f"https://{TENANT_HOST}/masuk/",
        },
    )
    assert response.status == 302, body[:3000]
    assert "sessionid" in server.cookies

    response, body = server.request("GET", "/", headers={"X-Request-ID": "req-home-1"})
    assert response.status == 200, body[:2000]
    assert "KPRI Alpha" in body
    assert response.getheader("X-Request-ID") == "req-home-1"
    assert "max-age=" in (response.getheader("Strict-Transport-Security") or "")

    # A page that does not exist: Django logs a warning inside the request, as JSON with
    # the request id, the tenant's schema and the signed-in user's id.
    response, _ = server.request("GET", "/tidak-ada/", headers={"X-Request-ID": "req-404-1"})
    assert response.status == 404
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        records = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
        app = [r for r in records if r.get("request_id") == "req-404-1"]
        if app:
            break
        time.sleep(0.1)
    assert app, server.logs()[-3000:]
    record = app[0]
    assert record["logger"] == "django.request"
    assert record["level"] == "WARNING"
    assert record["tenant"] == "coop_alpha"
    assert record["user_id"] not in ("-", "", None)
    assert record["service"] == "web"
    assert record["task_id"] == "-"
    assert record["timestamp"].endswith("+00:00")  # ISO 8601, UTC
    # gunicorn's own access log is JSON too and names the request id.
    access = [r for r in records if r.get("logger") == "gunicorn.access"]
    assert any("request_id=req-home-1" in r["message"] for r in access)


def test_unknown_cooperative_host_is_not_found(server):
    response, _ = server.request("GET", "/masuk/", host="tidak-ada.localhost")
    assert response.status == 404
