"""A monthly interest run reversed as a whole (issue 22): balances and the control
account restored, every sub-ledger reconciles, the ledger balances; a second reversal,
a reversal before the later month's, one in a closed month and one whose interest was
withdrawn are refused; the month may then be run again."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from core.common.errors import ApplicationError
from core.ledger.models import JournalLine, Period
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import journal_reverse, period_close
from core.savings.models import SavingsTransaction
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    savings_interest_reverse,
    teller_withdraw,
)
from tests.members import factories as f

from .conftest import assert_reconciled
from .test_interest import _fund

D = Decimal


def _books_agree():
    assert_reconciled()
    run = subledgers_reconcile()
    assert run.ok, run.results
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def accrued(products, teller, year):
    p = products["sukarela"]
    p.interest_rate_annual = D("6")
    p.save()
    small = savings_account_open(member=f.member(), product=p, on=date(year, 1, 2))
    big = savings_account_open(member=f.member(), product=p, on=date(year, 1, 2))
    _fund(small, D("1000000"), date(year, 1, 5), teller)
    _fund(big, D("100000000"), date(year, 1, 5), teller)
    run = savings_interest_accrue(product=p, year=year, month=2, by=teller)
    return p, small, big, run


def test_interest_run_reversed_restores_balances_and_books(accrued, bendahara, teller, year):
    p, small, big, run = accrued
    expense = account_balance(account=account_for_role("savings_interest_expense"))
    savings_interest_reverse(run=run, by=bendahara, reason="tarif salah")
    small.refresh_from_db()
    big.refresh_from_db()
    assert (small.balance, big.balance) == (D("1000000"), D("100000000"))
    assert account_balance(account=account_for_role("savings_interest_expense")) == expense - D(
        "505000"
    )
    run.refresh_from_db()
    assert run.reversed_at is not None and run.reversal_entry.reverses_id == run.journal_entry_id
    # the movements stay, each reversed once
    assert SavingsTransaction.objects.filter(kind="reversal", account=big).count() == 2
    _books_agree()
    # the month may be run again (a new run and entry)
    again = savings_interest_accrue(product=p, year=year, month=2, by=teller)
    assert again.pk != run.pk and again.gross_interest == D("505000")
    _books_agree()


def test_interest_double_reversal_refused(accrued, bendahara):
    *_, run = accrued
    savings_interest_reverse(run=run, by=bendahara, reason="x")
    with pytest.raises(ApplicationError) as exc:
        savings_interest_reverse(run=run, by=bendahara, reason="x")
    assert exc.value.code == "savings_already_reversed"
    _books_agree()


def test_interest_reversal_refused_before_the_later_month(accrued, bendahara, teller, year):
    p, _s, _b, run = accrued
    savings_interest_accrue(product=p, year=year, month=3, by=teller)
    with pytest.raises(ApplicationError) as exc:
        savings_interest_reverse(run=run, by=bendahara, reason="x")
    assert exc.value.code == "savings_reversal_later_depends"


def test_interest_reversal_refused_when_the_interest_was_withdrawn(accrued, bendahara, year):
    _p, small, _b, run = accrued
    teller_withdraw(
        account=small, amount=D("1005000"), channel="cash", on=date(year, 3, 2), by=bendahara
    )
    with pytest.raises(ApplicationError) as exc:
        savings_interest_reverse(run=run, by=bendahara, reason="x")
    assert exc.value.code == "savings_insufficient_balance"
    run.refresh_from_db()
    assert run.reversed_at is None
    _books_agree()


def test_interest_reversal_refused_in_a_closed_month(accrued, bendahara, year):
    *_, run = accrued
    period_close(period=Period.objects.get(start_date=date(year, 2, 1)), by=bendahara)
    with pytest.raises(ApplicationError) as exc:
        savings_interest_reverse(run=run, by=bendahara, reason="x")
    assert exc.value.code == "savings_reversal_period_closed"


def test_petugas_cannot_reverse_interest_and_ledger_refuses_it(accrued, teller, bendahara, year):
    *_, run = accrued
    with pytest.raises(ApplicationError) as exc:
        savings_interest_reverse(run=run, by=teller, reason="x")
    assert exc.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=run.journal_entry, on=date(year, 3, 1), reason="x", by=bendahara)
    assert exc.value.code == "module_entry_reversal"


def test_screen_and_api_reverse_an_interest_run(accrued, bendahara, client_a):
    *_, run = accrued
    client_a.force_login(bendahara)
    page = client_a.get("/simpanan/rekonsiliasi/").content.decode()
    url = f"/simpanan/jasa/{run.pk}/batal/"
    assert f'action="{url}"' in page
    r = client_a.post(url, {"reason": "tarif salah"})
    assert r.status_code == 200 and 'name="confirmed" value="1"' in r.content.decode()
    run.refresh_from_db()
    assert run.reversed_at is None
    r = client_a.post(
        f"/api/v1/savings/interest-runs/{run.pk}/reverse/",
        {"reason": "tarif salah"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["reversal_entry"]
    r = client_a.post(url, {"reason": "lagi", "confirmed": "1"})
    assert r.status_code == 302  # refused: shown as a message
    _books_agree()


def test_a_month_run_again_on_average_balances_ignores_the_reversed_runs_interest(
    products,
    teller,
    bendahara,
    year,
):
    """The reversed run's interest was credited on the month's last day; run again, the
    month's average balance must not include it (it is being replaced), or the member is
    paid interest on the interest being replaced."""
    p = products["sukarela"]
    p.interest_rate_annual = D("6")
    p.interest_basis = "average"
    p.save()
    acc = savings_account_open(member=f.member(), product=p, on=date(year, 1, 2))
    _fund(acc, D("12000000000"), date(year, 1, 5), teller)
    run = savings_interest_accrue(product=p, year=year, month=2, by=teller)
    assert run.gross_interest == D("60000000")
    savings_interest_reverse(run=run, by=bendahara, reason="tarif salah")
    again = savings_interest_accrue(product=p, year=year, month=2, by=teller)
    assert again.gross_interest == run.gross_interest
    _books_agree()
