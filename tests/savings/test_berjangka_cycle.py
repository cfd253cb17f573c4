"""Hari raya savings repeat every year: a berjangka account paid out in full on/after its
payout date moves to its next cycle (the product's payout date if still ahead, else the
end of the term from the payout day), so the next payroll lists ask its monthly amount
again; the payout's reversal restores the old payout date. A partial withdrawal does
not start a new cycle."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.audit.models import AuditEvent
from core.common.dates import add_months
from core.deductions.models import DeductionRun
from core.deductions.services.runs import deduction_lines_build
from core.savings.services import (
    savings_account_open,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
from tests.members import factories as f

D = Decimal


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


def _asked(account, on) -> bool:
    run = DeductionRun(year=on.year, month=on.month, cutoff_date=on)
    return any(
        int(p["account_id"]) == account.pk
        for line in deduction_lines_build(run)
        for p in line.purposes
    )


def _matured(products, member, teller, today):
    p = products["berjangka"]
    p.payout_date = today - timedelta(days=1)
    p.save()
    acc = savings_account_open(
        member=member, product=p, on=today - timedelta(days=300), payout_date=p.payout_date
    )
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    return p, acc


def test_full_payout_moves_the_account_to_its_next_cycle_and_reversal_restores_it(
    products, member_a, teller, bendahara, today
):
    p, acc = _matured(products, member_a, teller, today)
    old = acc.payout_date
    assert not _asked(acc, today + timedelta(days=5))  # matured: not asked
    txn = teller_withdraw(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    acc.refresh_from_db()
    assert acc.payout_date == add_months(today, p.term_months)
    ev = AuditEvent.objects.get(action="savings.berjangka_next_cycle", target_id=str(acc.pk))
    assert ev.data["old_payout_date"] == old.isoformat()
    assert ev.data["new_payout_date"] == acc.payout_date.isoformat()
    assert ev.data["transaction"] == txn.pk
    assert _asked(acc, today + timedelta(days=5))  # the next list asks it again

    teller_reverse(txn=txn, on=today, reason="salah bayar", by=bendahara)
    acc.refresh_from_db()
    assert acc.payout_date == old
    assert acc.balance == D("100000")
    assert not _asked(acc, today + timedelta(days=5))


def test_next_cycle_takes_the_products_payout_date_when_it_is_ahead(
    products, member_a, teller, today
):
    p, acc = _matured(products, member_a, teller, today)
    p.payout_date = today + timedelta(days=200)  # next Eid's date set already
    p.save()
    teller_withdraw(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    acc.refresh_from_db()
    assert acc.payout_date == p.payout_date


def test_partial_withdrawal_does_not_start_a_new_cycle(products, member_a, teller, today):
    _p, acc = _matured(products, member_a, teller, today)
    old = acc.payout_date
    teller_withdraw(account=acc, amount=D("40000"), channel="cash", on=today, by=teller)
    acc.refresh_from_db()
    assert acc.payout_date == old
    assert not AuditEvent.objects.filter(action="savings.berjangka_next_cycle").exists()


def test_full_payout_stores_the_old_and_new_payout_dates_on_its_transaction(
    products, member_a, teller, today
):
    p, acc = _matured(products, member_a, teller, today)
    old = acc.payout_date
    txn = teller_withdraw(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    txn.refresh_from_db()
    assert txn.previous_payout_date == old
    assert txn.next_payout_date == add_months(today, p.term_months)


def test_partial_payout_stores_no_cycle_dates(products, member_a, teller, today):
    _p, acc = _matured(products, member_a, teller, today)
    txn = teller_withdraw(account=acc, amount=D("40000"), channel="cash", on=today, by=teller)
    txn.refresh_from_db()
    assert txn.previous_payout_date is None and txn.next_payout_date is None


def test_payout_reversal_restores_the_date_from_the_transaction_without_reading_the_audit(
    products, member_a, teller, bendahara, today
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _p, acc = _matured(products, member_a, teller, today)
    old = acc.payout_date
    txn = teller_withdraw(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    with CaptureQueriesContext(connection) as q:
        teller_reverse(txn=txn, on=today, reason="salah bayar", by=bendahara)
    acc.refresh_from_db()
    assert acc.payout_date == old
    reads = [x["sql"] for x in q.captured_queries if x["sql"].lstrip().upper().startswith("SELECT")]
    assert not [s for s in reads if "audit_auditevent" in s]
    # the audit row of the restore is still written, old and new dates
    ev = AuditEvent.objects.get(action="savings.berjangka_cycle_restore", target_id=str(acc.pk))
    assert ev.data["new_payout_date"] == old.isoformat()


def test_payout_without_stored_dates_falls_back_to_the_audit_row(
    products, member_a, teller, bendahara, today
):
    """A payout written before the dates were stored on the transaction: the restore
    finds the old date in the next-cycle audit row, as before."""
    from core.audit.services import audit_log

    _p, acc = _matured(products, member_a, teller, today)
    old = acc.payout_date
    # a partial payout carries no dates; the next-cycle move recorded only in the audit
    txn = teller_withdraw(account=acc, amount=D("40000"), channel="cash", on=today, by=teller)
    new = add_months(today, 10)
    acc.refresh_from_db()
    acc.payout_date = new
    acc.save(update_fields=["payout_date"])
    audit_log(
        actor=teller,
        action="savings.berjangka_next_cycle",
        target=acc,
        data={
            "transaction": txn.pk,
            "old_payout_date": old.isoformat(),
            "new_payout_date": new.isoformat(),
        },
    )
    teller_reverse(txn=txn, on=today, reason="salah bayar", by=bendahara)
    acc.refresh_from_db()
    assert acc.payout_date == old
