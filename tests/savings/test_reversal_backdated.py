"""A deposit cancelled with a date before a later withdrawal of its money: the account
holds enough today (deposited again since), but on the cancellation's date the money was
already gone, so the kartu simpanan would show a balance below zero from that date until
the next deposit. Refused naming the day the balance is short and the first date the
cancellation may carry; nothing changed. Dated from that day, it is accepted and the
running balance never goes below zero."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.common.dates import format_date
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.savings.models import SavingsTransaction
from core.savings.selectors import account_transactions, savings_statement
from core.savings.services import (
    savings_account_open,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def moved(products, teller, year):
    """1,000,000 in on 10 Nov, all out on 15 Nov, 1,000,000 in again on 20 Nov."""
    acc = savings_account_open(
        member=f.member(), product=products["sukarela"], on=date(year, 11, 1)
    )
    first = teller_deposit(
        account=acc, amount=D("1000000"), channel="cash", on=date(year, 11, 10), by=teller
    )
    teller_withdraw(
        account=acc, amount=D("1000000"), channel="cash", on=date(year, 11, 15), by=teller
    )
    teller_deposit(
        account=acc, amount=D("1000000"), channel="cash", on=date(year, 11, 20), by=teller
    )
    return acc, first


def test_cancelling_a_deposit_dated_while_its_money_was_out_is_refused(moved, bendahara, year):
    acc, first = moved
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        teller_reverse(txn=first, on=date(year, 11, 16), reason="salah setor", by=bendahara)
    assert e.value.code == "savings_insufficient_balance"
    msg = str(e.value.message)
    assert format_date(date(year, 11, 16)) in msg and "Rp 0" in msg
    assert f"bertanggal {format_date(date(year, 11, 20))} atau sesudahnya" in msg
    assert "date" in e.value.fields
    acc.refresh_from_db()
    assert acc.balance == D("1000000")
    assert not SavingsTransaction.objects.filter(reverses=first).exists()
    assert JournalEntry.objects.count() == entries
    assert_reconciled()


def test_the_same_cancellation_dated_after_the_new_deposit_is_accepted(moved, bendahara, year):
    acc, first = moved
    teller_reverse(txn=first, on=date(year, 11, 20), reason="salah setor", by=bendahara)
    acc.refresh_from_db()
    assert acc.balance == 0
    running = [t.running_balance for t in account_transactions(account=acc)]
    assert min(running) == 0
    (statement,) = [
        s
        for s in savings_statement(
            member=acc.member, date_from=date(year, 11, 1), date_to=date(year, 11, 30)
        )
        if s.account.pk == acc.pk
    ]
    assert all(r.running_balance >= 0 for r in statement.rows)
    assert_reconciled()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    moves=st.lists(
        st.tuples(st.integers(1, 28), st.sampled_from([1, 2, 3]), st.booleans()), max_size=6
    ),
    target=st.integers(0, 5),
    day=st.integers(1, 28),
)
def test_a_cancellation_accepted_never_leaves_a_running_balance_below_zero(
    products, teller, bendahara, year, moves, target, day
):
    """Whatever the order of deposits and withdrawals in a month and whatever date the
    cancellation of one deposit carries: either it is refused, or no running balance of
    the account (in date order, as the kartu simpanan shows it) is below zero."""
    acc = savings_account_open(
        member=f.member(), product=products["sukarela"], on=date(year, 10, 1)
    )
    deposits = []
    for d, millions, out in sorted(moves):
        amount = D(millions * 100000)
        try:
            fn = teller_withdraw if out else teller_deposit
            t = fn(account=acc, amount=amount, channel="cash", on=date(year, 10, d), by=teller)
        except ApplicationError:
            continue
        if not out:
            deposits.append(t)
    if not deposits:
        return
    dep = deposits[target % len(deposits)]
    try:
        teller_reverse(txn=dep, on=date(year, 10, max(day, dep.on.day)), reason="uji", by=bendahara)
    except ApplicationError:
        return
    assert all(t.running_balance >= 0 for t in account_transactions(account=acc))
