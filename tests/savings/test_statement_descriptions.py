"""The kartu simpanan names each movement by its kind, then its memo — but a memo that
only repeats the kind (the demo's and the member import's opening balances: memo "Saldo
awal", kind "Saldo awal") was shown twice: "Saldo awal — Saldo awal"."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.savings.models import SavingsTransaction
from core.savings.services import (
    savings_account_open,
    savings_deposit_apply,
    teller_deposit,
    transactions_link_entry,
)

D = Decimal


@pytest.fixture
def account(products, member_a):
    on = timezone.localdate() - timedelta(days=10)
    return savings_account_open(member=member_a, product=products["sukarela"], on=on)


def test_kartu_simpanan_does_not_repeat_a_memo_that_names_the_kind(tenant_a, account, teller):
    from tenants.services import tenant_host

    on = timezone.localdate() - timedelta(days=5)
    applied = savings_deposit_apply(
        account=account,
        amount=D("100000"),
        on=on,
        by=teller,
        channel=SavingsTransaction.Channel.OPENING,
        kind=SavingsTransaction.Kind.OPENING,
        memo="Saldo awal",
    )
    entry = journal_post(
        on=on,
        description="Saldo awal simpanan anggota",
        lines=[LineSpec(account_for_role("opening_balance"), debit=D("100000")), *applied.lines],
        source="opening",
        source_ref="test-opening",
        by=teller,
    )
    transactions_link_entry(transactions=[applied.transaction], entry=entry)
    teller_deposit(
        account=account, amount=D("20000"), channel="cash", on=on, by=teller, memo="titipan arisan"
    )
    teller_deposit(
        account=account, amount=D("30000"), channel="cash", on=on, by=teller, memo="Setoran tunai"
    )
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(teller)
    body = c.get(
        reverse("savings:statement", args=[account.member_id]),
        {"date_from": on.isoformat(), "date_to": on.isoformat()},
    ).content.decode()
    body = body[body.index("<tbody") :]
    assert "Saldo awal — Saldo awal" not in body
    assert "<td>Saldo awal</td>" in body
    assert "Setoran — titipan arisan" in body  # a memo that says more keeps the kind
    assert "Setoran — Setoran tunai" not in body and "<td>Setoran tunai</td>" in body
    # the member portal's kartu says it the same way
    from tests.members import factories as f

    user = f.user("anggota")
    member = account.member
    member.user = user
    member.save(update_fields=["user"])
    c.force_login(user)
    body = c.get(
        "/portal/transaksi/", {"date_from": on.isoformat(), "date_to": on.isoformat()}
    ).content.decode()
    body = body[body.index("<tbody") :]
    assert "Saldo awal · Saldo awal" not in body and "Saldo awal — Saldo awal" not in body
    assert "Setoran — titipan arisan" in body
