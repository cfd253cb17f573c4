"""The cooperative sees its credit notes (nota retur) on /langganan/ under the invoice
each reduces, and downloads each as a PDF in Indonesian (number, date, the invoice it
reduces, DPP, PPN, total, reason, both parties' NPWP); never another cooperative's."""

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format

from billing import services
from billing.models import CreditNote, Plan
from tests.billing.test_credit import _paid_sedang_yearly, _png, _renewal_issued
from tests.pdfs import pdf_text

SELLER_NPWP = "01.234.567.8-901.000"
BUYER_NPWP = "02.345.678.9-012.000"


def _client(tenant, client: Client, username: str) -> Client:
    from core.users.models import User

    connection.set_tenant(tenant)
    try:
        client.force_login(User.objects.get(username=username))
    finally:
        connection.set_schema_to_public()
    return client


def _id(d) -> str:
    with translation.override("id"):
        return date_format(d, "j F Y")


@pytest.fixture
def period_paid_twice(tenant_a, operator, clock, settings):
    """Sedang yearly paid; the next year transferred twice (the Sedang renewal and a
    Besar invoice for the same period), both confirmed: the renewal's Rp 3.500.000 is
    credited with a credit note on it."""
    settings.BILLING_SELLER_NPWP = SELLER_NPWP
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    services.subscription_tax_details_set(
        subscription=sub, npwp=BUYER_NPWP, address="Jl. Merdeka 1, Palangka Raya", by="admin"
    )
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    other = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="year", by="admin"
    )
    services.bank_proof_upload(
        invoice=other, upload=_png(), by="bendahara", amount_claimed=other.amount_due
    )
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    services.bank_transfer_confirm(invoice=other, operator=operator)
    note = CreditNote.objects.get(subscription=sub)
    renewal.refresh_from_db()
    return sub, first, renewal, other, note


def test_the_billing_page_lists_each_credit_note_under_the_invoice_it_reduces(
    period_paid_twice, tenant_a, client_a, admin_a
):
    sub, first, renewal, other, note = period_paid_twice
    assert note.number == f"{renewal.number}-R1"
    page = _client(tenant_a, client_a, admin_a.username).get("/langganan/").content.decode()
    table = page[page.index("Tagihan dan kuitansi") :]
    # newest first: the Besar invoice, the renewal with its note right under it, the first
    at_other, at_renewal = table.index(other.number), table.index(renewal.number)
    at_note, at_first = table.index(note.number), table.index(first.number)
    assert at_other < at_renewal < at_note < at_first
    row = table[at_note:at_first]
    assert "Nota retur" in row and "Periode yang sama dibayar dua kali" in row
    assert "-Rp 3.500.000" in row
    assert "DPP Rp 3.153.153 · PPN Rp 346.847" in row
    assert f'href="/langganan/nota-retur/{note.number}/pdf/"' in row


def test_the_credit_note_pdf_shows_what_the_tax_office_needs(
    period_paid_twice, tenant_a, client_a, admin_a
):
    sub, first, renewal, other, note = period_paid_twice
    client = _client(tenant_a, client_a, admin_a.username)
    response = client.get(f"/langganan/nota-retur/{note.number}/pdf/")
    dashed = note.number.replace("/", "-")
    assert f'filename="nota-retur-{dashed}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response)
    for expected in (
        f"NOTA RETUR {note.number}",
        f"Tanggal nota: {_id(note.issued_on)}",
        f"Mengurangi tagihan: {renewal.number} tanggal {_id(renewal.issued_on)}",
        "(total Rp 3.500.000)",
        "Dasar Pengenaan Pajak (DPP) dikurangi Rp 3.153.153",
        "PPN 11% dikurangi Rp 346.847",
        "Total pengurangan Rp 3.500.000",
        "Pengurangan harga: periode yang sama dibayar dua kali",
        f"Keterangan: Periode yang sama dibayar lagi dengan tagihan {other.number}",
        f"NPWP {SELLER_NPWP}",
        f"NPWP {BUYER_NPWP}",
        "Jl. Merdeka 1, Palangka Raya",
        "KPRI Alpha",
    ):
        assert expected in text, (expected, text)


def test_a_cooperative_never_sees_or_downloads_another_ones_credit_note(
    period_paid_twice, tenant_a, client_a, admin_a, tenant_b, client_b
):
    sub, first, renewal, other, note = period_paid_twice
    own = _client(tenant_a, client_a, admin_a.username)
    assert own.get(f"/langganan/nota-retur/{note.number}/pdf/").status_code == 200
    client = _client(tenant_b, client_b, "admin@beta.test")
    page = client.get("/langganan/")
    assert page.status_code == 200 and note.number not in page.content.decode()
    assert client.get(f"/langganan/nota-retur/{note.number}/pdf/").status_code == 404
    assert client.get(f"/langganan/nota-retur/{note.number}x/pdf/").status_code == 404
    assert client.get(f"/langganan/tagihan/{renewal.number}/pdf/").status_code == 404
