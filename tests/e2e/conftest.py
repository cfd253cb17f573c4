"""End-to-end browser tests: headless Chromium (Debian's `chromium`) driven by
Playwright, against a real server.

The server is ``manage.py runserver --noreload`` started in a subprocess on a free
loopback port, pointed at this test run's database. Its writes really commit, so the
journey runs in a ``scratch_tenant`` (a throwaway cooperative dropped afterwards) — never
in the shared session tenants, and never with pytest-django's ``live_server``
(transactional_db would flush the shared rows).

Screenshots go to ``artifacts/screenshots/`` (kept by CI as artifacts).
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(
        reason=(
            "!!! END-TO-END BROWSER TESTS NOT RUN: /usr/bin/chromium is missing. "
            "Install it with `apt-get update && apt-get install -y chromium` (.ci/run does). !!!"
        )
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _db_url(settings_dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    pw = settings_dict.get("PASSWORD") or ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    auth = f"{user}:{pw}@" if pw else f"{user}@"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@contextlib.contextmanager
def serve(tenant, tmp_path: Path):
    """Run ``manage.py runserver`` for ``tenant`` on a free port; yields the site dict."""
    from django.db import connection

    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=_db_url(connection.settings_dict),
        DJANGO_SETTINGS_MODULE="lumbung.settings",
        DJANGO_DEBUG="1",
        SITE_PORT=str(port),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        MEDIA_ROOT=str(tmp_path / "media"),
        CELERY_TASK_ALWAYS_EAGER="1",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("server exited:\n" + (tmp_path / "server.log").read_text())
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("server did not start:\n" + (tmp_path / "server.log").read_text())
        yield {
            "url": f"http://{tenant.slug}.localhost:{port}" if tenant else None,
            "tenant": tenant,
            "port": port,
            "log": tmp_path / "server.log",
            "mail_dir": tmp_path / "mail",
            "media": tmp_path / "media",
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def _module_server(django_db_setup, tmp_path_factory):
    """One server per test module: it serves any cooperative by its host, so each test's
    own scratch cooperative (made after the server started) is reached on it."""
    with serve(None, tmp_path_factory.mktemp("e2e-server")) as site:
        yield site


@pytest.fixture
def live_site(scratch_tenant, _module_server):
    """A running server for the scratch cooperative: yields its base URL. The server
    (and its log, checked for errors by the tests) is shared by the module's tests; the
    cooperative is each test's own."""
    port = _module_server["port"]
    yield {
        **_module_server,
        "url": f"http://{scratch_tenant.slug}.localhost:{port}",
        "tenant": scratch_tenant,
    }


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread; Django would refuse
    # its (synchronous) DB calls made by the test itself without this.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
            # the test's own queries ran inside Playwright's loop, on a connection of
            # their own: close it, or the test database cannot be dropped at the end
            from django.db import connections

            connections.close_all()


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module; each test opens its own pages/contexts in it."""
    with chromium() as b:
        yield b


@pytest.fixture
def shoot():
    """``shoot(page, "name")`` saves artifacts/screenshots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def copy_to_docs(names: list[str]) -> None:
    """Copy chosen screenshots to docs/screenshots/ (referenced by the README) when
    ``LUMBUNG_DOCS_SCREENSHOTS=1``, so an ordinary test run leaves the tree clean."""
    if os.environ.get("LUMBUNG_DOCS_SCREENSHOTS") != "1":
        return
    dest = ROOT / "docs" / "screenshots"
    dest.mkdir(parents=True, exist_ok=True)
    for n in names:
        src = SHOTS / f"{n}.png"
        if src.exists():
            shutil.copyfile(src, dest / f"{n}.png")


def click_and_wait(page, selector: str) -> None:
    """Click something that loads a new page, and return once that page has loaded.

    ``page.click`` returns as soon as the click is sent, and ``wait_for_load_state``
    straight after it returns at once because the *old* page is still loaded; an
    assertion then reads the old page (a CI failure: the login error was looked for
    before the refused login's page had arrived). Waiting for the navigation the click
    starts removes that race."""
    with page.expect_navigation():
        page.click(selector)
