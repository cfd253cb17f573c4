"""Reversing a loan's own entries (issue 22): a counter repayment, an early payoff, a
disbursement with its fees. After each reversal the loan sub-ledger equals its control
accounts, every sub-ledger reconciles, the ledger balances; a second reversal, a reversal
out of order, in a closed month or of a payroll repayment is refused with its own code;
the generic ledger reversal still refuses loan entries."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, JournalLine, Period
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.services import journal_reverse
from core.loans.models import Instalment, Loan, LoanReversal, Repayment
from core.loans.services import (
    loan_disburse,
    loan_disbursement_reverse,
    loan_dues,
    loan_payoff,
    loan_repay,
    loan_repayment_reverse,
)
from core.savings.models import SavingsAccount
from tests.loans.conftest import assert_reconciled, month_close_as_treasurer


def _books_agree():
    """The loan sub-ledger equals its control accounts, every registered sub-ledger check
    agrees, and the ledger's debits equal its credits."""
    assert_reconciled()
    run = subledgers_reconcile()
    assert run.ok, run.results
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]


def _rows(loan):
    return list(
        Instalment.objects.filter(loan=loan, is_current=True)
        .order_by("number")
        .values_list(
            "penalty_paid",
            "jasa_paid",
            "principal_paid",
            "jasa_waived",
            "penalty_periods",
            "penalty_charged",
            "settled",
        )
    )


def _loan_state(loan):
    loan.refresh_from_db()
    return (
        loan.status,
        loan.principal_outstanding,
        loan.deferred_jasa,
        loan.closed_on,
        loan.closed_by,
        _rows(loan),
    )


def test_counter_repayment_reversed_restores_schedule_and_books(make_loan, staff):
    loan = make_loan(days_ago=70)
    r1, r2 = loan.instalments.get(number=1), loan.instalments.get(number=2)
    loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    before = _loan_state(loan)
    rep = loan_repay(loan=loan, amount=D(800_000), by=staff["petugas"], on=r2.due_date)
    assert _loan_state(loan) != before
    rev = loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah input")
    assert _loan_state(loan) == before
    assert rev.reversal_entry.reverses_id == rep.entry_id
    assert rev.reversal_entry.source == JournalEntry.Source.REVERSAL or rev.reversal_entry
    # the receipt stays, marked reversed
    assert Repayment.objects.filter(pk=rep.pk).exists()
    assert Repayment.objects.get(pk=rep.pk).reversal == rev
    assert AuditEvent.objects.filter(action="loan.repayment_reverse").exists()
    _books_agree()


def test_double_reversal_refused(make_loan, staff):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    n = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as exc:
        loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="lagi")
    assert exc.value.code == "loan_already_reversed"
    assert JournalEntry.objects.count() == n
    _books_agree()


def test_earlier_repayment_refused_until_the_later_is_reversed(make_loan, staff):
    loan = make_loan(days_ago=70)
    r1, r2 = loan.instalments.get(number=1), loan.instalments.get(number=2)
    first = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    second = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r2.due_date)
    with pytest.raises(ApplicationError) as exc:
        loan_repayment_reverse(repayment=first, by=staff["bendahara"], reason="salah")
    assert exc.value.code == "loan_reversal_later_depends"
    loan_repayment_reverse(repayment=second, by=staff["bendahara"], reason="salah")
    loan_repayment_reverse(repayment=first, by=staff["bendahara"], reason="salah")
    loan.refresh_from_db()
    assert loan.principal_outstanding == loan.principal
    assert not Instalment.objects.filter(loan=loan, is_current=True, settled=True).exists()
    assert Instalment.objects.filter(loan=loan, is_current=True).aggregate(s=Sum("principal_paid"))[
        "s"
    ] == D(0)
    _books_agree()


def test_final_repayment_reversed_reopens_the_loan(make_loan, staff, today):
    loan = make_loan(principal=D(2_000_000), tenor=2, days_ago=62)
    rows = list(loan.instalments.order_by("number"))
    loan_repay(loan=loan, amount=D(1_020_000), by=staff["petugas"], on=rows[0].due_date)
    last = loan_repay(loan=loan, amount=D(1_020_000), by=staff["petugas"], on=rows[1].due_date)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    loan_repayment_reverse(repayment=last, by=staff["bendahara"], reason="cek kosong")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED and loan.closed_on is None
    assert loan.principal_outstanding == D(1_000_000)
    assert loan.days_past_due == max((today - rows[1].due_date).days, 0)
    _books_agree()


def test_early_payoff_reversed_owes_waived_jasa_again(make_loan, staff, today):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    before = _loan_state(loan)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    loan_repayment_reverse(repayment=rep, by=staff["admin"], reason="pelunasan batal")
    assert _loan_state(loan) == before
    _books_agree()


