"""A card invoice Stripe marked uncollectible (held here as void, with its void day) and
paid later: the months already reported stay as reported. The void invoice stays void
(in its month as issued and cancelled in the month of the void, or in neither when
voided in its own month); the payment is a re-issue, a new invoice with its own number,
dated the day the payment is recorded, for the same buyer as issued and at the same PPN
rate, paid, in that month's e-Faktur data, each naming the other on /langganan/ and in
the console. The same payment reported twice makes one re-issue (a database
constraint)."""

from datetime import datetime, time
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.audit import BillingAudit
from billing.efaktur import COLUMNS, efaktur_rows
from billing.models import BUYER_FIELDS, Invoice, Subscription
from billing.services import add_months
from core.audit.models import AuditEvent
from tenants.models import Cooperative

from .stripe_server import R, invoice_mark_uncollectible, invoice_pay
from .test_checkout import subscribe
from .test_dunning import _renewal_attempt, _set_card

DATE, DPP, PPN, REF, STATUS = 4, 8, 9, 11, 13
ORIGINAL = COLUMNS.index("FAKTUR_ASAL")


def _at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _rows(day) -> list[list]:
    return efaktur_rows(year=day.year, month=day.month)


def _failed_renewal(local_stripe, deliver, sub) -> Invoice:
    """Stripe's renewal of alpha's card subscription fails (a declining card): our copy
    is open, issued today (the clock's day, which is Stripe's too)."""
    local_stripe.call(_set_card, sub.stripe_customer_id, "4000000000000341")
    stripe_id = local_stripe.call(
        _renewal_attempt, sub.stripe_customer_id, sub.stripe_subscription_id
    )
    assert deliver("invoice.payment_failed", {"id": stripe_id}).status_code == 200
    inv = Invoice.objects.get(stripe_invoice_id=stripe_id)
    assert inv.status == Invoice.Status.OPEN and inv.issued_on == timezone.localdate()
    return inv


def _mark_uncollectible(local_stripe, deliver, inv: Invoice) -> Invoice:
    """Stripe marks it uncollectible; its next event re-fetches it: void, today."""
    local_stripe.call(invoice_mark_uncollectible, inv.stripe_invoice_id)
    deliver("invoice.payment_failed", {"id": inv.stripe_invoice_id})
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.VOID and inv.voided_on == timezone.localdate()
    return inv


def _pay(local_stripe, deliver, clock, sub, inv: Invoice, *, event_id=None):
    """The cooperative pays it anyway (Stripe allows it), at the clock's time."""

    def pay():
        _set_card(sub.stripe_customer_id, "4242424242424242")
        obj = invoice_pay(inv.stripe_invoice_id)
        assert obj.status == "paid"
        obj.status_transitions["paid_at"] = int(clock.now.timestamp())

    local_stripe.call(pay)
    return deliver("invoice.paid", {"id": inv.stripe_invoice_id}, event_id=event_id)


def _reissue_of(inv: Invoice) -> Invoice:
    [reissue] = Invoice.objects.filter(reissue_of=inv)
    return reissue


