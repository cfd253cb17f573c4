"""Invoice / receipt PDFs (WeasyPrint)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .models import Invoice


def invoice_context(*, invoice: Invoice) -> dict:
    rate = invoice.ppn_rate
    return {
        "invoice": invoice,
        "cooperative": invoice.subscription.cooperative,
        "is_receipt": invoice.status == Invoice.Status.PAID,
        "bank_name": settings.BILLING_BANK_NAME,
        "bank_account_number": settings.BILLING_BANK_ACCOUNT_NUMBER,
        "bank_account_holder": settings.BILLING_BANK_ACCOUNT_HOLDER,
        "seller_name": settings.BILLING_SELLER_NAME,
        "seller_npwp": settings.BILLING_SELLER_NPWP,
        "seller_address": settings.BILLING_SELLER_ADDRESS,
        "ppn_percent": f"{rate * 100:.2f}".rstrip("0").rstrip(".") if rate is not None else "",
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
