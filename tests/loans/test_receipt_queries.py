"""The receipt numbers of a loan's repayments are read in one query wherever a list of
them is shown (the loan page, the loan card, the repayments report, the API list): the
query count does not grow with the number of repayments."""

from decimal import Decimal as D

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.loans.services import loan_repay
from tenants.services import tenant_host


def _client(staff, tenant):
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(staff["bendahara"])
    return c


def _queries(c, url) -> int:
    assert c.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as ctx:
        resp = c.get(url)
    assert resp.status_code == 200, url
    return len(ctx)


def test_receipt_numbers_cost_one_query_however_many_repayments(
    make_loan, staff, today, tenant_a, in_tenant_a
):
    loan = make_loan(days_ago=200)
    c = _client(staff, tenant_a)
    urls = [
        f"/pinjaman/{loan.pk}/",
        f"/pinjaman/{loan.pk}/kartu/",
        f"/api/v1/loans/repayments/?loan={loan.pk}",
        f"/pinjaman/laporan/repayments/?from={today.replace(day=1, month=1)}&to={today}",
    ]
    loan_repay(loan=loan, amount=D(100_000), by=staff["petugas"], on=today)
    one = [_queries(c, u) for u in urls]
    numbers = set()
    for _ in range(4):
        numbers.add(
            loan_repay(loan=loan, amount=D(100_000), by=staff["petugas"], on=today).receipt_number
        )
    five = [_queries(c, u) for u in urls]
    assert five == one, dict(zip(urls, zip(one, five, strict=True), strict=True))
    page = c.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert len(numbers) == 4 and all(n in page for n in numbers)
