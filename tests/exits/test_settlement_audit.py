# ruff: noqa: F811, F401
"""The audit row of an exit settlement and of a left-open one (a member who had left
with their accounts and loans open): the figures each settled, as the auditor reads
them. Pinned whole, so the one helper both write them through keeps every key."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.audit.models import AuditEvent
from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_left_open_confirm,
    exit_settlement_preview,
)
from core.savings.models import SavingsProduct
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.loans.conftest import _media, make_loan, member, product, staff
from tests.members import factories as f

D = Decimal


@pytest.fixture
def saved(products, member, staff, today):
    """No jasa simpanan (interest off): the figures are the balances."""
    SavingsProduct.objects.update(interest_enabled=False)
    on = today - timedelta(days=30)
    if on.year < today.year:
        from core.ledger.services import fiscal_year_ensure

        fiscal_year_ensure(year=on.year)
    for kind, amount in (("pokok", "100000"), ("wajib", "1200000"), ("sukarela", "12000000")):
        acc = savings_account_get_or_open(member=member, product=products[kind], on=on)
        teller_deposit(account=acc, amount=D(amount), channel="cash", on=on, by=staff["petugas"])
    return member


def _event(action, m) -> AuditEvent:
    return AuditEvent.objects.get(action=action, target_id=str(m.pk))


def test_an_exit_audits_its_figures(saved, staff, today, make_loan):
    make_loan(principal=D("5000000"), days_ago=20)
    p = exit_settlement_preview(member=saved, on=today)
    s = exit_settlement_confirm(
        member=saved,
        reason="retired",
        on=today,
        by=staff["bendahara"],
        expected_net=p.net_payable,
    )
    ev = _event("member.exit_settlement", saved)
    assert ev.reason == "" and ev.actor_id == staff["bendahara"].pk
    assert ev.data == {
        "reason": "retired",
        "net_payable": str(s.net_payable),
        "savings": str(p.savings_total),
        "interest": str(p.interest_total),
        "shu": str(p.shu_unpaid),
        "loans": str(p.loans_outstanding),
        "waived": False,
    }
    assert p.loans_outstanding > 0 and s.net_payable == p.net_payable


def test_a_left_open_settlement_audits_its_figures_and_what_it_closed(
    saved, staff, today, make_loan
):
    loan = make_loan(principal=D("5000000"), days_ago=20)
    left = f.left_outside_exit(saved, status="resigned", on=today - timedelta(days=10))
    preview = exit_settlement_preview(member=left, on=today)
    s = exit_settlement_left_open_confirm(
        member=left, on=today, by=staff["ketua"], expected_net=preview.net_payable
    )
    ev = _event("member.exit_settlement_left_open", left)
    assert ev.reason == "" and ev.actor_id == staff["ketua"].pk
    assert ev.data == {
        "reason": "resigned",
        "exit_date": (today - timedelta(days=10)).isoformat(),
        "on": today.isoformat(),
        "net_payable": str(s.net_payable),
        "savings": str(preview.savings_total),
        "interest": str(preview.interest_total),
        "shu": str(preview.shu_unpaid),
        "loans": str(preview.loans_outstanding),
        "waived": False,
        "accounts": [a.number for a in preview.accounts],
        "loans_closed": [x["label"] for x in preview.loans],
    }
    assert loan.number in ev.data["loans_closed"][0]
