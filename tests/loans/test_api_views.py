"""REST API and screens: simulation, the workflow over HTTP, permissions per role,
reports in HTML / PDF / XLSX."""

import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.loans.models import Loan, LoanProduct, Repayment
from tests.loans.conftest import assert_reconciled
from tests.members import factories as f
from tests.module_coop import module_uncommitted

PASSWORD = "Rahasia-123!"


def _files():
    return {
        "application_letter": SimpleUploadedFile("surat.pdf", b"%PDF-1.4 a"),
        "payslip": SimpleUploadedFile("slip.pdf", b"%PDF-1.4 b"),
    }


def test_simulate_returns_reference_annuity_schedule(login, staff, in_tenant_a):
    p = LoanProduct.objects.get(code="PA")  # seeded: annuity 12% a year
    r = login(staff["petugas"]).post(
        "/api/v1/loans/simulate/",
        {"product": p.pk, "principal": "10000000", "tenor": 12},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["schedule"][0]["total"] == "888488"
    assert body["schedule"][-1]["principal"] == "879688" and body["schedule"][-1]["jasa"] == "8797"
    assert body["total_jasa"] == "661853"


def test_simulate_refuses_amount_outside_product(login, staff, product):
    r = login(staff["petugas"]).post(
        "/api/v1/loans/simulate/",
        {"product": product.pk, "principal": "100", "tenor": 12},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "loan_amount_out_of_range"


def test_members_may_simulate(login, product, in_tenant_a):
    r = login(f.user("anggota")).post(
        "/api/v1/loans/simulate/",
        {"product": product.pk, "principal": "2000000", "tenor": 10},
        content_type="application/json",
    )
    assert r.status_code == 200


def test_workflow_over_the_api(login, staff, member, product):
    c = login(staff["petugas"])
    r = c.post(
        "/api/v1/loans/",
        {
            "member": member.pk,
            "product": product.pk,
            "principal": "5000000",
            "tenor": "10",
            **_files(),
        },
    )
    assert r.status_code == 201, r.content
    loan_id = r.json()["id"]
    assert len(r.json()["documents"]) == 2
    assert login(staff["bendahara"]).post(f"/api/v1/loans/{loan_id}/verify/").status_code == 200
    r = login(staff["bendahara"]).post(f"/api/v1/loans/{loan_id}/approve/")
    assert r.status_code == 403
    assert login(staff["ketua"]).post(f"/api/v1/loans/{loan_id}/approve/").status_code == 200
    r = login(staff["bendahara"]).post(
        f"/api/v1/loans/{loan_id}/disburse/", {"via": "bank"}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "disbursed"
    r = c.get(f"/api/v1/loans/{loan_id}/schedule/")
    assert len(r.json()) == 10
    r = c.post(
        f"/api/v1/loans/{loan_id}/repay/", {"amount": "550000"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["receipt_number"].startswith("ANG-")
    r = c.post(f"/api/v1/loans/{loan_id}/repay/", {"amount": "-1"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "loan_amount_not_positive"
    assert c.get(f"/api/v1/loans/repayments/?loan={loan_id}").json()["count"] == 1
    assert_reconciled()


def test_pengawas_reads_but_never_writes(login, staff, make_loan):
    loan = make_loan()
    c = login(staff["pengawas"])
    assert c.get("/api/v1/loans/").status_code == 200
    assert c.get(f"/api/v1/loans/{loan.pk}/schedule/").status_code == 200
    assert (
        c.post(
            f"/api/v1/loans/{loan.pk}/repay/", {"amount": "100000"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert c.get("/pinjaman/").status_code == 200
    assert c.post(f"/pinjaman/{loan.pk}/repay/", {"amount": "100000"}).status_code == 403


def test_member_sees_only_own_loans(login, make_loan, member, in_tenant_a):
    mine = make_loan(principal=D(2_000_000))
    other = make_loan(principal=D(2_000_000), who=f.member(take_home_pay=D(9_000_000)))
    u = f.user("anggota")
    member.user = u
    member.save()
    c = login(u)
    ids = [x["id"] for x in c.get("/api/v1/loans/").json()["results"]]
    assert ids == [mine.pk]
    assert c.get(f"/api/v1/loans/{other.pk}/").status_code == 404
    assert (
        c.post(
            f"/api/v1/loans/{mine.pk}/repay/", {"amount": "100000"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert c.get("/pinjaman/").status_code == 403


def test_products_admin_only_writes(login, staff):
    data = {
        "code": "BARU",
        "name": "Baru",
        "method": "flat",
        "rate": "1",
        "rate_period": "month",
        "min_amount": "1000000",
        "max_amount": "2000000",
        "min_tenor": 1,
        "max_tenor": 12,
    }
    assert (
        login(staff["bendahara"])
        .post("/api/v1/loans/products/", data, content_type="application/json")
        .status_code
        == 403
    )
    r = login(staff["admin"]).post("/api/v1/loans/products/", data, content_type="application/json")
    assert r.status_code == 201, r.content
    bad = data | {"code": "BAD", "min_amount": "5000000"}
    r = login(staff["admin"]).post("/api/v1/loans/products/", bad, content_type="application/json")
    assert r.status_code == 400
    assert not LoanProduct.objects.filter(code="BAD").exists()


def test_settings_api(login, staff):
    c = login(staff["admin"])
    assert c.get("/api/v1/loans/settings/").json()["lancar_max_days"] == 90
    r = c.patch("/api/v1/loans/settings/", {"lancar_max_days": 60}, content_type="application/json")
    assert r.status_code == 200 and r.json()["lancar_max_days"] == 60
    assert (
        login(staff["ketua"])
        .patch("/api/v1/loans/settings/", {"lancar_max_days": 30}, content_type="application/json")
        .status_code
        == 403
    )


def test_screens_render(login, staff, make_loan):
    loan = make_loan(days_ago=40)
    c = login(staff["bendahara"])
    for url in [
        "/pinjaman/",
        "/pinjaman/simulasi/",
        "/pinjaman/ajukan/",
        "/pinjaman/produk/",
        "/pinjaman/laporan/",
        f"/pinjaman/{loan.pk}/",
        f"/pinjaman/{loan.pk}/kartu/",
    ]:
        r = c.get(url)
        assert r.status_code == 200, url
    r = c.post(
        "/pinjaman/simulasi/", {"product": loan.product_id, "principal": "2000000", "tenor": "10"}
    )
    assert b"220.000" in r.content or b"220000" in r.content


def test_counter_repayment_screen_gives_receipt(login, staff, make_loan):
    loan = make_loan(days_ago=40)
    r = login(staff["petugas"]).post(
        f"/pinjaman/{loan.pk}/repay/", {"amount": "1.100.000", "channel": "counter"}
    )
    assert r.status_code == 302 and "/kuitansi/" in r["Location"]
    page = login(staff["petugas"]).get(r["Location"])
    assert b"ANG-" in page.content
    rep = Repayment.objects.get(loan=loan)
    pdf_url = reverse("loans:receipt_pdf", args=[rep.pk])
    assert pdf_url.encode() in page.content  # the page links its PDF
    r = login(staff["petugas"]).get(pdf_url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and rep.receipt_number in r["Content-Disposition"]
    assert_reconciled()


def test_apply_screen_creates_application(login, staff, member, product):
    c = login(staff["petugas"])
    r = c.post(
        "/pinjaman/ajukan/",
        {
            "member_number": member.number,
            "product": product.pk,
            "principal": "3000000",
            "tenor": "10",
            "purpose": "Renovasi",
            **_files(),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Loan.objects.filter(member=member, status="applied").count() == 1


@pytest.fixture(scope="class")
def report_loan(django_db_setup, django_db_blocker, tmp_path_factory):
    """One loan disbursed 130 days ago (in arrears), 50,000 paid today, arrears updated:
    built once for the report kinds, never committed (``module_uncommitted``; each test's
    writes rolled back on top of it)."""
    from django.utils import timezone

    from core.loans.arrears import loans_arrears_update
    from core.loans.services import loan_repay
    from tests.loans.conftest import loan_made, product_with_every_fee

    def build():
        today = timezone.localdate()
        staff = {r: f.user(r) for r in ("bendahara", "ketua", "petugas")}
        member = f.member(take_home_pay=D("15000000"))
        loan = loan_made(staff, member, product_with_every_fee(), today, days_ago=130)
        loan_repay(loan=loan, amount=D(50_000), by=staff["petugas"], on=today)
        loans_arrears_update(on=today)
        return loan.pk

    with module_uncommitted(django_db_blocker, tmp_path_factory, build) as loan_pk:
        yield loan_pk


class TestReportsInThreeFormats:
    @pytest.mark.parametrize(
        "kind", ["outstanding", "arrears", "collectibility", "disbursements", "repayments"]
    )
    def test_reports_in_three_formats(self, report_loan, login, staff, kind):
        from openpyxl import load_workbook

        loan = Loan.objects.get(pk=report_loan)
        c = login(staff["pengawas"])
        r = c.get(f"/pinjaman/laporan/{kind}/")
        assert r.status_code == 200
        if kind in ("outstanding", "arrears"):
            assert loan.number.encode() in r.content
        r = c.get(f"/pinjaman/laporan/{kind}/?format=pdf&from=2000-01-01")
        assert r.status_code == 200 and r.content[:4] == b"%PDF"
        r = c.get(f"/pinjaman/laporan/{kind}/?format=xlsx&from=2000-01-01")
        assert r.status_code == 200
        wb = load_workbook(io.BytesIO(r.content))
        text = " ".join(
            str(c.value) for row in wb.active.iter_rows() for c in row if c.value is not None
        )
        if kind != "collectibility":
            assert loan.number in text


def test_collectibility_report_shows_npl_band(login, staff, make_loan, today):
    from core.loans.arrears import loans_arrears_update

    make_loan(days_ago=130)
    loans_arrears_update(on=today)
    r = login(staff["ketua"]).get("/pinjaman/laporan/collectibility/")
    assert b"NPL" in r.content and b"Tidak sehat" in r.content


@pytest.mark.parametrize(
    ("until", "role", "shown", "hidden"),
    [
        ("applied", "bendahara", "/verify/", "/approve/"),
        ("verified", "ketua", "/approve/", "/disburse/"),
        ("approved", "bendahara", "/disburse/", "/approve/"),
        (None, "petugas", "/repay/", "/reschedule/"),
        (None, "ketua", "/reschedule/", "/verify/"),
        (None, "pengawas", "kartu", "/repay/"),
    ],
)
def test_detail_screen_offers_the_actions_of_the_role(
    login, staff, make_loan, until, role, shown, hidden
):
    loan = make_loan(until=until)
    r = login(staff[role]).get(f"/pinjaman/{loan.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert shown in html
    assert hidden not in html


def test_approving_own_application_on_screen_shows_error(login, staff, member, product):
    from core.loans.services import loan_apply, loan_verify

    loan = loan_apply(
        member=member,
        product=product,
        principal=D(2_000_000),
        tenor=10,
        by=staff["ketua"],
        documents=[(k, v) for k, v in _files().items()],
    )
    loan_verify(loan=loan, by=staff["bendahara"])
    c = login(staff["ketua"])
    r = c.post(f"/pinjaman/{loan.pk}/approve/", follow=True)
    assert r.status_code == 200
    assert "sendiri" in r.content.decode()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.VERIFIED


def test_upload_another_document(login, staff, make_loan):
    loan = make_loan(until="applied")
    c = login(staff["petugas"])
    r = c.post(
        f"/api/v1/loans/{loan.pk}/documents/",
        {"kind": "other", "file": SimpleUploadedFile("sk.pdf", b"%PDF sk")},
    )
    assert r.status_code == 201, r.content
    r = c.post(
        f"/api/v1/loans/{loan.pk}/documents/",
        {"kind": "ktp", "file": SimpleUploadedFile("x.pdf", b"x")},
    )
    assert r.status_code == 400
    assert loan.documents.count() == 3
    assert (
        login(staff["pengawas"])
        .post(
            f"/api/v1/loans/{loan.pk}/documents/",
            {"kind": "other", "file": SimpleUploadedFile("y.pdf", b"y")},
        )
        .status_code
        == 403
    )
