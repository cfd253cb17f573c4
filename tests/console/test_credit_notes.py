"""Operators see a cooperative's credit notes (nota retur) on its console page, under
the invoice each reduces, and billing operators download each as a PDF."""

import io

import pytest
from pypdf import PdfReader

from billing import services
from billing.models import CreditNote, Plan
from tests.billing.test_credit import _paid_sedang_yearly, _png
from tests.billing.test_credit_note_figures import (
    assert_invoice_figures_add_up,
    paid_with_credit_then_paid_twice,
)


def _period_paid_twice(tenant, operator):
    """Sedang yearly paid, then the next year transferred twice (Sedang and Besar) and
    both confirmed: the Sedang renewal's Rp 3.500.000 is credited, with a credit note."""
    sub, first = _paid_sedang_yearly(tenant, operator)
    renewal = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    other = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="year", by="admin"
    )
    assert other.period_start == renewal.period_start
    services.bank_proof_upload(
        invoice=other, upload=_png(), by="bendahara", amount_claimed=other.amount_due
    )
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    services.bank_transfer_confirm(invoice=other, operator=operator)
    return first, renewal, other, CreditNote.objects.get(subscription=sub)


@pytest.mark.django_db
def test_the_cooperatives_console_page_lists_its_credit_notes_under_the_invoice(
    op_clients, operators, tenant_a, tenant_b
):
    first, renewal, other, note = _period_paid_twice(tenant_a, operators["billing"])
    page = op_clients["support"].get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode()
    table = page[page.index("<h3>Tagihan</h3>") :]
    at_renewal, at_note, at_first = (
        table.index(renewal.number),
        table.index(note.number),
        table.index(first.number),
    )
    assert at_renewal < at_note < at_first
    row = table[at_note:at_first]
    assert f"Nota retur atas {renewal.number}" in row
    assert "Periode yang sama dibayar dua kali" in row
    assert "-Rp 3.500.000" in row and "DPP Rp 3.153.153 · PPN Rp 346.847" in row
    assert "/nota-retur/" not in row  # support operators: no PDF link (billing only)

    billing_page = op_clients["billing"].get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode()
    assert f'href="/billing/operator/nota-retur/{note.pk}/pdf/"' in billing_page
    # another cooperative's page does not show it
    beta = op_clients["billing"].get(f"/konsol/koperasi/{tenant_b.pk}/").content.decode()
    assert note.number not in beta


@pytest.mark.django_db
def test_billing_operators_download_a_credit_note_pdf(op_clients, operators, tenant_a):
    first, renewal, other, note = _period_paid_twice(tenant_a, operators["billing"])
    url = f"/billing/operator/nota-retur/{note.pk}/pdf/"
    assert op_clients["support"].get(url).status_code == 403
    response = op_clients["billing"].get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).split()
    )
    assert f"NOTA RETUR {note.number}" in text
    assert f"Mengurangi tagihan: {renewal.number}" in text
    assert "Total pengurangan Rp 3.500.000" in text
    assert op_clients["billing"].get("/billing/operator/nota-retur/999999/pdf/").status_code == 404
    transfers = op_clients["billing"].get("/billing/operator/transfer/").content.decode()
    assert "lalu nota retur bulan itu" in transfers  # the e-Faktur form says it holds them


@pytest.mark.django_db
def test_an_invoice_with_credit_applied_and_a_credit_note_adds_up_on_the_console(
    op_clients, operators, tenant_a
):
    sub, first, renewal, note = paid_with_credit_then_paid_twice(tenant_a, operators["billing"])
    page = op_clients["support"].get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode()
    table = page[page.index("<h3>Tagihan</h3>") :]
    row = table[table.index(renewal.number) : table.index(first.number)]
    assert_invoice_figures_add_up(row, renewal, note)


@pytest.mark.django_db
def test_the_operators_credit_note_pdf_is_named_without_slashes(op_clients, operators, tenant_a):
    *_, note = _period_paid_twice(tenant_a, operators["billing"])
    response = op_clients["billing"].get(f"/billing/operator/nota-retur/{note.pk}/pdf/")
    assert response.status_code == 200
    dashed = note.number.replace("/", "-")
    assert "/" not in dashed
    assert response["Content-Disposition"] == f'inline; filename="nota-retur-{dashed}.pdf"'
