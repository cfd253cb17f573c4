"""A member who leaves before a finished month's jasa simpanan has been run does not lose
it: the exit settlement credits it — by the monthly run's own rule — in its transaction,
shows it as its own line and pays it out; the run afterwards does not pay it again; an
exit reversal takes it back (or keeps it when that month's run has passed meanwhile);
a month that can no longer be posted (closed) refuses the exit instead of losing it."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db.models import Sum
from django.utils.html import escape

from core.common.dates import MONTHS_ID
from core.common.errors import ApplicationError
from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
)
from core.ledger.models import JournalEntry, JournalLine, Period
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import fiscal_year_ensure, period_close
from core.members.models import Member
from core.savings.models import InterestRun, SavingsAccount, SavingsTransaction
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    savings_interest_reverse,
    teller_deposit,
)
from tests.members import factories as f
from tests.savings.conftest import assert_reconciled


def _month_back(d: date, n: int) -> date:
    """The last day of the month ``n`` months before ``d``'s."""
    last = d.replace(day=1) - timedelta(days=1)
    for _i in range(n - 1):
        last = last.replace(day=1) - timedelta(days=1)
    return last


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


def _ledger_balances():
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]
    assert_reconciled()


def _books_from(opened: date) -> None:
    """From January to April the months the savers open in are last year's: open it
    first, as an admin would (the books of the test cooperatives start this year)."""
    fiscal_year_ensure(year=opened.year)


def _saver(products, teller, opened: date, extra_on: date):
    """A sukarela saver: 100,000,000 from ``opened`` (interest above the PPh threshold)
    and 20,000,000 more on ``extra_on``; a wajib account (no interest) too."""
    _books_from(opened)
    m = f.member()
    acc = savings_account_open(member=m, product=products["sukarela"], on=opened)
    teller_deposit(account=acc, amount=D("100000000"), channel="bank", on=opened, by=teller)
    teller_deposit(account=acc, amount=D("20000000"), channel="bank", on=extra_on, by=teller)
    wajib = savings_account_open(member=m, product=products["wajib"], on=opened)
    teller_deposit(account=wajib, amount=D("600000"), channel="bank", on=opened, by=teller)
    return m, acc


@pytest.fixture
def twins(products, teller, today):
    """Two identical savers opened four months back; the month three back already run."""
    opened = _month_back(today, 4).replace(day=20)
    m3 = _month_back(today, 3)
    extra_on = _month_back(today, 2).replace(day=10)
    leaver, l_acc = _saver(products, teller, opened, extra_on)
    stayer, s_acc = _saver(products, teller, opened, extra_on)
    savings_interest_accrue(
        product=products["sukarela"], year=m3.year, month=m3.month, by=f.user("bendahara")
    )
    return leaver, l_acc, stayer, s_acc


def _runs(products, today, by, months=(2, 1)):
    for n in months:
        m = _month_back(today, n)
        savings_interest_accrue(product=products["sukarela"], year=m.year, month=m.month, by=by)


def _interest_of(acc, last: date):
    rows = SavingsTransaction.objects.filter(
        account=acc, on=last, kind__in=["interest", "tax"], reversed_by__isnull=True
    )
    return sum((t.delta for t in rows), D(0))


