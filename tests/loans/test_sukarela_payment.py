"""Paying a loan (an instalment, or off early) at the counter from the member's simpanan
sukarela (``source="sukarela"``): a transfer out of sukarela booked straight to the loan
in one journal entry (Dr sukarela / Cr piutang, jasa and penalty income; no cash), the
savings transaction and the repayment linked to it, the receipt in the loan-repayment
series, audited. Refused, with the figures, when what sukarela may give (the balance less
the product's minimum) is short, or the account is frozen; a refusal changes nothing.
Reversing it gives the money back to sukarela. The loan page offers it when the balance
covers the payoff."""

from decimal import Decimal as D

import pytest
from django.db.models import Sum
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.selectors import account_for_role
from core.loans.models import Loan, Repayment
from core.loans.services import (
    loan_payoff,
    loan_payoff_quote,
    loan_repay,
    loan_repayment_reverse,
)
from core.savings.models import SavingsProduct, SavingsTransaction
from core.savings.seeding import product_by_kind, savings_products_seed
from core.savings.services import savings_account_freeze, savings_account_open, teller_deposit
from tests.loans.conftest import assert_reconciled

MINIMUM = D(50_000)


@pytest.fixture
def sukarela(member, staff):
    savings_products_seed()
    SavingsProduct.objects.filter(kind="sukarela").update(minimum_balance=MINIMUM)
    today = timezone.localdate()
    acc = savings_account_open(member=member, product=product_by_kind("sukarela"), on=today)

    def fund(amount):
        teller_deposit(account=acc, amount=amount, channel="cash", on=today, by=staff["petugas"])
        acc.refresh_from_db()
        return acc

    return fund


def _state(loan, acc):
    loan.refresh_from_db()
    acc.refresh_from_db()
    return (
        Repayment.objects.count(),
        JournalEntry.objects.count(),
        SavingsTransaction.objects.count(),
        AuditEvent.objects.count(),
        loan.status,
        loan.principal_outstanding,
        acc.balance,
    )


def _books_tie():
    assert_reconciled()
    run = subledgers_reconcile()
    assert run.ok, run.results
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]


def _net(entry, role):
    acc = account_for_role(role)
    lines = JournalLine.objects.filter(entry=entry, account=acc)
    return sum((ln.debit - ln.credit for ln in lines), D(0))


def test_payoff_from_sukarela_one_entry_no_cash(make_loan, staff, sukarela, today):
    loan = make_loan(days_ago=31)
    q = loan_payoff_quote(loan=loan, on=today)
    acc = sukarela(q["total"] + MINIMUM)  # exactly what it may give
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today, source="sukarela")
    loan.refresh_from_db()
    acc.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.principal_outstanding == 0
    assert acc.balance == MINIMUM
    assert rep.amount == q["total"] and rep.receipt_number.startswith("ANG-")
    entry = rep.entry
    assert entry.lines.filter(account=account_for_role("cash")).count() == 0
    assert entry.lines.filter(account=account_for_role("bank")).count() == 0
    assert _net(entry, "loan_receivable") == -q["principal"]
    # the sukarela control account debited by the total, and the transaction linked to it
    assert (
        JournalLine.objects.filter(entry=entry, account=acc.product.account).aggregate(
            d=Sum("debit")
        )["d"]
        == q["total"]
    )
    txn = SavingsTransaction.objects.get(journal_entry=entry)
    assert (txn.account_id, txn.amount, txn.kind) == (acc.pk, q["total"], "transfer_out")
    assert rep.receipt_number in txn.memo
    audit = AuditEvent.objects.filter(action="loan.payoff").latest("pk")
    assert audit.data["source"] == "sukarela" and audit.data["savings_transaction"] == txn.pk
    _books_tie()


def test_instalment_from_sukarela(make_loan, staff, sukarela, today):
    loan = make_loan(days_ago=31)
    acc = sukarela(D(2_000_000))
    row = loan.instalments.get(number=1)
    rep = loan_repay(
        loan=loan, amount=D(1_100_000), by=staff["petugas"], on=today, source="sukarela"
    )
    assert (rep.jasa, rep.principal) == (D(100_000), D(1_000_000))
    row.refresh_from_db()
    assert row.settled
    acc.refresh_from_db()
    assert acc.balance == D(900_000)
    assert SavingsTransaction.objects.get(journal_entry=rep.entry).amount == D(1_100_000)
    assert _net(rep.entry, "cash") == 0
    _books_tie()


