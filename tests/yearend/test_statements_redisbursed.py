"""The neraca's split of piutang pinjaman anggota (due within 12 months / after) for a
loan whose disbursement was reversed: each report date uses the schedule in effect that
day. Before the reversal the first payout's schedule; between the reversal and a new
payout nothing (the receivable is back to zero in the ledger); after the new payout its
own schedule, never the first one's rows (kept as history, not current).

Every loan here: Rp 2,400,000 over 24 months on the flat product YE, so each row's
principal is Rp 100,000 and row k falls due k months after the payout. The figures are
counted by hand from those dates."""

from datetime import date
from decimal import Decimal

from core.ledger import reports
from core.ledger.selectors import account_balance, account_for_role
from core.loans.models import Instalment, LoanProduct
from core.loans.services import (
    loan_disburse,
    loan_disbursement_reverse,
    loan_repay,
    loan_repayment_reverse,
    loan_reschedule,
)
from core.yearend.rat import rat_pack_tables
from core.yearend.services import yearend_close
from tests.loans.conftest import loan_paid_out, schedule_snapshot_forget
from tests.members import factories as f

from .conftest import YEAR, close_preliminaries

D = Decimal
NON_CURRENT_GROUP = "Aset Tidak Lancar: Piutang Jangka Panjang"
ROW = D("100000")


def _split(as_of: date) -> tuple[Decimal, Decimal]:
    """(the row due within 12 months, the row due after) of piutang pinjaman anggota on
    the neraca of ``as_of``, as the user reads them; the sheet balances."""
    bs = reports.balance_sheet(as_of=as_of)
    assert bs["balanced"]
    code = account_for_role("loan_receivable").code
    current = non_current = D("0")
    for g in bs["assets"]:
        for r in g["rows"]:
            if r["code"] != code:
                continue
            if g["name"] == NON_CURRENT_GROUP:
                assert str(r["name"]).endswith("(jatuh tempo > 12 bulan)")
                non_current += r["amount"]
            else:
                current += r["amount"]
    return current, non_current


def _receivable(as_of: date) -> Decimal:
    return account_balance(account=account_for_role("loan_receivable"), as_of=as_of)


def _loan_paid_out(year_data, staff, *, on: date):
    return loan_paid_out(
        member=f.member(full_name="Empat", take_home_pay=D("15000000")),
        product=LoanProduct.objects.get(code="YE"),
        principal="2400000",
        tenor=24,
        on=on,
        staff=staff,
        by=year_data["by"],
    )


JULY, AUGUST, OCTOBER, NOVEMBER, DECEMBER = (
    date(YEAR, 7, 31),
    date(YEAR, 8, 31),
    date(YEAR, 10, 31),
    date(YEAR, 11, 30),
    date(YEAR, 12, 31),
)
DATES = (JULY, AUGUST, OCTOBER, NOVEMBER, DECEMBER)


def _before(dates=DATES) -> dict:
    """The other loans' part of each figure (the year's 10-month loan of February: all
    of it due within 12 months), read before the loan under test exists."""
    out = {d: (_split(d), _receivable(d)) for d in dates}
    assert all(nc == 0 for (_, nc), _ in out.values())
    return out


def _assert_figures(before: dict, expected: dict) -> None:
    """On each date: the non-current row is the loan's rows due after 12 months of the
    schedule in effect that day (``expected``: date → (outstanding, due after)), the
    current row the rest of the receivable."""
    for d, (outstanding, after) in expected.items():
        (current0, _), receivable0 = before[d]
        assert _receivable(d) == receivable0 + outstanding, d
        assert _split(d) == (current0 + outstanding - after, after), d


def test_neraca_split_of_a_loan_paid_out_again_uses_each_payouts_schedule(year_data, staff):
    """Paid out 1 July (rows due 1 August .. 1 July two years on), reversed 15 August,
    paid out again 1 October (rows due 1 November .. 1 October two years on).
    31 July: rows 13..24 of the first schedule (due from 1 August next year): 1,200,000.
    31 August: nothing, the payout is reversed. 31 October: rows 13..24 of the second
    (due from 1 November next year), 1,200,000, not the first schedule's rows due after
    31 October next year (16..24, 900,000). 31 December: rows 15..24 of the second,
    1,000,000 (the first's would be 18..24, 700,000)."""
    before = _before()
    loan = _loan_paid_out(year_data, staff, on=date(YEAR, 7, 1))
    loan_disbursement_reverse(loan=loan, by=year_data["by"], reason="salah", on=date(YEAR, 8, 15))
    loan.refresh_from_db()
    loan_disburse(loan=loan, by=year_data["by"], on=date(YEAR, 10, 1))
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    assert not Instalment.objects.filter(loan=loan, version=1, is_current=True).exists()
    assert Instalment.objects.get(loan=loan, version=2, number=13).due_date == date(YEAR + 1, 11, 1)
    full = D("2400000")
    _assert_figures(
        before,
        {
            JULY: (full, 12 * ROW),
            AUGUST: (D("0"), D("0")),
            OCTOBER: (full, 12 * ROW),
            NOVEMBER: (full, 11 * ROW),
            DECEMBER: (full, 10 * ROW),
        },
    )


