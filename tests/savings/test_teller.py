from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, Period
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import (
    savings_account_open,
    savings_deposit_apply,
    teller_deposit,
    teller_withdraw,
    transactions_link_entry,
)
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def sukarela(products, member_a, today):
    return savings_account_open(member=member_a, product=products["sukarela"], on=today)


def _counts():
    return (SavingsTransaction.objects.count(), JournalEntry.objects.count())


def test_deposit_and_withdraw_post_balanced_entries_with_receipts(sukarela, teller, today):
    cash = account_for_role("cash")
    cash_before = account_balance(account=cash)
    t1 = teller_deposit(account=sukarela, amount=D("500000"), channel="cash", on=today, by=teller)
    t2 = teller_withdraw(account=sukarela, amount=D("200000"), channel="cash", on=today, by=teller)
    t3 = teller_deposit(account=sukarela, amount=D("100000"), channel="bank", on=today, by=teller)
    sukarela.refresh_from_db()
    assert sukarela.balance == D("400000")
    assert t1.receipt_number.startswith(f"SET-{today.year}-")
    assert t2.receipt_number.startswith(f"TAR-{today.year}-")
    assert int(t3.receipt_number[-6:]) == int(t1.receipt_number[-6:]) + 1
    assert t2.balance_after == D("300000")
    for t in (t1, t2, t3):
        entry = JournalEntry.objects.get(pk=t.journal_entry_id)
        lines = list(entry.lines.all())
        assert sum(x.debit for x in lines) == sum(x.credit for x in lines) == t.amount
        assert any(x.member_id == sukarela.member_id for x in lines)
    assert account_balance(account=cash) - cash_before == D("300000")
    assert_reconciled()


def test_daily_summary_per_teller(sukarela, teller, today):
    from core.savings.selectors import teller_daily_summary

    other = f.user("petugas")
    teller_deposit(account=sukarela, amount=D("500000"), channel="cash", on=today, by=teller)
    teller_withdraw(account=sukarela, amount=D("150000"), channel="cash", on=today, by=teller)
    teller_deposit(account=sukarela, amount=D("70000"), channel="bank", on=today, by=other)
    mine = teller_daily_summary(on=today, user=teller)
    assert [(r.channel, r.deposits, r.withdrawals, r.count, r.net) for r in mine] == [
        ("cash", D("500000"), D("150000"), 2, D("350000"))
    ]
    everyone = teller_daily_summary(on=today)
    assert sum(r.net for r in everyone) == D("420000")
    assert_reconciled()


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (D("0"), "savings_bad_amount"),
        (D("-5000"), "savings_bad_amount"),
        (D("1000.50"), "savings_bad_amount"),
        ("abc", "savings_bad_amount"),
    ],
)
def test_bad_amounts_refused_nothing_written(sukarela, teller, today, amount, code):
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        teller_deposit(account=sukarela, amount=amount, channel="cash", on=today, by=teller)
    assert e.value.code == code
    assert _counts() == before
    assert_reconciled()


def test_float_amount_refused(sukarela, teller, today):
    with pytest.raises(ApplicationError):
        teller_deposit(account=sukarela, amount=1000.0, channel="cash", on=today, by=teller)


