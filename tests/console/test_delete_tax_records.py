"""Deleting a cooperative keeps its tax records: the invoices and credit notes (nota
retur) already issued stay, with the buyer's name, NPWP and address as issued, so the
e-Faktur data of every past month is the same before and after (Indonesian tax records
are kept for 10 years). Its subscription, credit ledger and transfer proofs go; what is
kept no longer points at it and is never reminded, listed for confirmation or overdue."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing import services as billing
from billing.efaktur import efaktur_csv, efaktur_rows
from billing.models import CreditEntry, CreditNote, Invoice, Plan, Subscription
from billing.pdf import credit_note_html, invoice_html
from billing.selectors import invoices_overdue, transfers_awaiting
from lumbung.console import services as console
from tenants.models import Cooperative
from tests.billing.conftest import Clock
from tests.console.conftest import make_operator

pytestmark = pytest.mark.django_db

BUYER_NPWP = "02.345.678.9-012.000"
ADDRESS = "Jl. Tjilik Riwut Km 5, Palangka Raya"


@pytest.fixture
def clock(monkeypatch):
    c = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", c)
    return c


def _png():
    return SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")


def _months(sub) -> list[tuple[int, int]]:
    days = [*sub.invoices.values_list("issued_on", flat=True)]
    days += [*sub.credit_notes.values_list("issued_on", flat=True)]
    return sorted({(d.year, d.month) for d in days})


@pytest.fixture
def invoiced_and_archived(tenant_b, clock):
    """Beta paid a year of Sedang, transferred the next year twice (the renewal and a
    Besar invoice: the renewal credited with a credit note, the credit refunded by
    bank), left a Kecil invoice open, and was archived a month later."""
    ops = make_operator("admin", "admin-tax@ops.lumbung.test")
    sub = Subscription.objects.get(cooperative=tenant_b)
    billing.subscription_tax_details_set(
        subscription=sub, npwp=BUYER_NPWP, address=ADDRESS, by="admin"
    )
    Subscription.objects.filter(pk=sub.pk).update(trial_ends_at=timezone.now())
    sedang, besar = Plan.objects.get(code="sedang"), Plan.objects.get(code="besar")
    first = billing.bank_invoice_issue(subscription=sub, plan=sedang, interval="year", by="t")
    billing.bank_transfer_confirm(invoice=first, operator=ops)
    sub.refresh_from_db()

    clock.now = sub.current_period_end - timedelta(days=10)
    billing.billing_sweep(now=clock.now)
    renewal = Invoice.objects.get(subscription=sub, kind="subscription", status="open")
    billing.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    other = billing.bank_invoice_issue(subscription=sub, plan=besar, interval="year", by="t")
    billing.bank_proof_upload(
        invoice=other, upload=_png(), by="bendahara", amount_claimed=other.amount_due
    )
    billing.bank_transfer_confirm(invoice=renewal, operator=ops)
    billing.bank_transfer_confirm(invoice=other, operator=ops)
    assert CreditNote.objects.filter(invoice=renewal).exists()
    billing.credit_refund_record(
        subscription=sub,
        amount=billing.credit_balance(subscription=sub),
        reason="transfer balik",
        operator=ops,
    )
    left_open = billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    assert left_open.status == Invoice.Status.OPEN

    clock.advance(days=40)
    console.tenant_archive(operator=ops, cooperative=tenant_b, reason="berhenti")
    tenant_b.refresh_from_db()
    return ops, sub, left_open


def test_deleting_a_cooperative_keeps_every_past_months_efaktur_data(invoiced_and_archived):
    ops, sub, left_open = invoiced_and_archived
    coop = sub.cooperative
    months = _months(sub)
    assert len(months) >= 2
    before = {m: efaktur_csv(year=m[0], month=m[1]) for m in months}
    rows_before = {m: efaktur_rows(year=m[0], month=m[1]) for m in months}
    assert any(row[6] == coop.name for rows in rows_before.values() for row in rows)
    assert any(row[13] == "nota_retur" for rows in rows_before.values() for row in rows)
    invoices = set(sub.invoices.values_list("number", flat=True))
    notes = set(sub.credit_notes.values_list("number", flat=True))

    console.tenant_delete(operator=ops, cooperative=coop, confirm=coop.slug, reason="tutup")

    assert not Cooperative.objects.filter(pk=coop.pk).exists()
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    assert not CreditEntry.objects.filter(subscription_id=sub.pk).exists()
    assert {m: efaktur_csv(year=m[0], month=m[1]) for m in months} == before
    assert {m: efaktur_rows(year=m[0], month=m[1]) for m in months} == rows_before
    kept = Invoice.objects.filter(number__in=invoices)
    assert kept.count() == len(invoices) and not kept.exclude(subscription=None).exists()
    assert set(CreditNote.objects.filter(subscription=None).values_list("number", flat=True)) >= (
        notes
    )
    # Each kept invoice still says who it was issued to, and its documents still render.
    for inv in kept:
        assert inv.buyer_name == coop.name and inv.buyer_npwp == BUYER_NPWP
        assert coop.name in invoice_html(invoice=inv)
    for note in CreditNote.objects.filter(number__in=notes):
        assert note.credit_entry is None and note.credit_reason == "duplicate_payment"
        html = credit_note_html(note=note)
        assert coop.name in html and note.invoice.number in html
        assert "Pengurangan harga: periode yang sama dibayar dua kali" in html
    # A deleted cooperative's unpaid invoice is nobody's to confirm, remind or chase.
    assert not transfers_awaiting().filter(pk=left_open.pk).exists()
    assert left_open.pk not in [i.pk for i in invoices_overdue(today=timezone.localdate())]


def test_the_operators_pages_still_open_after_a_cooperative_is_deleted(
    invoiced_and_archived, op_clients
):
    ops, sub, left_open = invoiced_and_archived
    coop = sub.cooperative
    note = CreditNote.objects.filter(subscription=sub).first()
    console.tenant_delete(operator=ops, cooperative=coop, confirm=coop.slug, reason="tutup")
    client = op_clients["billing"]
    for url in (
        "/konsol/",
        "/billing/operator/transfer/",
        f"/billing/operator/nota-retur/{note.pk}/pdf/",
    ):
        assert client.get(url).status_code == 200, url


def test_operators_download_a_deleted_cooperatives_invoice_pdf(invoiced_and_archived, op_clients):
    """As a credit note's: billing and admin operators only, by the invoice's number
    (what the e-Faktur data lists), the cooperative named as issued."""
    import io

    from pypdf import PdfReader

    ops, sub, left_open = invoiced_and_archived
    coop = sub.cooperative
    paid = sub.invoices.filter(status="paid").order_by("number").first()
    url = f"/billing/operator/tagihan/{paid.number}/pdf/"
    page = op_clients["billing"].get(f"/konsol/koperasi/{coop.pk}/").content.decode()
    assert f'href="{url}"' in page
    console.tenant_delete(operator=ops, cooperative=coop, confirm=coop.slug, reason="tutup")

    assert op_clients["support"].get(url).status_code == 403
    response = op_clients["billing"].get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    dashed = paid.number.replace("/", "-")
    assert response["Content-Disposition"] == f'inline; filename="kuitansi-{dashed}.pdf"'
    text = " ".join(
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).split()
    )
    assert paid.number in text and coop.name in text and BUYER_NPWP in text
    unpaid = op_clients["billing"].get(f"/billing/operator/tagihan/{left_open.number}/pdf/")
    assert unpaid["Content-Disposition"].startswith('inline; filename="tagihan-')
    missing = op_clients["billing"].get("/billing/operator/tagihan/INV/1999/000001/pdf/")
    assert missing.status_code == 404
