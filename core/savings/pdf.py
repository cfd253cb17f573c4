"""PDFs of savings (WeasyPrint): teller receipts and the member statement."""

from django.utils import timezone

from core.common.pdf import render_pdf as _render

from .models import SavingsTransaction


def receipt_pdf(*, txn: SavingsTransaction) -> bytes:
    # an early withdrawal's receipt shows the balance, the penalty and the net paid
    penalty = None
    if txn.kind == SavingsTransaction.Kind.EARLY_PAYOUT:
        penalty = SavingsTransaction.objects.filter(
            journal_entry_id=txn.journal_entry_id,
            account_id=txn.account_id,
            kind=SavingsTransaction.Kind.EARLY_PENALTY,
        ).first()
    return _render(
        "savings/receipt_pdf.html",
        {
            "t": txn,
            "penalty": penalty,
            "gross": txn.amount + (penalty.amount if penalty else 0),
            "printed_at": timezone.now(),
        },
    )


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