def test_overdraw_refused_nothing_written(sukarela, teller, today):
    teller_deposit(account=sukarela, amount=D("100000"), channel="cash", on=today, by=teller)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=sukarela, amount=D("100001"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_insufficient_balance"
    assert "Saldo tidak cukup" in e.value.message
    assert _counts() == before
    sukarela.refresh_from_db()
    assert sukarela.balance == D("100000")
    assert_reconciled()


def test_withdrawal_below_product_minimum_refused(sukarela, teller, today, products):
    p = products["sukarela"]
    p.minimum_balance = D("25000")
    p.save()
    teller_deposit(account=sukarela, amount=D("100000"), channel="cash", on=today, by=teller)
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=sukarela, amount=D("80000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_below_minimum"
    teller_withdraw(account=sukarela, amount=D("75000"), channel="cash", on=today, by=teller)
    assert_reconciled()


@pytest.mark.parametrize("kind", ["pokok", "wajib"])
def test_pokok_and_wajib_cannot_be_withdrawn_while_member(products, member_a, teller, today, kind):
    acc = savings_account_open(member=member_a, product=products[kind], on=today)
    teller_deposit(account=acc, amount=D("50000"), channel="cash", on=today, by=teller)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=acc, amount=D("10000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_not_withdrawable"
    assert _counts() == before
    assert_reconciled()


def test_pokok_cannot_exceed_product_amount(products, member_a, teller, today):
    acc = savings_account_open(member=member_a, product=products["pokok"], on=today)
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    with pytest.raises(ApplicationError) as e:
        teller_deposit(account=acc, amount=D("1"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_pokok_exceeded"
    assert_reconciled()


def test_berjangka_paid_out_only_from_payout_date(products, member_a, teller, today):
    acc = savings_account_open(
        member=member_a,
        product=products["berjangka"],
        on=today,
        payout_date=today + timedelta(days=30),
    )
    assert acc.monthly_amount == D("100000")
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_not_withdrawable"
    with pytest.raises(ApplicationError) as e:
        teller_deposit(account=acc, amount=D("1000000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_term_exceeded"
    SavingsAccount.objects.filter(pk=acc.pk).update(payout_date=today)
    t = teller_withdraw(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    assert t.kind == "payout"
    assert_reconciled()


def test_transaction_on_closed_account_refused(sukarela, teller, today):
    SavingsAccount.objects.filter(pk=sukarela.pk).update(status="closed", closed_on=today)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        teller_deposit(account=sukarela, amount=D("1000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_account_closed"
    assert _counts() == before


def test_transaction_in_closed_period_refused_nothing_written(sukarela, teller, today, monkeypatch):
    from calendar import monthrange

    from django.utils import timezone

    from core.ledger.services import period_close

    teller_deposit(account=sukarela, amount=D("100000"), channel="cash", on=today, by=teller)
    bendahara = f.user("bendahara")
    # the month may be closed from its last day on (not before it has ended): the
    # cooperative's today moved to that day
    month_end = today.replace(day=monthrange(today.year, today.month)[1])
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: month_end)
    period_close(
        period=Period.objects.get(start_date__lte=today, end_date__gte=today), by=bendahara
    )
    before = _counts()
    receipts_before = list(SavingsTransaction.objects.values_list("receipt_number", flat=True))
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=sukarela, amount=D("1000"), channel="cash", on=today, by=teller)
    assert e.value.code == "period_closed"
    assert _counts() == before
    assert (
        list(SavingsTransaction.objects.values_list("receipt_number", flat=True)) == receipts_before
    )
    sukarela.refresh_from_db()
    assert sukarela.balance == D("100000")
    assert_reconciled()


def test_bad_channel_refused(sukarela, teller, today):
    with pytest.raises(ApplicationError) as e:
        teller_deposit(account=sukarela, amount=D("1000"), channel="payroll", on=today, by=teller)
    assert e.value.code == "savings_bad_channel"


def test_second_open_account_in_same_product_refused(sukarela, member_a, products, today):
    with pytest.raises(ApplicationError) as e:
        savings_account_open(member=member_a, product=products["sukarela"], on=today)
    assert e.value.code == "savings_account_already_open"


def test_transactions_are_immutable_in_the_database(sukarela, teller, today):
    t = teller_deposit(account=sukarela, amount=D("1000"), channel="cash", on=today, by=teller)
    with pytest.raises(IntegrityError), transaction.atomic():
        SavingsTransaction.objects.filter(pk=t.pk).update(amount=D("2000"), delta=D("2000"))
    with pytest.raises(IntegrityError), transaction.atomic():
        SavingsTransaction.objects.filter(pk=t.pk).delete()


def test_database_refuses_negative_balance_and_balance_drift(sukarela, teller, today):
    from django.db import connection

    teller_deposit(account=sukarela, amount=D("1000"), channel="cash", on=today, by=teller)
    with pytest.raises(IntegrityError), transaction.atomic():
        SavingsAccount.objects.filter(pk=sukarela.pk).update(balance=D("-1"))
    # a balance that differs from the sum of the transactions fails the deferred check
    with pytest.raises(IntegrityError), transaction.atomic():
        SavingsAccount.objects.filter(pk=sukarela.pk).update(balance=D("5000"))
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_balance_check_sums_the_deltas_from_the_index(sukarela, teller, today):
    """The commit-time check sums an account's deltas; ``delta`` is INCLUDEd in the
    (account, on, id) index so that sum needs no table page (migration 0013): the plan
    can be an index-only scan on it, and the check still catches drift."""
    from django.db import connection

    for amount in ("1000", "2500", "4000"):
        teller_deposit(account=sukarela, amount=D(amount), channel="cash", on=today, by=teller)
    with connection.cursor() as cur, transaction.atomic():
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        cur.execute(
            "EXPLAIN SELECT COALESCE(SUM(delta), 0) FROM savings_savingstransaction "
            "WHERE account_id = %s",
            [sukarela.pk],
        )
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Index Only Scan using savings_txn_account_on_id" in plan, plan
    with pytest.raises(IntegrityError), transaction.atomic():
        SavingsAccount.objects.filter(pk=sukarela.pk).update(balance=D("7499"))
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    sukarela.refresh_from_db()
    assert sukarela.balance == D("7500")


def test_batch_apply_many_members_posts_one_entry(products, teller, today):
    """The payroll-deduction shape: apply many deposits, post their lines once."""
    from core.ledger.services import LineSpec, journal_post
    from core.savings.selectors import wajib_amount_for

    wajib = products["wajib"]
    members = [f.member(golongan=g) for g in ("II/a", "III/c", "IV/a", "")]
    lines, txns = [], []
    for m in members:
        acc = savings_account_open(member=m, product=wajib, on=today)
        applied = savings_deposit_apply(
            account=acc,
            amount=wajib_amount_for(member=m, product=wajib, on=today),
            on=today,
            by=teller,
            channel="payroll",
            kind="payroll",
        )
        lines += applied.lines
        txns.append(applied.transaction)
    assert [t.amount for t in txns] == [D("35000"), D("50000"), D("75000"), D("50000")]
    total = sum(t.amount for t in txns)
    entries_before = JournalEntry.objects.count()
    entry = journal_post(
        on=today,
        description="Potong gaji",
        lines=[LineSpec(account_for_role("bank"), debit=total), *lines],
        source="deduction",
        source_ref="test-batch-1",
        by=teller,
    )
    transactions_link_entry(transactions=txns, entry=entry)
    assert JournalEntry.objects.count() == entries_before + 1
    assert SavingsTransaction.objects.filter(journal_entry=entry).count() == 4
    assert_reconciled()


def test_reconciliation_detects_a_posting_that_bypasses_the_subledger(sukarela, teller, today):
    from core.ledger.services import LineSpec, journal_post
    from core.savings.selectors import savings_reconciliation

    teller_deposit(account=sukarela, amount=D("1000"), channel="cash", on=today, by=teller)
    journal_post(
        on=today,
        description="Salah posting langsung ke akun simpanan",
        lines=[
            LineSpec(account_for_role("cash"), debit=D("500")),
            LineSpec(
                account_for_role("savings_sukarela"), credit=D("500"), member_id=sukarela.member_id
            ),
        ],
        by=teller,
        # a module bypassing the sub-ledger (manual entries may not touch control accounts)
        source="other",
        source_ref="bug-1",
    )
    rec = savings_reconciliation()
    assert not rec.ok
    row = next(r for r in rec.rows if r.account_code == account_for_role("savings_sukarela").code)
    assert row.difference == D("-500")
    assert rec.member_mismatches


def test_wajib_by_grade_and_effective_date(products, member_a):
    from core.savings.models import WajibRate
    from core.savings.selectors import wajib_amount_for

    wajib = products["wajib"]
    assert wajib_amount_for(member=member_a, product=wajib, on=date(2025, 1, 1)) == D("50000")
    WajibRate.objects.create(
        product=wajib, grade="III", amount=D("60000"), effective_from=date(2026, 1, 1)
    )
    assert wajib_amount_for(member=member_a, product=wajib, on=date(2025, 12, 31)) == D("50000")
    assert wajib_amount_for(member=member_a, product=wajib, on=date(2026, 1, 1)) == D("60000")
    assert wajib_amount_for(member=member_a, product=wajib, on=date(2019, 12, 31)) == D("0")


def test_berjangka_without_payout_date_matures_after_its_term(products, member_a, teller, today):
    """A berjangka product of 10 months with no payout date set (neither the product nor
    the account): the account matures 10 months after it was opened, not at once."""
    product = products["berjangka"]
    assert product.payout_date is None and product.term_months == 10
    opened = today - timedelta(days=40)
    acc = savings_account_open(member=member_a, product=product, on=opened)
    assert acc.payout_date is None
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_not_withdrawable"
    from core.common.dates import format_date
    from core.loans.schedules import add_months

    assert format_date(add_months(opened, 10)) in e.value.message
    assert _counts() == before
    acc.refresh_from_db()
    assert acc.balance == D("100000")
    # opened ten months ago: mature today, paid out
    SavingsAccount.objects.filter(pk=acc.pk).update(opened_on=add_months(today, -10))
    t = teller_withdraw(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    assert t.kind == "payout"
    assert_reconciled()
