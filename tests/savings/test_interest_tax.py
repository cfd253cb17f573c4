"""Issue 17 item 10: PPh on savings interest — the Rp 240,000 threshold is per MEMBER
per month across all their accounts (PP 15/2009, 10% final), and the bendahara's monthly
bukti potong list (screen, XLSX, API)."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsTransaction
from core.savings.selectors import interest_tax_report
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    savings_product_create,
    tax_shares,
)
from tests.members import factories as f

from .conftest import assert_reconciled
from .test_interest import _fund

D = Decimal


@pytest.fixture
def sukarela(products):
    p = products["sukarela"]
    p.interest_rate_annual = D("6")
    p.save()
    return p


def _tax(acc):
    return sum(
        SavingsTransaction.objects.filter(account=acc, kind="tax").values_list("amount", flat=True),
        D(0),
    )


@pytest.fixture
def second(products):
    return savings_product_create(
        by="tests",
        code="SSP",
        kind="sukarela",
        name="Sukarela Plus",
        interest_enabled=True,
        interest_rate_annual=D("6"),
        interest_auto=False,
    )


def test_threshold_counts_another_products_interest_of_the_month(sukarela, second, teller, year):
    """Sukarela 200,000 interest (no tax alone), then a second product's run 100,000
    (no tax alone either: today's code withheld nothing): the member's month is 300,000,
    so 30,000 is withheld in the second run; another member under the threshold pays none."""
    m = f.member()
    lone = savings_account_open(member=f.member(), product=second, on=date(year, 1, 2))
    _fund(lone, D("20000000"), date(year, 1, 5), teller)
    tax_before = account_balance(account=account_for_role("tax_payable"))
    a1 = savings_account_open(member=m, product=sukarela, on=date(year, 1, 2))
    a2 = savings_account_open(member=m, product=second, on=date(year, 1, 2))
    _fund(a1, D("40000000"), date(year, 1, 5), teller)
    _fund(a2, D("20000000"), date(year, 1, 5), teller)
    r1 = savings_interest_accrue(product=sukarela, year=year, month=2, by=teller)
    assert (r1.gross_interest, r1.tax) == (D("200000"), D("0"))
    r2 = savings_interest_accrue(product=second, year=year, month=2, by=teller)
    assert (r2.gross_interest, r2.tax) == (D("200000"), D("30000"))
    assert _tax(a2) == D("30000") and _tax(lone) == 0 and _tax(a1) == 0
    assert account_balance(account=account_for_role("tax_payable")) - tax_before == D("30000")
    row = next(r for r in interest_tax_report(year=year, month=2) if r.member_id == m.pk)
    assert (row.gross, row.tax, row.net) == (D("300000"), D("30000"), D("270000"))
    assert row.nip == m.nip and row.nik == m.nik
    assert_reconciled()


def test_tax_shares_sum_to_the_tax():
    assert tax_shares(D("30001"), [D("150000"), D("150001")]) == [D("15000"), D("15001")]
    assert sum(tax_shares(D("7"), [D("1"), D("1"), D("1")])) == D("7")


def test_bukti_potong_screen_xlsx_and_api(tenant_a, sukarela, second, teller, year):
    from openpyxl import load_workbook

    from tenants.services import tenant_host

    m = f.member()
    for product, amount in ((sukarela, D("40000000")), (second, D("20000000"))):
        acc = savings_account_open(member=m, product=product, on=date(year, 1, 2))
        _fund(acc, amount, date(year, 1, 5), teller)
        savings_interest_accrue(product=product, year=year, month=2, by=teller)
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("bendahara"))
    body = c.get("/simpanan/pph/", {"bulan": f"{year}-02"}).content.decode()
    assert m.nip in body and "300.000" in body and "30.000" in body and "270.000" in body
    x = c.get("/simpanan/pph/", {"bulan": f"{year}-02", "format": "xlsx"})
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert m.nip in values and D("30000") in [
        D(str(v)) for v in values if isinstance(v, int | float)
    ]
    r = c.get("/api/v1/savings/interest-tax/", {"year": year, "month": 2})
    assert r.status_code == 200
    (row,) = r.json()["members"]
    assert (row["nip"], row["gross_interest"], row["tax"], row["net"]) == (
        m.nip,
        "300000.00",
        "30000.00",
        "270000.00",
    )
    r = c.get("/api/v1/savings/interest-tax/", {"year": year, "month": 13})
    assert r.status_code == 400 and r.json()["error"]["code"] == "savings_bad_period"
    assert c.get("/simpanan/pph/", {"bulan": f"{year}-13"}).status_code == 200
    petugas = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    petugas.force_login(f.user("petugas"))
    assert petugas.get("/api/v1/savings/interest-tax/").status_code == 403
