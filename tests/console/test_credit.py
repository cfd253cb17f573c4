"""The cooperative's credit in the console: shown on its page; billing operators record
a refund paid out by bank (reason required, audited, never more than the balance), also
when two operators do it at once."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction

from billing import services as billing
from billing.models import CreditEntry, Subscription
from billing.services.common import _lock
from billing.services.credit import _credit_move
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from tests.console.conftest import make_operator
from tests.console.test_concurrency import _blocked_on_a_lock
from tests.faults.helpers import raw_connection

REASON = "Transfer BCA 12/3 ke rekening koperasi"


def _credit(sub, amount):
    with transaction.atomic():
        return _credit_move(
            sub=_lock(sub), amount=Decimal(amount), reason="upgrade_difference", by="tests"
        )


@pytest.mark.django_db
def test_tenant_page_shows_the_credit_and_billing_operators_refund_it(
    op_clients, operators, tenant_a
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    _credit(sub, 1_250_000)
    page = op_clients["support"].get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode()
    assert "Saldo kredit: <strong>Rp 1.250.000</strong>" in page
    assert "/refund_credit/" not in page  # support may not refund
    page = op_clients["billing"].get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode()
    assert "/refund_credit/" in page

    url = f"/konsol/koperasi/{tenant_a.pk}/refund_credit/"
    denied = op_clients["support"].post(url, {"amount": "1", "reason": REASON, "confirm": "on"})
    assert denied.status_code == 403
    too_much = op_clients["billing"].post(
        url, {"amount": "2.000.000", "reason": REASON, "confirm": "on"}
    )
    assert too_much.status_code == 200 and "Kredit tidak cukup" in too_much.content.decode()
    assert billing.credit_balance(subscription=sub) == Decimal(1_250_000)

    done = op_clients["billing"].post(
        url, {"amount": "1.000.000", "reason": REASON, "confirm": "on"}
    )
    assert done.status_code == 302
    assert billing.credit_balance(subscription=sub) == Decimal(250_000)
    event = AuditEvent.objects.get(action="billing.credit_refunded")
    assert event.actor == operators["billing"] and event.reason == REASON


def test_two_refunds_at_once_never_take_the_credit_below_zero(scratch_tenant):
    """The first operator's refund holds the subscription row (a raw connection of its
    own, inside an open transaction) and takes the whole credit; the second one, on
    Django's connection in a thread, waits, then sees a zero balance and is refused."""
    connection.set_schema_to_public()
    op = make_operator("billing", username=f"credit-{uuid.uuid4().hex[:8]}@ops.lumbung.test")
    sub = Subscription.objects.get(cooperative=scratch_tenant)
    first = _credit(sub, 500_000)
    outcome: dict = {}

    def second_operator():
        try:
            connection.set_schema_to_public()
            outcome["result"] = billing.credit_refund_record(
                subscription=sub, amount="500000", reason="kedua", operator=op
            )
        except Exception as exc:  # judged below
            outcome["error"] = exc
        finally:
            connection.close()

    raw = raw_connection()
    raw.autocommit = False
    thread = threading.Thread(target=second_operator)
    try:
        with raw.cursor() as cur:
            cur.execute(
                f'SELECT id FROM public."{Subscription._meta.db_table}" WHERE id = %s FOR UPDATE',
                [sub.pk],
            )
            cur.execute(
                f'INSERT INTO public."{CreditEntry._meta.db_table}" (subscription_id, seq, '
                "amount, balance_after, reason, note, created_by, created_at) "
                "VALUES (%s, %s, -500000, 0, 'refund', 'pertama', 'ops', now())",
                [sub.pk, first.seq + 1],
            )
        thread.start()
        _blocked_on_a_lock(raw.get_backend_pid())
        raw.commit()
        thread.join(30)
        assert not thread.is_alive()
    finally:
        raw.close()

    error = outcome.get("error")
    assert isinstance(error, ApplicationError), outcome
    assert "Kredit tidak cukup" in str(error.message)
    entries = CreditEntry.objects.filter(subscription=sub)
    assert billing.credit_balance(subscription=sub) == 0
    assert sum(e.amount for e in entries) == 0 and entries.count() == 2
    CreditEntry.objects.filter(subscription=sub).delete()  # the scratch schema is dropped


# --- the amount typed: read as every other money field reads it (parse_rupiah) ---------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    ["1.234.567", "1234567", "Rp 1.234.567", "1,234,567", "1.234.567,-", "Rp. 1.234.567,00"],
)
def test_refund_reads_the_amount_as_people_type_it(op_clients, tenant_a, typed):
    sub = Subscription.objects.get(cooperative=tenant_a)
    _credit(sub, 2_000_000)
    done = op_clients["billing"].post(
        f"/konsol/koperasi/{tenant_a.pk}/refund_credit/",
        {"amount": typed, "reason": REASON, "confirm": "on"},
    )
    assert done.status_code == 302, done.content.decode()[-2000:]
    assert billing.credit_balance(subscription=sub) == Decimal(2_000_000 - 1_234_567)
    refund = CreditEntry.objects.get(subscription=sub, reason="refund")
    assert refund.amount == Decimal(-1_234_567)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1.000", "Jumlah dikembalikan (Rp) tidak boleh negatif."),
        ("0", "Paling sedikit Rp 1."),
        ("Rp 0,-", "Paling sedikit Rp 1."),
        ("2.000.001", "Kredit tidak cukup: saldo Rp 2.000.000."),
        ("satu juta", "Jumlah dikembalikan (Rp) &#x27;satu juta&#x27; bukan angka rupiah"),
        ("1.234,56", "Jumlah dikembalikan (Rp) harus rupiah utuh, tanpa sen"),
        ("", ""),
    ],
)
def test_refund_refuses_a_bad_amount_and_changes_nothing(op_clients, tenant_a, typed, message):
    sub = Subscription.objects.get(cooperative=tenant_a)
    _credit(sub, 2_000_000)
    events = AuditEvent.objects.count()
    page = op_clients["billing"].post(
        f"/konsol/koperasi/{tenant_a.pk}/refund_credit/",
        {"amount": typed, "reason": REASON, "confirm": "on"},
    )
    assert page.status_code == 200
    assert message in page.content.decode()
    assert billing.credit_balance(subscription=sub) == Decimal(2_000_000)
    assert not CreditEntry.objects.filter(subscription=sub, reason="refund").exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1,234,567", None),
        ("Rp 1.234.567,-", None),
        (Decimal(1_234_567), None),
        ("0", "Jumlah pengembalian harus rupiah utuh lebih dari nol."),
        ("-5", "Jumlah pengembalian tidak boleh negatif."),
        ("12abc", "Jumlah pengembalian '12abc' bukan angka rupiah yang jelas"),
        (Decimal("10.5"), "Jumlah pengembalian harus rupiah utuh, tanpa sen"),
    ],
)
def test_the_refund_service_reads_amounts_with_parse_rupiah(tenant_a, operators, amount, message):
    """The service is the last word (an API or a script calls it too)."""
    sub = Subscription.objects.get(cooperative=tenant_a)
    _credit(sub, 2_000_000)
    call = lambda: billing.credit_refund_record(  # noqa: E731
        subscription=sub, amount=amount, reason=REASON, operator=operators["billing"]
    )
    if message is None:
        assert call().amount == Decimal(-1_234_567)
        return
    with pytest.raises(ApplicationError) as refused:
        call()
    assert message in str(refused.value.message)
    assert message in str(refused.value.fields["amount"][0])
    assert billing.credit_balance(subscription=sub) == Decimal(2_000_000)
