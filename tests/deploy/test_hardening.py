"""Hardening (issue 22): `manage.py check --deploy` clean with the production settings,
HSTS, Content-Security-Policy without inline script, /metrics closed in production
unless configured, /api/docs/ for staff with a local Swagger UI, no `testserver` host."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.deploy.test_image import _production

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_production_passes_every_deploy_check_without_a_warning():
    result = _production({}, "check", "--deploy", "--fail-level", "WARNING")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "System check identified no issues" in out, out


@pytest.mark.django_db
def test_production_settings_hsts_hosts_and_metrics():
    code = (
        "import lumbung.settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "'testserver' in s.CONFIGURED_HOSTS, s.METRICS_OPEN_WHEN_UNCONFIGURED)"
    )
    result = _production({"ALLOWED_HOSTS": None}, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["31536000", "True", "False", "False"]


def test_no_template_has_inline_script_or_handlers():
    offenders = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
            r"\son[a-z]+=|javascript:", text
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_page_carries_the_content_security_policy(client_a):
    r = client_a.get("/masuk/")
    policy = r["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]  # fmt: skip
    assert "frame-ancestors 'none'" in policy
    assert "/static/lumbung/app.js" in r.content.decode()


def test_metrics_closed_when_nothing_is_configured(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_OPEN_WHEN_UNCONFIGURED = False
    assert Client(HTTP_HOST="localhost").get("/metrics").status_code == 401


def test_metrics_open_to_a_configured_private_network_only(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.METRICS_OPEN_WHEN_UNCONFIGURED = False
    inside = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.1.2.3")
    outside = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.9")
    assert inside.get("/metrics").status_code == 200
    assert outside.get("/metrics").status_code == 401
    # X-Forwarded-For is the client's to choose: never trusted here
    assert outside.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 401


@pytest.mark.django_db
def test_api_docs_and_schema_for_logged_in_staff_with_local_swagger_ui(tenant_a, in_tenant_a):
    from tenants.services import tenant_host
    from tests.webapp.conftest import make_user

    host = tenant_host(tenant_a.slug)
    assert Client(HTTP_HOST=host).get("/api/docs/").status_code in (401, 403)
    member = Client(HTTP_HOST=host)
    member.force_login(make_user("anggota", email="docs-m@webapp.test"))
    assert member.get("/api/docs/").status_code == 403
    # the document it reads, too: not for visitors or members
    assert Client(HTTP_HOST=host).get("/api/schema/", {"format": "json"}).status_code in (
        401,
        403,
    )
    assert member.get("/api/schema/", {"format": "json"}).status_code == 403
    staff = Client(HTTP_HOST=host)
    staff.force_login(make_user("petugas", email="docs-s@webapp.test"))
    page = staff.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # the split view: no inline
    assert staff.get("/api/schema/", {"format": "json"}).status_code == 200
    script = staff.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
