"""The disbursement and repayment reports' period (``?from=`` / ``?to=``): an unreadable
date is a clear error on the page (400), never quietly the default month; a period typed
the wrong way round (from after to) is the period meant, its bounds swapped, as the
ledger reports, the portal and the kartu simpanan do."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.common.dates import format_tanggal
from core.loans.services import loan_repay


@pytest.mark.parametrize("kind", ["disbursements", "repayments"])
@pytest.mark.parametrize("fmt", ["html", "pdf", "xlsx", "csv"])
@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("from=2026-13-01", "Tanggal awal periode"),
        ("to=kemarin", "Tanggal akhir periode"),
        ("from=2026-02-30&to=2026-03-31", "Tanggal awal periode"),
    ],
)
def test_unreadable_report_date_is_an_error_not_the_default_month(
    client_a, staff, kind, fmt, query, label
):
    client_a.force_login(staff["pengawas"])
    r = client_a.get(f"/pinjaman/laporan/{kind}/?{query}&format={fmt}")
    assert r.status_code == 400
    assert r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    assert f"{label} bukan tanggal yang valid (format TTTT-BB-HH)." in html
    assert "s.d." not in html  # no report of another period


@pytest.mark.parametrize("kind", ["disbursements", "repayments"])
def test_report_period_typed_the_wrong_way_round_is_the_period_meant(
    client_a, staff, make_loan, today, kind
):
    loan = make_loan(days_ago=40)
    loan_repay(loan=loan, amount=D(100_000), by=staff["petugas"], on=today - timedelta(days=5))
    client_a.force_login(staff["pengawas"])
    start, end = today - timedelta(days=60), today
    r = client_a.get(f"/pinjaman/laporan/{kind}/?from={end}&to={start}")
    assert r.status_code == 200
    html = r.content.decode()
    assert loan.number in html
    assert f"{format_tanggal(start)} s.d. {format_tanggal(end)}" in html
