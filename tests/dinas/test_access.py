"""What a Dinas login can reach: its area's consenting cooperatives, read-only, through
the /dinas/ pages and files only — no console or billing page on the apex, no page or
API of a cooperative's host — and no member's personal data in any page or file."""

import io

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from lumbung.dinas.models import Indicator
from tests.members.factories import member

from .conftest import KAPUAS, consent, refresh, verified_client

pytestmark = pytest.mark.django_db

APEX_OPERATOR_PAGES = [
    "/konsol/",
    "/konsol/koperasi/",
    "/konsol/pembina/",
    "/konsol/kesehatan/",
    "/billing/operator/transfer/",
    "/billing/operator/efaktur/",
    "/billing/operator/paket/",
]


def test_a_pembina_reaches_no_console_or_billing_page(pembina_prov, shared_both):
    client = verified_client(pembina_prov.user)
    client.raise_request_exception = False
    for url in APEX_OPERATOR_PAGES:
        resp = client.get(url)
        assert resp.status_code in (302, 403, 404), (url, resp.status_code)
        if resp.status_code == 302:
            assert "/konsol/masuk/" in resp["Location"], url


def test_a_pembina_session_is_no_login_on_a_cooperative_host(pembina_prov, shared_both):
    """Sessions live in each schema: the pembina's session key means nothing on a
    cooperative's host, for its pages or its API (whatever user id the session names)."""
    a, _b = shared_both
    dinas = verified_client(pembina_prov.user)
    assert dinas.get("/dinas/").status_code == 200
    from tenants.services import tenant_host

    coop = Client(HTTP_HOST=tenant_host(a.slug))
    coop.cookies[settings.SESSION_COOKIE_NAME] = dinas.cookies[settings.SESSION_COOKIE_NAME].value
    for url in ("/api/v1/me/", "/api/v1/members/"):
        assert coop.get(url).status_code in (401, 403), url
    page = coop.get("/anggota/")
    assert page.status_code == 302 and "/masuk/" in page["Location"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_dinas_pages_are_read_only(pembina_prov, shared_both, method):
    a, _b = shared_both
    client = verified_client(pembina_prov.user)
    before = list(Indicator.objects.order_by("pk").values())
    for url in (
        "/dinas/",
        f"/dinas/koperasi/{a.pk}/",
        "/dinas/kementerian/",
        f"/dinas/koperasi/{a.pk}/kementerian/",
    ):
        assert getattr(client, method)(url).status_code == 405, (method, url)
    assert list(Indicator.objects.order_by("pk").values()) == before


def test_a_regency_pembinas_files_hold_its_regency_only(pembina_kapuas, shared_both):
    a, b = shared_both
    client = verified_client(pembina_kapuas.user)
    table = load_workbook(io.BytesIO(client.get("/dinas/", {"format": "xlsx"}).content)).active
    names = [r[0] for r in list(table.iter_rows(values_only=True))[1:-1]]
    assert names == [a.name]
    totals = list(table.iter_rows(values_only=True))[-1]
    assert KAPUAS in totals[0]
    client.raise_request_exception = False
    assert client.get(f"/dinas/koperasi/{b.pk}/kementerian/").status_code == 403


def test_no_personal_data_in_any_dinas_file(pembina_prov, placed):
    a, _b = placed
    connection.set_tenant(a)
    m = member(full_name="Siti Rahayu Pribadi")
    connection.set_schema_to_public()
    consent(a)
    refresh(a)
    client = verified_client(pembina_prov.user)
    files = [
        client.get("/dinas/", {"format": "xlsx"}),
        client.get("/dinas/kementerian/"),
        client.get(f"/dinas/koperasi/{a.pk}/kementerian/"),
    ]
    for resp in files:
        assert resp.status_code == 200
        book = load_workbook(io.BytesIO(resp.content))
        cells = " ".join(
            str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row
        )
        for secret in (m.full_name, m.nik, m.nip, m.number):
            assert secret not in cells


def test_a_cooperative_outside_the_area_is_refused_in_the_pembinas_words(
    pembina_kapuas, shared_both
):
    """The refusal said "Peran Anda tidak mengizinkan …; minta admin koperasi mengubah
    peran Anda" and linked to the public home page: a pembina has no cooperative admin
    and a role nobody there can change."""
    _a, b = shared_both
    client = verified_client(pembina_kapuas.user)
    client.raise_request_exception = False
    for url in (f"/dinas/koperasi/{b.pk}/", f"/dinas/koperasi/{b.pk}/kementerian/"):
        resp = client.get(url)
        assert resp.status_code == 403
        html = resp.content.decode()
        assert "tidak ada di wilayah Anda atau tidak membagikan indikatornya" in html
        assert "admin koperasi" not in html
        assert 'href="/dinas/"' in html
        assert b.name not in html
