"""A mistaken exit settlement reversed (issue 22): the member active again, savings
reopened with their balances, the loans it paid off running again with their schedules,
the entry reversed as the member module; every sub-ledger reconciles and the ledger
balances; a second reversal and a waiver on death are refused; a new settlement can
then be made."""

from decimal import Decimal as D

import pytest
from django.db.models import Sum

from core.common.errors import ApplicationError
from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
)
from core.ledger.models import JournalLine
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.services import journal_reverse
from core.loans.models import Instalment, Loan
from core.members.models import Member
from core.savings.models import SavingsAccount
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.loans.conftest import _media, make_loan, member, product, staff  # noqa: F401
from tests.savings.conftest import assert_reconciled


def _books_agree():
    from tests.loans.conftest import assert_reconciled as loans_ok

    assert_reconciled()
    loans_ok()
    run = subledgers_reconcile()
    assert run.ok, run.results
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]


@pytest.fixture
def funded(products, member, staff, today):  # noqa: F811
    for kind, amount in (("pokok", "100000"), ("wajib", "2400000"), ("sukarela", "9000000")):
        acc = savings_account_get_or_open(member=member, product=products[kind], on=today)
        teller_deposit(account=acc, amount=D(amount), channel="bank", on=today, by=staff["petugas"])
    return member


def _balances(who):
    return sorted(
        SavingsAccount.objects.filter(member=who).values_list("number", "status", "balance")
    )


def test_settlement_with_a_loan_reversed_restores_everything(funded, make_loan, staff, today):  # noqa: F811
    loan = make_loan(principal=D("10000000"), days_ago=40)
    savings_before = _balances(funded)
    rows_before = list(
        Instalment.objects.filter(loan=loan, is_current=True)
        .order_by("number")
        .values_list("principal_paid", "jasa_paid", "jasa_waived", "settled")
    )
    p = exit_settlement_preview(member=funded, on=today)
    s = exit_settlement_confirm(
        member=funded, reason="retired", on=today, by=staff["bendahara"], expected_net=p.net_payable
    )
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    exit_settlement_reverse(settlement=s, by=staff["bendahara"], reason="salah anggota")
    funded.refresh_from_db()
    assert funded.status == Member.Status.ACTIVE and funded.exit_date is None
    assert _balances(funded) == savings_before
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED and loan.principal_outstanding == D("10000000")
    assert (
        list(
            Instalment.objects.filter(loan=loan, is_current=True)
            .order_by("number")
            .values_list("principal_paid", "jasa_paid", "jasa_waived", "settled")
        )
        == rows_before
    )
    s.refresh_from_db()
    assert s.reversed_at is not None and s.reversal_entry.reverses_id == s.journal_entry_id
    _books_agree()
    with pytest.raises(ApplicationError) as exc:
        exit_settlement_reverse(settlement=s, by=staff["bendahara"], reason="lagi")
    assert exc.value.code == "savings_already_reversed"
    # settled again later: a new settlement
    p = exit_settlement_preview(member=funded, on=today)
    again = exit_settlement_confirm(
        member=funded, reason="retired", on=today, by=staff["bendahara"], expected_net=p.net_payable
    )
    assert again.pk != s.pk
    _books_agree()


def test_settlement_reversal_needs_treasury_and_ledger_refuses_it(funded, staff, today):  # noqa: F811
    p = exit_settlement_preview(member=funded, on=today)
    s = exit_settlement_confirm(
        member=funded, reason="moved", on=today, by=staff["bendahara"], expected_net=p.net_payable
    )
    with pytest.raises(ApplicationError) as exc:
        exit_settlement_reverse(settlement=s, by=staff["petugas"], reason="x")
    assert exc.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=s.journal_entry, on=today, reason="x", by=staff["admin"])
    assert exc.value.code == "module_entry_reversal"
    exit_settlement_reverse(settlement=s, by=staff["admin"], reason="salah")
    _books_agree()
