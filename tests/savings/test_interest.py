from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import (
    interest_for_month,
    savings_account_open,
    savings_deposit_apply,
    savings_interest_accrue,
    tax_on_interest,
    transactions_link_entry,
)
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


def test_minimum_balance_basis_uses_lowest_balance_of_month():
    base, interest = interest_for_month(
        opening=D("1000000"),
        movements=[(date(2026, 3, 10), D("-400000")), (date(2026, 3, 20), D("900000"))],
        year=2026,
        month=3,
        basis="minimum",
        rate_annual=D("6"),
    )
    assert base == D("600000")
    assert interest == D("3000")  # 600,000 × 6% / 12


def test_average_balance_basis_weights_days():
    # 3,000,000 deposited on 16 April counts for the 15 days 16-30 of 30
    base, interest = interest_for_month(
        opening=D("0"),
        movements=[(date(2026, 4, 16), D("3000000"))],
        year=2026,
        month=4,
        basis="average",
        rate_annual=D("12"),
    )
    assert base == D("3000000") * 15 / 30  # on balance 15 of 30 days (16th..30th)
    assert interest == D("15000")


@given(
    opening=st.integers(min_value=0, max_value=10**9),
    moves=st.lists(st.tuples(st.integers(1, 28), st.integers(-(10**6), 10**6)), max_size=8),
)
def test_minimum_basis_never_exceeds_average_basis(opening, moves):
    bal, movements = D(opening), []
    for day, delta in sorted(moves):
        if bal + delta < 0:
            continue
        bal += delta
        movements.append((date(2026, 2, day), D(delta)))
    kw = {
        "opening": D(opening),
        "movements": movements,
        "year": 2026,
        "month": 2,
        "rate_annual": D("5"),
    }
    lo, i_lo = interest_for_month(basis="minimum", **kw)
    avg, i_avg = interest_for_month(basis="average", **kw)
    assert lo <= avg and i_lo <= i_avg
    assert i_lo == i_lo.to_integral_value()


@pytest.mark.parametrize(
    ("interest", "tax"),
    [(D("240000"), D("0")), (D("240001"), D("24000")), (D("500000"), D("50000")), (D("0"), D("0"))],
)
def test_tax_withheld_only_above_threshold(interest, tax):
    assert tax_on_interest(interest=interest, threshold=D("240000"), rate=D("10")) == tax


def _fund(acc, amount, on, by):
    from core.ledger.services import LineSpec, journal_post

    a = savings_deposit_apply(account=acc, amount=amount, on=on, by=by, channel="bank")
    e = journal_post(
        on=on,
        description="setoran uji",
        lines=[LineSpec(account_for_role("bank"), debit=amount), *a.lines],
        by=by,
        source="savings",  # as the savings module posts (control accounts refuse manual)
        source_ref=f"txn:{a.transaction.pk}",
    )
    transactions_link_entry(transactions=[a.transaction], entry=e)


def test_monthly_accrual_credits_net_interest_and_posts_one_entry(products, teller, year):
    p = products["sukarela"]
    p.interest_rate_annual = D("6")
    p.save()
    small = savings_account_open(member=f.member(), product=p, on=date(year, 1, 2))
    big = savings_account_open(member=f.member(), product=p, on=date(year, 1, 2))
    _fund(small, D("1000000"), date(year, 1, 5), teller)
    _fund(big, D("100000000"), date(year, 1, 5), teller)
    expense_before = account_balance(account=account_for_role("savings_interest_expense"))
    tax_before = account_balance(account=account_for_role("tax_payable"))
    entries_before = JournalEntry.objects.count()
    run = savings_interest_accrue(product=p, year=year, month=2, by=teller)
    assert JournalEntry.objects.count() == entries_before + 1
    # small: 1,000,000 × 6%/12 = 5,000 (no tax); big: 500,000 → tax 50,000
    assert run.gross_interest == D("505000") and run.tax == D("50000") and run.accounts == 2
    small.refresh_from_db()
    big.refresh_from_db()
    assert small.balance == D("1005000")
    assert big.balance == D("100450000")
    assert SavingsTransaction.objects.filter(account=big, kind="tax").get().amount == D("50000")
    assert account_balance(
        account=account_for_role("savings_interest_expense")
    ) - expense_before == D("505000")
    assert account_balance(account=account_for_role("tax_payable")) - tax_before == D("50000")
    assert_reconciled()
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(product=p, year=year, month=2, by=teller)
    assert e.value.code == "savings_interest_already_accrued"


