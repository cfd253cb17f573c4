"""A practice copy follows its real cooperative's subscription state on its own host:
archived, nobody works there (403, the archived message); suspended, read-only (the
read-only message); otherwise it is open. (One cooperative and its copy serve the
module: ``practice_pair``, tests/tenants/conftest.py.)"""

import pytest
from django.db import connection
from django.test import Client

from tenants.models import Cooperative
from tests.console.conftest import make_operator
from tests.tenants.conftest import PAIR_ADMIN

pytestmark = pytest.mark.slow


def _client(coop) -> Client:
    from core.users.models import User
    from tenants.services import tenant_host

    client = Client(HTTP_HOST=tenant_host(coop.slug))
    connection.set_tenant(coop)
    client.force_login(User.objects.get(username=PAIR_ADMIN))
    connection.set_schema_to_public()
    return client


def test_staff_of_an_archived_cooperative_cannot_use_its_practice_copy(pair_practice, pair_coop):
    from lumbung.console import services

    real, practice = _client(pair_coop), _client(pair_practice)
    assert practice.get("/").status_code == 200
    services.tenant_archive(
        operator=make_operator("admin", "admin-ps1@ops.lumbung.test"),
        cooperative=pair_coop,
        reason="tidak membayar",
    )
    for client in (real, practice):
        page = client.get("/")
        assert page.status_code == 403
        assert "telah diarsipkan" in page.content.decode()
        api = client.get("/api/v1/me/", HTTP_ACCEPT="application/json")
        assert api.status_code == 403 and api.json()["error"]["code"] == "tenant_archived"


def test_a_suspended_cooperatives_practice_copy_is_read_only(pair_practice, pair_coop):
    Cooperative.objects.filter(pk=pair_coop.pk).update(status=Cooperative.Status.SUSPENDED)
    practice = _client(pair_practice)
    assert practice.get("/").status_code == 200
    page = practice.post("/anggota/", {"full_name": "Siapa Saja"})
    assert page.status_code == 403
    assert "hanya dapat dilihat" in page.content.decode()
    api = practice.post("/api/v1/me/", data={}, content_type="application/json")
    assert api.status_code == 403 and api.json()["error"]["code"] == "tenant_read_only"


def test_an_active_cooperatives_practice_copy_is_writable(pair_practice, pair_coop):
    practice = _client(pair_practice)
    page = practice.post("/anggota/", {"full_name": ""})
    assert page.status_code != 403
