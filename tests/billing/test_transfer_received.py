"""An operator records the amount a bank transfer actually brought against an invoice
(billing.bank_transfer_receive; the console's *Catat pembayaran*): less than due leaves
the invoice open for the rest, shown to both sides; more pays it and the excess is the
cooperative's credit, taken off the next invoice and shown on both; refused, nothing
written, for an amount of zero or less, more than twice the invoice, or an invoice paid
or void. The money moves through the credit ledger (CreditEntry), as every other
transfer money not owed does: no second payment table."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services as billing
from billing.models import CreditEntry, Invoice, Plan, Subscription
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from tests.billing.conftest import login_operator

pytestmark = pytest.mark.django_db


def _sub(coop) -> Subscription:
    Subscription.objects.filter(cooperative=coop).update(trial_ends_at=timezone.now())
    return Subscription.objects.get(cooperative=coop)


def _invoice(sub) -> Invoice:
    return billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )


def _ledger(sub) -> list:
    return list(
        CreditEntry.objects.filter(subscription=sub)
        .order_by("seq")
        .values_list("reason", "amount", "balance_after", "invoice__number")
    )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_partial_transfer_leaves_the_invoice_open_for_the_rest(tenant_a, operator):
    sub = _sub(tenant_a)
    inv = _invoice(sub)
    price = inv.amount
    done = billing.bank_transfer_receive(
        invoice=inv, operator=operator, amount=Decimal(100_000), note="Mutasi BCA 3/12"
    )
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN
    assert inv.amount == price  # the tax invoice is unchanged
    assert inv.amount_due == price - 100_000 == done.remaining
    assert done.excess == 0
    assert _ledger(sub) == [
        ("payment_received", Decimal(100_000), Decimal(100_000), inv.number),
        ("applied", Decimal(-100_000), Decimal(0), inv.number),
    ]
    event = AuditEvent.objects.get(action="billing.bank_transfer_partial")
    assert event.reason == "Mutasi BCA 3/12"
    assert event.data["received"] == "100000" and event.data["remaining"] == str(price - 100_000)
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.TRIAL  # nothing about access changed

    # The rest arrives: paid, active.
    rest = billing.bank_transfer_receive(invoice=inv, operator=operator, amount=inv.amount_due)
    inv.refresh_from_db()
    sub.refresh_from_db()
    assert inv.status == Invoice.Status.PAID and rest.remaining == 0 and rest.excess == 0
    assert sub.status == Subscription.Status.ACTIVE
    assert billing.credit_balance(subscription=sub) == 0


def test_an_overpayment_pays_the_invoice_and_the_excess_goes_onto_the_next_one(
    tenant_a, operator, clock
):
    sub = _sub(tenant_a)
    inv = _invoice(sub)
    done = billing.bank_transfer_receive(
        invoice=inv, operator=operator, amount=inv.amount_due + 50_000
    )
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID and done.excess == Decimal(50_000)
    assert _ledger(sub)[-1] == ("overpayment", Decimal(50_000), Decimal(50_000), inv.number)
    assert AuditEvent.objects.filter(
        action="billing.bank_transfer_overpaid", data__excess="50000"
    ).exists()

    sub.refresh_from_db()
    clock.now = sub.current_period_end - timezone.timedelta(days=5)
    billing.billing_sweep(now=clock.now)
    renewal = Invoice.objects.get(subscription=sub, status="open")
    assert renewal.credit_applied == Decimal(50_000)
    assert renewal.amount_due == renewal.amount - 50_000
    assert billing.credit_balance(subscription=sub) == 0


@pytest.mark.parametrize("amount", [0, -5, Decimal("10.5")])
def test_an_amount_not_whole_rupiah_above_zero_is_refused_nothing_written(
    tenant_a, operator, amount
):
    sub = _sub(tenant_a)
    inv = _invoice(sub)
    with pytest.raises(ApplicationError) as err:
        billing.bank_transfer_receive(invoice=inv, operator=operator, amount=amount)
    assert err.value.code == "amount_received_invalid"
    assert "rupiah utuh lebih dari nol" in err.value.message
    inv.refresh_from_db()
    assert inv.status == "open" and inv.credit_applied == 0 and _ledger(sub) == []


def test_more_than_twice_the_invoice_is_refused_saying_why(tenant_a, operator):
    sub = _sub(tenant_a)
    inv = _invoice(sub)
    with pytest.raises(ApplicationError) as err:
        billing.bank_transfer_receive(invoice=inv, operator=operator, amount=2 * inv.amount + 1)
    assert err.value.code == "amount_received_invalid"
    assert "lebih dari dua kali tagihan" in err.value.message
    assert _ledger(sub) == []
    # twice is still taken (a transfer made twice)
    billing.bank_transfer_receive(invoice=inv, operator=operator, amount=2 * inv.amount)
    assert billing.credit_balance(subscription=sub) == inv.amount


@pytest.mark.parametrize("status", ["paid", "void"])
def test_a_paid_or_void_invoice_is_refused(tenant_a, operator, status):
    sub = _sub(tenant_a)
    inv = _invoice(sub)
    if status == "paid":
        billing.bank_transfer_confirm(invoice=inv, operator=operator)
    else:
        billing.bank_invoice_issue(
            subscription=sub, plan=Plan.objects.get(code="besar"), interval="month", by="t"
        )
    inv.refresh_from_db()
    assert inv.status == status
    before = _ledger(sub)
    with pytest.raises(ApplicationError) as err:
        billing.bank_transfer_receive(invoice=inv, operator=operator, amount=Decimal(1000))
    assert err.value.code == "invoice_not_payable"
    assert inv.number in err.value.message
    assert _ledger(sub) == before


def test_a_proof_awaiting_the_operator_answered_with_a_partial_amount_reopens_for_the_rest(
    tenant_a, operator, admin_client_a
):
    """The cooperative sees what was received and what is left on its billing page."""
    sub = _sub(tenant_a)
    inv = _invoice(sub)
    Invoice.objects.filter(pk=inv.pk).update(status="awaiting_confirmation")
    billing.bank_transfer_receive(invoice=inv, operator=operator, amount=Decimal(100_000))
    inv.refresh_from_db()
    assert inv.status == "open"
    page = _text(admin_client_a.get("/langganan/").content.decode())
    rest = f"{int(inv.amount_due):,}".replace(",", ".")
    assert (
        f"transfer Rp 100.000 sudah diterima, kurang dari tagihan. Sisa yang perlu ditransfer Rp {rest}"
        in page
    )
    assert f"Transfer Rp {rest} ke" in page
    assert "dikurangi kredit" not in page  # what was received is not called credit


def test_the_operator_sees_received_rest_and_excess_on_the_invoices(
    tenant_a, operator, client_public
):
    sub = _sub(tenant_a)
    inv = _invoice(sub)
    billing.bank_transfer_receive(invoice=inv, operator=operator, amount=Decimal(100_000))
    login_operator(client_public, operator)
    text = _text(client_public.get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode())
    rest = f"{int(inv.amount - 100_000):,}".replace(",", ".")
    assert f"sudah diterima Rp 100.000 sisa yang perlu ditransfer Rp {rest}" in text
    inv.refresh_from_db()
    billing.bank_transfer_receive(invoice=inv, operator=operator, amount=inv.amount_due + 7_000)
    text = _text(client_public.get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode())
    assert "kelebihan transfer Rp 7.000 menjadi kredit" in text
    assert "Saldo kredit: Rp 7.000" in text


def test_both_invoices_say_it_on_their_documents(tenant_a, operator, clock):
    """The partly paid invoice says what was received and what is left; overpaid, it
    says the excess became credit; the next invoice takes that credit off."""
    from billing.pdf import invoice_html

    sub = _sub(tenant_a)
    inv = _invoice(sub)
    billing.bank_transfer_receive(invoice=inv, operator=operator, amount=Decimal(100_000))
    inv.refresh_from_db()
    text = _text(invoice_html(invoice=inv))
    rest = f"{int(inv.amount_due):,}".replace(",", ".")
    assert "Sudah diterima (transfer sebagian) Rp 100.000" in text
    assert f"Sisa yang perlu ditransfer Rp {rest}" in text
    assert "Dikurangi kredit" not in text

    billing.bank_transfer_receive(invoice=inv, operator=operator, amount=inv.amount_due + 25_000)
    inv.refresh_from_db()
    text = _text(invoice_html(invoice=inv))
    assert "Kelebihan transfer, menjadi kredit untuk tagihan berikutnya Rp 25.000" in text
    assert "LUNAS" in text

    sub.refresh_from_db()
    clock.now = sub.current_period_end - timezone.timedelta(days=5)
    billing.billing_sweep(now=clock.now)
    renewal = Invoice.objects.get(subscription=sub, status="open")
    text = _text(invoice_html(invoice=renewal))
    assert "Dikurangi kredit Rp 25.000" in text


def test_a_partly_paid_transfer_names_bank_transfer_as_the_way_of_paying(
    tenant_a, operator, client_public
):
    """A trial cooperative that asked for a bank-transfer invoice and paid part of it has
    chosen bank transfer: the console's *Cara bayar* says so, with what was received and
    what is left (it said 'Belum memilih')."""
    sub = _sub(tenant_a)
    assert sub.provider == ""
    inv = _invoice(sub)
    billing.bank_transfer_receive(invoice=inv, operator=operator, amount=Decimal(100_000))
    inv.refresh_from_db()
    login_operator(client_public, operator)
    text = _text(client_public.get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode())
    way = text.split("Cara bayar", 1)[1].split("Anggota aktif", 1)[0]
    assert "Belum memilih" not in way
    rest = f"{int(inv.amount_due):,}".replace(",", ".")
    assert f"Transfer bank · {inv.number}: diterima Rp 100.000, sisa Rp {rest}" in way, way
