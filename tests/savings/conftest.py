from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from tests.members import factories as f


def next_on(month: int, day: int) -> date:
    """The next ``day``/``month`` after the cooperative's today: this year's while it is
    still ahead, else next year's (a purpose product's payout date, which is always to
    come when the product is made: 1 July is next year's from 1 July on)."""
    today = timezone.localdate()
    this_year = date(today.year, month, day)
    return this_year if this_year > today else date(today.year + 1, month, day)


def assert_reconciled():
    """Sub-ledger = ledger control accounts (per account and per member), each account's
    balance = its transactions, and the deferred DB checks hold now."""
    from core.savings.selectors import savings_reconciliation

    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
    rec = savings_reconciliation()
    assert rec.ok, (rec.rows, rec.account_mismatches, rec.member_mismatches)


@pytest.fixture
def year(in_tenant_a, today):
    """Last year, its books opened first as an admin would (``fiscal_year_ensure``): a
    whole year of months already ended on any day the suite runs (1 January too), where
    the hand figures' months (a 30-day June, a 28- or 29-day February) keep their days.
    The test cooperatives' books start this year; the year before may be opened."""
    from core.ledger.services import fiscal_year_ensure

    fiscal_year_ensure(year=today.year - 1)
    return today.year - 1


@pytest.fixture
def teller(in_tenant_a):
    return f.user("petugas")


@pytest.fixture
def products(in_tenant_a):
    from core.savings.seeding import product_by_kind, savings_products_seed

    savings_products_seed()
    return {k: product_by_kind(k) for k in ("pokok", "wajib", "sukarela", "berjangka")}


@pytest.fixture
def member_a(in_tenant_a):
    return f.member()
