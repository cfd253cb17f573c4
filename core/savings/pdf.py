"""PDFs of savings (WeasyPrint): teller receipts and the member statement."""

from django.utils import timezone, translation

from core.common.pdf import render_pdf as _render

from .models import SavingsTransaction


def receipt_pdf(*, txn: SavingsTransaction) -> bytes:
    # an early withdrawal's receipt shows the balance paid out (with the month's jasa
    # credited by the withdrawal, net of PPh, named by its memo), the penalty and the net
    kind = SavingsTransaction.Kind
    same_entry = {}
    # a full payout at maturity shows the month's jasa it credited and paid out the same
    if txn.kind in (kind.EARLY_PAYOUT, kind.PAYOUT):
        same_entry = {
            t.kind: t
            for t in SavingsTransaction.objects.filter(
                journal_entry_id=txn.journal_entry_id,
                account_id=txn.account_id,
                kind__in=[kind.EARLY_PENALTY, kind.INTEREST, kind.TAX],
            )
        }
    penalty = same_entry.get(kind.EARLY_PENALTY)
    interest = same_entry.get(kind.INTEREST)
    tax = same_entry.get(kind.TAX)
    return _render(
        "savings/receipt_pdf.html",
        {
            "t": txn,
            "penalty": penalty,
            "gross": txn.amount + (penalty.amount if penalty else 0),
            "interest": interest,
            "interest_net": (interest.amount if interest else 0) - (tax.amount if tax else 0),
            "printed_at": timezone.now(),
        },
    )


def statement_pdf(*, member, statement, date_from, date_to) -> bytes:
    """The kartu simpanan, in the language of the one who prints it (the member in the
    portal, the staff): a statement read, not a document the cooperative issues."""
    return _render(
        "savings/statement_pdf.html",
        {
            "member": member,
            "statement": statement,
            "date_from": date_from,
            "date_to": date_to,
            "printed_at": timezone.now(),
        },
        language=translation.get_language() or "id",
    )
