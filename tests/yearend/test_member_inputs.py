"""Each member's SHU inputs (capital, jasa paid) on cooperative A's 2025."""

import copy
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from core.yearend.models import ShuSettings
from core.yearend.selectors import member_inputs
from tests.members import factories as f

from .conftest import YEAR


@pytest.fixture
def staff(year_once, in_tenant_a):
    """The module's staff (``year_once``: built once for the module, never committed),
    copied for the test."""
    return copy.deepcopy(year_once["staff"])


@pytest.fixture
def year_data(year_once, staff):
    """The module's 2025 (``year_once``), its objects copied for the test."""
    return copy.deepcopy(year_once["year"])


D = Decimal


def _inputs(**settings):
    s = ShuSettings(effective_year=YEAR, **settings)
    return {i.member_id: i for i in member_inputs(year=YEAR, settings=s)}


def test_jasa_of_a_reversed_payroll_batch_is_not_a_contribution(year_data):
    from core.ledger.services import journal_reverse
    from core.loans.batch import loan_repayments_prepare_bulk
    from core.loans.services import loan_repayment_reverse_apply, loan_repayments_attach_entry
    from tests.ledger.helpers import post_bank_batch

    by, loan, m1 = year_data["by"], year_data["loan"], year_data["m1"]
    assert _inputs()[m1.pk].contribution == D("400000")  # 4 counter payments × 100,000
    on = date(YEAR, 7, 1)
    with transaction.atomic():
        drafts = loan_repayments_prepare_bulk(
            items=[(loan.pk, D("1100000"))], on=on, channel="payroll", by=by
        )
        entry = post_bank_batch(
            lines=[ln for d in drafts for ln in d.lines], on=on, by=by, ref="ye-batch"
        )
        loan_repayments_attach_entry(drafts=drafts, entry=entry)
    assert _inputs()[m1.pk].contribution == D("500000")
    (rep,) = [d.repayment for d in drafts]
    with transaction.atomic():  # as deduction_import_reverse does
        loan_repayment_reverse_apply(repayment=rep, on=date(YEAR, 7, 2), by=by)
        journal_reverse(
            entry=entry, on=date(YEAR, 7, 2), reason="file salah", by=by, module="deduction"
        )
    # the repayment row stays (immutable) but its jasa was never earned
    assert _inputs()[m1.pk].contribution == D("400000")


def _leave(member, on):
    """Left on ``on`` with the savings still on the books (data from before the database
    refused it): what the capital of a leaver counts is their balances up to that day."""
    f.left_outside_exit(member, status="retired", on=on)


def test_leaver_pro_rata_by_days_with_year_end_basis(year_data):
    m1 = year_data["m1"]
    _leave(m1, date(YEAR, 7, 1))  # 181 days of 365 before the exit date
    # 5,000,000 × 181 / 365 = 2,479,452.054… (down to the sen)
    assert _inputs()[m1.pk].capital == D("2479452.05")
    assert m1.pk not in _inputs(leavers="excluded")


def test_leaver_pro_rata_by_month_ends_with_average_basis(year_data):
    """Month-ends on or after the exit date count zero even when the savings are still
    held (settlement not yet paid): six month-ends of 5,000,000."""
    m1 = year_data["m1"]
    _leave(m1, date(YEAR, 7, 1))
    assert _inputs(capital_basis="average")[m1.pk].capital == D("2500000")
    assert _inputs(capital_basis="average")[year_data["m2"].pk].capital == D("1350000")


def _leavers(n, by, first=0):
    """``n`` members who each saved 3,650,000 wajib on 10 January and 1,000,000 more on
    1 August, and left on the 1st of March, April, … (the August deposit is after the
    exit: not their capital)."""
    from tests.members import factories as f

    from .conftest import _deposit

    out = {}
    for i in range(first, first + n):
        m = f.member(full_name=f"Keluar {i}")
        _deposit(m, "wajib", "3650000", date(YEAR, 1, 10), by)
        _deposit(m, "wajib", "1000000", date(YEAR, 8, 1), by)
        exit_on = date(YEAR, 3 + i, 1)
        _leave(m, exit_on)
        # 3,650,000 × days before the exit ÷ 365 = 10,000 a day
        out[m.pk] = D("10000") * (exit_on - date(YEAR, 1, 1)).days
    return out


