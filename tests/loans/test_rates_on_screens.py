"""Rates on screens (issue 17 item 12): the apply and simulate screens (staff and the
member portal) show the product's rate with its period, the reschedule form says per
month or per year, and the API gives rates in one unit (percent, with the period)."""

from decimal import Decimal as D

from core.loans.models import LoanProduct
from tests.members import factories as f


def test_staff_simulate_and_apply_screens_show_rate_with_period(staff, product, client_a):
    annuity = LoanProduct.objects.get(code="PA")  # seeded: annuity 12% a year
    client_a.force_login(staff["petugas"])
    page = client_a.get("/pinjaman/simulasi/").content.decode()
    assert "Produk Uji — jasa 1% per bulan, Flat" in page
    assert "jasa 12% per tahun, Anuitas" in page
    r = client_a.post(
        "/pinjaman/simulasi/", {"product": annuity.pk, "principal": "10000000", "tenor": "12"}
    )
    html = r.content.decode()
    assert 'id="rate"' in html and "12% per tahun" in html
    assert (
        "Produk Uji — jasa 1% per bulan, Flat" in client_a.get("/pinjaman/ajukan/").content.decode()
    )


def test_portal_simulate_shows_rate_with_period(product, client_a, in_tenant_a):
    from tests.webapp.conftest import make_user

    member = f.member(take_home_pay=D("15000000"))
    member.user = make_user("anggota", email="rate@alpha.test")
    member.save(update_fields=["user"])
    client_a.force_login(member.user)
    page = client_a.get("/portal/pinjaman/simulasi/").content.decode()
    assert "Produk Uji — jasa 1% per bulan, Flat" in page
    r = client_a.get(
        "/portal/pinjaman/simulasi/", {"product": product.pk, "principal": "2000000", "tenor": "10"}
    )
    assert r.status_code == 200
    assert "1% per bulan" in r.content.decode().split('id="rate"')[1][:80]


def test_decimal_rate_is_written_with_a_comma(product):
    product.rate, product.rate_period = D("1.5"), "month"
    assert product.rate_label == "1,5% per bulan"


def test_reschedule_form_says_per_month_or_per_year(make_loan, staff, client_a):
    loan = make_loan(days_ago=40)
    client_a.force_login(staff["ketua"])
    html = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert "Jasa baru (% per bulan)" in html
    assert "Jasa sekarang 1% per bulan" in html


def test_api_gives_rates_in_percent_with_their_period(staff, client_a, in_tenant_a):
    annuity = LoanProduct.objects.get(code="PA")
    client_a.force_login(staff["petugas"])
    body = client_a.post(
        "/api/v1/loans/simulate/",
        {"product": annuity.pk, "principal": "10000000", "tenor": 12},
        content_type="application/json",
    ).json()
    # today's API gave "monthly_rate": "0.01" (a fraction per month) here
    assert "monthly_rate" not in body
    assert (D(body["rate"]), body["rate_period"]) == (D(12), "year")
    product = client_a.get(f"/api/v1/loans/products/{annuity.pk}/").json()
    assert (D(product["rate"]), product["rate_period"]) == (D(12), "year")
