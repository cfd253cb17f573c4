"""A fresh production install: `deploy/entrypoint.sh migrate` (exactly the commands the
compose `migrate` service and the chart's migrate Job run) on an empty database, in
production mode with the settings of deploy/.env.example, and nothing else; then the apex
(`BASE_DOMAIN`) must serve the public site and the sign-up page, not a 404. Run twice, the
step changes nothing (idempotent)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.deploy.test_compose import env_example
from tests.deploy.test_gunicorn import collected_static

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
APEX = "lumbung-fresh.test"

# Requests the apex the way a browser would, through the whole middleware stack.
REQUEST_APEX = """
import os
import django
django.setup()
from django.test import Client
from tenants.models import Cooperative, Domain
client = Client(HTTP_HOST=os.environ["BASE_DOMAIN"], HTTP_X_FORWARDED_PROTO="https")
for path in ("/", "/daftar/"):
    response = client.get(path)
    print(path, response.status_code, "daftar" in response.content.decode())
print("tenants", Cooperative.objects.count(), "domains", Domain.objects.count())
"""


def _server_url(dbname: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{dbname}"


@pytest.fixture
def empty_database():
    name = f"lumbung_fresh_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(_server_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _server_url(name)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _production_env(database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL")) and k not in env_example()
    }
    env.update(env_example())
    env.update(
        DATABASE_URL=database_url,
        BASE_DOMAIN=APEX,
        ALLOWED_HOSTS=f"{APEX},.{APEX}",
        MIGRATE_PROCESSES="1",
        PYTHON=sys.executable,
        APP_DIR=str(ROOT),
        LOG_LEVEL="info",  # as operators type it (lower case)
        DJANGO_SETTINGS_MODULE="lumbung.settings",
        STATIC_ROOT=str(collected_static()),  # as the image build collects them
    )
    return env


def test_entrypoint_migrate_on_an_empty_database_leaves_a_working_apex(empty_database):
    env = _production_env(empty_database)

    first = subprocess.run(
        ["bash", str(ROOT / "deploy" / "entrypoint.sh"), "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert f"Public site at {APEX}: created" in first.stdout
    # No alarming noise on a healthy first run: the template is about to be built.
    assert "tenants.W001" not in first.stdout + first.stderr
    assert "built automatically" in first.stdout + first.stderr

    served = subprocess.run(
        [sys.executable, "-c", REQUEST_APEX],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert served.returncode == 0, served.stderr[-3000:]
    lines = served.stdout.splitlines()
    assert "/ 200 True" in lines  # the public home links to the sign-up page
    assert "/daftar/ 200 True" in lines
    assert "tenants 1 domains 1" in lines

    again = subprocess.run(
        ["bash", str(ROOT / "deploy" / "entrypoint.sh"), "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"Public site at {APEX}: already there" in again.stdout
    recount = subprocess.run(
        [sys.executable, "-c", REQUEST_APEX], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert "tenants 1 domains 1" in recount.stdout.splitlines()
