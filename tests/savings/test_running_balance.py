"""Issue 17 item 5: the kartu simpanan, the account page, the statement API and the
member portal show a running balance that follows the rows' order (date, then posting
sequence) — not ``balance_after``, the balance at the moment a row was posted, which goes
DOWN on a credit once a back-dated movement is posted after a later one."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.ledger.services import fiscal_year_ensure
from core.savings.selectors import account_transactions, savings_statement
from core.savings.services import savings_account_open, teller_deposit, teller_withdraw
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def account(products, member_a):
    on = timezone.localdate() - timedelta(days=40)
    fiscal_year_ensure(year=on.year)  # in January/February: last year, opened first
    return savings_account_open(member=member_a, product=products["sukarela"], on=on)


def _a00002(account, teller):
    """The demo member's case: 8,500,000 before; +50,000 dated the 25th posted first,
    then +50,000 dated the 4th (a payroll file posted late, back-dated)."""
    today = timezone.localdate()
    d4, d25 = today - timedelta(days=21), today - timedelta(days=1)
    teller_deposit(
        account=account, amount=D("8500000"), channel="bank", on=d4 - timedelta(5), by=teller
    )
    teller_deposit(account=account, amount=D("50000"), channel="bank", on=d25, by=teller)
    teller_deposit(account=account, amount=D("50000"), channel="bank", on=d4, by=teller)
    return d4 - timedelta(5), d25


def test_statement_running_balance_never_goes_down_on_a_credit(account, teller):
    start, end = _a00002(account, teller)
    (s,) = [
        x
        for x in savings_statement(member=account.member, date_from=start, date_to=end)
        if x.account.pk == account.pk
    ]
    assert [r.running_balance for r in s.rows] == [D("8500000"), D("8550000"), D("8600000")]
    # today's code showed balance_after: 8,500,000 / 8,600,000 / 8,550,000 (down on a credit)
    assert s.closing == D("8600000")
    assert_reconciled()


def test_account_page_statement_api_and_portal_show_the_running_balance(tenant_a, account, teller):
    from tenants.services import tenant_host

    start, end = _a00002(account, teller)
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(teller)
    # account page (newest first, running balance of each row in date order)
    rows = list(account_transactions(account=account))
    assert [r.running_balance for r in rows] == [D("8600000"), D("8550000"), D("8500000")]
    body = c.get(reverse("savings:account", args=[account.pk])).content.decode()
    body = body[body.index("<tbody") :]
    assert body.index("8.600.000") < body.index("8.550.000") < body.index("8.500.000")
    # kartu simpanan screen
    body = c.get(
        reverse("savings:statement", args=[account.member_id]),
        {"date_from": start.isoformat(), "date_to": end.isoformat()},
    ).content.decode()
    body = body[body.index("<tbody") :]
    assert body.index("8.500.000") < body.index("8.550.000") < body.index("8.600.000")
    # statement API
    r = c.get(
        f"/api/v1/savings/statements/{account.member_id}/",
        {"date_from": start.isoformat(), "date_to": end.isoformat()},
    )
    acc = next(a for a in json.loads(r.content)["accounts"] if a["account"]["id"] == account.pk)
    assert [t["running_balance"] for t in acc["transactions"]] == [
        "8500000.00",
        "8550000.00",
        "8600000.00",
    ]
    # member portal
    user = f.user("anggota")
    member = account.member
    member.user = user
    member.save(update_fields=["user"])
    c.force_login(user)
    body = c.get(
        "/portal/transaksi/", {"date_from": start.isoformat(), "date_to": end.isoformat()}
    ).content.decode()
    body = body[body.index("<tbody") :]
    assert body.index("8.500.000") < body.index("8.550.000") < body.index("8.600.000")


ops = st.lists(
    st.tuples(st.booleans(), st.integers(1, 500), st.integers(0, 30)), min_size=1, max_size=8
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=ops, cut=st.integers(0, 35))
def test_running_balance_is_opening_plus_credits_minus_debits_in_any_posting_order(
    account, teller, ops, cut
):
    today = timezone.localdate()
    start = today - timedelta(days=35)
    with transaction.atomic():
        sid = transaction.savepoint()
        teller_deposit(account=account, amount=D("10000000"), channel="cash", on=start, by=teller)
        for deposit, thousands, back in ops:
            fn = teller_deposit if deposit else teller_withdraw
            fn(
                account=account,
                amount=D(thousands * 1000),
                channel="cash",
                on=today - timedelta(days=back),
                by=teller,
            )
        date_from = start + timedelta(days=cut)
        (s,) = [
            x
            for x in savings_statement(member=account.member, date_from=date_from, date_to=today)
            if x.account.pk == account.pk
        ]
        bal = s.opening
        keys = [(r.on, r.pk) for r in s.rows]
        assert keys == sorted(keys)
        for r in s.rows:
            bal += r.amount if r.delta > 0 else -r.amount
            assert r.running_balance == bal
        assert bal == s.closing
        page = list(account_transactions(account=account))
        total = D(0)
        for r in reversed(page):
            total += r.delta
            assert r.running_balance == total
        assert total == account.__class__.objects.get(pk=account.pk).balance
        assert_reconciled()
        transaction.savepoint_rollback(sid)
