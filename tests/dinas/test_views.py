"""The Dinas view: login with TOTP, the table (area, consent, filters, sort, totals,
XLSX), the profile with its trend, and the three isolation rules: no personal data, no
tenant schema opened by a request, refusal (403, audited) outside the area."""

import io
from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from core.audit.models import AuditEvent
from lumbung.dinas.models import Indicator
from tests.members.factories import member

from .conftest import KAPUAS, consent, make_operator, refresh, totp_now, verified_client

pytestmark = pytest.mark.django_db


def _rows(resp) -> str:
    return resp.content.decode()


# -- login -------------------------------------------------------------------------------


def test_password_alone_never_opens_the_view(pembina_prov):
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(pembina_prov.user)  # no TOTP step
    resp = client.get("/dinas/")
    assert resp.status_code == 302 and resp["Location"].startswith("/dinas/masuk/")


def test_login_password_then_totp(pembina_prov):
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    pembina_prov.user.set_password("Pembina-Rahasia-1!")
    pembina_prov.user.save()
    resp = client.post(
        "/dinas/masuk/", {"username": "prov@dinas.test", "password": "Pembina-Rahasia-1!"}
    )
    assert resp.status_code == 302 and resp["Location"].endswith("/dinas/masuk/verifikasi/")
    resp = client.post("/dinas/masuk/verifikasi/", {"token": totp_now(pembina_prov.user)})
    assert resp.status_code == 302
    assert client.get("/dinas/").status_code == 200
    assert AuditEvent.objects.filter(action="dinas.login", actor=pembina_prov.user).exists()


