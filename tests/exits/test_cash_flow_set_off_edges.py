# ruff: noqa: F811, F401
"""The edges of an exit's set-off of savings against loans (test_cash_flow_set_off's
member: pokok 100,000, wajib 2,500,000 with the wajib pinjam, sukarela 9,000,000, a loan
of 10,000,000 paid out 5 days ago; part of the sukarela withdrawn 10 days ago to set the
edge): savings exactly equal to the loans (the entry has no cash line at all), 1 rupiah
more, 1 rupiah less (refused until the member pays it in), and a set-off that reaches
the unpaid SHU. Each checked on the books: the entry balances, the trial balance, the
cash flow of the exit day ties to the change in cash and shows only what was paid,
the per-day figures, the sub-ledgers; and its reversal nets out."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.db.models import Sum
from django.urls import reverse

from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
)
from core.ledger import reports
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_balance, account_for_role, balances_check
from core.ledger.services import LineSpec, journal_post
from core.loans.models import Loan
from core.members.models import Member
from core.savings.models import SavingsAccount
from core.savings.selectors import savings_statement
from core.savings.services import teller_deposit, teller_withdraw
from tests.exits.test_cash_flow_set_off import _code, _today_rows
from tests.exits.test_settlement_loans import _loans_reconciled, funded
from tests.exits.test_settlement_screen_amounts import _page
from tests.loans.conftest import _media, make_loan, member, product, staff
from tests.loans.test_cash_flow_deferred_jasa import _assert_days_match_lines
from tests.savings.conftest import assert_reconciled

D = Decimal


def _sukarela(member) -> SavingsAccount:
    return SavingsAccount.objects.get(member=member, product__kind="sukarela")


def _edge(funded, make_loan, staff, today, *, withdrawn: str, shu: str = "0"):
    """The member with ``withdrawn`` of the sukarela taken out 10 days ago (and ``shu``
    of SHU declared and not paid), then the loan of 10,000,000 paid out 5 days ago."""
    on = today - timedelta(days=10)
    teller_withdraw(
        account=_sukarela(funded), amount=D(withdrawn), channel="bank", on=on, by=staff["petugas"]
    )
    if D(shu):
        journal_post(
            on=on,
            description="SHU bagian anggota (uji)",
            source="shu",
            source_ref=f"uji:set-off:{uuid4().hex}",
            lines=[
                LineSpec(account_for_role("shu_current_year"), debit=D(shu)),
                LineSpec(
                    account_for_role("shu_members_payable"), credit=D(shu), member_id=funded.pk
                ),
            ],
            by=staff["bendahara"],
        )
    loan = make_loan(principal=D("10000000"), days_ago=5)
    return loan, exit_settlement_preview(member=funded, on=today)


def _confirm(member, staff, today, p):
    return exit_settlement_confirm(
        member=member, reason="retired", on=today, by=staff["bendahara"], expected_net=p.net_payable
    )


def _books_hold(today):
    """The whole ledger balances, on each entry and in the trial balance; the balances
    table, the per-day cash-flow figures and both sub-ledgers agree with the lines."""
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]
    tb = reports.trial_balance(as_of=today)
    assert tb["balanced"] and tb["total_debit"] == tb["total_credit"] > 0
    assert balances_check() == []
    _assert_days_match_lines(today, today)
    assert_reconciled()
    _loans_reconciled()


def _cash_paid(entry) -> Decimal:
    return sum((ln.credit - ln.debit for ln in entry.lines.all() if ln.account.is_cash), D(0))


def _marked_balance(entry) -> tuple[Decimal, Decimal]:
    """(debits, credits) of the entry's lines marked non-cash."""
    t = JournalLine.objects.filter(entry=entry, non_cash=True).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    return t["d"] or D(0), t["c"] or D(0)