def test_exit_credits_every_unrun_month_exactly_as_the_run_pays_the_twin(
    twins, products, today, bendahara
):
    leaver, l_acc, stayer, s_acc = twins
    m2, m1 = _month_back(today, 2), _month_back(today, 1)
    l_acc.refresh_from_db()
    before = l_acc.balance
    expense = account_for_role("savings_interest_expense")
    expense_before = account_balance(account=expense)
    p = exit_settlement_preview(member=leaver, on=today)
    assert p.warnings == []
    assert [(x["year"], x["month"]) for x in p.interest] == [
        (m2.year, m2.month),
        (m1.year, m1.month),
    ]
    assert all(products["sukarela"].name in x["label"] for x in p.interest)
    assert MONTHS_ID[m1.month - 1] in p.interest[1]["label"]
    assert p.interest_total > 0
    assert p.net_payable == p.savings_total + p.interest_total
    s = exit_settlement_confirm(
        member=leaver, reason="resigned", on=today, by=bendahara, expected_net=p.net_payable
    )
    assert s.interest_credited == p.interest_total
    assert s.net_payable == before + D("600000") + p.interest_total
    credited = {m2: _interest_of(l_acc, m2), m1: _interest_of(l_acc, m1)}
    # the monthly runs come afterwards: they reach the twin, and not the leaver again
    _runs(products, today, bendahara)
    for last in (m2, m1):
        assert _interest_of(s_acc, last) == credited[last] != 0
        assert (
            SavingsTransaction.objects.filter(account=l_acc, on=last, kind="interest").count() == 1
        )
        assert (
            InterestRun.objects.get(
                product=products["sukarela"], year=last.year, month=last.month
            ).accounts
            == 1
        )
    s_acc.refresh_from_db()
    assert s_acc.balance + D("600000") == s.net_payable  # what the stayer holds, the leaver got
    # gross 2 × (jasa of two months), the tax above the threshold withheld for both
    assert SavingsTransaction.objects.filter(account=l_acc, kind="tax").count() == 3
    gross = SavingsTransaction.objects.filter(
        account__in=[l_acc, s_acc], kind="interest", on__in=[m2, m1]
    ).aggregate(s=Sum("amount"))["s"]
    assert account_balance(account=expense) - expense_before == gross
    _ledger_balances()


def test_exit_page_and_done_page_show_the_interest_line(
    twins, products, today, bendahara, client_a
):
    leaver = twins[0]
    p = exit_settlement_preview(member=leaver, on=today)
    client_a.force_login(bendahara)
    page = client_a.get(f"/anggota/{leaver.pk}/keluar/").content.decode()
    for x in p.interest:
        assert escape(x["label"]) in page
    from core.common.money import format_rupiah

    assert format_rupiah(p.interest[1]["net"]) in page
    assert format_rupiah(p.net_payable) in page
    exit_settlement_confirm(member=leaver, reason="resigned", on=today, by=bendahara)
    page = client_a.get(f"/anggota/{leaver.pk}/keluar/").content.decode()
    for x in p.interest:
        assert escape(x["label"]) in page
    assert format_rupiah(p.interest_total) in page


def test_exit_reversed_before_the_run_takes_the_credit_back_and_the_run_pays_it(
    twins, products, today, bendahara
):
    leaver, l_acc, stayer, s_acc = twins
    s = exit_settlement_confirm(member=leaver, reason="resigned", on=today, by=bendahara)
    exit_settlement_reverse(settlement=s, by=bendahara, reason="salah anggota", on=today)
    leaver.refresh_from_db()
    assert leaver.status == Member.Status.ACTIVE
    l_acc.refresh_from_db()
    assert l_acc.status == "open"
    m2, m1 = _month_back(today, 2), _month_back(today, 1)
    assert _interest_of(l_acc, m2) == _interest_of(l_acc, m1) == 0  # credit taken back
    _ledger_balances()
    _runs(products, today, bendahara)
    l_acc.refresh_from_db()
    s_acc.refresh_from_db()
    assert l_acc.balance == s_acc.balance  # paid once, by the run
    for last in (m2, m1):
        assert _interest_of(l_acc, last) == _interest_of(s_acc, last) != 0
    _ledger_balances()


