"""/buku-besar/ (named in the README) is the ledger area's index: it links the screens the
user's role may open, and is refused like the rest of the ledger to others."""

import pytest
from django.test import Client

from tenants.services import tenant_host
from tests.webapp.conftest import make_user


@pytest.fixture
def client_as(tenant_a, in_tenant_a):
    def make(role: str) -> Client:
        client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        client.force_login(make_user(role, email=f"{role}@index.test"))
        return client

    return make


def test_bendahara_sees_every_ledger_screen(client_as):
    page = client_as("bendahara").get("/buku-besar/")
    assert page.status_code == 200
    html = page.content.decode()
    for href in ("/buku-besar/akun/", "/buku-besar/jurnal/", "/buku-besar/jurnal/baru/"):
        assert f'href="{href}"' in html
    assert 'href="/buku-besar/laporan/"' in html and 'href="/buku-besar/periode/"' in html


def test_readers_do_not_get_links_they_cannot_use(client_as):
    html = client_as("pengawas").get("/buku-besar/").content.decode()
    assert 'href="/buku-besar/jurnal/"' in html
    assert 'href="/buku-besar/jurnal/baru/"' not in html  # manual entries: treasury only


def test_members_and_anonymous_are_refused(client_as, tenant_a):
    assert client_as("anggota").get("/buku-besar/").status_code == 403
    anonymous = Client(HTTP_HOST=tenant_host(tenant_a.slug)).get("/buku-besar/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/masuk/")
    assert client_as("bendahara").post("/buku-besar/").status_code == 403
