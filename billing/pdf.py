"""Invoice / receipt PDFs (WeasyPrint)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .models import Invoice


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """An invoice (or, once paid, a receipt) with the platform's bank account and the
    transfer reference."""
    from weasyprint import HTML

    with translation.override("id"):
        html = render_to_string(
            "billing/invoice_pdf.html",
            {
                "invoice": invoice,
                "cooperative": invoice.subscription.cooperative,
                "is_receipt": invoice.status == Invoice.Status.PAID,
                "bank_name": settings.BILLING_BANK_NAME,
                "bank_account_number": settings.BILLING_BANK_ACCOUNT_NUMBER,
                "bank_account_holder": settings.BILLING_BANK_ACCOUNT_HOLDER,
            },
        )
    return HTML(string=html).write_pdf()
