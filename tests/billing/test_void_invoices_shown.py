"""The cooperative's billing page (/langganan/) lists its void invoices too: a board
member who got invoice N by e-mail finds it, marked *Dibatalkan* with the day it was
made void (and the credit it gave back, and any credit note on it), with no transfer
instructions nor proof upload, and not in what is owed."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing import services
from billing.models import CreditEntry, CreditNote, Invoice, Plan, Subscription
from billing.services.credit import _credit_move
from core.common.dates import format_date
from core.common.money import format_rupiah


def _page(client) -> str:
    response = client.get("/langganan/")
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def _row(page: str, number: str) -> str:
    """The invoice's row in the list of invoices (the credit table names it too)."""
    invoices = page.split("Tagihan dan kuitansi", 1)[1]
    return invoices.split(f"<td>{number}</td>", 1)[1].split("</tr>", 1)[0]


def _next_invoice_card(page: str) -> str:
    return page.split("Tagihan berikutnya", 1)[1].split("</div>", 1)[0]


def _paying_by_transfer(tenant) -> Subscription:
    Subscription.objects.filter(cooperative=tenant).update(provider="bank_transfer")
    return Subscription.objects.select_related("plan", "cooperative").get(cooperative=tenant)


def test_a_void_invoice_is_listed_as_dibatalkan_and_not_owed(tenant_a, admin_client_a):
    sub = _paying_by_transfer(tenant_a)
    kecil, sedang = Plan.objects.get(code="kecil"), Plan.objects.get(code="sedang")
    # during the trial the cooperative asks Kecil, then changes its mind: Kecil's
    # invoice is void, Sedang's is the one to pay
    voided = services.bank_invoice_issue(subscription=sub, plan=kecil, interval="year", by="t")
    services.plan_change(subscription=sub, plan=sedang, interval="month", by="t")
    voided.refresh_from_db()
    assert voided.status == Invoice.Status.VOID
    due = services.bank_invoice_issue(subscription=sub, plan=sedang, interval="month", by="t")
    assert voided.amount != due.amount

    page = _page(admin_client_a)
    row = _row(page, voided.number)
    assert "Dibatalkan" in row
    assert f"dibatalkan {format_date(timezone.localdate())}" in row
    assert "tidak perlu dibayar" in row
    assert format_rupiah(voided.amount) in row
    # no way to pay it: the transfer card and the proof upload are the open invoice's
    assert f"/langganan/transfer/{voided.number}/bukti/" not in page
    assert f"/langganan/transfer/{due.number}/bukti/" in page
    assert voided.reference not in page
    # what is owed is the open invoice's figure, not the void one's
    card = _next_invoice_card(page)
    assert format_rupiah(due.amount_due) in card
    assert format_rupiah(voided.amount) not in card
    # its PDF (stamped DIBATALKAN) is still there to compare with the e-mail's
    assert f'href="/langganan/tagihan/{voided.number}/pdf/"' in row


def test_a_void_invoice_shows_the_credit_it_gave_back_and_its_credit_note(tenant_a, admin_client_a):
    sub = _paying_by_transfer(tenant_a)
    kecil = Plan.objects.get(code="kecil")
    with transaction.atomic():
        _credit_move(
            sub=sub, amount=Decimal(25_000), reason=CreditEntry.Reason.DUPLICATE_PAYMENT, by="t"
        )
    inv = services.bank_invoice_issue(subscription=sub, plan=kecil, interval="month", by="t")
    assert inv.credit_applied == Decimal(25_000)
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.VOID
    note = CreditNote.objects.create(
        subscription=sub,
        invoice=inv,
        number=f"{inv.number}-R1",
        issued_on=timezone.localdate(),
        amount=Decimal(11_100),
        dpp=Decimal(10_000),
        ppn=Decimal(1_100),
        ppn_rate=Decimal("0.11"),
        buyer_name=inv.buyer_name or "KPRI Alpha",
    )

    page = _page(admin_client_a)
    row = _row(page, inv.number)
    assert "Dibatalkan" in row
    assert f"kredit {format_rupiah(Decimal(25_000))} dikembalikan ke saldo" in row
    assert "jumlah transfer" not in row  # nothing to transfer on a void invoice
    note_row = page.split(f"<td>↳ {note.number}</td>", 1)[1].split("</tr>", 1)[0]
    assert f"Nota retur atas {inv.number}" in note_row
    assert f'href="/langganan/nota-retur/{note.number}/pdf/"' in note_row
    assert page.index(inv.number) < page.index(note.number)
