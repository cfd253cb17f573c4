"""Two billing operators confirming transfers of one cooperative at the same moment. The
confirmation locks the subscription row first, so the second waits for the first and
then sees what it committed: one transfer is never paid twice, and of two transfers for
the same period exactly one is credited, once."""

import threading
import time
import uuid
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from billing import services
from billing.models import CreditEntry, Invoice, Plan, Subscription
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.users.models import User
from tests.billing.cleanup import billing_rows_drop

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _operator() -> User:
    return User.objects.create_user(
        username=f"race-{uuid.uuid4().hex[:8]}@lumbung.test",
        password="Operator-Sandi-9",
        operator_role=User.OperatorRole.BILLING,
    )


def _at_once(first, second) -> dict:
    """Run ``first`` in a thread that holds its transaction open just after its first
    row lock, and ``second`` in another thread meanwhile. Returns what each returned or
    raised."""
    outcome: dict = {}
    locked = threading.Event()

    def pause_after_first_lock(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and not locked.is_set():
            locked.set()
            time.sleep(0.5)  # the other operator clicks meanwhile
        return result

    def run_first():
        try:
            with connection.execute_wrapper(pause_after_first_lock), transaction.atomic():
                outcome["first"] = first()
        except Exception as exc:  # judged by the test
            outcome["first"] = exc
        finally:
            connection.close()

    def run_second():
        try:
            assert locked.wait(5)
            outcome["second"] = second()
        except Exception as exc:  # judged by the test
            outcome["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    return outcome


def test_two_operators_confirming_the_same_transfer_pay_it_once(scratch_tenant):
    sub = Subscription.objects.get(cooperative=scratch_tenant)
    ops = _operator(), _operator()
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    services.bank_proof_upload(
        invoice=inv, upload=SimpleUploadedFile("b.png", PNG), by="t", amount_claimed=inv.amount_due
    )
    try:
        outcome = _at_once(
            lambda: services.bank_transfer_confirm(invoice=inv, operator=ops[0]),
            lambda: services.bank_transfer_confirm(invoice=inv, operator=ops[1]),
        )
        assert isinstance(outcome["first"], Invoice)
        refused = outcome["second"]
        assert isinstance(refused, ApplicationError) and refused.code == "invoice_not_payable"
        inv.refresh_from_db()
        assert inv.status == Invoice.Status.PAID and inv.confirmed_by == ops[0]
        confirmed = AuditEvent.objects.filter(
            action="billing.bank_transfer_confirmed", target_id=str(inv.pk)
        )
        assert confirmed.count() == 1
        assert not CreditEntry.objects.filter(subscription=sub).exists()
    finally:
        connection.set_schema_to_public()
        billing_rows_drop(cooperative=scratch_tenant)


def test_two_operators_confirming_a_monthly_and_a_yearly_transfer_credit_one_once(
    scratch_tenant,
):
    """The cooperative transferred the same period yearly and monthly; two operators
    confirm one each at the same moment: the one committed first is credited, once, and
    the period runs to the end of the other."""
    sub = Subscription.objects.get(cooperative=scratch_tenant)
    ops = _operator(), _operator()
    kecil = Plan.objects.get(code="kecil")
    yearly = services.bank_invoice_issue(subscription=sub, plan=kecil, interval="year", by="t")
    services.bank_proof_upload(
        invoice=yearly,
        upload=SimpleUploadedFile("b.png", PNG),
        by="t",
        amount_claimed=yearly.amount_due,
    )
    monthly = services.bank_invoice_issue(subscription=sub, plan=kecil, interval="month", by="t")
    services.bank_proof_upload(
        invoice=monthly,
        upload=SimpleUploadedFile("b.png", PNG),
        by="t",
        amount_claimed=monthly.amount_due,
    )
    assert monthly.period_start == yearly.period_start
    try:
        outcome = _at_once(
            lambda: services.bank_transfer_confirm(invoice=yearly, operator=ops[0]),
            lambda: services.bank_transfer_confirm(invoice=monthly, operator=ops[1]),
        )
        assert isinstance(outcome["first"], Invoice) and isinstance(outcome["second"], Invoice)
        [entry] = CreditEntry.objects.filter(subscription=sub)
        assert entry.reason == "duplicate_payment" and entry.invoice_id == yearly.pk
        assert entry.amount == yearly.amount == services.credit_balance(subscription=sub)
        sub.refresh_from_db()
        monthly.refresh_from_db()
        assert timezone.localdate(sub.current_period_end) == monthly.period_end
        paid = Invoice.objects.filter(subscription=sub, status="paid")
        assert sum(i.amount for i in paid) - entry.amount == monthly.amount
        assert entry.amount > Decimal(0)
    finally:
        connection.set_schema_to_public()
        billing_rows_drop(cooperative=scratch_tenant)