def test_exit_reversed_after_the_run_keeps_the_credit_and_a_rerun_skips_it(
    twins, products, today, bendahara
):
    leaver, l_acc, stayer, s_acc = twins
    s = exit_settlement_confirm(member=leaver, reason="resigned", on=today, by=bendahara)
    _runs(products, today, bendahara)
    exit_settlement_reverse(settlement=s, by=bendahara, reason="salah anggota", on=today)
    l_acc.refresh_from_db()
    s_acc.refresh_from_db()
    # the run has passed: taking the credit back would lose it; it stays, once
    assert l_acc.balance == s_acc.balance
    m1 = _month_back(today, 1)
    # the month's run reversed and run again does not pay the reopened account twice
    run = InterestRun.objects.get(
        product=products["sukarela"], year=m1.year, month=m1.month, reversed_at__isnull=True
    )
    savings_interest_reverse(run=run, by=bendahara, reason="ulang", on=today)
    savings_interest_accrue(
        product=products["sukarela"], year=m1.year, month=m1.month, by=bendahara
    )
    l_acc.refresh_from_db()
    s_acc.refresh_from_db()
    assert l_acc.balance == s_acc.balance
    assert (
        SavingsTransaction.objects.filter(
            account=l_acc, on=m1, kind="interest", reversed_by__isnull=True
        ).count()
        == 1
    )
    _ledger_balances()


def test_a_closed_unrun_month_refuses_the_exit_naming_product_and_month(
    products, teller, today, bendahara
):
    m1 = _month_back(today, 1)
    m = f.member()
    opened = _month_back(today, 2).replace(day=1)
    _books_from(opened)
    acc = savings_account_open(member=m, product=products["sukarela"], on=opened)
    teller_deposit(account=acc, amount=D("5000000"), channel="bank", on=opened, by=teller)
    for period in Period.objects.filter(end_date__lte=m1, status="open").order_by("start_date"):
        period_close(period=period, by=bendahara)
    p = exit_settlement_preview(member=m, on=today)
    assert len(p.warnings) == 1 and products["sukarela"].name in p.warnings[0]
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(member=m, reason="resigned", on=today, by=bendahara)
    assert e.value.code == "settlement_interest_month_closed"
    assert products["sukarela"].name in str(e.value.message)
    assert f"{MONTHS_ID[m1.month - 1]} {m1.year}" in str(e.value.message)
    m.refresh_from_db()
    assert m.is_active and JournalEntry.objects.count() == entries
    assert SavingsAccount.objects.get(pk=acc.pk).status == "open"


def test_a_product_never_run_credits_the_month_before_the_exit(products, teller, today, bendahara):
    """No run ever (the cooperative has not started paying jasa): only the month before
    the exit is credited, as the monthly auto run would pay it next."""
    opened = _month_back(today, 3).replace(day=1)
    _books_from(opened)
    m = f.member()
    acc = savings_account_open(member=m, product=products["sukarela"], on=opened)
    teller_deposit(account=acc, amount=D("4000000"), channel="bank", on=opened, by=teller)
    p = exit_settlement_preview(member=m, on=today)
    m1 = _month_back(today, 1)
    assert [(x["year"], x["month"]) for x in p.interest] == [(m1.year, m1.month)]
    # 4,000,000 × 3 % / 12
    assert p.interest_total == D("10000")


def test_a_run_that_read_the_accounts_before_an_exit_does_not_pay_the_leaver_twice(
    twins, products, today, bendahara, monkeypatch
):
    """The run lists the open accounts, then waits for their locks while an exit settles
    one of them (crediting the month and closing it): once locked, it reads them again."""
    from core.savings.services import interest as interest_module

    leaver, l_acc, stayer, s_acc = twins
    real_lock = interest_module.savings_accounts_lock

    def exit_meanwhile(ids):
        ids = list(ids)
        if l_acc.pk in ids:
            exit_settlement_confirm(member=leaver, reason="resigned", on=today, by=bendahara)
        return real_lock(ids)

    monkeypatch.setattr(interest_module, "savings_accounts_lock", exit_meanwhile)
    m2 = _month_back(today, 2)
    run = savings_interest_accrue(
        product=products["sukarela"], year=m2.year, month=m2.month, by=bendahara
    )
    assert run.accounts == 1
    assert SavingsTransaction.objects.filter(account=l_acc, on=m2, kind="interest").count() == 1
    assert _interest_of(l_acc, m2) == _interest_of(s_acc, m2) != 0
    _ledger_balances()