def test_wrong_codes_from_many_addresses_hit_the_per_username_cap(pembina_prov, settings):
    """The code step counts failures for one username from every address, as the
    cooperative's login does (core.users.throttle)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_USER_FAILURE_LIMIT = 3
    user = pembina_prov.user
    user.set_password("Pembina-Rahasia-1!")
    user.save()
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    resp = client.post(
        "/dinas/masuk/",
        {"username": "prov@dinas.test", "password": "Pembina-Rahasia-1!"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.70",
    )
    assert resp["Location"].endswith("/dinas/masuk/verifikasi/")
    wrong = "000000" if totp_now(user) != "000000" else "111111"
    statuses = [
        client.post(
            "/dinas/masuk/verifikasi/",
            {"token": wrong},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{71 + i}",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    ok = client.post("/dinas/masuk/verifikasi/", {"token": totp_now(user)})
    assert ok.status_code == 302 and ok["Location"].endswith("/dinas/masuk/")
    assert client.get("/dinas/").status_code == 302


def test_first_login_must_enrol_totp(db):
    from .conftest import make_pembina

    p = make_pembina("baru@dinas.test", device=False)
    p.user.set_password("Pembina-Rahasia-1!")
    p.user.save()
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    resp = client.post(
        "/dinas/masuk/", {"username": "baru@dinas.test", "password": "Pembina-Rahasia-1!"}
    )
    assert resp["Location"].endswith("/dinas/masuk/dua-langkah/")
    assert client.get("/dinas/").status_code == 302
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.console.conftest import totp_now

    page = client.get("/dinas/masuk/dua-langkah/")  # a GET makes no key
    assert page.status_code == 200 and b"<svg" not in page.content
    assert not TOTPDevice.objects.filter(user=p.user).exists()
    assert client.post("/dinas/masuk/dua-langkah/", {"start": "1"}).status_code == 302
    assert b"<svg" in client.get("/dinas/masuk/dua-langkah/").content
    done = client.post("/dinas/masuk/dua-langkah/", {"token": totp_now(p.user)})
    assert done.status_code == 302
    assert TOTPDevice.objects.filter(user=p.user, confirmed=True).count() == 1


def test_an_operator_is_not_a_pembina(db):
    op = make_operator("admin")
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    resp = client.post(
        "/dinas/masuk/", {"username": op.username, "password": "Operator-Rahasia-9!"}
    )
    assert resp.status_code == 200
    assert "bukan akun pembina" in resp.content.decode()
    assert verified_client(op).get("/dinas/").status_code == 403


def test_not_on_a_cooperative_host(pembina_prov, client_a):
    client_a.force_login(pembina_prov.user)
    assert client_a.get("/dinas/").status_code == 404


# -- the table ---------------------------------------------------------------------------


def test_table_shows_consenting_area_cooperatives_only(pembina_prov, placed):
    a, b = placed
    consent(a)
    refresh(a, b)  # b does not share
    body = _rows(verified_client(pembina_prov.user).get("/dinas/"))
    assert a.name in body
    assert b.name not in body


def test_regency_pembina_sees_its_regency_only(pembina_kapuas, shared_both):
    a, b = shared_both
    body = _rows(verified_client(pembina_kapuas.user).get("/dinas/"))
    assert a.name in body and b.name not in body


def test_other_province_sees_nothing(pembina_other, shared_both):
    a, b = shared_both
    body = _rows(verified_client(pembina_other.user).get("/dinas/"))
    assert a.name not in body and b.name not in body


def test_filters_and_sort(pembina_prov, shared_both):
    a, b = shared_both
    client = verified_client(pembina_prov.user)
    body = _rows(client.get("/dinas/", {"regency": KAPUAS}))
    assert a.name in body and b.name not in body
    Indicator.objects.filter(cooperative=b).update(health_band="tidak_sehat", total_assets=10**9)
    body = _rows(client.get("/dinas/", {"band": "tidak_sehat"}))
    assert b.name in body and a.name not in body
    body = _rows(client.get("/dinas/", {"sort": "-assets"}))
    assert body.index(b.name) < body.index(a.name)
    body = _rows(client.get("/dinas/", {"sort": "assets"}))
    assert body.index(a.name) < body.index(b.name)
    # RAT overdue: none recorded = overdue; a RAT held this year is not.
    Indicator.objects.filter(cooperative=a).update(last_rat_date=date.today())
    body = _rows(client.get("/dinas/", {"rat_overdue": "on"}))
    assert b.name in body and a.name not in body


def test_totals_for_the_area(pembina_prov, shared_both):
    a, b = shared_both
    Indicator.objects.filter(cooperative=a).update(members_active=120, total_assets=1000)
    Indicator.objects.filter(cooperative=b).update(members_active=80, total_assets=500)
    from lumbung.dinas.selectors import indicator_table, indicator_totals

    totals = indicator_totals(indicator_table(pembina=pembina_prov))
    assert totals["count"] == 2
    assert totals["members_active"] == 200
    assert totals["total_assets"] == 1500
    assert "200" in _rows(verified_client(pembina_prov.user).get("/dinas/"))


def test_xlsx_export_of_the_table(pembina_prov, shared_both):
    from openpyxl import load_workbook

    a, b = shared_both
    Indicator.objects.filter(cooperative=a).update(members_active=7)
    resp = verified_client(pembina_prov.user).get("/dinas/", {"format": "xlsx", "sort": "name"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Nama koperasi" and rows[0][3] == "Anggota aktif"
    names = [r[0] for r in rows[1:-1]]
    assert names == sorted([a.name, b.name])
    assert rows[1 + names.index(a.name)][3] == 7
    assert rows[-1][0].startswith("Jumlah wilayah")


# -- profile and the isolation rules -----------------------------------------------------


def test_profile_with_trend(pembina_prov, shared_both):
    a, _b = shared_both
    latest = Indicator.objects.get(cooperative=a)
    for months_back in range(1, 14):
        y, m = divmod(latest.month.year * 12 + latest.month.month - 1 - months_back, 12)
        Indicator.objects.create(
            cooperative=a,
            month=date(y, m + 1, 1),
            figures_at=latest.figures_at,
            members_active=1000 + months_back,
        )
    resp = verified_client(pembina_prov.user).get(f"/dinas/koperasi/{a.pk}/")
    assert resp.status_code == 200
    trend = resp.context["trend"]
    assert len(trend) == 12
    assert trend[-1].month == latest.month
    assert [t.month for t in trend] == sorted(t.month for t in trend)
    assert "Waktu angka" in resp.content.decode()


def test_outside_area_is_refused_and_audited(pembina_kapuas, shared_both):
    _a, b = shared_both
    client = verified_client(pembina_kapuas.user)
    for url in (f"/dinas/koperasi/{b.pk}/", f"/dinas/koperasi/{b.pk}/kementerian/?year=2025"):
        assert client.get(url).status_code == 403
    events = AuditEvent.objects.filter(action="dinas.refused", actor=pembina_kapuas.user)
    assert events.count() == 2
    assert {e.target_id for e in events} == {str(b.pk)}
    assert events.first().data["reason"] == "outside_area"


def test_not_sharing_is_refused_and_audited(pembina_prov, placed):
    a, _b = placed
    refresh(a)  # never consented
    assert verified_client(pembina_prov.user).get(f"/dinas/koperasi/{a.pk}/").status_code == 403
    event = AuditEvent.objects.get(action="dinas.refused", actor=pembina_prov.user)
    assert event.data["reason"] == "not_shared"


def test_no_personal_data_reaches_the_pembina(pembina_prov, placed):
    a, _b = placed
    connection.set_tenant(a)
    m = member(full_name="Siti Rahayu Pribadi")
    connection.set_schema_to_public()
    consent(a)
    refresh(a)
    client = verified_client(pembina_prov.user)
    pages = [
        client.get("/dinas/"),
        client.get(f"/dinas/koperasi/{a.pk}/"),
    ]
    for resp in pages:
        body = resp.content.decode()
        assert resp.status_code == 200
        for secret in (m.full_name, m.nik, m.nip):
            assert secret not in body
    # The stored figures themselves are aggregates: no column holds a member's data.
    ind = Indicator.objects.get(cooperative=a)
    assert ind.members_active >= 1
    stored = " ".join(
        str(v) for v in Indicator.objects.filter(cooperative=a).values().first().values()
    )
    for secret in (m.full_name, m.nik, m.nip):
        assert secret not in stored


def test_requests_never_open_a_tenant_schema(pembina_prov, shared_both, monkeypatch):
    """Every Dinas page and export runs in the public schema: no set_tenant/set_schema
    to a cooperative, and no SQL naming a tenant schema."""
    from django.test.utils import CaptureQueriesContext

    a, b = shared_both
    client = verified_client(pembina_prov.user)
    switched = []
    from django.db import connections

    wrapper = type(connections["default"])
    real_set_tenant = wrapper.set_tenant
    real_set_schema = wrapper.set_schema

    def spy_tenant(self, tenant, *args, **kw):
        if tenant.schema_name != "public":
            switched.append(tenant.schema_name)
        return real_set_tenant(self, tenant, *args, **kw)

    def spy_schema(self, schema_name, *args, **kw):
        if schema_name != "public":
            switched.append(schema_name)
        return real_set_schema(self, schema_name, *args, **kw)

    monkeypatch.setattr(wrapper, "set_tenant", spy_tenant)
    monkeypatch.setattr(wrapper, "set_schema", spy_schema)
    urls = [
        "/dinas/",
        "/dinas/?format=xlsx",
        f"/dinas/koperasi/{a.pk}/",
        f"/dinas/koperasi/{a.pk}/kementerian/?year={date.today().year}",
        f"/dinas/kementerian/?year={date.today().year}",
    ]
    with CaptureQueriesContext(connection) as ctx:
        for url in urls:
            assert client.get(url).status_code == 200, url
    assert switched == []
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    for schema in (a.schema_name, b.schema_name):
        assert schema not in sql
    for table in ("members_member", "ledger_journalline", "loans_loan", "savings_"):
        assert table not in sql


def test_table_of_many_cooperatives_pages_by_25_in_a_fixed_number_of_queries(pembina_prov):
    """60 sharing cooperatives (registry rows and figures only, as the bench): 25 rows a
    page, the paginator's count taken from the totals (no second COUNT over the join),
    no query per row, and the regencies listed by the database."""
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from lumbung.dinas.models import SharingState
    from tenants.models import Cooperative

    from .conftest import KOBAR, PROVINCE

    now = timezone.now()
    coops = Cooperative.objects.bulk_create(
        [
            Cooperative(
                slug=f"banyak{i:03d}",
                name=f"KPRI Banyak {i:03d}",
                schema_name=f"coop_banyak{i:03d}",
                province=PROVINCE,
                regency=(KAPUAS, KOBAR)[i % 2],
                status="active",
            )
            for i in range(60)
        ]
    )
    SharingState.objects.bulk_create(
        [SharingState(cooperative=c, shared=True, refreshed_at=now) for c in coops]
    )
    Indicator.objects.bulk_create(
        [
            Indicator(cooperative=c, month=date.today().replace(day=1), latest=True, figures_at=now)
            for c in coops
        ]
    )
    client = verified_client(pembina_prov.user)
    client.get("/dinas/")  # the session's first request does its own bookkeeping
    counts = {}
    for page, expected_rows in ((1, 25), (3, 10)):
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get("/dinas/", {"page": page})
        body = _rows(resp)
        assert resp.status_code == 200
        assert body.count('href="/dinas/koperasi/') == expected_rows
        assert "60 baris" in body and f"Halaman {page} dari 3" in body
        sqls = [q["sql"] for q in ctx.captured_queries]
        assert not [s for s in sqls if s.startswith('SELECT COUNT(*) AS "__count"')]
        counts[page] = len(sqls)
    assert counts[1] == counts[3]  # nothing per row
    last = _rows(client.get("/dinas/", {"page": 99}))  # past the end: the last page
    assert "Halaman 3 dari 3" in last and last.count('href="/dinas/koperasi/') == 10
    # the page's window totals are the area's totals
    from lumbung.dinas.selectors import indicator_page, indicator_table, indicator_totals

    Indicator.objects.filter(cooperative__in=coops[:7]).update(
        members_active=10, total_assets=1000, loans_outstanding=200, npl_outstanding=10, npl_ratio=5
    )
    qs = indicator_table(pembina=pembina_prov)
    rows, totals = indicator_page(qs, number=2, per_page=25)
    assert len(rows) == 25 and totals == indicator_totals(qs)
    assert totals["count"] == 60 and totals["members_active"] == 70
    assert totals["total_assets"] == 7000 and totals["npl_ratio"] == 5
    assert f'<option value="{KAPUAS}">' in body and f'<option value="{KOBAR}">' in body
    assert "KPRI Banyak 059" in _rows(client.get("/dinas/", {"sort": "-name"}))


def test_the_table_names_the_year_of_each_shu_and_rat(pembina_prov, shared_both):
    """Cooperatives close their years at different times: a row's SHU says which fiscal
    year it is, and its last RAT which fiscal year the RAT was for — on the page, in the
    XLSX and on the profile."""
    import re

    from openpyxl import load_workbook

    a, b = shared_both
    Indicator.objects.filter(cooperative=a).update(
        shu_year=2024,
        shu_last_year=1234567,
        shu_note="",
        last_rat_year=2024,
        last_rat_date=date(2025, 3, 8),
    )
    client = verified_client(pembina_prov.user)
    body = _rows(client.get("/dinas/"))
    row = re.search(rf"{a.name}</a>.*?</tr>", body, re.S).group(0)
    assert re.search(r"Rp\s*1\.234\.567.*?\(2024\)", row, re.S), row
    assert "TB 2024" in row
    profile = _rows(client.get(f"/dinas/koperasi/{a.pk}/"))
    assert "TB 2024" in profile
    ws = load_workbook(
        io.BytesIO(client.get("/dinas/", {"format": "xlsx", "sort": "name"}).content)
    ).active
    rows = list(ws.iter_rows(values_only=True))
    headers = list(rows[0])
    line = next(r for r in rows if r[0] == a.name)
    assert line[headers.index("Tahun buku RAT terakhir")] == 2024
    assert line[headers.index("Tahun SHU")] == 2024
