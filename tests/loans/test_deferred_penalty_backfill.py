"""Migration 0020's backfill on rows already there: a running loan carrying deferred
jasa from a top-up of a loan in arrears gets the penalty that top-up capitalised (read
from the old loan's top-up repayment) as its ``deferred_penalty``, capped by what is
still deferred; a loan from a top-up of a loan with nothing overdue gets none."""

import importlib
from datetime import timedelta
from decimal import Decimal as D

from django.apps import apps
from django.db import connection

from core.loans.models import Loan
from core.loans.services import loan_disburse, loan_repay
from tests.loans.test_money_review import _topup

backfill = importlib.import_module("core.loans.migrations.0020_deferred_penalty").backfill


def _run(*loans):
    Loan.objects.filter(pk__in=[ln.pk for ln in loans]).update(deferred_penalty=0)
    backfill(apps, connection.schema_editor())
    for ln in loans:
        ln.refresh_from_db()


def test_backfill_reads_the_penalty_a_topup_in_arrears_capitalised(
    make_loan, staff, member, product, today
):
    on = today - timedelta(days=115)
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=190)
    new = _topup(staff, member, product, old, D(20_000_000), on)
    loan_disburse(loan=new, by=staff["bendahara"], on=on)
    row1 = new.instalments.get(is_current=True, number=1)
    loan_repay(loan=new, amount=D(2_200_000), by=staff["petugas"], on=row1.due_date)
    new.refresh_from_db()
    assert new.deferred_jasa == D(239_400)
    _run(new)
    # recognised so far is taken as the jasa part (it was posted as jasa income before):
    # the 66,000 penalty is all still deferred
    assert new.deferred_penalty == D(66_000)
    # a top-up of it in arrears: the chain's penalty (66,000 + 44,000) carried on
    on2 = row1.due_date + timedelta(days=40)
    newer = _topup(staff, member, product, new, D(30_000_000), on2)
    loan_disburse(loan=newer, by=staff["bendahara"], on=on2)
    newer.refresh_from_db()
    expected = newer.deferred_penalty
    assert expected > D(66_000)
    _run(newer)
    assert newer.deferred_penalty == expected


def test_backfill_leaves_a_topup_with_nothing_overdue_alone(
    make_loan, staff, member, product, today
):
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=40)
    r1 = old.instalments.get(number=1)
    loan_repay(loan=old, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    new = _topup(staff, member, product, old, D(20_000_000), today)
    loan_disburse(loan=new, by=staff["bendahara"], on=today)
    _run(new)
    assert (new.deferred_jasa, new.deferred_penalty) == (0, 0)
