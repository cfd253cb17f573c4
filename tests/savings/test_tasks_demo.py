import logging
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.audit.models import AuditEvent
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.savings.services import savings_account_open, teller_deposit
from core.savings.tasks import savings_reconcile_all_task, savings_reconcile_task
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def eager(monkeypatch):
    from lumbung.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


def test_reconcile_task_ok_then_alerts_on_mismatch(products, member_a, teller, caplog, eager):
    today = timezone.localdate()
    acc = savings_account_open(member=member_a, product=products["sukarela"], on=today)
    teller_deposit(account=acc, amount=D("10000"), channel="cash", on=today, by=teller)
    result = savings_reconcile_task.delay().get()
    assert result["ok"] is True and result["schema"] == connection.schema_name
    journal_post(
        on=today,
        description="posting langsung (salah)",
        lines=[
            LineSpec(account_for_role("cash"), debit=D("700")),
            LineSpec(account_for_role("savings_sukarela"), credit=D("700")),
        ],
        by=teller,
        # a module bypassing the sub-ledger (manual entries may not touch control accounts)
        source="other",
        source_ref="bug-700",
    )
    with caplog.at_level(logging.ERROR, logger="core.savings.tasks"):
        result = savings_reconcile_task.delay().get()
    assert result["ok"] is False
    assert any(r["difference"] == "-700.00" for r in result["accounts"])
    assert "mismatch" in caplog.text
    assert AuditEvent.objects.filter(action="savings.reconciliation_mismatch").exists()


def test_reconcile_all_visits_every_live_cooperative(tenant_a, tenant_b, eager, monkeypatch):
    seen = []

    def fake_run():
        seen.append(connection.schema_name)
        return {}

    monkeypatch.setattr(savings_reconcile_task, "run", fake_run)
    out = savings_reconcile_all_task.delay().get()
    assert {tenant_a.schema_name, tenant_b.schema_name} <= set(seen)
    assert out["queued"] >= 2


def test_demo_seeder_is_idempotent_and_reconciled(in_tenant_a):
    from core.members.models import Agency, Member
    from core.savings.models import SavingsTransaction
    from core.savings.seeding import savings_demo_seed

    savings_demo_seed(cooperative=in_tenant_a)
    counts = (Agency.objects.count(), Member.objects.count(), SavingsTransaction.objects.count())
    assert counts[0] >= 3 and counts[1] >= 60
    assert Agency.objects.filter(name="RSUD dr. Doris Sylvanus").exists()
    from core.members.validators import parse_nik, parse_nip

    for m in Member.objects.all():
        assert parse_nik(m.nik).province == "62"
        assert parse_nip(m.nip).birth_date == m.birth_date
    assert SavingsTransaction.objects.filter(account__product__kind="pokok").count() >= 60
    assert SavingsTransaction.objects.filter(account__product__kind="sukarela").exists()
    assert_reconciled()
    savings_demo_seed(cooperative=in_tenant_a)
    assert (
        Agency.objects.count(),
        Member.objects.count(),
        SavingsTransaction.objects.count(),
    ) == counts
    assert_reconciled()
    f.member()  # the registry still works after the demo
