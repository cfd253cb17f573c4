"""A recovery on a written-off loan entered by mistake is reversed (bendahara, admin):
its entry reversed as the loans module, the recovery marked reversed (its receipt kept,
shown *Dibatalkan*), the remaining amount written off back up, the write-off reversible
again when no other money was received; refused twice, without a reason, to other roles
and in a closed month, changing nothing."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, Period
from core.ledger.selectors import balances_check
from core.loans.arrears import loans_arrears_update
from core.loans.models import Loan, LoanRecovery
from core.loans.reports import report_write_offs
from core.loans.services import (
    loan_recovery_receive,
    loan_recovery_reverse,
    loan_write_off,
    loan_write_off_reverse,
    write_off_summary,
)
from tests.loans.conftest import assert_reconciled, month_close_as_treasurer


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


@pytest.fixture
def recovered(written_off, staff, today):
    loan, wo = written_off
    rec = loan_recovery_receive(loan=loan, amount=D(1_500_000), by=staff["petugas"], on=today)
    return loan, wo, rec


def _state():
    return (
        JournalEntry.objects.count(),
        list(LoanRecovery.objects.values_list("pk", "reversal_entry_id", "reversed_on")),
        AuditEvent.objects.filter(action="loan.writeoff.recovery_reverse").count(),
    )


def test_reversal_reverses_the_entry_and_the_remaining_goes_back_up(recovered, staff, today):
    loan, wo, rec = recovered
    assert write_off_summary(loan)["remaining"] == D("8500000")
    out = loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="Salah anggota")
    rec.refresh_from_db()
    assert out.pk == rec.pk
    # by hand: Dr other income 1,500,000 / Cr cash 1,500,000, dated today, reversing it
    assert lines_of(rec.reversal_entry) == [
        ("1101", D("0"), D("1500000")),
        ("4301", D("1500000"), D("0")),
    ]
    assert rec.reversal_entry.reverses_id == rec.entry_id
    assert rec.reversal_entry.date == today
    assert (rec.reversed_on, rec.reversal_reason, rec.reversed_by) == (
        today,
        "Salah anggota",
        staff["bendahara"],
    )
    assert rec.receipt_number.startswith("ANG-")  # the receipt stays
    s = write_off_summary(loan)
    assert (s["recovered"], s["remaining"]) == (D("0"), D("10000000"))
    assert [r.pk for r in s["recoveries"]] == [rec.pk]  # still listed, marked
    ev = AuditEvent.objects.get(action="loan.writeoff.recovery_reverse")
    assert ev.reason == "Salah anggota"
    assert ev.data["receipt"] == rec.receipt_number
    loan.refresh_from_db()
    assert (loan.status, loan.closed_by) == (Loan.Status.CLOSED, Loan.ClosedBy.WRITEOFF)
    # money may be received again up to the whole amount written off
    loan_recovery_receive(loan=loan, amount=D(10_000_000), by=staff["bendahara"], on=today)
    assert balances_check() == []
    assert_reconciled()


def test_the_write_off_can_be_reversed_once_its_only_recovery_is(recovered, staff, today):
    loan, wo, rec = recovered
    loan_recovery_reverse(recovery=rec, by=staff["admin"], reason="Salah input")
    loan_write_off_reverse(write_off=wo, by=staff["ketua"], reason="Salah pinjaman", on=today)
    loan.refresh_from_db()
    assert (loan.status, loan.principal_outstanding) == (Loan.Status.DISBURSED, D("10000000"))
    assert balances_check() == []
    assert_reconciled()


def test_refused_twice_and_changes_nothing(recovered, staff):
    loan, wo, rec = recovered
    loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="Salah")
    before = _state()
    with pytest.raises(ApplicationError) as exc:
        loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="Lagi")
    assert exc.value.code == "loan_already_reversed"
    assert rec.receipt_number in exc.value.message
    assert _state() == before


@pytest.mark.parametrize("role", ["ketua", "petugas", "pengawas"])
def test_refuses_other_roles(recovered, staff, role):
    _loan, _wo, rec = recovered
    before = _state()
    with pytest.raises(ApplicationError) as exc:
        loan_recovery_reverse(recovery=rec, by=staff[role], reason="Salah")
    assert exc.value.code == "permission_denied"
    assert _state() == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_refuses_without_a_reason(recovered, staff, reason):
    _loan, _wo, rec = recovered
    before = _state()
    with pytest.raises(ApplicationError) as exc:
        loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason=reason)
    assert exc.value.code == "loan_reason_required"
    assert _state() == before


def test_refuses_a_recovery_in_a_closed_month(make_loan, staff, today):
    on = today.replace(day=1) - timedelta(days=1)  # last month's last day
    # 320 days before ``on`` (not today: on the 31st ``on`` is 31 days back, and a loan
    # made 320 days before today is only Diragukan then, not yet Macet)
    loan = make_loan(days_ago=320 + (today - on).days)
    loans_arrears_update(on=on)
    loan_write_off(loan=loan, by=staff["ketua"], on=on, reason="Tidak tertagih", decision_ref="K")
    rec = loan_recovery_receive(loan=loan, amount=D(100_000), by=staff["bendahara"], on=on)
    month_close_as_treasurer(
        period=Period.objects.get(start_date=on.replace(day=1)), by=staff["bendahara"]
    )
    before = _state()
    with pytest.raises(ApplicationError) as exc:
        loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="Salah")
    assert exc.value.code == "loan_reversal_period_closed"
    assert _state() == before


def test_a_reversal_is_complete_in_the_database(recovered, staff, today):
    _loan, _wo, rec = recovered
    other = JournalEntry.objects.exclude(pk=rec.entry_id).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanRecovery.objects.filter(pk=rec.pk).update(reversal_entry=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanRecovery.objects.filter(pk=rec.pk).update(reversed_on=today)


def test_the_register_counts_only_recoveries_not_reversed(recovered, staff, today):
    loan, _wo, rec = recovered
    loan_recovery_receive(loan=loan, amount=D(250_000), by=staff["bendahara"], on=today)
    loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="Salah")
    (row,) = report_write_offs(on=today).rows
    assert (row["recovered"], row["remaining"]) == (D("250000"), D("9750000"))


def test_the_page_offers_batalkan_with_a_confirmation(recovered, staff, client_a):
    loan, _wo, rec = recovered
    url = f"/pinjaman/{loan.pk}/"
    client_a.force_login(staff["petugas"])
    html = client_a.get(url).content.decode()
    table = html[html.index('id="recoveries"') :].split("</table>")[0]
    assert "recovery-reverse" not in table
    client_a.force_login(staff["bendahara"])
    html = client_a.get(url).content.decode()
    table = html[html.index('id="recoveries"') :].split("</table>")[0]
    action = f"/pinjaman/penerimaan/{rec.pk}/batalkan/"
    assert action in table and "Batalkan" in table
    # first POST: the confirmation (nothing changed yet)
    r = client_a.post(action, {"reason": "Salah anggota"})
    page = r.content.decode()
    assert r.status_code == 200 and rec.receipt_number in page and "Rp 1.500.000" in page
    assert 'name="confirmed"' in page
    rec.refresh_from_db()
    assert rec.reversal_entry_id is None
    # without a reason: said, nothing changed
    r = client_a.post(action, {"reason": ""}, follow=True)
    assert "Alasan pembatalan wajib diisi" in r.content.decode()
    r = client_a.post(action, {"reason": "Salah anggota", "confirmed": "1"})
    assert r.status_code == 302
    rec.refresh_from_db()
    assert rec.reversal_entry_id is not None
    html = client_a.get(url).content.decode()
    table = html[html.index('id="recoveries"') :].split("</table>")[0]
    assert "Dibatalkan" in table and action not in table
    summary = html[html.index('id="write-off-summary"') :].split("</table>")[0]
    assert "Rp 10.000.000" in summary.split("Sisa")[1]


def test_api_reverse(recovered, staff, client_a):
    loan, _wo, rec = recovered
    url = f"/api/v1/loans/{loan.pk}/recoveries/{rec.pk}/reverse/"
    client_a.force_login(staff["petugas"])
    r = client_a.post(url, {"reason": "Salah"}, content_type="application/json")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "permission_denied"
    client_a.force_login(staff["bendahara"])
    r = client_a.post(url, {}, content_type="application/json")
    assert r.status_code == 400 and "reason" in r.json()["error"]["fields"]
    r = client_a.post(url, {"reason": "Salah"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["reversed_on"] and r.json()["receipt_number"] == rec.receipt_number
    r = client_a.post(url, {"reason": "Salah"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "loan_already_reversed"
    r = client_a.post(
        f"/api/v1/loans/{loan.pk}/recoveries/999999/reverse/",
        {"reason": "Salah"},
        content_type="application/json",
    )
    assert r.status_code == 404


def test_the_register_as_of_a_day_keeps_a_write_off_reversed_after_it(make_loan, staff, today):
    """The register reads the books of its day: a write-off reversed later was in force
    then (as a recovery reversed later is counted), and leaves it only from the reversal."""
    loan = make_loan(days_ago=320)
    loans_arrears_update(on=today)
    yesterday = today - timedelta(days=1)
    wo = loan_write_off(
        loan=loan, by=staff["ketua"], on=yesterday, reason="Tidak tertagih", decision_ref="SK-2"
    )
    loan_write_off_reverse(write_off=wo, by=staff["ketua"], reason="Keliru", on=today)
    (row,) = report_write_offs(on=yesterday).rows
    assert (row["number"], row["amount"]) == (loan.number, wo.amount)
    assert report_write_offs(on=today).rows == []


def test_the_loan_history_names_every_write_off_step_in_words(recovered, staff):
    """The loan's history (*Riwayat*) names each step, never the audit log's code."""
    from core.loans.selectors import loan_history

    loan, wo, rec = recovered
    loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="Salah anggota")
    loan_write_off_reverse(write_off=wo, by=staff["ketua"], reason="Keliru")
    labels = [str(row["label"]) for row in loan_history(loan)]
    assert not [x for x in labels if x.startswith("loan.")], labels
    assert {"Dihapusbukukan", "Penerimaan hapus buku", "Hapus buku dibatalkan"} <= set(labels)
