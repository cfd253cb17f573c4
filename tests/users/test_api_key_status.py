"""Missing or refused credentials answer 401 with ``WWW-Authenticate: Api-Key``, as the
OpenAPI document says on every operation ("401: Belum masuk / kunci API tidak valid"):
a revoked key was a 403, the status of a role's refusal, so an integrator could not tell
"make a new key" from "this key's role may not" (found walking the API)."""

import pytest
from django.test import Client

from core.users.apikeys import api_key_create, api_key_revoke
from tenants.services import tenant_host
from tests.webapp.conftest import make_user


@pytest.fixture
def host(tenant_a, in_tenant_a) -> str:
    return tenant_host(tenant_a.slug)


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.content
    assert r.json()["error"]["code"] == code
    return r.json()["error"]


def test_a_revoked_key_is_401_and_names_the_scheme(host):
    admin = make_user("admin", email="status-admin@alpha.test")
    made = api_key_create(by=admin, name="Gaji", role="bendahara")
    api_key_revoke(by=admin, api_key=made.api_key)
    r = Client(HTTP_HOST=host).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {made.raw}")
    e = _error(r, 401, "authentication_failed")
    assert e["message"] == "Kunci API tidak valid atau sudah dicabut."
    assert r["WWW-Authenticate"] == "Api-Key"


def test_no_credentials_is_401_not_authenticated(host):
    r = Client(HTTP_HOST=host).get("/api/v1/members/")
    _error(r, 401, "not_authenticated")
    assert r["WWW-Authenticate"] == "Api-Key"


def test_a_role_that_may_not_is_still_403(host):
    admin = make_user("admin", email="status-admin2@alpha.test")
    made = api_key_create(by=admin, name="Baca", role="pengawas")
    r = Client(HTTP_HOST=host).post(
        "/api/v1/agencies/",
        {"code": "X", "name": "X"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {made.raw}",
    )
    _error(r, 403, "permission_denied")


def test_a_logged_in_session_still_works_without_a_key(host):
    c = Client(HTTP_HOST=host)
    c.force_login(make_user("bendahara", email="status-session@alpha.test"))
    assert c.get("/api/v1/me/").json()["role"] == "bendahara"