def test_january_accrual_uses_minimum_balance(products, teller, year):
    p = products["sukarela"]
    p.interest_rate_annual = D("12")
    p.save()
    acc = savings_account_open(member=f.member(), product=p, on=date(year, 1, 2))
    _fund(acc, D("1200000"), date(year, 1, 15), teller)
    savings_interest_accrue(product=p, year=year, month=1, by=teller)
    acc.refresh_from_db()
    assert acc.balance == D("1200000")  # lowest balance in January was 0
    assert not SavingsAccount.objects.get(pk=acc.pk).transactions.filter(kind="interest").exists()
    assert_reconciled()


def test_accrual_refused_for_product_without_interest(products, teller, year):
    with pytest.raises(ApplicationError):
        savings_interest_accrue(product=products["wajib"], year=year, month=1, by=teller)


def test_a_month_not_yet_ended_is_refused(products, teller):
    from django.utils import timezone

    today = timezone.localdate()
    p = products["sukarela"]
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(product=p, year=today.year, month=today.month, by=teller)
    assert e.value.code == "savings_bad_period"


# --- the automatic monthly run ------------------------------------------------------


@pytest.fixture
def march_10(year, today_is):
    """ "Today" is 10 March (of last year, ``year``): the run accrues February."""
    today_is(date(year, 3, 10))


def test_monthly_task_accrues_last_month_once_per_product(products, teller, march_10, year):
    from core.savings.models import InterestRun
    from core.savings.services import savings_product_create
    from core.savings.tasks import savings_interest_monthly_task

    p = products["sukarela"]
    p.interest_rate_annual = D("6")
    p.save()
    manual = savings_product_create(
        by="tests",
        code="SSM",
        kind="sukarela",
        name="Sukarela dihitung sendiri",
        interest_enabled=True,
        interest_rate_annual=D("6"),
        interest_auto=False,
    )
    for product in (p, manual):
        acc = savings_account_open(member=f.member(), product=product, on=date(year, 1, 2))
        _fund(acc, D("1000000"), date(year, 1, 5), teller)
    out = savings_interest_monthly_task.run()
    assert out["period"] == f"{year}-02"
    assert out["runs"] == [{"product": p.code, "accounts": 1, "gross": "5000.00", "tax": "0.00"}]
    run = InterestRun.objects.get(product=p)
    assert (run.year, run.month, run.gross_interest) == (year, 2, D("5000"))
    assert not InterestRun.objects.filter(product=manual).exists()  # interest_auto off
    assert not InterestRun.objects.filter(product=products["wajib"]).exists()  # no interest
    assert_reconciled()
    # the next day's run finds February done
    assert savings_interest_monthly_task.run()["runs"] == []
    assert InterestRun.objects.filter(product=p).count() == 1


def test_monthly_task_reports_a_closed_month_and_changes_nothing(products, teller, march_10, year):
    from core.audit.models import AuditEvent
    from core.ledger.models import Period
    from core.ledger.services import period_close
    from core.savings.models import InterestRun
    from core.savings.tasks import savings_interest_monthly_task

    p = products["sukarela"]
    acc = savings_account_open(member=f.member(), product=p, on=date(year, 1, 2))
    _fund(acc, D("10000000"), date(year, 1, 5), teller)
    period_close(period=Period.objects.get(start_date=date(year, 2, 1)), by=f.user("bendahara"))
    entries = JournalEntry.objects.count()
    out = savings_interest_monthly_task.run()
    assert out["runs"][0]["product"] == p.code and "error" in out["runs"][0]
    assert not InterestRun.objects.filter(product=p).exists()
    assert JournalEntry.objects.count() == entries
    acc.refresh_from_db()
    assert acc.balance == D("10000000")
    event = AuditEvent.objects.get(action="savings.interest_auto_failed")
    assert event.data["period"] == f"{year}-02"


def test_monthly_all_task_visits_every_live_cooperative(tenant_a, tenant_b, monkeypatch):
    from django.db import connection

    from core.savings.tasks import savings_interest_monthly_task
    from lumbung.celery import app
    from tenants.tasks import every_cooperative_task

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    seen = []
    monkeypatch.setattr(
        savings_interest_monthly_task, "run", lambda: seen.append(connection.schema_name) or {}
    )
    out = every_cooperative_task.run("core.savings.tasks.savings_interest_monthly_task")
    assert {tenant_a.schema_name, tenant_b.schema_name} <= set(seen)
    assert {tenant_a.slug, tenant_b.slug} <= set(out["queued"])