def test_paying_an_invoice_voided_the_next_month_leaves_both_months_as_reported(
    admin_client_a, stripe_plans, deliver, local_stripe, clock, settings
):
    settings.BILLING_PPN_RATE = Decimal("0.11")
    _, sub = subscribe(admin_client_a, deliver)
    issued_month = timezone.localdate()
    inv = _failed_renewal(local_stripe, deliver, sub)
    assert inv.ppn_rate == Decimal("0.11")
    issued_rows = _rows(issued_month)
    assert inv.number in [r[REF] for r in issued_rows]

    void_day = add_months(issued_month.replace(day=1), 1).replace(day=2)
    clock.now = _at(void_day)
    inv = _mark_uncollectible(local_stripe, deliver, inv)
    assert _rows(issued_month) == issued_rows
    void_rows = _rows(void_day)
    [cancel] = [r for r in void_rows if r[ORIGINAL] == inv.number]
    assert cancel[STATUS] == "batal" and cancel[DATE] == void_day.strftime("%d/%m/%Y")
    assert (cancel[DPP], cancel[PPN]) == (-int(inv.dpp), -int(inv.ppn))

    # Since it was issued, the cooperative renamed itself and entered an NPWP, and the
    # PPN rate went up: the payment's document still names the buyer as issued, at 11%.
    Cooperative.objects.filter(pk=sub.cooperative_id).update(name="Koperasi Nama Baru")
    Subscription.objects.filter(pk=sub.pk).update(npwp="01.234.567.8-901.000")
    settings.BILLING_PPN_RATE = Decimal("0.12")
    pay_day = add_months(issued_month.replace(day=1), 2).replace(day=10)
    clock.now = _at(pay_day)
    assert _pay(local_stripe, deliver, clock, sub, inv).status_code == 200

    # the months reported stay as reported
    assert _rows(issued_month) == issued_rows
    assert _rows(void_day) == void_rows
    # the void invoice stays void, on its day
    voided = Invoice.objects.get(pk=inv.pk)
    assert (voided.status, voided.voided_on, voided.paid_at) == (
        Invoice.Status.VOID,
        void_day,
        None,
    )
    # the payment is a re-issue: its own number, dated the payment day, paid
    reissue = _reissue_of(voided)
    assert reissue.number != voided.number and reissue.number.startswith(f"INV/{pay_day.year}/")
    assert reissue.status == Invoice.Status.PAID and reissue.voided_on is None
    assert reissue.issued_on == pay_day and reissue.paid_at == clock.now
    assert reissue.stripe_invoice_id == voided.stripe_invoice_id
    assert reissue.provider_number == voided.provider_number
    assert (reissue.plan_id, reissue.interval, reissue.kind) == (
        voided.plan_id,
        voided.interval,
        voided.kind,
    )
    assert (reissue.period_start, reissue.period_end) == (voided.period_start, voided.period_end)
    assert (reissue.amount, reissue.dpp, reissue.ppn, reissue.ppn_rate) == (
        voided.amount,
        voided.dpp,
        voided.ppn,
        Decimal("0.11"),
    )
    for field in BUYER_FIELDS:
        assert getattr(reissue, field) == getattr(voided, field), field
    assert reissue.buyer_name != "Koperasi Nama Baru" and reissue.buyer_npwp == ""
    # reported once, in the month of the payment
    pay_rows = _rows(pay_day)
    [row] = [r for r in pay_rows if r[REF] == reissue.number]
    assert row[STATUS] == "faktur" and row[DATE] == pay_day.strftime("%d/%m/%Y")
    assert (row[DPP], row[PPN]) == (int(voided.dpp), int(voided.ppn))
    assert not [r for r in pay_rows if voided.number in (r[REF], r[ORIGINAL])]
    # the payment restores the cooperative like any paid invoice
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE == sub.cooperative.status
    assert AuditEvent.objects.filter(
        action=BillingAudit.INVOICE_REISSUED, target_id=str(reissue.pk)
    ).exists()


def test_paying_an_invoice_voided_in_its_own_month_leaves_that_month_without_it(
    admin_client_a, stripe_plans, deliver, local_stripe, clock
):
    _, sub = subscribe(admin_client_a, deliver)
    issued_month = timezone.localdate()
    inv = _failed_renewal(local_stripe, deliver, sub)
    inv = _mark_uncollectible(local_stripe, deliver, inv)
    issued_rows = _rows(issued_month)
    assert not [r for r in issued_rows if inv.number in (r[REF], r[ORIGINAL])]

    pay_day = add_months(issued_month.replace(day=1), 2).replace(day=10)
    clock.now = _at(pay_day)
    _pay(local_stripe, deliver, clock, sub, inv)

    assert _rows(issued_month) == issued_rows
    next_month = add_months(issued_month.replace(day=1), 1)
    assert not [r for r in _rows(next_month) if inv.number in (r[REF], r[ORIGINAL])]
    voided = Invoice.objects.get(pk=inv.pk)
    assert voided.status == Invoice.Status.VOID and voided.voided_on == issued_month
    reissue = _reissue_of(voided)
    assert [r[STATUS] for r in _rows(pay_day) if r[REF] == reissue.number] == ["faktur"]


def test_the_same_payment_reported_twice_makes_one_reissue(
    admin_client_a, stripe_plans, deliver, local_stripe, clock
):
    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    inv = _mark_uncollectible(local_stripe, deliver, inv)
    clock.now = _at(add_months(timezone.localdate().replace(day=1), 1).replace(day=5))
    first = _pay(local_stripe, deliver, clock, sub, inv)
    reissue = _reissue_of(inv)
    rows = _rows(reissue.issued_on)
    # the same event delivered again, and another event reporting the same payment
    deliver("invoice.paid", {"id": inv.stripe_invoice_id}, event_id=first.event_id)
    deliver("invoice.paid", {"id": inv.stripe_invoice_id})
    deliver("invoice.payment_failed", {"id": inv.stripe_invoice_id})
    assert _reissue_of(inv).pk == reissue.pk
    assert Invoice.objects.filter(stripe_invoice_id=inv.stripe_invoice_id).count() == 2
    assert _rows(reissue.issued_on) == rows
    assert Invoice.objects.get(pk=inv.pk).status == Invoice.Status.VOID