def test_savings_equal_to_the_loans_post_an_entry_with_no_cash(
    funded, make_loan, staff, today, client_a
):
    loan, p = _edge(funded, make_loan, staff, today, withdrawn="1600000")
    assert (p.savings_total, p.loans_outstanding, p.shu_unpaid) == (
        D("10000000"),
        D("10000000"),
        D("0"),
    )
    assert p.net_payable == 0 and not p.refused
    s = _confirm(funded, staff, today, p)
    assert s.net_payable == 0
    entry = s.journal_entry
    assert entry is not None
    # no cash line: every savings debit is the loan's credit
    assert not entry.lines.filter(account__is_cash=True).exists()
    assert _cash_paid(entry) == 0
    d, c = entry.lines.aggregate(d=Sum("debit"), c=Sum("credit")).values()
    assert d == c == D("10000000")
    assert _marked_balance(entry) == (D("10000000"), D("10000000"))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    assert account_balance(account=account_for_role("loan_receivable"), member_id=funded.pk) == 0
    # the cash flow: nothing for the exit, no receipt and no payment
    cf, rows = _today_rows(today)
    assert rows == {}, rows
    assert cf["net_change"] == 0 == cf["closing_cash"] - cf["opening_cash"] and cf["reconciles"]
    # the member's statement: every account emptied by the settlement; the pages say 0 paid
    for acc in savings_statement(member=funded, date_from=today, date_to=today):
        assert acc.closing == 0 and acc.total_in == 0
    assert sum(
        (a.total_out for a in savings_statement(member=funded, date_from=today, date_to=today)),
        D(0),
    ) == D("10000000")
    done = _page(client_a, staff["bendahara"], funded)
    assert f"<strong>{format_rupiah(D('0'))}</strong>" in done.split("Dibayarkan")[1]
    detail = _member_page(client_a, staff["bendahara"], funded)
    assert f"dibayar {format_rupiah(D('0'))}" in detail
    _books_hold(today)
    # reversed: the loan runs again, the savings are back, the day shows nothing
    exit_settlement_reverse(settlement=s, by=staff["bendahara"], reason="salah anggota", on=today)
    funded.refresh_from_db()
    loan.refresh_from_db()
    assert funded.status == Member.Status.ACTIVE and loan.status == Loan.Status.DISBURSED
    assert sum(
        (a.balance for a in SavingsAccount.objects.filter(member=funded, status="open")), D(0)
    ) == D("10000000")
    rev = JournalEntry.objects.get(reverses=entry)
    assert not rev.lines.filter(account__is_cash=True).exists()
    assert _marked_balance(rev) == (D("10000000"), D("10000000"))
    cf, rows = _today_rows(today)
    assert rows == {} and cf["net_change"] == 0 and cf["reconciles"]
    _books_hold(today)


def _member_page(client_a, user, member) -> str:
    from django.test import Client

    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(user)
    r = c.get(reverse("members:detail", args=[member.pk]))
    assert r.status_code == 200
    return r.content.decode()


def test_savings_one_rupiah_above_the_loans_pay_that_rupiah(funded, make_loan, staff, today):
    _loan, p = _edge(funded, make_loan, staff, today, withdrawn="1599999")
    assert p.net_payable == D("1")
    s = _confirm(funded, staff, today, p)
    entry = s.journal_entry
    assert _cash_paid(entry) == D("1")
    # the sukarela debit is split where the set-off ends: 1 rupiah of it paid in cash
    suk = entry.lines.filter(account=account_for_role("savings_sukarela")).order_by("non_cash")
    assert [(ln.debit, ln.non_cash) for ln in suk] == [(D("1"), False), (D("7400000"), True)]
    assert _marked_balance(entry) == (D("10000000"), D("10000000"))
    cf, rows = _today_rows(today)
    assert rows == {("out", _code("savings_sukarela")): D("1")}
    assert cf["net_change"] == -1 == cf["closing_cash"] - cf["opening_cash"]
    assert cf["reconciles"]
    _books_hold(today)
    exit_settlement_reverse(settlement=s, by=staff["bendahara"], reason="salah anggota", on=today)
    cf, rows = _today_rows(today)
    assert rows == {} and cf["net_change"] == 0 and cf["reconciles"]
    _books_hold(today)


