"""Manual bank transfer: we issue an invoice (PDF with the platform's bank account and a
unique reference), the cooperative uploads proof, an operator confirms
(billing.services.bank_transfer_confirm); reminders go out before the due date."""

from __future__ import annotations

from billing.models import Subscription
from billing.services import bank_invoice_issue

from .base import PaymentProvider, PaymentStart


class BankTransferProvider(PaymentProvider):
    code = Subscription.Provider.BANK_TRANSFER

    def start_payment(
        self, *, subscription, plan, interval, success_url, cancel_url, billing_starts_at=None
    ) -> PaymentStart:
        """The invoice's period starts after what is covered (bank_invoice_issue)."""
        invoice = bank_invoice_issue(
            subscription=subscription, plan=plan, interval=interval, by="system"
        )
        return PaymentStart(invoice=invoice)

    def change_plan(self, *, subscription, plan, interval) -> None:
        """Nothing at a provider: the next invoice is issued for the new plan."""
