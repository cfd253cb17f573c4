"""The daily sub-ledger reconciliation's rows are said in the reader's language: the check
runs in the background (Indonesian), keeps each row's label as a code with its params
beside the text (``core.common.said``), and the dashboard's alert renders it in the UI
language (English: "members differing", not "anggota berselisih"). The sub-ledger column
names the sub-ledger ("Savings"/"Simpanan"), not its settings key ("savings"). A run
kept before codes shows the text it stored."""

from decimal import Decimal

from django.utils import timezone, translation

from core.ledger.models import ReconciliationRun
from core.ledger.reconciliation import SUBLEDGER_ITEMS, results_shown, subledgers_reconcile
from tests.members import factories as f

from .helpers import bypass, reconciliation_alert

D = Decimal


def test_a_savings_difference_is_said_in_english_to_an_english_reader(savings, tenant_a):
    bypass("savings_sukarela", "1000", member_id=savings.member_id)
    subledgers_reconcile()  # as the daily task: in Indonesian
    en = reconciliation_alert(tenant_a, "en")
    assert "members differing" in en and "<td>Savings</td>" in en, en
    assert "anggota berselisih" not in en and "<td>savings</td>" not in en, en
    id_ = reconciliation_alert(tenant_a, "id")
    assert "anggota berselisih" in id_ and "<td>Simpanan</td>" in id_, id_
    assert "members differing" not in id_, id_


def test_a_loans_difference_names_the_item_in_the_readers_language(in_tenant_a, tenant_a):
    bypass("loan_receivable", "1000000")
    run = subledgers_reconcile()
    (row,) = [d for d in run.differences if d["subledger"] == "loans"]
    # kept: the code and the text as said at the run (Indonesian)
    assert row["item_code"] == "subledger.principal" and row["item"] == "pokok pinjaman"
    en = reconciliation_alert(tenant_a, "en")
    assert "loan principal" in en and "<td>Loans</td>" in en, en
    assert "pokok pinjaman" not in en and ">principal<" not in en, en
    id_ = reconciliation_alert(tenant_a, "id")
    assert "pokok pinjaman" in id_ and "<td>Pinjaman</td>" in id_, id_


def test_a_run_kept_before_codes_shows_its_stored_text(in_tenant_a, tenant_a):
    f.member()  # a cooperative at work: its dashboard, not the first-steps checklist
    ReconciliationRun.objects.create(
        ok=False,
        results=[
            {
                "subledger": "savings",
                "item": "anggota berselisih",
                "subledger_total": "1",
                "ledger_balance": "0",
                "difference": "1",
                "ok": False,
            }
        ],
    )
    en = reconciliation_alert(tenant_a, "en")
    assert "anggota berselisih" in en and "<td>Savings</td>" in en, en


def test_every_item_code_is_said_in_both_languages():
    """Each label the checks may keep renders, and in English says no Indonesian word."""
    params = {"month": "2026-05"}
    for code in SUBLEDGER_ITEMS:
        results = [{"subledger": "x", "item": "?", "item_code": code, "item_params": params}]
        with translation.override("en"):
            en = results_shown(results)[0]["item"]
        with translation.override("id"):
            id_ = results_shown(results)[0]["item"]
        assert en and id_ and en != "?" and id_ != "?", code
        for word in ("anggota", "rekening", "transaksi", "pokok", "arus kas", "harian", "Mei"):
            assert word not in en, (code, en)
    with translation.override("en"):
        shown = results_shown(
            [{"item": "?", "item_code": "subledger.cash_flow_days_month", "item_params": params}]
        )
    assert shown[0]["item"] == "daily cash flow May 2026"


def test_the_cash_flow_and_shu_checks_keep_their_codes(in_tenant_a):
    from core.ledger.reports import cash_flow_days_check
    from core.yearend.selectors import shu_subledger_check

    rows = shu_subledger_check()
    assert [getattr(r.item, "code", None) for r in rows] == [
        None,
        "subledger.members_differing",
        "subledger.unnamed_balance",
    ]
    assert str(rows[1].item) == "anggota berselisih"
    assert str(rows[2].item) == "saldo tanpa nama anggota"
    with translation.override("en"):
        shown = results_shown([{"item": "?", "item_code": "subledger.unnamed_balance"}])
    assert shown[0]["item"] == "balance naming no member"
    bypass("savings_sukarela", "1000")
    (day,) = cash_flow_days_check()
    assert day.item.code == "subledger.cash_flow_days_month"
    assert day.item.params == {"month": timezone.localdate().strftime("%Y-%m")}
