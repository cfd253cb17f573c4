"""Invoice / receipt and credit note (nota retur) PDFs (WeasyPrint). A document names
its buyer from what was copied onto it when issued (buyer_*; billing/_buyer.html),
never from the cooperative: made again after a rename or a deletion, it is the same."""

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .models import CreditNote, Invoice
from .selectors import invoices_with_receipts


def document_filename(*, kind: str, number: str, ext: str) -> str:
    """A download name for a document: ``kuitansi-INV-2026-000001.pdf``. Our numbers
    hold slashes (``INV/2026/000001``), which no file name may: every character but
    letters, digits, dot, dash and underscore becomes a dash."""
    return f"{kind}-{re.sub(r'[^A-Za-z0-9._-]', '-', number)}.{ext}"


def pdf_filename(*, kind: str, number: str) -> str:
    return document_filename(kind=kind, number=number, ext="pdf")


def invoice_filename(*, invoice: Invoice) -> str:
    """``kuitansi-…`` for a paid invoice (a receipt), else ``tagihan-…``."""
    kind = "kuitansi" if invoice.status == Invoice.Status.PAID else "tagihan"
    return pdf_filename(kind=kind, number=invoice.number)


def _percent(rate) -> str:
    return f"{rate * 100:.2f}".rstrip("0").rstrip(".") if rate is not None else ""


def _seller() -> dict:
    return {
        "seller_name": settings.BILLING_SELLER_NAME,
        "seller_npwp": settings.BILLING_SELLER_NPWP,
        "seller_address": settings.BILLING_SELLER_ADDRESS,
    }


def invoice_context(*, invoice: Invoice) -> dict:
    """What the invoice PDF shows. An upgrade's invoice that also tops up later periods
    lists them as lines of their own (``differences``), after the rest of the current
    period (``first_dpp``: its DPP, the invoice's less theirs)."""
    differences = list(invoice.differences.select_related("renewal").order_by("period_start"))
    first_dpp = None
    if differences and invoice.dpp is not None:
        first_dpp = invoice.dpp - sum(line.dpp for line in differences)
    receipts = invoices_with_receipts(Invoice.objects.filter(pk=invoice.pk)).values(
        "received", "excess", "credit_taken"
    )[0]
    return {
        "invoice": invoice,
        # transfers recorded against it (bank_transfer_receive) and the credit taken off it
        **receipts,
        "differences": differences,
        "first_dpp": first_dpp,
        "is_receipt": invoice.status == Invoice.Status.PAID,
        # made void (voided_on): stamped so, no transfer asked for
        "is_void": invoice.status == Invoice.Status.VOID,
        "bank_name": settings.BILLING_BANK_NAME,
        "bank_account_number": settings.BILLING_BANK_ACCOUNT_NUMBER,
        "bank_account_holder": settings.BILLING_BANK_ACCOUNT_HOLDER,
        **_seller(),
        "ppn_percent": _percent(invoice.ppn_rate),
    }


def invoice_html(*, invoice: Invoice) -> str:
    with translation.override("id"):
        return render_to_string("billing/invoice_pdf.html", invoice_context(invoice=invoice))


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """An invoice (or, once paid, a receipt) with the platform's bank account and the
    transfer reference, DPP, PPN and both parties' NPWP when given."""
    # lazy: weasyprint takes over a second to import (Pango, fonts); only PDFs need it
    from weasyprint import HTML

    return HTML(string=invoice_html(invoice=invoice)).write_pdf()


def credit_note_html(*, note: CreditNote) -> str:
    context = {
        "note": note,
        "invoice": note.invoice,
        "entry": note.credit_entry,
        **_seller(),
        "ppn_percent": _percent(note.ppn_rate),
    }
    with translation.override("id"):
        return render_to_string("billing/credit_note_pdf.html", context)


def credit_note_pdf(*, note: CreditNote) -> bytes:
    """A credit note (nota retur): its number and date, the invoice it reduces, DPP,
    PPN and total taken off it, the reason, and both parties' NPWP as on the invoice."""
    # lazy: weasyprint takes over a second to import (Pango, fonts); only PDFs need it
    from weasyprint import HTML

    return HTML(string=credit_note_html(note=note)).write_pdf()
