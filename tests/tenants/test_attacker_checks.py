"""An attacker's tries at another cooperative's door that the code already refuses,
kept as regressions (the review of logins and tenant isolation): a key or session of a
cooperative at its practice copy, an archived or suspended cooperative's logins and API,
a login's ``next=`` pointing away from the cooperative."""

import pytest
from django.db import connection
from django.test import Client

from core.users import apikeys
from core.users.models import User
from tenants.models import Cooperative
from tenants.services import tenant_host

pytestmark = pytest.mark.slow

PW = "Rahasia-123!"


def _admin_a(tenant_a) -> User:
    connection.set_tenant(tenant_a)
    admin = User.objects.get(username="admin@alpha.test")
    connection.set_schema_to_public()
    return admin


def _key_of_a(tenant_a, role: str = "admin") -> dict:
    connection.set_tenant(tenant_a)
    made = apikeys.api_key_create(
        by=User.objects.get(username="admin@alpha.test"), name="x", role=role
    )
    connection.set_schema_to_public()
    return {"HTTP_AUTHORIZATION": f"Api-Key {made.raw}"}


def test_a_cooperatives_key_and_session_are_nobody_at_its_practice_copy(tenant_a, practice_a):
    key = _key_of_a(tenant_a)
    real = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    assert real.post("/masuk/", {"username": "admin@alpha.test", "password": PW}).status_code == 302
    assert real.get("/api/v1/me/", **key).status_code == 200

    practice = Client(HTTP_HOST=tenant_host(practice_a.slug))
    refused = practice.get("/api/v1/me/", **key)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "Kunci API tidak valid atau sudah dicabut."
    practice.cookies["sessionid"] = real.cookies["sessionid"].value
    page = practice.get("/anggota/")
    assert page.status_code == 302 and page["Location"].startswith("/masuk/")


def test_an_archived_cooperative_answers_no_login_key_or_reset(tenant_a):
    key = _key_of_a(tenant_a)
    signed_in = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    admin = _admin_a(tenant_a)
    connection.set_tenant(tenant_a)
    signed_in.force_login(admin)
    connection.set_schema_to_public()
    Cooperative.objects.filter(pk=tenant_a.pk).update(status=Cooperative.Status.ARCHIVED)

    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    api = client.get("/api/v1/me/", **key)
    assert api.status_code == 403 and api.json()["error"]["code"] == "tenant_archived"
    login = client.post("/masuk/", {"username": "admin@alpha.test", "password": PW})
    assert login.status_code == 403 and "telah diarsipkan" in login.content.decode()
    assert "_auth_user_id" not in client.session
    reset = client.post("/lupa-sandi/", {"email": "admin@alpha.test"})
    assert reset.status_code == 403
    assert signed_in.get("/anggota/").status_code == 403
    assert signed_in.get("/portal/").status_code == 403


def test_a_suspended_cooperatives_key_reads_and_writes_nothing(tenant_a):
    key = _key_of_a(tenant_a)
    Cooperative.objects.filter(pk=tenant_a.pk).update(status=Cooperative.Status.SUSPENDED)
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    assert client.get("/api/v1/me/", **key).status_code == 200
    write = client.post("/api/v1/api-keys/", {"name": "y", "role": "admin"}, **key)
    assert write.status_code == 403 and write.json()["error"]["code"] == "tenant_read_only"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"],
)
def test_the_login_never_sends_a_person_to_another_site(tenant_a, target):
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    done = client.post(f"/masuk/?next={target}", {"username": "admin@alpha.test", "password": PW})
    assert done.status_code == 302 and done["Location"] == "/"
