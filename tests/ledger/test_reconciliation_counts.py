"""The daily sub-ledger reconciliation's count rows ("anggota berselisih", "rekening ≠
transaksinya") are numbers of members or accounts, not rupiah: the run keeps each row's
``kind`` ("count"/"amount"), the dashboard's alert shows a count as a plain number
(never "Rp 1,00"), and a run kept before kinds (or before codes) is read the same way."""

from core.ledger.models import ReconciliationRun
from core.ledger.reconciliation import results_shown, subledgers_reconcile
from tests.members import factories as f

from .helpers import bypass, reconciliation_alert


def _row(alert: str, label: str) -> str:
    """The alert's table row whose item cell says ``label``."""
    (row,) = [r for r in alert.split("<tr>") if f"<td>{label}</td>" in r]
    return row


def test_one_member_differing_is_shown_as_one_not_as_a_rupiah(savings, tenant_a):
    bypass("savings_sukarela", "1000", member_id=savings.member_id)
    subledgers_reconcile()
    alert = reconciliation_alert(tenant_a)
    assert "Rp 1,00" not in alert, alert
    members = _row(alert, "anggota berselisih")
    assert "Rp" not in members, members
    assert '<td class="num">1</td><td class="num">0</td><td class="num">1</td>' in members
    # the control account's row is rupiah as before
    assert "Rp 1.000,00" in alert, alert
    en = _row(reconciliation_alert(tenant_a, "en"), "members differing")
    assert "Rp" not in en and '<td class="num">1</td>' in en, en


def test_the_run_keeps_which_rows_are_counts(savings):
    bypass("savings_sukarela", "1000", member_id=savings.member_id)
    run = subledgers_reconcile()
    kinds = {r.get("item_code") or r["item"]: r["kind"] for r in run.results if "item" in r}
    assert kinds["subledger.members_differing"] == "count"
    assert kinds["subledger.accounts_differing"] == "count"
    assert kinds["subledger.principal"] == "amount"
    (members,) = [
        r
        for r in run.differences
        if r.get("item_code") == "subledger.members_differing" and r["subledger"] == "savings"
    ]
    # the figures kept as before (strings), a count a whole number
    assert (members["subledger_total"], members["ledger_balance"], members["difference"]) == (
        "1",
        "0",
        "1",
    )


def test_a_run_kept_before_kinds_or_codes_shows_its_counts_as_counts(in_tenant_a, tenant_a):
    f.member()  # a cooperative at work: its dashboard, not the first-steps checklist
    row = {"subledger_total": "2", "ledger_balance": "0", "difference": "2", "ok": False}
    ReconciliationRun.objects.create(
        ok=False,
        results=[
            # kept before codes: only the Indonesian text
            {"subledger": "savings", "item": "rekening ≠ transaksinya", **row},
            # kept with codes, before kinds
            {
                "subledger": "shu",
                "item": "anggota berselisih",
                "item_code": "subledger.members_differing",
                "item_params": {},
                **row,
            },
            {
                "subledger": "loans",
                "item": "pokok pinjaman",
                "item_code": "subledger.principal",
                "item_params": {},
                "subledger_total": "1",
                "ledger_balance": "0",
                "difference": "1",
                "ok": False,
            },
        ],
    )
    alert = reconciliation_alert(tenant_a)
    assert "Rp 2,00" not in alert, alert
    assert '<td class="num">2</td>' in _row(alert, "rekening ≠ transaksinya")
    assert '<td class="num">2</td>' in _row(alert, "anggota berselisih")
    assert "Rp 1,00" in _row(alert, "pokok pinjaman")
    shown = results_shown(ReconciliationRun.objects.get().results)
    assert [r["kind"] for r in shown] == ["count", "count", "amount"]