def test_short_sukarela_refused_with_the_figures_nothing_changes(make_loan, staff, sukarela, today):
    loan = make_loan(days_ago=31)
    q = loan_payoff_quote(loan=loan, on=today)
    acc = sukarela(q["total"] + MINIMUM - 1)
    before = _state(loan, acc)
    with pytest.raises(ApplicationError) as e:
        loan_payoff(loan=loan, by=staff["petugas"], on=today, source="sukarela")
    assert e.value.code == "loan_sukarela_short"
    msg = str(e.value.message)
    for figure in (acc.balance, MINIMUM, acc.balance - MINIMUM, q["total"], D(1)):
        assert format_rupiah(figure) in msg, figure
    assert _state(loan, acc) == before


def test_instalment_short_by_one_rupiah_refused_nothing_changes(make_loan, staff, sukarela, today):
    loan = make_loan(days_ago=31)
    acc = sukarela(MINIMUM + D(1_099_999))
    before = _state(loan, acc)
    rows = list(loan.instalments.order_by("pk").values())
    with pytest.raises(ApplicationError) as e:
        loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=today, source="sukarela")
    assert e.value.code == "loan_sukarela_short"
    assert format_rupiah(D(1_099_999)) in str(e.value.message)
    assert _state(loan, acc) == before
    assert list(loan.instalments.order_by("pk").values()) == rows


def test_frozen_sukarela_refused(make_loan, staff, sukarela, today):
    loan = make_loan(days_ago=31)
    acc = sukarela(D(20_000_000))
    savings_account_freeze(account=acc, reason="sengketa", by=staff["bendahara"])
    before = _state(loan, acc)
    with pytest.raises(ApplicationError) as e:
        loan_payoff(loan=loan, by=staff["petugas"], on=today, source="sukarela")
    assert "sengketa" in str(e.value.message)
    assert _state(loan, acc) == before


def test_no_sukarela_account_refused(make_loan, staff, today):
    loan = make_loan(days_ago=31)
    with pytest.raises(ApplicationError) as e:
        loan_payoff(loan=loan, by=staff["petugas"], on=today, source="sukarela")
    assert e.value.code == "loan_sukarela_short"
    assert loan.member.full_name in str(e.value.message)


def test_unknown_source_and_bank_from_sukarela_refused(make_loan, staff, sukarela, today):
    loan = make_loan(days_ago=31)
    sukarela(D(20_000_000))
    for kw in ({"source": "emas"}, {"source": "sukarela", "channel": "bank"}):
        with pytest.raises(ApplicationError) as e:
            loan_payoff(loan=loan, by=staff["petugas"], on=today, **kw)
        assert e.value.code == "loan_invalid"


def test_reversing_a_sukarela_payoff_gives_the_money_back(make_loan, staff, sukarela, today):
    loan = make_loan(days_ago=31)
    acc = sukarela(D(20_000_000))
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today, source="sukarela")
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah sumber")
    loan.refresh_from_db()
    acc.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    assert acc.balance == D(20_000_000)
    _books_tie()


def test_loan_page_offers_payoff_from_sukarela_when_it_covers(
    make_loan, staff, sukarela, today, login
):
    loan = make_loan(days_ago=31)
    q = loan_payoff_quote(loan=loan, on=today)
    c = login(staff["petugas"])
    url = f"/pinjaman/{loan.pk}/"
    acc = sukarela(q["total"] + MINIMUM - 1)
    page = c.get(url).content.decode()
    assert 'id="payoff-source"' not in page
    assert "Saldo sukarela" in page and format_rupiah(acc.balance - MINIMUM) in page
    sukarela(D(1))
    page = c.get(url).content.decode()
    assert 'id="payoff-source"' in page
    # confirmed from the page: the loan is paid off from sukarela
    action = f"/pinjaman/{loan.pk}/payoff/"
    r = c.post(action, {"on": today.isoformat(), "channel": "counter", "source": "sukarela"})
    assert r.status_code == 200 and "sukarela" in r.content.decode().lower()
    r = c.post(
        action,
        {"on": today.isoformat(), "channel": "counter", "source": "sukarela", "confirmed": "1"},
    )
    assert r.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    assert SavingsTransaction.objects.filter(journal_entry=loan.repayments.get().entry).exists()


def test_receipt_says_paid_from_sukarela_not_cash(make_loan, staff, sukarela, today, login):
    """The repayment is recorded as paid from sukarela (its channel), so the receipt, the
    loan page and the portal name it so, never "Tunai di kantor"; it still has its ANG
    receipt and can be reversed on the loan page."""
    loan = make_loan(days_ago=31)
    sukarela(D(2_000_000))
    rep = loan_repay(
        loan=loan, amount=D(1_100_000), by=staff["petugas"], on=today, source="sukarela"
    )
    assert rep.channel == "sukarela" and rep.receipt_issued
    assert rep.get_channel_display() == "Dari simpanan sukarela"
    page = login(staff["petugas"]).get(f"/pinjaman/kuitansi/{rep.pk}/").content.decode()
    assert "Dari simpanan sukarela" in page and "Tunai di kantor" not in page
    assert rep.receipt_number in page
