"""The member list at scale and with bad input; editing a member's pay audited."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.audit.models import AuditEvent
from core.members.services import member_update
from tenants.services import tenant_host

from . import factories as f


@pytest.fixture
def staff_client(in_tenant_a, tenant_a):
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("bendahara"))
    return c


def _queries(client, url):
    client.get(url)  # the session, the tenant and the translations loaded once
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200
    return len(ctx.captured_queries)


def test_member_list_queries_do_not_grow_with_rows(staff_client):
    ag = f.agency("DISDIK")
    f.member(agency_obj=ag)
    one = _queries(staff_client, "/anggota/")
    # six more rows (29 before), in four more agencies: a query per row or per agency
    # shows in any count above one
    for i in range(6):
        f.member(agency_obj=f.agency(f"AG{i}", f"Instansi {i}") if i % 3 else ag)
    seven = _queries(staff_client, "/anggota/")
    assert one == seven


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_member_export_queries_do_not_grow_with_rows(staff_client, fmt):
    ag = f.agency("DISDIK")
    f.member(agency_obj=ag)
    one = _queries(staff_client, f"/anggota/?export={fmt}")
    for i in range(6):  # six more rows, each in an agency of its own: enough to show growth
        f.member(agency_obj=f.agency(f"AG{i}", f"Instansi {i}"))
    assert _queries(staff_client, f"/anggota/?export={fmt}") == one


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=99999999999999999999",
        "agency=abc",
        "agency=99999999999999999999999",
        "agency=%C2%B2",
        "status=zzz",
        "q=%00",
        "q=" + "9" * 500,
        "q=%27%22%3B--",
        "export=pdf",
    ],
)
def test_member_list_bad_params_never_500(staff_client, query):
    f.member(agency_obj=f.agency("DISDIK"))
    resp = staff_client.get(f"/anggota/?{query}")
    assert resp.status_code in (200, 400), resp.status_code


def test_take_home_pay_change_audited_with_before_and_after(in_tenant_a):
    m = f.member(agency_obj=f.agency("DISDIK"), take_home_pay=Decimal("4500000"))
    by = f.user("petugas")
    member_update(member=m, by=by, take_home_pay=Decimal("6250000"), reason="SK kenaikan")
    row = AuditEvent.objects.filter(action="member.update", target_id=str(m.pk)).latest("pk")
    change = next(c for c in row.data["changes"] if c["field"] == "take_home_pay")
    assert Decimal(change["old"]) == Decimal("4500000")
    assert Decimal(change["new"]) == Decimal("6250000")
    assert row.reason == "SK kenaikan"
