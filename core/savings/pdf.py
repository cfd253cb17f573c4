"""PDFs of savings (WeasyPrint): teller receipts and the member statement."""

from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import SavingsTransaction


def _render(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    with translation.override("id"):
        html = render_to_string(template, {"cooperative": connection.tenant, **context})
    return HTML(string=html).write_pdf()


def receipt_pdf(*, txn: SavingsTransaction) -> bytes:
    return _render("savings/receipt_pdf.html", {"t": txn, "printed_at": timezone.now()})


def statement_pdf(*, member, statement, date_from, date_to) -> bytes:
    return _render(
        "savings/statement_pdf.html",
        {
            "member": member,
            "statement": statement,
            "date_from": date_from,
            "date_to": date_to,
            "printed_at": timezone.now(),
        },
    )
