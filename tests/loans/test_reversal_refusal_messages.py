"""A repayment reversal that is refused says why and what to do: the later payments to
reverse first (each named, newest first, and a payroll one by its batch), or, for a
payment whose excess went to principal made before its schedule was kept (the schedule
after it recomputed), that it cannot be reversed here and who can correct it. Nothing changes."""

from decimal import Decimal as D

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.ledger.models import JournalEntry
from core.loans.models import Instalment, LoanReversal
from core.loans.services import loan_repay, loan_repayment_reverse
from core.loans.services.reversal import repayment_reversal_refusal
from tests.loans.conftest import schedule_snapshot_forget


def _counts():
    return (
        LoanReversal.objects.count(),
        JournalEntry.objects.count(),
        AuditEvent.objects.count(),
        list(Instalment.objects.order_by("pk").values()),
    )


def test_earlier_payment_names_every_later_one_to_reverse_first(make_loan, staff):
    loan = make_loan(days_ago=100)
    r1, r2, r3 = (loan.instalments.get(number=n) for n in (1, 2, 3))
    first = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    second = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r2.due_date)
    third = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r3.due_date)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_repayment_reverse(repayment=first, by=staff["bendahara"], reason="salah")
    assert e.value.code == "loan_reversal_later_depends"
    msg = str(e.value.message)
    # both later receipts, the newest first, and the way out
    assert str(third) in msg and str(second) in msg
    assert msg.index(str(third)) < msg.index(str(second))
    assert "batalkan" in msg.lower()
    assert _counts() == before
    # the screen's check says the same
    assert str(repayment_reversal_refusal(first).message) == msg


def test_payment_whose_excess_went_to_principal_says_why_and_the_way_out(make_loan, staff):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    rep = loan_repay(
        loan=loan,
        amount=D(2_700_000),  # row 1, row 2 (the next) and 500,000 beyond
        by=staff["petugas"],
        on=r1.due_date,
        excess_to="principal",
    )
    rep = schedule_snapshot_forget(rep)  # paid before the schedule was kept
    assert rep.excess == D(500_000)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert e.value.code == "loan_reversal_reamortised"
    msg = str(e.value.message)
    assert str(rep) in msg and format_rupiah(D(500_000)) in msg
    assert "dihitung ulang" in msg  # why
    assert "pengelola Lumbung" in msg and "jurnal" in msg  # who corrects it; no manual entry
    assert "belum didukung untuk pembayaran ini" not in msg
    assert _counts() == before