def test_late_payments_reversed_uncharge_the_penalty_periods_they_charged(make_loan, staff):
    """A late payment charges each row it pays the penalty periods up to its date (on
    what was unpaid before it); reversing it restores every row exactly, so the penalty
    owed is again what it was."""
    loan = make_loan(days_ago=120)
    r1 = loan.instalments.get(number=1)
    untouched = _loan_state(loan)
    first = loan_repay(
        loan=loan, amount=D(622_000), by=staff["petugas"], on=r1.due_date + timedelta(days=10)
    )
    assert first.penalty == D(22_000)
    before = _loan_state(loan)
    on = r1.due_date + timedelta(days=40)
    owed = loan_dues(loan, on).penalty  # row 1: 10,000; row 2: 22,000
    assert owed == D(32_000)
    second = loan_repay(loan=loan, amount=owed + D(150_000), by=staff["petugas"], on=on)
    assert second.penalty == owed
    after = _loan_state(loan)
    assert [r[4:6] for r in after[-1][:2]] == [(2, D(32_000)), (1, D(22_000))]
    loan_repayment_reverse(repayment=second, by=staff["bendahara"], reason="salah input")
    assert _loan_state(loan) == before
    assert loan_dues(loan, on).penalty == owed
    loan_repayment_reverse(repayment=first, by=staff["bendahara"], reason="salah input")
    assert _loan_state(loan) == untouched
    _books_agree()


def test_early_payoff_of_late_rows_reversed_restores_their_penalty_state(make_loan, staff, today):
    loan = make_loan(days_ago=120)
    r1 = loan.instalments.get(number=1)
    loan_repay(
        loan=loan, amount=D(622_000), by=staff["petugas"], on=r1.due_date + timedelta(days=10)
    )
    before = _loan_state(loan)
    owed = loan_dues(loan, today).penalty
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert rep.penalty == owed > 0
    assert rep.penalty_rows_before  # the payoff charged rows up to its date
    loan_repayment_reverse(repayment=rep, by=staff["admin"], reason="pelunasan batal")
    assert _loan_state(loan) == before
    assert loan_dues(loan, today).penalty == owed
    _books_agree()


def test_overpayment_to_sukarela_reversed_takes_the_credit_back(make_loan, staff, member, today):
    loan = make_loan(days_ago=10)  # nothing due yet: pays the next instalment, rest excess
    rep = loan_repay(
        loan=loan, amount=D(1_500_000), by=staff["petugas"], on=today, excess_to="sukarela"
    )
    acc = SavingsAccount.objects.get(member=member, product__kind="sukarela")
    assert acc.balance == D(400_000)
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    acc.refresh_from_db()
    assert acc.balance == 0
    _books_agree()


def test_petugas_cannot_reverse_and_reason_required(make_loan, staff):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    with pytest.raises(ApplicationError) as exc:
        loan_repayment_reverse(repayment=rep, by=staff["petugas"], reason="x")
    assert exc.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as exc:
        loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="  ")
    assert exc.value.code == "loan_reason_required"


def test_reversal_refused_when_the_month_is_closed(make_loan, staff, today):
    loan = make_loan(days_ago=40)
    on = loan.disbursed_on
    month_close_as_treasurer(
        period=Period.objects.get(start_date=on.replace(day=1)), by=staff["bendahara"]
    )
    with pytest.raises(ApplicationError) as exc:
        loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="salah")
    assert exc.value.code == "loan_reversal_period_closed"
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    _books_agree()


def test_the_closed_month_refusal_names_the_periods_menu_as_the_menu_says_it(
    make_loan, staff, today
):
    """The way out names the menu item: "Periode" in Indonesian, "Periods" (the list
    menu's English) in English, not the singular column heading "Period"."""
    from django.utils import translation

    loan = make_loan(days_ago=40)
    on = loan.disbursed_on
    month_close_as_treasurer(
        period=Period.objects.get(start_date=on.replace(day=1)), by=staff["bendahara"]
    )
    with pytest.raises(ApplicationError) as exc:
        loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="salah")
    assert "(Pembukuan → Periode → Buka kembali, dengan alasan)" in exc.value.message
    with translation.override("en"), pytest.raises(ApplicationError) as exc:
        loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="salah")
    assert "(Bookkeeping → Periods → Reopen, with a reason)" in exc.value.message, exc.value.message


def test_generic_ledger_reversal_still_refuses_loan_entries(make_loan, staff, today):
    loan = make_loan()
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=loan.disbursement_entry, on=today, reason="x", by=staff["admin"])
    assert exc.value.code == "module_entry_reversal"


