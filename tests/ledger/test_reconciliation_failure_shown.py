"""A sub-ledger check that raises is recorded as a failure (never as agreement) with its
technical error kept on the run and in the log; the dashboard's alert tells bendahara and
admin in plain words, in their language, that the check could not run, not the
exception's text."""

from django.test import Client

from core.ledger.reconciliation import subledgers_reconcile
from tests.members import factories as f


def broken_check():
    raise KeyError("ppap_allowance_internal")


def _alert(tenant, lang: str) -> str:
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(f.user("bendahara"))
    c.cookies["django_language"] = lang
    body = c.get("/").content.decode()
    assert 'id="panel-reconciliation"' in body
    return body.split('id="panel-reconciliation"', 1)[1].split("</section>", 1)[0]


def test_a_check_that_raises_is_said_plainly_not_as_the_exception(
    in_tenant_a, tenant_a, settings, caplog
):
    f.member()  # a cooperative at work: its dashboard, not the first-steps checklist
    settings.LEDGER_SUBLEDGER_CHECKS = {"loans": f"{__name__}.broken_check"}
    run = subledgers_reconcile()
    (row,) = run.results
    assert not run.ok and "ppap_allowance_internal" in row["error"]  # kept for operators
    assert "Sub-ledger check loans failed" in caplog.text
    id_ = _alert(tenant_a, "id")
    assert "Pemeriksaan gagal" in id_ and "tim teknis Lumbung" in id_, id_
    assert "KeyError" not in id_ and "ppap_allowance_internal" not in id_, id_
    en = _alert(tenant_a, "en")
    assert "Check failed" in en and "Lumbung's technical team" in en, en
    assert "KeyError" not in en and "ppap_allowance_internal" not in en, en