def test_neraca_split_of_a_payout_reversed_and_not_made_again(year_data, staff):
    """Paid out 1 July and reversed 15 August, never paid out again: 31 July still shows
    its whole first schedule's rows due after 12 months (13..24, 1,200,000); from the
    reversal on nothing."""
    before = _before()
    loan = _loan_paid_out(year_data, staff, on=date(YEAR, 7, 1))
    loan_disbursement_reverse(loan=loan, by=year_data["by"], reason="salah", on=date(YEAR, 8, 15))
    loan.refresh_from_db()
    assert loan.disbursed_on is None
    _assert_figures(
        before,
        {
            JULY: (D("2400000"), 12 * ROW),
            AUGUST: (D("0"), D("0")),
            OCTOBER: (D("0"), D("0")),
            DECEMBER: (D("0"), D("0")),
        },
    )


def test_neraca_split_reversed_on_the_day_and_paid_out_again_that_day(year_data, staff):
    """Paid out 1 July, reversed and paid out again on 1 August (first due 1 September):
    31 July the first schedule (13..24, 1,200,000); 31 August the second only, once
    (rows due from 1 September next year: 13..24, 1,200,000; the first's 14..24 not added);
    31 December rows 17..24 of the second (800,000)."""
    before = _before((JULY, AUGUST, DECEMBER))
    loan = _loan_paid_out(year_data, staff, on=date(YEAR, 7, 1))
    loan_disbursement_reverse(loan=loan, by=year_data["by"], reason="salah", on=date(YEAR, 8, 1))
    loan.refresh_from_db()
    loan_disburse(loan=loan, by=year_data["by"], on=date(YEAR, 8, 1))
    full = D("2400000")
    _assert_figures(
        before,
        {JULY: (full, 12 * ROW), AUGUST: (full, 12 * ROW), DECEMBER: (full, 8 * ROW)},
    )


def _prepaid_after_payout_again(year_data, staff):
    loan = _loan_paid_out(year_data, staff, on=date(YEAR, 7, 1))
    loan_disbursement_reverse(loan=loan, by=year_data["by"], reason="salah", on=date(YEAR, 8, 15))
    loan.refresh_from_db()
    loan_disburse(loan=loan, by=year_data["by"], on=date(YEAR, 10, 1))
    loan.refresh_from_db()
    # 1 November: row 1 (124,000) and 876,000 more principal: rows 2..24 re-amortised
    rep = loan_repay(
        loan=loan,
        amount=D("1000000"),
        by=year_data["by"],
        on=date(YEAR, 11, 1),
        excess_to="principal",
    )
    loan.refresh_from_db()
    assert loan.schedule_version == 3
    return loan, rep


def _version_after(loan, version: int, as_of: date) -> Decimal:
    horizon = as_of.replace(year=as_of.year + 1)
    return sum(
        (
            r.principal
            for r in Instalment.objects.filter(loan=loan, version=version, due_date__gt=horizon)
        ),
        D("0"),
    )


def test_neraca_split_after_a_prepayment_on_a_loan_paid_out_again(year_data, staff):
    """The second payout prepaid on 1 November (its excess to principal: version 3 of the
    schedule): 31 October the second payout's schedule, 30 November and 31 December the
    re-amortised rows."""
    before = _before((JULY, OCTOBER, NOVEMBER, DECEMBER))
    loan, _ = _prepaid_after_payout_again(year_data, staff)
    outstanding = loan.principal_outstanding
    v3_nov, v3_dec = _version_after(loan, 3, NOVEMBER), _version_after(loan, 3, DECEMBER)
    assert 0 < v3_dec < v3_nov < 11 * ROW
    full = D("2400000")
    _assert_figures(
        before,
        {
            JULY: (full, 12 * ROW),
            OCTOBER: (full, 12 * ROW),
            NOVEMBER: (outstanding, v3_nov),
            DECEMBER: (outstanding, v3_dec),
        },
    )


def test_neraca_split_after_an_unkept_prepayment_on_a_loan_paid_out_again(year_data, staff):
    """As above with the prepayment made before its schedule was kept
    (``schedule_before`` empty): its rows (version 3) still pair with it, not the second
    payout's rows (version 2) with it."""
    before = _before((OCTOBER, NOVEMBER, DECEMBER))
    loan, rep = _prepaid_after_payout_again(year_data, staff)
    schedule_snapshot_forget(rep)
    outstanding = loan.principal_outstanding
    full = D("2400000")
    _assert_figures(
        before,
        {
            OCTOBER: (full, 12 * ROW),
            NOVEMBER: (outstanding, _version_after(loan, 3, NOVEMBER)),
            DECEMBER: (outstanding, _version_after(loan, 3, DECEMBER)),
        },
    )


