"""The console's money actions tried the wrong way: a manual payment typed as people type
it (``1.234.567``), more or less than the invoice, on a paid or void invoice, recorded
twice by two operators who opened the form at once; a payment while an operator's
suspension holds; deleting a cooperative the platform still owes credit or whose
transfer awaits the operator; and each action by an operator whose role does not allow
it. After each one the cooperative's invoices, credit ledger (CreditEntry), credit notes
and e-Faktur rows are as they were, or as the one allowed action left them."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from billing import services as billing
from billing.efaktur import efaktur_rows
from billing.models import CreditEntry, CreditNote, Invoice, InvoiceSequence, Plan, Subscription
from billing.services.common import _lock, _status_set
from billing.services.credit import _credit_move
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from lumbung.console import services as console
from tenants.models import Cooperative

pytestmark = pytest.mark.django_db
REASON = "Mutasi BCA 12/3"


def _url(coop, action):
    return f"/konsol/koperasi/{coop.pk}/{action}/"


def _dots(amount) -> str:
    return f"{int(amount):,}".replace(",", ".")


def _sub(coop) -> Subscription:
    return Subscription.objects.get(cooperative=coop)


def _give_credit(sub, amount):
    with transaction.atomic():
        return _credit_move(
            sub=_lock(sub), amount=Decimal(amount), reason="upgrade_difference", by="t"
        )


def _png():
    return SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")


def _books(coop) -> tuple:
    """Everything money about the cooperative: its invoices, its credit ledger, its
    credit notes, its e-Faktur rows this month, its status and paid period."""
    connection.set_schema_to_public()
    sub = _sub(coop)
    now = timezone.localdate()
    return (
        list(
            Invoice.objects.filter(subscription=sub)
            .order_by("pk")
            .values_list("number", "status", "amount", "credit_applied", "period_start")
        ),
        list(CreditEntry.objects.filter(subscription=sub).order_by("seq").values_list("amount")),
        list(CreditNote.objects.filter(subscription=sub).values_list("number", "amount")),
        [r for r in efaktur_rows(year=now.year, month=now.month) if coop.name in str(r)],
        (sub.status, sub.current_period_end, sub.plan_id, sub.interval, sub.trial_ends_at),
    )


def _form_seen(client, coop) -> str:
    page = client.get(_url(coop, "record_payment")).content.decode()
    return re.search(r'name="payments_seen" value="(\d+)"', page).group(1)


def _pay(client, coop, **data):
    return client.post(
        _url(coop, "record_payment"),
        {"reason": REASON, "confirm": "on", "interval": "month", **data},
    )


# -- manual payment: the amount ---------------------------------------------------------


def test_a_manual_payment_typed_with_dots_is_recorded_for_that_amount(op_clients, tenant_a):
    plan = Plan.objects.get(code="sedang")
    client = op_clients["billing"]
    resp = _pay(
        client,
        tenant_a,
        plan=plan.pk,
        amount=f"Rp {_dots(plan.price_monthly)}",
        payments_seen=_form_seen(client, tenant_a),
    )
    assert resp.status_code == 302
    paid = Invoice.objects.get(subscription__cooperative=tenant_a, status="paid")
    assert paid.amount == plan.price_monthly
    tenant_a.refresh_from_db()
    assert tenant_a.status == Cooperative.Status.ACTIVE


@pytest.mark.parametrize("off", [-1, 1, -50_000, 200_000], ids=["1-less", "1-more", "less", "more"])
def test_a_manual_payment_of_another_amount_than_the_invoice_is_recorded_as_received(
    op_clients, tenant_a, off
):
    """The open invoice took Rp 100.000 of credit: what is to be transferred is its
    amount less that. A transfer for less is recorded against it and it stays open for
    the rest; one for more pays it and the excess is the cooperative's credit. The
    operator is told which (billing.bank_transfer_receive)."""
    sub = _sub(tenant_a)
    _give_credit(sub, 100_000)
    plan = Plan.objects.get(code="sedang")
    invoice = billing.bank_invoice_issue(subscription=sub, plan=plan, interval="month", by="t")
    due = invoice.amount_due
    assert due == plan.price_monthly - 100_000

    client = op_clients["billing"]
    resp = _pay(
        client,
        tenant_a,
        invoice=invoice.pk,
        amount=_dots(due + off),
        payments_seen=_form_seen(client, tenant_a),
    )
    assert resp.status_code == 302
    page = client.get(resp.url).content.decode()
    invoice.refresh_from_db()
    event = AuditEvent.objects.get(action="console.payment_recorded")
    assert event.data["received"] == str(due + off)
    if off < 0:
        assert invoice.status == Invoice.Status.OPEN
        assert invoice.amount_due == -off
        assert f"Sisa yang perlu ditransfer: Rp {_dots(-off)}" in page
        assert billing.credit_balance(subscription=sub) == 0
    else:
        assert invoice.status == Invoice.Status.PAID
        assert billing.credit_balance(subscription=sub) == off
        assert f"Kelebihan Rp {_dots(off)} menjadi kredit koperasi" in page


def test_a_manual_payment_of_more_than_twice_the_invoice_is_refused_nothing_changes(
    op_clients, tenant_a
):
    sub = _sub(tenant_a)
    invoice = billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    before = _books(tenant_a)
    resp = _pay(
        op_clients["billing"], tenant_a, invoice=invoice.pk, amount=_dots(3 * invoice.amount)
    )
    assert resp.status_code == 200
    assert "lebih dari dua kali tagihan" in resp.content.decode()
    assert _books(tenant_a) == before
    assert not AuditEvent.objects.filter(action="console.payment_recorded").exists()


def test_a_manual_payment_for_a_plan_of_another_amount_issues_no_invoice(op_clients, tenant_a):
    plan = Plan.objects.get(code="sedang")
    before = _books(tenant_a)
    numbers = list(InvoiceSequence.objects.values_list("year", "last"))
    resp = _pay(op_clients["billing"], tenant_a, plan=plan.pk, amount=_dots(plan.price_yearly))
    assert resp.status_code == 200 and "lebih dari dua kali" in resp.content.decode()
    assert _books(tenant_a) == before  # the invoice issued on the way is rolled back
    assert list(InvoiceSequence.objects.values_list("year", "last")) == numbers  # its number too


@pytest.mark.parametrize("amount", ["", "abc", "1.234,56", "-350.000", "0"])
def test_a_manual_payment_with_an_unreadable_amount_is_a_form_error(op_clients, tenant_a, amount):
    plan = Plan.objects.get(code="sedang")
    before = _books(tenant_a)
    resp = _pay(op_clients["billing"], tenant_a, plan=plan.pk, amount=amount)
    assert resp.status_code == 200 and 'name="amount"' in resp.content.decode()
    assert _books(tenant_a) == before


@pytest.mark.parametrize("status", ["paid", "void"])
def test_a_manual_payment_on_a_paid_or_void_invoice_is_refused_nothing_changes(
    op_clients, operators, tenant_a, status
):
    sub = _sub(tenant_a)
    plan = Plan.objects.get(code="sedang")
    invoice = billing.bank_invoice_issue(subscription=sub, plan=plan, interval="month", by="t")
    if status == "paid":
        billing.bank_transfer_confirm(invoice=invoice, operator=operators["billing"])
    else:  # replaced by an invoice for another plan
        billing.bank_invoice_issue(
            subscription=sub, plan=Plan.objects.get(code="besar"), interval="month", by="t"
        )
    invoice.refresh_from_db()
    assert invoice.status == status
    before = _books(tenant_a)

    # Not offered on the form ...
    resp = _pay(op_clients["billing"], tenant_a, invoice=invoice.pk, amount=_dots(invoice.amount))
    assert resp.status_code == 200
    # ... and refused by the service.
    with pytest.raises(ApplicationError):
        console.tenant_payment_record(
            operator=operators["billing"],
            cooperative=tenant_a,
            reason=REASON,
            invoice=invoice,
            amount_received=invoice.amount,
        )
    assert _books(tenant_a) == before


def test_two_operators_recording_the_same_transfer_record_it_once(op_clients, tenant_a):
    """Both opened the form before either recorded it (the second waits for the first
    on the subscription's lock, then sees one payment more than it was shown)."""
    plan = Plan.objects.get(code="sedang")
    first, second = op_clients["billing"], op_clients["admin"]
    seen_first, seen_second = _form_seen(first, tenant_a), _form_seen(second, tenant_a)
    amount = _dots(plan.price_monthly)
    assert (
        _pay(first, tenant_a, plan=plan.pk, amount=amount, payments_seen=seen_first).status_code
        == 302
    )
    after_first = _books(tenant_a)

    resp = _pay(second, tenant_a, plan=plan.pk, amount=amount, payments_seen=seen_second)
    assert resp.status_code == 200
    assert "pembayaran lain sudah dicatat" in resp.content.decode()
    assert _books(tenant_a) == after_first
    assert Invoice.objects.filter(subscription__cooperative=tenant_a, status="paid").count() == 1
    # Opened again, the form records a second period on purpose.
    again = _pay(
        second, tenant_a, plan=plan.pk, amount=amount, payments_seen=_form_seen(second, tenant_a)
    )
    assert again.status_code == 302


# -- suspension around an unpaid invoice ------------------------------------------------


def test_a_payment_does_not_lift_an_operators_suspension(operators, tenant_a):
    """Suspended by an operator with an invoice open: a transfer confirmed, or credit
    that pays the next invoice, records the payment and the period, and the cooperative
    stays suspended until an operator reactivates it (as with a card payment)."""
    sub = _sub(tenant_a)
    plan = Plan.objects.get(code="sedang")
    invoice = billing.bank_invoice_issue(subscription=sub, plan=plan, interval="month", by="t")
    admin = operators["admin"]
    console.tenant_suspend(operator=admin, cooperative=tenant_a, reason="Sengketa pengurus")

    billing.bank_transfer_confirm(invoice=invoice, operator=operators["billing"])
    invoice.refresh_from_db()
    sub.refresh_from_db()
    tenant_a.refresh_from_db()
    assert invoice.status == "paid"
    assert sub.status == tenant_a.status == "suspended" and sub.suspended_by_operator
    assert sub.current_period_end.date() == invoice.period_end

    _give_credit(sub, plan.price_monthly)
    renewal = billing.bank_invoice_issue(subscription=sub, plan=plan, interval="month", by="t")
    assert renewal.status == "paid"  # by the credit
    # for the period after the one paid, not again for days already paid
    assert renewal.period_start == invoice.period_end + timedelta(days=1)
    sub.refresh_from_db()
    assert sub.status == "suspended" and sub.current_period_end.date() == renewal.period_end

    console.tenant_reactivate(operator=admin, cooperative=tenant_a, reason="Sengketa selesai")
    sub.refresh_from_db()
    assert sub.status == "active" and sub.current_period_end.date() == renewal.period_end


def test_a_payment_lifts_a_suspension_for_an_unpaid_bill(operators, tenant_a):
    sub = _sub(tenant_a)
    plan = Plan.objects.get(code="sedang")
    invoice = billing.bank_invoice_issue(subscription=sub, plan=plan, interval="month", by="t")
    with transaction.atomic():  # the sweep's suspension after the grace, not an operator's
        _status_set(sub=_lock(sub), status="suspended", reason="grace over", actor="system")
    billing.bank_transfer_confirm(invoice=invoice, operator=operators["billing"])
    sub.refresh_from_db()
    assert sub.status == "active"


# -- delete -----------------------------------------------------------------------------


@pytest.fixture
def archived_b(tenant_b):
    billing.subscription_status_override(
        subscription=_sub(tenant_b), status="archived", operator="t", reason="setup"
    )
    tenant_b.refresh_from_db()
    return tenant_b


def test_delete_is_refused_while_the_cooperative_holds_credit(op_clients, archived_b):
    sub = _sub(archived_b)
    _give_credit(sub, 250_000)
    resp = op_clients["admin"].post(
        _url(archived_b, "delete"),
        {"reason": REASON, "confirm": "on", "confirm_slug": archived_b.slug},
    )
    assert resp.status_code == 200
    assert "saldo kredit Rp 250.000" in resp.content.decode()
    assert Cooperative.objects.filter(pk=archived_b.pk).exists()
    assert billing.credit_balance(subscription=sub) == 250_000

    # Refunded by bank, it may go.
    billing.credit_refund_record(
        subscription=sub, amount="250.000", reason="transfer balik", operator=_admin(op_clients)
    )
    resp = op_clients["admin"].post(
        _url(archived_b, "delete"),
        {"reason": REASON, "confirm": "on", "confirm_slug": archived_b.slug},
    )
    assert resp.status_code == 302
    assert not Cooperative.objects.filter(pk=archived_b.pk).exists()


def _admin(op_clients):
    from core.users.models import User

    return User.objects.get(username="admin@ops.lumbung.test")


def test_delete_is_refused_while_a_transfer_proof_awaits(op_clients, archived_b):
    sub = _sub(archived_b)
    invoice = billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    billing.bank_proof_upload(
        invoice=invoice, upload=_png(), by="bendahara", amount_claimed=invoice.amount_due
    )
    resp = op_clients["admin"].post(
        _url(archived_b, "delete"),
        {"reason": REASON, "confirm": "on", "confirm_slug": archived_b.slug},
    )
    assert resp.status_code == 200
    assert f"Bukti transfer tagihan {invoice.number} menunggu" in resp.content.decode()
    assert Invoice.objects.filter(pk=invoice.pk, status="awaiting_confirmation").exists()


# -- roles -------------------------------------------------------------------------------


def _actions(op, coop, invoice):
    plan = Plan.objects.get(code="besar")
    return {
        "record_payment": lambda: console.tenant_payment_record(
            operator=op,
            cooperative=coop,
            reason=REASON,
            invoice=invoice,
            amount_received=invoice.amount_due,
        ),
        "change_plan": lambda: console.tenant_plan_change(
            operator=op, cooperative=coop, plan=plan, interval="year", reason=REASON
        ),
        "extend_trial": lambda: console.tenant_trial_extend(
            operator=op, cooperative=coop, days=10, reason=REASON
        ),
        "suspend": lambda: console.tenant_suspend(operator=op, cooperative=coop, reason=REASON),
        "archive": lambda: console.tenant_archive(operator=op, cooperative=coop, reason=REASON),
        "refund_credit": lambda: console.tenant_credit_refund(
            operator=op, cooperative=coop, amount="1.000", reason=REASON
        ),
        "delete": lambda: console.tenant_delete(
            operator=op, cooperative=coop, confirm=coop.slug, reason=REASON
        ),
        "confirm_transfer": lambda: billing.bank_transfer_confirm(invoice=invoice, operator=op),
        "reject_transfer": lambda: billing.bank_transfer_reject(
            invoice=invoice, operator=op, reason=REASON
        ),
        "refund_credit_billing": lambda: billing.credit_refund_record(
            subscription=_sub(coop), amount="1.000", reason=REASON, operator=op
        ),
    }


ROLE_CASES = [
    ("support", "record_payment"),
    ("support", "change_plan"),
    ("support", "extend_trial"),
    ("support", "suspend"),
    ("support", "archive"),
    ("support", "refund_credit"),
    ("support", "delete"),
    ("support", "confirm_transfer"),
    ("support", "reject_transfer"),
    ("support", "refund_credit_billing"),
    ("billing", "archive"),
    ("billing", "delete"),
]


@pytest.mark.parametrize("role,action", ROLE_CASES, ids=[f"{r}-{a}" for r, a in ROLE_CASES])
def test_an_operator_without_the_role_is_refused_and_nothing_changes(
    operators, tenant_a, role, action
):
    sub = _sub(tenant_a)
    _give_credit(sub, 50_000)
    invoice = billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    if action == "reject_transfer":
        billing.bank_proof_upload(
            invoice=invoice, upload=_png(), by="bendahara", amount_claimed=invoice.amount_due
        )
    invoice.refresh_from_db()
    before = _books(tenant_a)
    audits = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        _actions(operators[role], tenant_a, invoice)[action]()
    assert refused.value.status_code == 403
    assert _books(tenant_a) == before
    assert AuditEvent.objects.count() == audits


def test_a_manual_payment_while_suspended_inside_a_paid_period_buys_the_next_period(
    op_clients, operators, tenant_a
):
    """An active cooperative paid until the end of its period is suspended by an
    operator; a payment recorded then pays the period after it, not days already paid."""
    plan = Plan.objects.get(code="sedang")
    client = op_clients["billing"]
    amount = _dots(plan.price_monthly)
    _pay(client, tenant_a, plan=plan.pk, amount=amount, payments_seen=_form_seen(client, tenant_a))
    first = Invoice.objects.get(subscription__cooperative=tenant_a, status="paid")
    console.tenant_suspend(operator=operators["admin"], cooperative=tenant_a, reason="Sengketa")

    resp = _pay(
        client, tenant_a, plan=plan.pk, amount=amount, payments_seen=_form_seen(client, tenant_a)
    )
    assert resp.status_code == 302
    second = Invoice.objects.filter(subscription__cooperative=tenant_a, status="paid").latest("pk")
    assert second.period_start == first.period_end + timedelta(days=1)
    sub = _sub(tenant_a)
    assert sub.current_period_end.date() == second.period_end and sub.status == "suspended"
