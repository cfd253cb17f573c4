"""A top-up of a loan in arrears capitalises the old loan's overdue jasa AND its late
penalty (denda) into *pendapatan jasa ditangguhkan*. As the new loan is repaid the
deferred amount is earned: the penalty part is penalty income (the account ordinary late
penalty payments credit), not jasa income, so the income statement and the RAT pack show
the denda where a treasurer and an auditor look for it. The rule is one function
(``repayment.deferred_penalty_part``: the penalty first, as a payment is allocated) used
by the counter payment, the payroll batch, the payoff, a later top-up and the exit
settlement; a reversal restores it exactly.

The figures: the old loan 10,000,000 flat 1 % a month over 10 months (1,100,000 an
instalment), its first two instalments unpaid on the top-up date (45 and 14 days late:
2 % of 1,100,000 per started month after 5 grace days = 44,000 + 22,000 = 66,000 penalty,
200,000 jasa). The new loan 20,000,000 over 10 months (2,000,000 principal + 200,000 jasa
an instalment) carries 266,000 deferred, of which 66,000 penalty. Each instalment repays a
tenth of the principal and earns 26,600 of the deferred amount: 26,600 penalty, then
26,600 penalty, then 12,800 penalty + 13,800 jasa, then jasa only."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from core.ledger.models import JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, journal_post, journal_reverse
from core.loans.batch import loan_repayments_prepare_bulk
from core.loans.models import Loan, Repayment
from core.loans.services import (
    loan_disburse,
    loan_payoff,
    loan_payoff_quote,
    loan_repay,
    loan_repayment_reverse,
    loan_repayment_reverse_apply,
    loan_repayments_attach_entry,
    member_loans_settle_apply,
)
from tests.ledger.helpers import post_bank_batch
from tests.loans.conftest import assert_reconciled
from tests.loans.test_money_review import _role_total, _topup


def _income(member, role: str) -> D:
    """Credit less debit on the account of ``role`` for ``member``, all entries."""
    acc = account_for_role(role)
    return sum(
        (
            ln.credit - ln.debit
            for ln in JournalLine.objects.filter(account=acc, member_id=member.pk)
        ),
        D(0),
    )


def _deferred_ledger() -> D:
    return account_balance(account=account_for_role("deferred_jasa_income"))


@pytest.fixture
def carried(make_loan, staff, member, product, today):
    """The new loan (disbursed 115 days ago by a top-up of the old loan, 75 days after
    the old loan's disbursement, in arrears) and the member's penalty and jasa income
    right after the top-up."""
    on = today - timedelta(days=115)
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=190)
    q = loan_payoff_quote(loan=old, on=on)
    assert (q["jasa"], q["penalty"]) == (D(200_000), D(66_000))
    new = _topup(staff, member, product, old, D(20_000_000), on)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=on)
    assert _role_total(entry, "deferred_jasa_income") == D(266_000)
    assert _role_total(entry, "penalty_income") == 0
    assert _role_total(entry, "loan_interest_income") == 0
    new.refresh_from_db()
    assert (new.deferred_jasa, new.deferred_penalty) == (D(266_000), D(66_000))
    return new, _income(member, "penalty_income"), _income(member, "loan_interest_income")


def _row(loan, n):
    return loan.instalments.get(is_current=True, number=n)


def _batch(loan, amount, on, by, ref):
    with transaction.atomic():
        drafts = loan_repayments_prepare_bulk(
            items=[(loan.pk, amount)], on=on, channel="payroll", by=by
        )
        entry = post_bank_batch(lines=[x for d in drafts for x in d.lines], on=on, by=by, ref=ref)
        loan_repayments_attach_entry(drafts=drafts, entry=entry)
    rep = drafts[0].repayment
    rep.refresh_from_db()
    return rep, entry


def test_repayments_recognise_the_capitalised_penalty_as_penalty_income(
    carried, staff, member, today
):
    """Counter, payroll batch, counter, then the payoff: the 66,000 penalty ends in
    penalty income and only the 200,000 capitalised jasa in jasa income."""
    new, pen0, jasa0 = carried
    by = staff["petugas"]
    # 1. counter: 26,600 of the deferred amount, all of it penalty
    r1 = loan_repay(loan=new, amount=D(2_200_000), by=by, on=_row(new, 1).due_date)
    assert (r1.deferred_jasa_recognised, r1.deferred_penalty_recognised) == (
        D(26_600),
        D(26_600),
    )
    assert _role_total(r1.entry, "deferred_jasa_income") == D(-26_600)
    assert _role_total(r1.entry, "penalty_income") == D(26_600)
    assert _role_total(r1.entry, "loan_interest_income") == D(200_000)  # the instalment's own
    assert _income(member, "penalty_income") - pen0 == D(26_600)
    # 2. payroll batch: the same rule
    r2, e2 = _batch(new, D(2_200_000), _row(new, 2).due_date, staff["bendahara"], "uji-dp-2")
    assert (r2.deferred_jasa_recognised, r2.deferred_penalty_recognised) == (
        D(26_600),
        D(26_600),
    )
    assert _role_total(e2, "penalty_income") == D(26_600)
    assert _role_total(e2, "loan_interest_income") == D(200_000)
    new.refresh_from_db()
    assert (new.deferred_jasa, new.deferred_penalty) == (D(212_800), D(12_800))
    # 3. counter: the last 12,800 of the penalty, then 13,800 of the jasa
    r3 = loan_repay(loan=new, amount=D(2_200_000), by=by, on=_row(new, 3).due_date)
    assert (r3.deferred_jasa_recognised, r3.deferred_penalty_recognised) == (
        D(26_600),
        D(12_800),
    )
    assert _role_total(r3.entry, "penalty_income") == D(12_800)
    assert _role_total(r3.entry, "loan_interest_income") == D(200_000) + D(13_800)
    # 4. payoff: the 186,200 left is jasa; the fee (1 % of 14,000,000) is penalty income
    r4 = loan_payoff(loan=new, by=by, on=_row(new, 3).due_date)
    assert (r4.deferred_jasa_recognised, r4.deferred_penalty_recognised) == (D(186_200), D(0))
    assert _role_total(r4.entry, "penalty_income") == D(140_000)
    assert _role_total(r4.entry, "loan_interest_income") == D(186_200)
    new.refresh_from_db()
    assert new.status == Loan.Status.CLOSED
    assert (new.deferred_jasa, new.deferred_penalty) == (0, 0)
    # all in: the capitalised penalty is penalty income, the capitalised jasa jasa income
    assert _income(member, "penalty_income") - pen0 == D(66_000) + D(140_000)
    assert _income(member, "loan_interest_income") - jasa0 == 3 * D(200_000) + D(200_000)
    assert _deferred_ledger() == 0
    assert_reconciled()


def test_reversals_restore_the_deferred_penalty_exactly(carried, staff, member, today):
    """Payoff reversed, then the counter payment reversed, then the payroll batch
    reversed: each puts back the penalty it recognised, on the loan and in the ledger."""
    new, pen0, jasa0 = carried
    by = staff["petugas"]
    loan_repay(loan=new, amount=D(2_200_000), by=by, on=_row(new, 1).due_date)
    r2, e2 = _batch(new, D(2_200_000), _row(new, 2).due_date, staff["bendahara"], "uji-dp-r")
    r3 = loan_repay(loan=new, amount=D(2_200_000), by=by, on=_row(new, 3).due_date)
    r4 = loan_payoff(loan=new, by=by, on=_row(new, 3).due_date)

    def state():
        new.refresh_from_db()
        return (
            new.deferred_jasa,
            new.deferred_penalty,
            _income(member, "penalty_income") - pen0,
            _income(member, "loan_interest_income") - jasa0,
            _deferred_ledger(),
        )

    loan_repayment_reverse(repayment=r4, by=staff["bendahara"], reason="pelunasan batal")
    assert state() == (D(186_200), D(0), D(66_000), D(600_000) + D(13_800), D(186_200))
    loan_repayment_reverse(repayment=r3, by=staff["bendahara"], reason="salah catat")
    assert state() == (D(212_800), D(12_800), D(53_200), D(400_000), D(212_800))
    with transaction.atomic():  # as the payroll module's reversal of the batch does
        loan_repayment_reverse_apply(repayment=r2, on=today, by=staff["bendahara"])
        journal_reverse(
            entry=e2, on=today, reason="file salah", by=staff["bendahara"], module=e2.source
        )
    assert state() == (D(239_400), D(39_400), D(26_600), D(200_000), D(239_400))
    assert_reconciled()


def test_a_later_topup_on_probation_carries_the_deferred_penalty_on(
    carried, staff, member, product, today
):
    """The new loan, paid on time once, is topped up again the day after with nothing
    overdue: still on its probation, so a restructuring (test_topup_probation): its
    deferred amount, 39,400 of it penalty, is carried to the newer loan, not earned."""
    new, pen0, jasa0 = carried
    loan_repay(loan=new, amount=D(2_200_000), by=staff["petugas"], on=_row(new, 1).due_date)
    on = _row(new, 1).due_date + timedelta(days=1)
    assert _row(new, 2).due_date > on  # nothing overdue
    newer = _topup(staff, member, product, new, D(25_000_000), on)
    entry = loan_disburse(loan=newer, by=staff["bendahara"], on=on)
    assert _role_total(entry, "deferred_jasa_income") == 0
    assert _role_total(entry, "penalty_income") == 0
    assert _role_total(entry, "loan_interest_income") == 0  # no jasa due on the day
    rep = new.repayments.get(channel=Repayment.Channel.TOPUP)
    assert (rep.deferred_jasa_recognised, rep.deferred_penalty_recognised) == (0, 0)
    new.refresh_from_db()
    newer.refresh_from_db()
    assert (new.deferred_jasa, new.deferred_penalty) == (0, 0)
    assert (newer.deferred_jasa, newer.deferred_penalty) == (D(239_400), D(39_400))
    assert _income(member, "penalty_income") - pen0 == D(66_000) - D(39_400)
    assert _deferred_ledger() == D(239_400)
    assert_reconciled()


def test_a_topup_of_a_topup_in_arrears_carries_the_penalty_on(
    carried, staff, member, product, today
):
    """Nothing paid on the new loan; topped up again when its first instalment is 5+ days
    late: the old deferred penalty and the new overdue penalty are both carried."""
    new, _pen0, _jasa0 = carried
    on = _row(new, 1).due_date + timedelta(days=6)
    q = loan_payoff_quote(loan=new, on=on)
    assert q["penalty"] == D(44_000)  # 2 % of 2,200,000, one started month
    newer = _topup(staff, member, product, new, D(30_000_000), on)
    loan_disburse(loan=newer, by=staff["bendahara"], on=on)
    newer.refresh_from_db()
    assert newer.deferred_jasa == D(266_000) + D(200_000) + D(44_000)
    assert newer.deferred_penalty == D(66_000) + D(44_000)
    assert _deferred_ledger() == newer.deferred_jasa
    assert_reconciled()


def test_exit_settlement_recognises_the_deferred_penalty_as_penalty_income(
    carried, staff, member, today
):
    new, pen0, _jasa0 = carried
    lines = member_loans_settle_apply(member=member, on=today, by=staff["bendahara"])
    total = sum((ln.credit - ln.debit for ln in lines), D(0))
    journal_post(
        on=today,
        description="Penyelesaian keluar (uji)",
        lines=[LineSpec(account_for_role("cash"), debit=total), *lines],
        source="loan",
        source_ref="uji-exit-dp",
        by=staff["bendahara"],
    )
    rep = new.repayments.get(channel=Repayment.Channel.SETTLEMENT)
    assert (rep.deferred_jasa_recognised, rep.deferred_penalty_recognised) == (
        D(266_000),
        D(66_000),
    )
    assert _income(member, "penalty_income") - pen0 == D(66_000) + rep.penalty
    assert _deferred_ledger() == 0
    assert_reconciled()


def test_the_deferred_penalty_never_exceeds_the_deferred_amount(carried):
    new, *_x = carried
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.filter(pk=new.pk).update(deferred_penalty=new.deferred_jasa + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.filter(pk=new.pk).update(deferred_penalty=D(-1))


def test_loan_page_and_topup_confirmation_show_the_penalty_part(
    carried, staff, member, product, client_a, today
):
    new, *_x = carried
    client_a.force_login(staff["bendahara"])
    page = client_a.get(f"/pinjaman/{new.pk}/").content.decode()
    assert "Termasuk denda Rp 66.000, diakui sebagai pendapatan denda." in page
    # a top-up of it once its first instalment is overdue: the confirmation says how much
    # of what the newer loan carries is penalty (66,000 + 44,000)
    on = _row(new, 1).due_date + timedelta(days=6)
    newer = _topup(staff, member, product, new, D(30_000_000), on)
    r = client_a.post(f"/pinjaman/{newer.pk}/disburse/", {"on": on.isoformat(), "via": "cash"})
    assert r.status_code == 200
    notice = r.content.decode().split('id="confirm-notice"')[1].split("</p>")[0]
    assert "Denda di dalamnya, Rp 110.000, diakui sebagai pendapatan denda" in notice