def test_leavers_cost_a_fixed_number_of_queries_and_keep_their_figures(year_data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    by = year_data["by"]
    expected = _leavers(1, by)
    with CaptureQueriesContext(connection) as one:
        got = _inputs()
    assert {mid: got[mid].capital for mid in expected} == expected
    assert got[year_data["m1"].pk].capital == D("5000000")
    expected |= _leavers(4, by, first=1)
    with CaptureQueriesContext(connection) as five:
        got = _inputs()
    assert {mid: got[mid].capital for mid in expected} == expected
    assert got[year_data["m1"].pk].capital == D("5000000")
    assert len(five) == len(one), [q["sql"] for q in five.captured_queries]


def test_jasa_paid_ahead_that_a_payoff_counted_toward_principal_is_not_a_contribution(
    year_data,
):
    """60,000 paid ahead on 10 June (instalment 5's jasa, due 1 July), then the loan paid
    off that day: the payoff waives instalment 5's jasa and counts the 60,000 toward the
    principal (taken back from jasa income), so it is no SHU contribution."""
    from core.loans.services import loan_payoff, loan_repay

    by, loan, m1 = year_data["by"], year_data["loan"], year_data["m1"]
    on = date(YEAR, 6, 10)
    loan_repay(loan=loan, amount=D("60000"), by=by, on=on)
    assert _inputs()[m1.pk].contribution == D("460000")
    rep = loan_payoff(loan=loan, by=by, on=on)
    assert rep.jasa_ahead_credited == D("60000")
    assert _inputs()[m1.pk].contribution == D("400000")


def test_overdue_jasa_a_topup_capitalised_is_not_a_contribution(year_data, staff):
    """Instalments 5 and 6 (due 1 July and 1 August) unpaid; a top-up on 20 August settles
    the loan from the new loan's principal: their 200,000 jasa is capitalised (deferred
    income, carried by the new loan), not paid: no SHU contribution, as a reschedule."""
    from core.loans.models import Repayment
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify
    from tests.loans.conftest import docs

    loan, m1 = year_data["loan"], year_data["m1"]
    on = date(YEAR, 8, 20)
    new = loan_apply(
        member=m1,
        product=loan.product,
        principal=D("20000000"),
        tenor=10,
        by=staff["petugas"],
        on=on,
        documents=docs(),
        topup_of=loan,
    )
    loan_verify(loan=new, by=staff["bendahara"], on=on)
    loan_approve(loan=new, by=staff["ketua"], on=on)
    loan_disburse(loan=new, by=staff["bendahara"], on=on)
    rep = loan.repayments.get(channel=Repayment.Channel.TOPUP)
    assert rep.jasa == D("200000") and rep.jasa_deferred == D("200000")
    assert _inputs()[m1.pk].contribution == D("400000")


def test_jasa_of_a_december_payment_reversed_in_january_counts_in_its_year(year_data):
    """A payment of December reversed in January (December still open) stays in the
    year's jasa income — the reversal is January's — so it is in the SHU pool, and the
    member's contribution counts it too (reversals up to 31 December only, as savings
    capital counts by date): before, it left the member's share while its jasa stayed in
    the pool, shared out among the others. One reversed in December counts nowhere."""
    from core.ledger.services import journal_reverse
    from core.loans.batch import loan_repayments_prepare_bulk
    from core.loans.services import loan_repayment_reverse_apply, loan_repayments_attach_entry
    from tests.ledger.helpers import post_bank_batch

    by, loan, m1 = year_data["by"], year_data["loan"], year_data["m1"]
    before = _inputs()[m1.pk].contribution

    def pay(on, ref):
        with transaction.atomic():
            drafts = loan_repayments_prepare_bulk(
                items=[(loan.pk, D("1100000"))], on=on, channel="payroll", by=by
            )
            entry = post_bank_batch(
                lines=[ln for d in drafts for ln in d.lines], on=on, by=by, ref=ref
            )
            loan_repayments_attach_entry(drafts=drafts, entry=entry)
        return drafts[0].repayment, entry

    def reverse(rep, entry, on):
        with transaction.atomic():
            loan_repayment_reverse_apply(repayment=rep, on=on, by=by)
            journal_reverse(entry=entry, on=on, reason="file salah", by=by, module="deduction")

    rep, entry = pay(date(YEAR, 12, 1), "ye-dec")
    jasa = rep.jasa
    assert jasa > 0
    reverse(rep, entry, date(YEAR + 1, 1, 5))
    assert _inputs()[m1.pk].contribution == before + jasa
    rep2, entry2 = pay(date(YEAR, 12, 2), "ye-dec-2")
    reverse(rep2, entry2, date(YEAR, 12, 3))
    assert _inputs()[m1.pk].contribution == before + jasa
