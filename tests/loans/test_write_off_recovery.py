"""Money received on a loan written off by the board (hapus buku): Dr cash/bank, Cr
other income (penerimaan piutang dihapusbukukan), a receipt of the loan repayment series,
the loan stays closed; at most what remains of the amount written off; a write-off with
money received since is no longer reversed."""

from decimal import Decimal as D

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.selectors import balances_check
from core.loans.arrears import loans_arrears_update
from core.loans.models import Loan, LoanRecovery
from core.loans.services import (
    loan_recovery_receive,
    loan_write_off,
    loan_write_off_reverse,
    write_off_summary,
)
from tests.loans.conftest import assert_reconciled


def lines_of(entry):
    return sorted(
        (ln.account.code, ln.debit, ln.credit) for ln in entry.lines.select_related("account")
    )


@pytest.fixture
def written_off(make_loan, staff, today):
    loan = make_loan(days_ago=320)
    loans_arrears_update(on=today)
    wo = loan_write_off(
        loan=loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref="SK-1"
    )
    loan.refresh_from_db()
    return loan, wo


def test_recovery_is_other_income_with_a_receipt(written_off, staff, today):
    loan, wo = written_off
    rec = loan_recovery_receive(loan=loan, amount=D(1_500_000), by=staff["petugas"], on=today)
    assert lines_of(rec.entry) == [("1101", D("1500000"), D("0")), ("4301", D("0"), D("1500000"))]
    assert rec.receipt_number.startswith(f"ANG-{today.year}-")
    loan.refresh_from_db()
    assert (loan.status, loan.closed_by, loan.principal_outstanding) == (
        Loan.Status.CLOSED,
        Loan.ClosedBy.WRITEOFF,
        0,
    )
    s = write_off_summary(loan)
    assert (s["amount"], s["recovered"], s["remaining"]) == (
        D("10000000"),
        D("1500000"),
        D("8500000"),
    )
    assert AuditEvent.objects.get(action="loan.writeoff.recovery").data["receipt"] == (
        rec.receipt_number
    )
    bank = loan_recovery_receive(
        loan=loan, amount=D(8_500_000), by=staff["bendahara"], on=today, channel="bank"
    )
    assert lines_of(bank.entry) == [("1102", D("8500000"), D("0")), ("4301", D("0"), D("8500000"))]
    assert write_off_summary(loan)["remaining"] == 0
    assert balances_check() == []
    assert_reconciled()


def test_refuses_more_than_remains_and_changes_nothing(written_off, staff, today):
    loan, wo = written_off
    loan_recovery_receive(loan=loan, amount=D(9_000_000), by=staff["bendahara"], on=today)
    n = (JournalEntry.objects.count(), LoanRecovery.objects.count())
    with pytest.raises(ApplicationError) as exc:
        loan_recovery_receive(loan=loan, amount=D(1_000_001), by=staff["bendahara"], on=today)
    assert exc.value.code == "loan_recovery_exceeds_written_off"
    assert "Rp 1.000.000" in exc.value.message
    assert (JournalEntry.objects.count(), LoanRecovery.objects.count()) == n


def test_refuses_a_loan_not_written_off(make_loan, staff, today):
    loan = make_loan(days_ago=40)
    n = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as exc:
        loan_recovery_receive(loan=loan, amount=D(100_000), by=staff["bendahara"], on=today)
    assert exc.value.code == "loan_not_written_off"
    assert JournalEntry.objects.count() == n


@pytest.mark.parametrize("amount", [D(0), D("100.5"), "-5"])
def test_refuses_bad_amounts(written_off, staff, today, amount):
    loan, _wo = written_off
    with pytest.raises(ApplicationError):
        loan_recovery_receive(loan=loan, amount=amount, by=staff["bendahara"], on=today)
    assert not LoanRecovery.objects.exists()


def test_refuses_roles_without_the_counter(written_off, staff, today):
    loan, _wo = written_off
    with pytest.raises(ApplicationError) as exc:
        loan_recovery_receive(loan=loan, amount=D(1), by=staff["pengawas"], on=today)
    assert exc.value.code == "permission_denied"
    assert not LoanRecovery.objects.exists()


def test_write_off_with_a_recovery_is_not_reversed(written_off, staff, today):
    loan, wo = written_off
    loan_recovery_receive(loan=loan, amount=D(100_000), by=staff["bendahara"], on=today)
    with pytest.raises(ApplicationError) as exc:
        loan_write_off_reverse(write_off=wo, by=staff["ketua"], reason="Salah", on=today)
    assert exc.value.code == "loan_reversal_later_depends"
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED


def test_the_page_lists_recoveries_and_the_teller_records_one(written_off, staff, client_a, today):
    loan, _wo = written_off
    url = f"/pinjaman/{loan.pk}/"
    client_a.force_login(staff["pengawas"])
    assert 'id="recovery-form"' not in client_a.get(url).content.decode()
    client_a.force_login(staff["petugas"])
    assert 'id="recovery-form"' in client_a.get(url).content.decode()
    r = client_a.post(
        f"{url}recover/", {"amount": "2.000.000", "on": today.isoformat(), "channel": "counter"}
    )
    assert r.status_code == 302
    rec = LoanRecovery.objects.get()
    html = client_a.get(url).content.decode()
    table = html[html.index('id="recoveries"') :].split("</table>")[0]
    assert rec.receipt_number in table and "Rp 2.000.000" in table
    summary = html[html.index('id="write-off-summary"') :].split("</table>")[0]
    assert "Rp 10.000.000" in summary and "Rp 8.000.000" in summary
    # too much: said on the page, nothing recorded
    r = client_a.post(
        f"{url}recover/", {"amount": "9.000.000", "on": today.isoformat()}, follow=True
    )
    assert "melebihi sisa" in r.content.decode()
    assert LoanRecovery.objects.count() == 1


def test_api_recover(written_off, staff, client_a, today):
    loan, _wo = written_off
    client_a.force_login(staff["bendahara"])
    url = f"/api/v1/loans/{loan.pk}/recover/"
    r = client_a.post(url, {"amount": "500000"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["receipt_number"].startswith("ANG-")
    r = client_a.post(url, {"amount": "10000000"}, content_type="application/json")
    assert r.status_code == 400 or r.status_code == 409
    assert r.json()["error"]["code"] == "loan_recovery_exceeds_written_off"


def test_the_auditors_register_lists_the_write_off_and_its_recoveries(
    written_off, staff, client_a, today
):
    from core.loans.reports import report_write_offs

    loan, wo = written_off
    loan_recovery_receive(loan=loan, amount=D(1_250_000), by=staff["bendahara"], on=today)
    report = report_write_offs(on=today)
    (row,) = report.rows
    assert (row["number"], row["decision"], row["amount"], row["recovered"], row["remaining"]) == (
        loan.number,
        "SK-1",
        D("10000000"),
        D("1250000"),
        D("8750000"),
    )
    client_a.force_login(staff["pengawas"])
    r = client_a.get("/pinjaman/laporan/write-offs/")
    assert r.status_code == 200 and loan.number in r.content.decode()
    assert client_a.get("/pinjaman/laporan/write-offs/?format=xlsx").status_code == 200