def test_loans_one_rupiah_above_the_savings_refused_until_the_member_pays_it_in(
    funded, make_loan, staff, today
):
    """The settlement does not take money in: a member whose loans exceed their savings
    and SHU pays the shortfall first (here a deposit of 1 rupiah at the counter), and the
    exit then pays out nothing. The day's cash flow shows that deposit only."""
    loan, p = _edge(funded, make_loan, staff, today, withdrawn="1600001")
    assert p.net_payable == D("-1")
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        _confirm(funded, staff, today, p)
    assert e.value.code == "settlement_loans_exceed_savings"
    assert "kekurangan Rp 1 dulu" in str(e.value.message)
    assert JournalEntry.objects.count() == entries
    loan.refresh_from_db()
    funded.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED and funded.is_active
    assert SavingsAccount.objects.filter(member=funded, status="open").count() == 3
    teller_deposit(
        account=_sukarela(funded), amount=D("1"), channel="bank", on=today, by=staff["petugas"]
    )
    p = exit_settlement_preview(member=funded, on=today)
    assert p.net_payable == 0
    s = _confirm(funded, staff, today, p)
    assert not s.journal_entry.lines.filter(account__is_cash=True).exists()
    cf, rows = _today_rows(today)
    assert rows == {("in", _code("savings_sukarela")): D("1")}
    assert cf["net_change"] == 1 == cf["closing_cash"] - cf["opening_cash"]
    assert cf["reconciles"]
    _books_hold(today)


def test_set_off_reaching_the_unpaid_shu(funded, make_loan, staff, today):
    """Sukarela 7,000,000 left: savings 9,600,000 and SHU 500,000 unpaid against the
    loan of 10,000,000: the set-off takes every savings balance and 400,000 of the SHU;
    the other 100,000 of SHU is what is paid out."""
    payable = account_for_role("shu_members_payable")
    _loan, p = _edge(funded, make_loan, staff, today, withdrawn="2000000", shu="500000")
    assert (p.savings_total, p.shu_unpaid, p.loans_outstanding) == (
        D("9600000"),
        D("500000"),
        D("10000000"),
    )
    assert p.net_payable == D("100000")
    s = _confirm(funded, staff, today, p)
    entry = s.journal_entry
    assert _cash_paid(entry) == D("100000")
    shu = entry.lines.filter(account=payable).order_by("non_cash")
    assert [(ln.debit, ln.non_cash, ln.member_id) for ln in shu] == [
        (D("100000"), False, funded.pk),
        (D("400000"), True, funded.pk),
    ]
    # every savings debit is set off
    savings = entry.lines.filter(account__in=[a.product.account for a in p.accounts])
    assert all(ln.non_cash for ln in savings)
    assert sum((ln.debit for ln in savings), D(0)) == D("9600000")
    assert _marked_balance(entry) == (D("10000000"), D("10000000"))
    # the SHU payable: the member's share is paid, all of it
    assert account_balance(account=payable, member_id=funded.pk) == 0
    cf, rows = _today_rows(today)
    assert rows == {("out", payable.code): D("100000")}
    assert cf["net_change"] == D("-100000") == cf["closing_cash"] - cf["opening_cash"]
    assert cf["reconciles"]
    _books_hold(today)
    exit_settlement_reverse(settlement=s, by=staff["bendahara"], reason="salah anggota", on=today)
    assert account_balance(account=payable, member_id=funded.pk) == D("500000")
    cf, rows = _today_rows(today)
    assert rows == {} and cf["net_change"] == 0 and cf["reconciles"]
    _books_hold(today)


def test_savings_and_shu_exactly_equal_to_the_loans(funded, make_loan, staff, today):
    """Sukarela 6,900,000 left: savings 9,500,000 + SHU 500,000 = the loan: all of it set
    off, the SHU too; nothing paid, no cash line, nothing on the cash flow."""
    payable = account_for_role("shu_members_payable")
    _loan, p = _edge(funded, make_loan, staff, today, withdrawn="2100000", shu="500000")
    assert p.net_payable == 0
    s = _confirm(funded, staff, today, p)
    entry = s.journal_entry
    assert not entry.lines.filter(account__is_cash=True).exists()
    assert [(ln.debit, ln.non_cash) for ln in entry.lines.filter(account=payable)] == [
        (D("500000"), True)
    ]
    assert account_balance(account=payable, member_id=funded.pk) == 0
    cf, rows = _today_rows(today)
    assert rows == {} and cf["net_change"] == 0 and cf["reconciles"]
    _books_hold(today)
