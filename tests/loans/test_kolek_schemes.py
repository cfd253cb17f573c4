"""Collectibility: the five-grade scheme (Lancar, Dalam Perhatian Khusus, Kurang Lancar,
Diragukan, Macet) as well as the four-grade one, chosen per cooperative with its own bands
and PPAP rates (issue 17 item 11): through the settings service and API, the daily
arrears run, the collectibility report and the dashboard."""

from decimal import Decimal as D

import pytest

from core.common.errors import ApplicationError
from core.loans.arrears import loans_arrears_update
from core.loans.models import LoanSettings
from core.loans.reports import report_collectibility
from core.loans.selectors import collectibility_summary
from core.loans.services import loan_settings_update
from tests.loans.conftest import assert_reconciled
from tests.members import factories as f


def test_five_grade_scheme_grades_and_provisions(make_loan, staff, today):
    # ~14 days past due: Lancar in the four-grade scheme, DPK in the five-grade one
    late = make_loan(days_ago=45)
    fresh = make_loan(principal=D(2_000_000), who=f.member(take_home_pay=D(9_000_000)))
    loans_arrears_update(on=today)
    late.refresh_from_db()
    assert (late.kolektibilitas, late.ppap_amount) == ("lancar", D(50_000))
    st = loan_settings_update(by=staff["admin"], kolek_scheme="five")
    # switching without bands takes the five-grade defaults
    assert st.thresholds == (0, 90, 120, 180)
    assert [st.ppap_rates[g] for g in st.grades] == [D("0.5"), 5, 15, 50, 100]
    loans_arrears_update(on=today)
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert (late.kolektibilitas, late.ppap_amount) == ("dpk", D(500_000))
    assert (fresh.kolektibilitas, fresh.ppap_amount) == ("lancar", D(10_000))
    assert late.get_kolektibilitas_display() == "Dalam Perhatian Khusus"
    s = collectibility_summary()
    assert [g["grade"] for g in s["grades"]] == [
        "lancar",
        "dpk",
        "kurang_lancar",
        "diragukan",
        "macet",
    ]
    assert s["non_performing"] == 0  # DPK is still performing
    rep = report_collectibility(on=today)
    assert "Dalam Perhatian Khusus" in [r["grade"] for r in rep.rows]
    assert any("Dalam Perhatian Khusus 1-90 hari (PPAP 5%)" in n for n in rep.notes)
    assert_reconciled()
    # its own rates
    loan_settings_update(by=staff["admin"], ppap_dpk=D(3))
    loans_arrears_update(on=today)
    late.refresh_from_db()
    assert late.ppap_amount == D(300_000)
    # back to four grades: DPK disappears
    loan_settings_update(by=staff["admin"], kolek_scheme="four")
    loans_arrears_update(on=today)
    late.refresh_from_db()
    assert late.kolektibilitas == "lancar"
    assert [g["grade"] for g in collectibility_summary()["grades"]] == [
        "lancar",
        "kurang_lancar",
        "diragukan",
        "macet",
    ]
    assert_reconciled()


def test_five_grade_bands_must_ascend(staff, in_tenant_a):
    loan_settings_update(by=staff["admin"], kolek_scheme="five")
    with pytest.raises(ApplicationError) as e:
        loan_settings_update(by=staff["admin"], dpk_max_days=150)
    assert "dpk_max_days" in e.value.fields
    assert LoanSettings.get().dpk_max_days == 90
    with pytest.raises(ApplicationError):
        loan_settings_update(by=staff["admin"], kolek_scheme="six")


def test_settings_api_switches_scheme_and_dashboard_shows_it(make_loan, staff, today, client_a):
    make_loan(days_ago=45)
    client_a.force_login(staff["admin"])
    r = client_a.patch(
        "/api/v1/loans/settings/",
        {"kolek_scheme": "five", "ppap_dpk": "4"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["kolek_scheme"] == "five" and body["dpk_max_days"] == 90
    assert D(body["ppap_dpk"]) == 4 and D(body["ppap_kurang_lancar"]) == 15
    assert body["restructure_probation_instalments"] == 3
    r = client_a.patch(
        "/api/v1/loans/settings/", {"kurang_lancar_max_days": 60}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "loan_invalid"
    loans_arrears_update(on=today)
    home = client_a.get("/").content.decode()
    assert "Dalam Perhatian Khusus" in home
    page = client_a.get("/pinjaman/laporan/collectibility/").content.decode()
    assert "Dalam Perhatian Khusus" in page and "Skema kolektibilitas" in page


def test_settings_screen_switches_to_five_grades(staff, client_a, in_tenant_a):
    client_a.force_login(staff["pengawas"])
    page = client_a.get("/pinjaman/pengaturan/").content.decode()
    assert "Kurang Lancar" in page and "91–180" in page and 'name="kolek_scheme"' not in page
    assert client_a.post("/pinjaman/pengaturan/", {"kolek_scheme": "five"}).status_code == 403
    client_a.force_login(staff["admin"])
    form = client_a.get("/pinjaman/pengaturan/").context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data["kolek_scheme"] = "five"
    r = client_a.post("/pinjaman/pengaturan/", data, follow=True)
    assert r.status_code == 200
    st = LoanSettings.get()
    assert st.kolek_scheme == "five" and st.thresholds == (0, 90, 120, 180)
    page = r.content.decode()
    assert "Dalam Perhatian Khusus" in page and "1–90" in page
    # bands out of order: the form says so, nothing changes
    data = {k: ("" if v is None else v) for k, v in r.context["form"].initial.items()}
    data = {k: v for k, v in data.items() if k in r.context["form"].fields}
    data["dpk_max_days"] = 150
    r = client_a.post("/pinjaman/pengaturan/", data)
    assert "Batas hari kolektibilitas harus naik berurutan." in r.content.decode()
    assert LoanSettings.get().dpk_max_days == 90
    assert "/pinjaman/pengaturan/" in client_a.get("/pengaturan/").content.decode()
