"""A sub-ledger check that raises is recorded as a failure (never as agreement) with its
technical error kept on the run and in the log; the dashboard's alert tells bendahara and
admin in plain words, in their language, that the check could not run, not the
exception's text."""

from core.ledger.reconciliation import subledgers_reconcile
from tests.members import factories as f

from .helpers import reconciliation_alert


def broken_check():
    raise KeyError("ppap_allowance_internal")


def test_a_check_that_raises_is_said_plainly_not_as_the_exception(
    in_tenant_a, tenant_a, settings, caplog
):
    f.member()  # a cooperative at work: its dashboard, not the first-steps checklist
    settings.LEDGER_SUBLEDGER_CHECKS = {"loans": f"{__name__}.broken_check"}
    run = subledgers_reconcile()
    (row,) = run.results
    assert not run.ok and "ppap_allowance_internal" in row["error"]  # kept for operators
    assert "Sub-ledger check loans failed" in caplog.text
    id_ = reconciliation_alert(tenant_a, "id")
    assert "Pemeriksaan gagal" in id_ and "tim teknis Lumbung" in id_, id_
    assert "KeyError" not in id_ and "ppap_allowance_internal" not in id_, id_
    en = reconciliation_alert(tenant_a, "en")
    assert "Check failed" in en and "Lumbung's technical team" in en, en
    assert "KeyError" not in en and "ppap_allowance_internal" not in en, en
