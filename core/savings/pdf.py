"""PDFs of savings (WeasyPrint): teller receipts and the member statement."""

from django.utils import timezone

from core.common.pdf import render_pdf as _render

from .models import SavingsTransaction


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