def test_rat_pack_neraca_of_loans_whose_payout_was_reversed(year_data, staff):
    """The RAT pack's neraca of the year (31 December, against 31 December before): one
    loan paid out again on 1 October counts rows 15..24 of its second schedule
    (1,000,000), one reversed and not paid out again counts nothing."""
    by = year_data["by"]
    (current0, _), receivable0 = _split(DECEMBER), _receivable(DECEMBER)
    again = _loan_paid_out(year_data, staff, on=date(YEAR, 7, 1))
    loan_disbursement_reverse(loan=again, by=by, reason="salah", on=date(YEAR, 8, 15))
    again.refresh_from_db()
    loan_disburse(loan=again, by=by, on=date(YEAR, 10, 1))
    gone = _loan_paid_out(year_data, staff, on=date(YEAR, 7, 1))
    loan_disbursement_reverse(loan=gone, by=by, reason="salah", on=date(YEAR, 9, 1))
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    neraca = rat_pack_tables(year=YEAR)[0]
    assert str(neraca["title"]) == "Neraca"
    code = account_for_role("loan_receivable").code
    rows = {str(r["cells"][1]): r["cells"][2:] for r in neraca["rows"] if r["cells"][0] == code}
    name = account_for_role("loan_receivable").name
    assert _receivable(DECEMBER) == receivable0 + D("2400000")
    assert rows[f"{name} (jatuh tempo > 12 bulan)"][0] == 10 * ROW
    assert rows[f"{name} (jatuh tempo ≤ 12 bulan)"][0] == current0 + D("2400000") - 10 * ROW


def test_neraca_split_of_a_payout_prepaid_reversed_and_paid_out_again(year_data, staff):
    """The first payout (1 July) prepaid on 1 August with its excess to principal
    (version 2, rows 2..24 re-amortised), that payment reversed on 10 August, the payout
    reversed on 15 August and made again on 1 October (version 3). 5 August: the
    re-amortised rows; 31 August: nothing; 31 October: rows 13..24 of version 3
    (1,200,000), none of the first payout's rows nor the prepayment's."""
    by = year_data["by"]
    aug5 = date(YEAR, 8, 5)
    before = _before((JULY, aug5, AUGUST, OCTOBER, DECEMBER))
    loan = _loan_paid_out(year_data, staff, on=date(YEAR, 7, 1))
    rep = loan_repay(
        loan=loan, amount=D("1000000"), by=by, on=date(YEAR, 8, 1), excess_to="principal"
    )
    loan.refresh_from_db()
    after_prepay = loan.principal_outstanding
    loan_repayment_reverse(repayment=rep, by=by, reason="salah ketik", on=date(YEAR, 8, 10))
    loan.refresh_from_db()
    loan_disbursement_reverse(loan=loan, by=by, reason="salah", on=date(YEAR, 8, 15))
    loan.refresh_from_db()
    loan_disburse(loan=loan, by=by, on=date(YEAR, 10, 1))
    loan.refresh_from_db()
    assert loan.schedule_version == 3
    v2_aug5 = _version_after(loan, 2, aug5)
    assert 0 < v2_aug5 < 12 * ROW
    full = D("2400000")
    _assert_figures(
        before,
        {
            JULY: (full, 12 * ROW),
            aug5: (after_prepay, v2_aug5),
            AUGUST: (D("0"), D("0")),
            OCTOBER: (full, 12 * ROW),
            DECEMBER: (full, 10 * ROW),
        },
    )


def test_neraca_split_after_a_reschedule_to_a_shorter_tenor(year_data, staff):
    """Paid out 1 July over 24 months, rescheduled on 15 July over 12 months (rows 25..36
    due 15 August .. 15 July next year; the old rows kept as history, not current): 14
    July the first schedule's rows 13..24 (1,200,000); 31 July nothing due after 12
    months, the old rows 13..24 no longer."""
    jul14 = date(YEAR, 7, 14)
    before = _before((jul14, JULY))
    loan = _loan_paid_out(year_data, staff, on=date(YEAR, 7, 1))
    loan_reschedule(
        loan=loan, by=staff["ketua"], tenor=12, reason="Gaji naik", on=date(YEAR, 7, 15)
    )
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    assert Instalment.objects.get(loan=loan, version=2, number=36).due_date == date(YEAR + 1, 7, 15)
    full = D("2400000")
    _assert_figures(before, {jul14: (full, 12 * ROW), JULY: (full, D("0"))})
