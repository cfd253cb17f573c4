"""Running loans brought in at the cut-over: row-by-row checks, the remaining schedule,
arrears as unpaid instalments, grade and PPAP as of the cut-over, and the next payroll
run asking the right instalments."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.loans.models import Instalment, Loan
from core.loans.schedules import add_months
from core.onboarding.loans_import import loans_import
from core.onboarding.models import MoveInLoan
from core.onboarding.services import trial_balance_post

from .helpers import arrears_row, loan_row

TB = [
    {"row": 2, "account": "1101", "debit": "50000000", "credit": ""},
    {"row": 3, "account": "1103", "debit": "12000000", "credit": ""},
    {"row": 4, "account": "1105", "debit": "240000", "credit": ""},
    {"row": 5, "account": "1104", "debit": "", "credit": "60000"},
    {"row": 6, "account": "3103", "debit": "", "credit": "62180000"},
]


@pytest.fixture
def opened(move_in, by):
    trial_balance_post(move_in=move_in, rows=TB, by=by)
    move_in.refresh_from_db()
    return move_in


def _errors(exc) -> dict:
    return {(r["row"], r["field"]): r["message"] for r in exc.value.fields["rows"]}


def test_loans_created_disbursed_with_schedule_arrears_grade_and_ppap(
    opened, by, members, product, cutover
):
    entries = JournalEntry.objects.count()
    loans = loans_import(
        move_in=opened,
        rows=[loan_row(members[0], cutover), arrears_row(members[1], cutover)],
        by=by,
    )
    assert JournalEntry.objects.count() == entries  # no disbursement entry
    a, b = (Loan.objects.get(pk=x.pk) for x in loans)
    assert a.status == b.status == "disbursed"
    assert a.disbursement_entry_id == opened.opening_entry_id
    assert a.number == "LAMA-002" and a.method == "flat" and a.rate == D("1")
    assert a.principal_outstanding == D("5000000") and b.principal_outstanding == D("7000000")
    # remaining schedule: 5 open rows of 1,000,000 + 120,000 after the cut-over
    open_a = Instalment.objects.filter(loan=a, settled=False).order_by("number")
    assert [r.number for r in open_a] == [8, 9, 10, 11, 12]
    assert all(r.due_date > cutover for r in open_a)
    assert sum(r.principal for r in open_a) == D("5000000")
    # arrears: instalments 6 and 7 (due by the cut-over) unpaid
    overdue_b = Instalment.objects.filter(loan=b, settled=False, due_date__lte=cutover)
    assert [r.number for r in overdue_b.order_by("number")] == [6, 7]
    assert sum(r.jasa - r.jasa_paid for r in overdue_b) == D("240000")
    oldest = add_months(cutover, -7).replace(day=15)
    oldest = add_months(oldest, 6)
    assert b.days_past_due == (cutover - oldest).days
    assert a.days_past_due == 0
    assert a.kolektibilitas == b.kolektibilitas == "lancar"
    assert a.ppap_amount == D("25000") and b.ppap_amount == D("35000")  # 0.5 %
    assert MoveInLoan.objects.filter(move_in=opened).count() == 2
    opened.refresh_from_db()
    assert opened.loans_step == "done"


def test_grade_and_ppap_agree_with_the_loans_arrears_run(opened, by, members, product, cutover):
    from core.loans.arrears import loans_arrears_update

    # nothing paid at all: 7 instalments overdue, the oldest ~6.5 months: Diragukan
    rows = [
        arrears_row(
            members[1],
            cutover,
            paid=0,
            outstanding="12.000.000",
            arrears_jasa="840.000",
            arrears_principal="7.000.000",
        )
    ]
    (loan,) = loans_import(move_in=opened, rows=rows, by=by)
    loan.refresh_from_db()
    before = (loan.days_past_due, loan.kolektibilitas, loan.ppap_amount)
    assert loan.kolektibilitas == "diragukan" and loan.ppap_amount == D("6000000")
    run = loans_arrears_update(on=cutover, by=by)
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.kolektibilitas, loan.ppap_amount) == before
    assert run.entry_id is None  # the allowance it wants is the one brought in


def test_next_payroll_run_asks_the_schedule_instalments(opened, by, members, product, cutover):
    from core.deductions.models import DeductionLine
    from tests.deductions.conftest import make_run

    a, b = loans_import(
        move_in=opened,
        rows=[loan_row(members[0], cutover), arrears_row(members[1], cutover)],
        by=by,
    )
    run = make_run(on=cutover + timedelta(days=1), by=by)
    on = run.cutoff_date - timedelta(days=1)
    for loan in (a, b):
        rows = list(Instalment.objects.filter(loan=loan, settled=False).order_by("number"))
        due = [r for r in rows if r.due_date <= on]
        nxt = [r for r in rows if r.due_date > on][:1]
        want_p = sum((r.principal - r.principal_paid for r in due + nxt), D(0))
        want_j = sum((r.jasa - r.jasa_paid for r in due + nxt), D(0))
        line = DeductionLine.objects.get(run=run, member_id=loan.member_id)
        (item,) = [x for x in line.loans if x["loan_id"] == loan.pk]
        assert D(item["principal"]) == want_p and D(item["jasa"]) == want_j
    # the loan in arrears is asked its two unpaid instalments on top
    line_b = DeductionLine.objects.get(run=run, member_id=b.member_id)
    line_a = DeductionLine.objects.get(run=run, member_id=a.member_id)
    assert line_b.principal - line_a.principal == D("2000000")
    assert line_b.jasa - line_a.jasa == D("240000")


@pytest.mark.parametrize(
    "change,field,words",
    [
        ({"member_number": "X-404"}, "member_number", "tidak ada di daftar anggota"),
        ({"product_code": "NOPE"}, "product_code", "tidak ada"),
        ({"outstanding": "13.000.000"}, "outstanding", "lebih besar dari pokok awal"),
        ({"method": "anuitas"}, "outstanding", "tidak dapat dihasilkan jadwal"),
        (
            {"rate": "2", "outstanding": "5.000.001"},
            "outstanding",
            "menurut jadwal sisa pokoknya Rp 5.000.000",
        ),
        ({"instalments_paid": "8"}, "outstanding", "tidak dapat dihasilkan jadwal"),
        ({"arrears_principal": "1"}, "outstanding", "Tunggakan pokok"),
        ({"days_past_due": "10"}, "outstanding", "Hari tunggakan 10"),
        ({"disbursed_on": "2099-01-01"}, "disbursed_on", "sesudah tanggal pindah"),
        ({"tenor": "dua belas"}, "tenor", "bilangan bulat"),
        ({"tenor": "0"}, "tenor", "1 sampai 360"),
        ({"tenor": "100000"}, "tenor", "1 sampai 360"),
        ({"principal": "12.000.000,50"}, "principal", ""),
    ],
)
def test_bad_row_is_a_specific_error_nothing_written(
    opened, by, members, product, cutover, change, field, words
):
    good = arrears_row(members[1], cutover, row=3)
    bad = loan_row(members[0], cutover, row=2, **change)
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=opened, rows=[bad, good], by=by)
    errs = _errors(e)
    assert list(errs) == [(2, field)], errs
    assert (
        words.replace(".", ",") in errs[(2, field)].replace(".", ",") or words in errs[(2, field)]
    )
    assert not Loan.objects.exists() or not Loan.objects.filter(number__startswith="LAMA").exists()
    assert not Instalment.objects.filter(loan__number__startswith="LAMA").exists()


def test_duplicate_loans_refused(opened, by, members, product, cutover):
    one = loan_row(members[0], cutover, row=2)
    same_number = loan_row(members[1], cutover, row=3, loan_number="LAMA-002")
    same_terms = loan_row(members[0], cutover, row=4)
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=opened, rows=[one, same_number, same_terms], by=by)
    errs = _errors(e)
    assert "baris 2" in errs[(3, "loan_number")]
    assert "baris 2" in errs[(4, "member_number")]
    loans_import(move_in=opened, rows=[one], by=by)
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=opened, rows=[loan_row(members[0], cutover, row=2)], by=by)
    assert "sudah ada di Lumbung" in _errors(e)[(2, "loan_number")]


def test_loans_need_the_opening_entry_first(move_in, by, members, product, cutover):
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=move_in, rows=[loan_row(members[0], cutover)], by=by)
    assert e.value.code == "onboarding_wrong_state"


@pytest.mark.parametrize("rate,shown", [("2", "jasa 2% per bulan"), ("1,5", "jasa 1,5% per bulan")])
def test_outstanding_the_schedule_cannot_make_says_the_rate_as_typed(
    opened, by, members, product, cutover, rate, shown
):
    """The message names the rate as the screens show it (``2%``, ``1,5%``), not as
    stored (``2.0000%``)."""
    bad = loan_row(members[0], cutover, rate=rate, outstanding="5.000.001")
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=opened, rows=[bad], by=by)
    message = _errors(e)[(2, "outstanding")]
    assert "tidak dapat dihasilkan jadwal ini" in message
    assert shown in message, message