def test_disbursement_reversed_with_fees_and_wajib_pinjam(make_loan, staff, member, today):
    loan = make_loan(days_ago=3)
    entry = loan.disbursement_entry
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    assert wajib.balance == D(100_000)  # 1 % wajib pinjam
    loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="salah anggota")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED
    assert loan.principal_outstanding == 0 and loan.disbursement_entry is None
    assert not Instalment.objects.filter(loan=loan, is_current=True).exists()
    wajib.refresh_from_db()
    assert wajib.balance == 0
    assert LoanReversal.objects.get(loan=loan, kind="disbursement").entry == entry
    _books_agree()
    # disbursed again: a new schedule version, the books still agree
    loan_disburse(loan=loan, by=staff["bendahara"], on=today)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    assert Instalment.objects.filter(loan=loan, is_current=True, version=2).count() == loan.tenor
    _books_agree()
    with pytest.raises(ApplicationError):  # the first disbursement cannot be reversed again
        journal_reverse(entry=entry, on=today, reason="x", by=staff["admin"], module="loan")


def test_disbursement_with_a_repayment_refused(make_loan, staff):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    with pytest.raises(ApplicationError) as exc:
        loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="salah")
    assert exc.value.code == "loan_reversal_later_depends"
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="salah")
    _books_agree()
    with pytest.raises(ApplicationError) as exc:
        loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="lagi")
    assert exc.value.code == "loan_wrong_status"


def test_reversal_rows_are_immutable(make_loan, staff):
    loan = make_loan(days_ago=3)
    loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="salah")
    rev = LoanReversal.objects.get(loan=loan)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanReversal.objects.filter(pk=rev.pk).update(reason="lain")


def test_reversal_dated_before_the_original_refused(make_loan, staff):
    loan = make_loan(days_ago=3)
    with pytest.raises(ApplicationError) as exc:
        loan_disbursement_reverse(
            loan=loan, by=staff["bendahara"], reason="x", on=loan.disbursed_on - timedelta(days=1)
        )
    assert exc.value.code == "loan_date_invalid"


# --- screens and API ---------------------------------------------------------------------


def test_screen_offers_reversal_of_the_latest_repayment_with_a_confirmation(
    make_loan, staff, client_a
):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    client_a.force_login(staff["bendahara"])
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    url = f"/pinjaman/kuitansi/{rep.pk}/batalkan/"
    assert f'action="{url}"' in page
    r = client_a.post(url, {"reason": "salah input"})
    assert r.status_code == 200
    box = r.content.decode().split('id="confirm"')[1]
    assert "Rp 1.100.000" in box and 'name="confirmed" value="1"' in box
    assert 'name="reason" value="salah input"' in box
    assert not LoanReversal.objects.exists()  # nothing posted yet
    r = client_a.post(url, {"reason": "salah input", "confirmed": "1"})
    assert r.status_code == 302
    assert Repayment.objects.get(pk=rep.pk).reversal.reason == "salah input"
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert "Dibatalkan" in page
    _books_agree()


def test_screen_petugas_sees_no_reversal_and_is_refused(make_loan, staff, client_a):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    client_a.force_login(staff["petugas"])
    url = f"/pinjaman/kuitansi/{rep.pk}/batalkan/"
    assert url not in client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    client_a.post(url, {"reason": "x", "confirmed": "1"})
    assert not LoanReversal.objects.exists()


def test_screen_disbursement_reversal_confirmed(make_loan, staff, client_a):
    loan = make_loan(days_ago=2)
    client_a.force_login(staff["bendahara"])
    url = f"/pinjaman/{loan.pk}/reverse-disbursement/"
    assert f'action="{url}"' in client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    r = client_a.post(url, {"reason": "anggota salah"})
    assert r.status_code == 200 and "Ya, batalkan pencairan Rp 10.000.000" in r.content.decode()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    r = client_a.post(url, {"reason": "anggota salah", "confirmed": "1"})
    assert r.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED
    _books_agree()


