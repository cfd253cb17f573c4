"""The daily sub-ledger reconciliation (issue 22): savings and loans against their control
accounts; a difference is logged at ERROR (a Sentry event), audited and shown on the
dashboard of bendahara and admin."""

import logging
from decimal import Decimal

import pytest
import sentry_sdk
from django.test import Client
from django.utils import timezone
from sentry_sdk.transport import Transport

from core.audit.models import AuditEvent
from core.ledger.models import ReconciliationRun
from core.ledger.reconciliation import reconciliation_alert, subledgers_reconcile
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.ledger.tasks import subledgers_reconcile_task
from lumbung.observability import init_sentry
from tenants.tasks import every_cooperative_task
from tests.members import factories as f

from .helpers import bypass

D = Decimal


@pytest.fixture
def eager(monkeypatch):
    from lumbung.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


def test_books_that_agree_pass_and_raise_no_alert(savings, eager):
    result = subledgers_reconcile_task.delay().get()
    assert result["ok"] is True and result["differences"] == []
    run = ReconciliationRun.objects.get(pk=result["run"])
    subledgers = {r["subledger"] for r in run.results}
    # and the cash flow's per-day figures (the savings postings move cash); the SHU
    # payable's (nothing posted: zero against zero)
    assert subledgers == {"savings", "loans", "shu", "cash_flow_days"}
    assert reconciliation_alert() is None


def test_a_savings_difference_is_logged_audited_and_alerted(savings, eager, caplog):
    bypass("savings_sukarela", "250000", source="other", member_id=savings.member_id)
    with caplog.at_level(logging.ERROR, logger="core.ledger.tasks"):
        result = subledgers_reconcile_task.delay().get()
    assert result["ok"] is False
    diff = next(d for d in result["differences"] if d["subledger"] == "savings")
    assert diff["difference"] == "-250000.00"
    assert any(
        r.levelno == logging.ERROR and "difference" in r.getMessage() for r in caplog.records
    )
    assert AuditEvent.objects.filter(action="ledger.reconciliation_mismatch").exists()
    assert reconciliation_alert().pk == result["run"]


def test_a_loans_difference_is_found(in_tenant_a):
    bypass("loan_receivable", "1000000", source="loan")
    run = subledgers_reconcile()
    assert not run.ok
    assert any(
        d["subledger"] == "loans" and d["item_code"] == "subledger.principal"
        for d in run.differences
    )


def test_a_failing_check_is_a_failure_not_agreement(in_tenant_a, settings):
    settings.LEDGER_SUBLEDGER_CHECKS = {"broken": "core.ledger.selectors.no_such_check"}
    run = subledgers_reconcile()
    assert not run.ok and run.differences[0]["subledger"] == "broken"


class _Keep(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


def test_a_difference_sends_a_sentry_event(savings, eager):
    bypass("savings_sukarela", "1000", source="other", member_id=savings.member_id)
    transport = _Keep()
    init_sentry(
        dsn="https://public@sentry.example.invalid/1",
        environment="test",
        release="test",
        transport=transport,
    )
    try:
        subledgers_reconcile_task.delay().get()
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    events = [
        item.payload.json
        for env in transport.envelopes
        for item in env.items
        if item.type == "event"
    ]
    assert any(
        e.get("level") == "error" and "reconciliation" in repr(e.get("logentry", e)) for e in events
    ), events


def test_dashboard_alert_for_bendahara_and_admin_only(savings, tenant_a):
    from tenants.services import tenant_host

    bypass("savings_sukarela", "1000", source="other", member_id=savings.member_id)
    subledgers_reconcile()

    def home(role):
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(f.user(role))
        return c.get("/").content.decode()

    for role in ("bendahara", "admin"):
        body = home(role)
        assert 'id="panel-reconciliation"' in body, role
        # amounts as rupiah with their sen (a difference of sen must not show as Rp 0)
        assert "-Rp 1.000,00" in body and "-1000.00" not in body, role
    for role in ("petugas", "pengawas", "ketua"):
        assert 'id="panel-reconciliation"' not in home(role), role
    # a later run that agrees clears the alert
    journal_post(
        on=timezone.localdate(),
        description="koreksi",
        by="tests",
        source="other",
        source_ref="fix-1000",
        lines=[
            LineSpec(
                account_for_role("savings_sukarela"), debit=D("1000"), member_id=savings.member_id
            ),
            LineSpec(account_for_role("cash"), credit=D("1000")),
        ],
    )
    assert subledgers_reconcile().ok
    assert 'id="panel-reconciliation"' not in home("bendahara")


def test_reconcile_all_visits_every_live_cooperative(tenant_a, tenant_b, eager, monkeypatch):
    from django.db import connection

    seen = []

    def fake_run():
        seen.append(connection.schema_name)
        return {}

    monkeypatch.setattr(subledgers_reconcile_task, "run", fake_run)
    out = every_cooperative_task.delay("core.ledger.tasks.subledgers_reconcile_task").get()
    assert {tenant_a.schema_name, tenant_b.schema_name} <= set(seen)
    assert {tenant_a.slug, tenant_b.slug} <= set(out["queued"])
