"""The demo cooperative's subscription (``seed_demo``): billed as a real one."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tenants.models import Cooperative

from ..models import Interval, Invoice, Plan, Subscription
from .bank import bank_invoice_issue, bank_transfer_confirm
from .common import default_plan
from .daily import usage_record
from .state import trial_start


@transaction.atomic
def demo_subscription_seed(*, cooperative: Cooperative, operator) -> Subscription:
    """settings.DEMO_PUBLIC_SEEDERS: the demo pays like a real cooperative, so the
    console's MRR and its billing page are what an operator sees of one: the cheapest
    offered plan its active members fit, monthly, by bank transfer — an invoice issued
    and its transfer confirmed by ``operator`` (a billing operator) through the services
    an operator's click goes through (audited as theirs). Idempotent: a subscription
    with a paid invoice is left as it is."""
    sub = Subscription.objects.filter(cooperative=cooperative).first() or trial_start(
        cooperative=cooperative
    )
    if sub.invoices.filter(status=Invoice.Status.PAID).exists():
        return sub
    sub = usage_record(subscription=sub)  # the daily count: the console's "Anggota aktif"
    count = sub.active_members or 0
    fitting = [p for p in Plan.objects.filter(is_active=True) if p.allows(count)]
    fitting.sort(key=lambda p: (p.price_monthly, p.sort_order, p.pk))
    plan = fitting[0] if fitting else default_plan()
    invoice = bank_invoice_issue(subscription=sub, plan=plan, interval=Interval.MONTH, by=operator)
    if invoice.status != Invoice.Status.PAID:
        bank_transfer_confirm(invoice=invoice, operator=operator, note=_("Data demo"))
    sub.refresh_from_db()
    return sub
