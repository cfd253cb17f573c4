# ruff: noqa: F811, F401
"""A loan brought in at the move-in takes no payment dated on or before the cut-over (its
opening balances already hold them: ``loan_event_floor``). A payroll row paying it on
such a date is flagged in the preview like any bad row, naming the loan and the cut-over:
at upload against the proposed date (a list of the month before the cut-over: its payday
is on or before it) and at posting against the date typed."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.deductions import services as dsvc
from core.deductions.models import DeductionImport, DeductionLine
from core.ledger.models import JournalEntry
from core.loans.models import Loan, Repayment
from core.loans.schedules import add_months
from core.loans.services import loans_payment_date_refusals
from core.loans.services.common import loan_event_date_refusal, loan_floor_annotations
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post
from tests.onboarding.conftest import by, cutover, members, move_in, product, staff
from tests.onboarding.helpers import arrears_row

from .conftest import csv_bytes, make_run

TB = [
    {"row": 2, "account": "1101", "debit": "50000000", "credit": ""},
    {"row": 3, "account": "1103", "debit": "7000000", "credit": ""},
    {"row": 4, "account": "1105", "debit": "240000", "credit": ""},
    {"row": 5, "account": "1104", "debit": "", "credit": "35000"},
    {"row": 6, "account": "3103", "debit": "", "credit": "57205000"},
]


@pytest.fixture
def loan(move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=TB, by=by)
    (ln,) = loans_import(move_in=move_in, rows=[arrears_row(members[1], cutover)], by=by)
    ln.refresh_from_db()
    return ln


def _upload(run, member, by):
    line = DeductionLine.objects.get(run=run, member=member)
    assert line.loans, "the list asks the brought-in loan"
    return dsvc.deduction_import_upload(
        run=run,
        agency=member.agency,
        content=csv_bytes([(member.nip, int(line.total))]),
        file_name="gaji.csv",
        by=by,
    )


def test_posting_on_the_cutover_flags_the_row_then_the_day_after_posts(loan, by, members, cutover):
    """The cut-over month's list: the page proposes its payday (the day after the
    cut-over), which the loan takes; typed as the cut-over itself, the posting is
    refused naming the row, the loan and the cut-over, and writes nothing."""
    member = members[1]
    run = make_run(on=cutover, by=by)
    assert run.payday == cutover + timedelta(days=1)
    imp = _upload(run, member, by)
    assert imp.status == DeductionImport.Status.VALID, imp.errors
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        dsvc.deduction_import_post(imp=imp, by=by, on=cutover)
    assert e.value.code == "deduction_loan_date"
    msg = str(e.value.message)
    assert loan.number in msg and format_tanggal(cutover) in msg, msg
    assert "tanggal pindah ke Lumbung" in msg
    assert JournalEntry.objects.count() == entries
    assert not Repayment.objects.filter(loan=loan).exists()
    imp.refresh_from_db()
    assert imp.status == DeductionImport.Status.INVALID
    (err,) = imp.errors
    assert err["row"] == 2 and err["on_or_after"] == (cutover + timedelta(days=1)).isoformat()
    imp = dsvc.deduction_import_post(imp=imp, by=by, on=cutover + timedelta(days=1))
    assert imp.status == DeductionImport.Status.POSTED and imp.errors == []
    assert Repayment.objects.get(loan=loan).paid_on == cutover + timedelta(days=1)


def test_upload_of_the_month_before_the_cutover_flags_the_row(loan, by, members, cutover):
    """The list of the month before the cut-over: its payday is on or before the
    cut-over, so the row is flagged at upload already, with the first day the loan
    takes a payment."""
    member = members[1]
    try:
        run = make_run(on=add_months(cutover, -1), by=by)
    except ApplicationError as e:  # that month not open on these books
        pytest.skip(str(e.message))
    assert run.payday <= cutover
    imp = _upload(run, member, by)
    assert imp.status == DeductionImport.Status.INVALID
    (err,) = imp.errors
    assert loan.number in err["message"] and format_tanggal(cutover) in err["message"]
    assert err["on_or_after"] == (cutover + timedelta(days=1)).isoformat()
    assert imp.total_realized == D("0")


def test_the_refusals_query_refuses_the_days_the_rule_refuses(loan, cutover):
    """``loans_payment_date_refusals`` reads only the loans with a bound after the date
    (``loan_floor_after``, so that a 20,000-row return does not read its 30,000 loans):
    day by day around the cut-over it refuses exactly what ``loan_event_date_refusal``
    refuses of the loan read whole."""
    whole = Loan.objects.annotate(**loan_floor_annotations()).get(pk=loan.pk)
    for days in range(-3, 4):
        on = cutover + timedelta(days=days)
        expected = loan_event_date_refusal(whole, on, label="Tanggal") is not None
        assert (loan.pk in loans_payment_date_refusals(loan_ids=[loan.pk], on=on)) == expected
        assert expected == (on <= cutover)
