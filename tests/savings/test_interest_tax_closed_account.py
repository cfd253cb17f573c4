"""The PPh threshold (Rp 240,000 of jasa simpanan per member per month, across all their
accounts, PP 15/2009) counts every account the member held in the month, including one
of the same product closed during it: a member breaks a Hari Raya account (the early
withdrawal credits its part-month jasa) and opens another Hari Raya account the same
month. The month's run of the product, and a second break in the month, count the
closed account's jasa with the new account's.

Hand figures: jasa 6 % a year on the average daily balance = 0.5 % a month; June
has 30 days; an account emptied on a day earns nothing from that day."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db.models import Sum

from core.ledger.models import JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsTransaction
from core.savings.selectors import interest_tax_report
from core.savings.services import (
    savings_account_open,
    savings_early_withdraw,
    savings_early_withdrawal_preview,
    savings_interest_accrue,
    teller_deposit,
)
from tests.members import factories as f

from .conftest import assert_reconciled


@pytest.fixture
def broken_on(year):
    return date(year, 6, 16)


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def hari_raya(products, year):
    """Hari Raya bearing 6 % on the average daily balance, payout date 1 March of the next year,
    10,000,000 a month for 10 months (deposits up to 100,000,000), no penalty."""
    p = products["berjangka"]
    p.amount = D("10000000")
    p.term_months = 10
    p.payout_date = date(year + 1, 3, 1)
    p.interest_enabled = True
    p.interest_rate_annual = D("6")
    p.interest_basis = "average"
    p.save()
    return p


def _open(product, member, amount, on, teller):
    acc = savings_account_open(member=member, product=product, on=on)
    teller_deposit(account=acc, amount=amount, channel="bank", on=on, by=teller)
    acc.refresh_from_db()
    return acc


def _live(acc, kind):
    year = acc.product.payout_date.year - 1  # June of the year before the payout
    return list(
        SavingsTransaction.objects.filter(
            account=acc, kind=kind, on__year=year, on__month=6, reversed_by__isnull=True
        ).values_list("amount", flat=True)
    )


def _broken_on_the_16th(product, teller, bendahara):
    """80,000,000 from 1 June, broken on the 16th: 80,000,000 × 15/30 × 0.5 % = 200,000,
    under the threshold alone: no PPh; paid out 80,200,000."""
    year = product.payout_date.year - 1  # June of the year before the payout
    broken_on = date(year, 6, 16)
    m = f.member()
    first = _open(product, m, D("80000000"), date(year, 6, 1), teller)
    p = savings_early_withdrawal_preview(account=first, on=broken_on)
    assert (p.interest, p.interest_tax, p.net) == (D("200000"), D("0"), D("80200000"))
    savings_early_withdraw(
        account=first, on=broken_on, channel="bank", reason="darurat", by=bendahara
    )
    return m, first


def test_the_months_run_counts_the_closed_accounts_jasa_toward_the_threshold(
    hari_raya, teller, bendahara, year, broken_on
):
    """The member opens a new Hari Raya account the same day with 30,000,000: 15 days,
    30,000,000 × 15/30 × 0.5 % = 75,000. The member's June is 200,000 + 75,000 =
    275,000, above Rp 240,000: PPh 10 % = 27,500, none withheld at the break, all of it
    on the new account (before: 0 — the closed account of the same product was left out
    as if it were the run's own)."""
    m, first = _broken_on_the_16th(hari_raya, teller, bendahara)
    second = _open(hari_raya, m, D("30000000"), broken_on, teller)
    tax_before = account_balance(account=account_for_role("tax_payable"))
    run = savings_interest_accrue(product=hari_raya, year=year, month=6, by=bendahara)
    assert _live(second, "interest") == [D("75000")]
    assert _live(second, "tax") == [D("27500")]
    assert (_live(first, "interest"), _live(first, "tax")) == ([D("200000")], [])
    assert run.tax >= D("27500")
    assert account_balance(account=account_for_role("tax_payable")) - tax_before == run.tax
    second.refresh_from_db()
    assert second.balance == D("30000000") + D("75000") - D("27500")
    row = next(r for r in interest_tax_report(year=year, month=6) if r.member_id == m.pk)
    assert (row.gross, row.tax) == (D("275000"), D("27500"))
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]
    assert_reconciled()


def test_a_second_break_in_the_month_counts_the_first(
    hari_raya, teller, bendahara, year, broken_on
):
    """The new account (30,000,000 from the 16th) is broken too, on the 26th: 10 days,
    30,000,000 × 10/30 × 0.5 % = 50,000. The member's June is 200,000 + 50,000 =
    250,000: PPh 25,000, withheld at this break (before: 0); paid out 30,025,000."""
    m, first = _broken_on_the_16th(hari_raya, teller, bendahara)
    second = _open(hari_raya, m, D("30000000"), broken_on, teller)
    on = date(year, 6, 26)
    p = savings_early_withdrawal_preview(account=second, on=on)
    assert (p.interest, p.interest_tax, p.net) == (D("50000"), D("25000"), D("30025000"))
    txn = savings_early_withdraw(account=second, on=on, channel="bank", reason="x", by=bendahara)
    assert txn.amount == D("30025000")
    assert _live(second, "tax") == [D("25000")]
    row = next(r for r in interest_tax_report(year=year, month=6) if r.member_id == m.pk)
    assert (row.gross, row.tax) == (D("250000"), D("25000"))
    # the month's run finds no open account of the member and pays nothing more
    savings_interest_accrue(product=hari_raya, year=year, month=6, by=bendahara)
    assert (_live(first, "interest"), _live(second, "interest")) == ([D("200000")], [D("50000")])
    assert_reconciled()


def test_a_member_under_the_threshold_across_both_accounts_pays_none(
    hari_raya, teller, bendahara, year, broken_on
):
    """200,000 on the closed account + 10,000,000 × 15/30 × 0.5 % = 25,000 on the new
    one = 225,000: under Rp 240,000, no PPh."""
    m, _first = _broken_on_the_16th(hari_raya, teller, bendahara)
    second = _open(hari_raya, m, D("10000000"), broken_on, teller)
    savings_interest_accrue(product=hari_raya, year=year, month=6, by=bendahara)
    assert (_live(second, "interest"), _live(second, "tax")) == ([D("25000")], [])