def test_the_database_refuses_a_second_reissue_and_a_void_invoice_coming_back(
    admin_client_a, stripe_plans, deliver, local_stripe, clock
):
    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    inv = _mark_uncollectible(local_stripe, deliver, inv)
    _pay(local_stripe, deliver, clock, sub, inv)
    reissue = _reissue_of(inv)
    second = {
        f.attname: getattr(reissue, f.attname)
        for f in Invoice._meta.concrete_fields
        if f.attname not in ("id", "number", "created_at")
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(number="INV/1999/000001", **second)
    # one copy of a Stripe invoice that is not a re-issue
    first_copy = {**second, "reissue_of_id": None, "status": "open", "paid_at": None}
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(number="INV/1999/000002", **first_copy)
    # a void invoice is never paid or reopened (its months are reported)
    for status in ("paid", "open"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=inv.pk).update(
                status=status, voided_on=None, paid_at=timezone.now()
            )
    # only a void invoice is re-issued
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=reissue.pk).update(
            reissue_of=sub.invoices.exclude(pk__in=[inv.pk, reissue.pk]).first()
        )


def _squash(response) -> str:
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_both_documents_are_shown_each_naming_the_other(
    admin_client_a, stripe_plans, deliver, local_stripe, clock, operator, tenant_a, admin_a
):
    from tests.console.conftest import verified_client

    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    inv = _mark_uncollectible(local_stripe, deliver, inv)
    clock.now = _at(add_months(timezone.localdate().replace(day=1), 1).replace(day=5))
    _pay(local_stripe, deliver, clock, sub, inv)
    reissue = _reissue_of(inv)

    # a month on, the admin logs in again
    connection.set_tenant(tenant_a)
    try:
        admin_client_a.force_login(admin_a)
    finally:
        connection.set_schema_to_public()
    page = _squash(admin_client_a.get("/langganan/"))
    listed = page.split("Tagihan dan kuitansi", 1)[1]
    void_row = listed.split(f"<td>{inv.number}</td>", 1)[1].split("</tr>", 1)[0]
    reissue_row = listed.split(f"<td>{reissue.number}</td>", 1)[1].split("</tr>", 1)[0]
    assert (
        "Dibatalkan" in void_row
        and f"dibayar kemudian: diterbitkan ulang sebagai {reissue.number}" in void_row
    )
    assert "Lunas" in reissue_row and f"penerbitan ulang atas {inv.number}" in reissue_row

    console = _squash(verified_client(operator).get(f"/konsol/koperasi/{sub.cooperative_id}/"))
    c_void = console.split(f">{inv.number}</a>", 1)[1].split("</tr>", 1)[0]
    c_reissue = console.split(f">{reissue.number}</a>", 1)[1].split("</tr>", 1)[0]
    assert "Dibatalkan" in c_void and f"diterbitkan ulang sebagai {reissue.number}" in c_void
    assert "Lunas" in c_reissue and f"penerbitan ulang atas {inv.number}" in c_reissue
    # the PDFs say so too
    from billing.pdf import invoice_html

    assert f"diterbitkan ulang sebagai {reissue.number}" in invoice_html(invoice=inv)
    assert f"Penerbitan ulang atas tagihan {inv.number}" in invoice_html(invoice=reissue)


def test_a_void_invoice_still_void_at_stripe_stays_as_it_was(
    admin_client_a, stripe_plans, deliver, local_stripe, clock
):
    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    inv = _mark_uncollectible(local_stripe, deliver, inv)
    clock.now = _at(add_months(timezone.localdate().replace(day=1), 1).replace(day=5))
    deliver("invoice.payment_failed", {"id": inv.stripe_invoice_id})
    again = Invoice.objects.get(pk=inv.pk)
    assert (again.status, again.voided_on) == (Invoice.Status.VOID, inv.voided_on)
    assert not Invoice.objects.filter(reissue_of=inv).exists()
    assert local_stripe.call(lambda: R.Invoice._api_retrieve(inv.stripe_invoice_id).status) == (
        "uncollectible"
    )


def test_only_a_void_invoice_is_reissued(subscription_a):
    from billing import services
    from billing.models import Plan
    from core.common.errors import ApplicationError

    inv = services.bank_invoice_issue(
        subscription=subscription_a, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    with pytest.raises(ApplicationError) as refused:
        services.invoice_reissue_paid(void=inv, charged=inv.amount, paid_at=timezone.now())
    assert refused.value.code == "status_invalid" and inv.number in refused.value.message
    assert not Invoice.objects.filter(reissue_of=inv).exists()
    assert Invoice.objects.get(pk=inv.pk).status == Invoice.Status.OPEN
