"""Billing services: the re-issue of a void invoice that was paid after all.

Stripe lets a customer pay an invoice it marked uncollectible; we hold such an invoice
as void, with the day of the void, and it is already in the e-Faktur data as issued
(and, voided after its month, cancelled in the month of the void). Its months never
change: the void invoice stays void and the payment is recorded on a new invoice."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.audit import BillingAudit
from core.common.errors import ApplicationError

from ..errors import BillingErrors
from ..models import BUYER_FIELDS, Invoice
from .bank import invoice_number_next, invoice_tax_fields
from .common import _audit


@transaction.atomic
def invoice_reissue_paid(
    *,
    void: Invoice,
    charged: Decimal,
    paid_at: datetime,
    hosted_url: str = "",
    by: str = "stripe",
) -> Invoice:
    """The paid re-issue of ``void`` (a void invoice reported paid since): a new invoice
    with its own number from the series, dated today (the day the payment is recorded:
    a month already over never gets it), due that day, paid at ``paid_at``, for
    ``charged`` (PPN included) at the void invoice's PPN rate, for the same buyer as
    issued, plan, interval, kind and period, linked to it and to the same Stripe
    invoice. ``void`` is not changed. Idempotent: the re-issue already made is returned
    (one per void invoice, a database constraint; the void row is locked first, so two
    reports of the same payment wait for each other)."""
    void = Invoice.objects.select_for_update().get(pk=void.pk)
    if void.status != Invoice.Status.VOID:
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("Tagihan %(n)s tidak dibatalkan: tidak ada yang diterbitkan ulang.")
            % {"n": void.number},
        )
    existing = Invoice.objects.filter(reissue_of=void).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    reissue = Invoice.objects.create(
        reissue_of=void,
        subscription=void.subscription,
        provider=void.provider,
        number=invoice_number_next(on=today),
        stripe_invoice_id=void.stripe_invoice_id,
        provider_number=void.provider_number,
        kind=void.kind,
        plan=void.plan,
        interval=void.interval,
        status=Invoice.Status.PAID,
        issued_on=today,
        due_on=today,
        period_start=void.period_start,
        period_end=void.period_end,
        paid_at=paid_at,
        hosted_url=hosted_url,
        **invoice_tax_fields(price=charged, includes_ppn=True, rate=void.ppn_rate),
        **{field: getattr(void, field) for field in BUYER_FIELDS},
    )
    _audit(
        actor=by,
        action=BillingAudit.INVOICE_REISSUED,
        target=reissue,
        data={
            "void": void.number,
            "voided_on": void.voided_on.isoformat(),
            "stripe_invoice_id": void.stripe_invoice_id or "",
            "amount": str(reissue.amount),
        },
    )
    return reissue