def test_api_reverses_repayment_and_disbursement(make_loan, staff, client_a):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    client_a.force_login(staff["bendahara"])
    url = f"/api/v1/loans/repayments/{rep.pk}/reverse/"
    r = client_a.post(url, {}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["fields"].get("reason")
    r = client_a.post(url, {"reason": "salah"}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["reversed_on"] and body["reversal_entry"]
    r = client_a.post(url, {"reason": "salah"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "loan_already_reversed"
    r = client_a.post(
        f"/api/v1/loans/{loan.pk}/reverse-disbursement/",
        {"reason": "salah"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved"
    _books_agree()


def test_api_payroll_repayment_points_to_the_batch(make_loan, staff, client_a, today):
    from core.loans.services import loan_repayment_prepare, loan_repayments_attach_entry
    from core.loans.services.common import _line, _post

    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    with transaction.atomic():
        d = loan_repayment_prepare(
            loan=loan, amount=D(1_100_000), on=r1.due_date, channel="payroll", by=staff["bendahara"]
        )
        e = _post(
            on=r1.due_date,
            description="batch",
            lines=[_line("bank", debit=d.amount), *d.lines],
            source_ref="batch:test",
            by=staff["bendahara"],
        )
        loan_repayments_attach_entry(drafts=[d], entry=e)
    client_a.force_login(staff["admin"])
    r = client_a.post(
        f"/api/v1/loans/repayments/{d.repayment.pk}/reverse/",
        {"reason": "x"},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "loan_reversal_not_here"
    assert "deductions/imports" in r.json()["error"]["message"]


def test_penalty_paid_on_older_rows_reversed_from_the_rows_it_paid(make_loan, staff, today):
    """Late penalty keeps growing on an older row after a newer row's penalty was paid, so
    a later payment's penalty is not at the newest rows: reversing it takes its penalty
    back from the rows it paid, each row's penalty paid and the total owed as before."""
    loan = make_loan(principal=D(6_000_000), tenor=12, days_ago=130)
    r2 = loan.instalments.get(number=2)
    t1 = r2.due_date + timedelta(days=10)  # row 1 two months late, row 2 one month
    assert t1 < today - timedelta(days=45)
    first = loan_dues(loan, t1).penalty  # pays only the penalty of rows 1 and 2
    loan_repay(loan=loan, amount=first, by=staff["petugas"], on=t1)
    paid = dict(loan.instalments.filter(number__in=[1, 2]).values_list("number", "penalty_paid"))
    assert paid[1] > 0 and paid[2] > 0
    before = _loan_state(loan)
    owed = loan_dues(loan, today).penalty
    rep = loan_repay(loan=loan, amount=owed, by=staff["petugas"], on=today)
    assert rep.penalty == owed
    assert loan.instalments.get(number=1).penalty_paid > paid[1]  # row 1 charged again
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah input")
    assert _loan_state(loan) == before
    assert loan_dues(loan, today).penalty == owed
    _books_agree()


def test_repayment_of_a_loan_written_off_since_is_refused(make_loan, staff, member, today):
    """A write-off (exit on death, board decision) closes the loan with no repayment of
    its own: reversing an earlier counter repayment would reopen a written-off loan of a
    member who has left, owing the reversed principal. Refused, nothing changed."""
    from core.ledger.services import journal_post
    from core.loans.services import member_loans_settle_apply
    from core.loans.services.reversal import repayment_reversal_refusal

    loan = make_loan(days_ago=40)
    r1 = loan.instalments.get(number=1)
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    lines = member_loans_settle_apply(
        member=member, on=today, by=staff["bendahara"], waive=True, reason="meninggal"
    )
    journal_post(
        on=today,
        description="Hapus buku",
        lines=lines,
        source="loan",
        source_ref="uji-wo-rev",
        by=staff["bendahara"],
    )
    before = _loan_state(loan)
    assert before[0] == Loan.Status.CLOSED and before[4] == Loan.ClosedBy.WRITEOFF
    refusal = repayment_reversal_refusal(rep)
    assert refusal is not None and refusal.code == "loan_reversal_later_depends"
    with pytest.raises(ApplicationError) as exc:
        loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert exc.value.code == "loan_reversal_later_depends"
    assert loan.number in exc.value.message
    assert _loan_state(loan) == before
    assert not LoanReversal.objects.filter(repayment=rep).exists()
    _books_agree()


def test_repayment_in_a_closed_month_offers_no_reversal_and_says_the_way_out(
    make_loan, staff, client_a
):
    """The loan page used to offer *Batalkan* on a payment whose month is closed, ask for
    the reason and a confirmation, and only then refuse with "tidak dapat dibatalkan".
    Now the page shows the refusal in place of the button, and it (and the service)
    names the way out: the admin reopens the month, the payment is reversed, the month
    is closed again."""
    loan = make_loan(days_ago=40)
    r1 = loan.instalments.get(number=1)
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=loan.disbursed_on)
    month = Period.objects.get(start_date=loan.disbursed_on.replace(day=1))
    month_close_as_treasurer(period=month, by=staff["bendahara"])
    assert r1.due_date > loan.disbursed_on
    client_a.force_login(staff["bendahara"])
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert f'action="/pinjaman/kuitansi/{rep.pk}/batalkan/"' not in page
    assert "sudah ditutup" in page and "Buka kembali" in page and "admin" in page
    with pytest.raises(ApplicationError) as exc:
        loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert exc.value.code == "loan_reversal_period_closed"
    assert "Buka kembali" in exc.value.message and "admin" in exc.value.message
    assert not LoanReversal.objects.filter(repayment=rep).exists()
    _books_agree()
