"""A cooperative that chose bank transfer (a transfer invoice was issued for it) pays by
transfer: billing.bank_invoice_issue now records it on the subscription when the invoice
is issued. Before, ``provider`` stayed empty ("Belum memilih") until an invoice was paid
whole, so a subscription whose transfer invoice was open, partly paid or awaiting the
operator was treated by plan_change and the renewal sweep as having no way of paying.

Derived from the rows: a subscription with no provider recorded that has an unpaid
(open or awaiting confirmation) bank-transfer invoice and no card subscription that
still bills becomes ``bank_transfer``. One with only void transfer invoices is left
as it is (what it chose since is not known). Reversing leaves the rows as they are
(the older code reads ``bank_transfer`` correctly)."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q

LIVE_STRIPE_STATUSES = ("active", "trialing", "past_due", "unpaid")


def forwards(apps, schema_editor):
    Subscription = apps.get_model("billing", "Subscription")
    Invoice = apps.get_model("billing", "Invoice")
    unpaid_transfer = Invoice.objects.filter(
        subscription=OuterRef("pk"),
        provider="bank_transfer",
        status__in=("open", "awaiting_confirmation"),
    )
    card_bills = Q(stripe_subscription_id__isnull=False) & Q(
        stripe_status__in=LIVE_STRIPE_STATUSES
    )
    Subscription.objects.filter(provider="").filter(Exists(unpaid_transfer)).exclude(
        card_bills
    ).update(provider="bank_transfer")


class Migration(migrations.Migration):
    dependencies = [("billing", "0027_credit_entry_payment_received")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
