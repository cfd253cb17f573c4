"""The cooperative's credit (kredit/saldo): money paid by transfer that is no longer owed
(an upgrade's difference for a period that will not run on that plan), taken off the
next bank-transfer invoice, or refunded by bank by an operator. A ledger
(``CreditEntry``): each movement is a row of its own, the balance is their sum.

Every movement is written with the subscription row locked (``_lock``), after it: the
order every billing write takes. The database refuses a negative balance and two
entries numbered alike (see CreditEntry)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.audit import BillingAudit
from core.common.errors import ApplicationError, reason_required
from core.common.money import RupiahError, format_rupiah, parse_rupiah

from ..models import (
    BUYER_FIELDS,
    CreditEntry,
    CreditNote,
    Invoice,
    Subscription,
    UpgradeDifference,
)
from ..selectors import difference_credited
from ..tax import tax_split
from .common import BillingErrors, _audit, _lock, _require_billing_operator

R = CreditEntry.Reason


def credit_balance(*, subscription: Subscription) -> Decimal:
    """The credit a cooperative holds now (whole rupiah, 0 without any)."""
    last = (
        CreditEntry.objects.filter(subscription_id=subscription.pk)
        .order_by("-seq")
        .values_list("balance_after", flat=True)
        .first()
    )
    return last if last is not None else Decimal(0)


def _credit_move(
    *,
    sub: Subscription,
    amount: Decimal,
    reason: str,
    by,
    invoice: Invoice | None = None,
    note: str = "",
    for_period_start: date | None = None,
) -> CreditEntry:
    """Write one movement for a (locked) subscription. Refused when it would leave the
    balance below zero."""
    amount = Decimal(amount)
    if amount != amount.to_integral_value() or amount == 0:
        raise ValueError(f"credit movement must be whole, non-zero rupiah: {amount}")
    last = (
        CreditEntry.objects.filter(subscription_id=sub.pk)
        .order_by("-seq")
        .values_list("seq", "balance_after")
        .first()
    )
    seq, balance = last if last is not None else (0, Decimal(0))
    after = balance + amount
    if after < 0:
        raise ApplicationError(
            BillingErrors.CREDIT_INVALID,
            _("Kredit tidak cukup: saldo %(b)s.") % {"b": format_rupiah(balance)},
            fields={"amount": [_("Melebihi saldo kredit.")]},
        )
    entry = CreditEntry.objects.create(
        subscription=sub,
        seq=seq + 1,
        amount=amount,
        balance_after=after,
        reason=reason,
        note=note,
        invoice=invoice,
        for_period_start=for_period_start,
        created_by=str(getattr(by, "username", by) or "system")[:200],
    )
    action = {
        R.APPLIED: BillingAudit.CREDIT_APPLIED,
        R.REFUND: BillingAudit.CREDIT_REFUNDED,
    }.get(reason, BillingAudit.CREDIT_ADDED)
    _audit(
        actor=by,
        action=action,
        target=sub.cooperative,
        reason=note,
        data={
            "amount": str(amount),
            "balance": str(after),
            "reason": reason,
            "invoice": invoice.number if invoice else None,
            "entry": entry.pk,
        },
    )
    return entry


def upgrade_differences_credit(
    *, sub: Subscription, renewal: Invoice, by, reason: str, whole_period: bool = False
) -> Decimal:
    """The period of ``renewal`` (a subscription invoice for a later period) will not run
    on the plan paid upgrades topped it up to (the renewal was voided, or credited as
    paid twice, or the cooperative went back to its plan): the difference each billed
    measured from ``renewal``'s price is credited, each once, as the very figure billed
    (its amount, DPP and PPN: UpgradeDifference), never recomputed from today's prices.
    ``whole_period``: the period runs on ``renewal``'s own plan, so every difference
    billed for the period it begins is credited, whichever invoice it topped up.
    Returns the total credited."""
    lines = UpgradeDifference.objects.filter(
        invoice__subscription_id=sub.pk, invoice__status=Invoice.Status.PAID
    ).exclude(difference_credited())
    if whole_period:
        lines = lines.filter(Q(renewal=renewal) | Q(period_start=renewal.period_start))
    else:
        lines = lines.filter(renewal=renewal)
    return _differences_credit(
        sub=sub,
        lines=lines.select_related("invoice").order_by("invoice_id"),
        by=by,
        note=lambda line: reason,
    )


def upgrade_differences_orphaned_credit(*, sub: Subscription, upgrade: Invoice, by) -> Decimal:
    """``upgrade`` (a prorated invoice) has just been paid: what it billed for a later
    period whose invoice was voided, or credited as the period paid twice, while it was
    unpaid is not owed (that period runs on the invoice that paid it) and is credited at
    once, as billed. Returns the total credited."""
    lines = (
        UpgradeDifference.objects.filter(invoice=upgrade)
        .filter(
            Q(renewal__status=Invoice.Status.VOID)
            | Exists(
                CreditEntry.objects.filter(invoice=OuterRef("renewal"), reason=R.DUPLICATE_PAYMENT)
            )
        )
        .exclude(difference_credited())
        .select_related("invoice", "renewal")
        .order_by("period_start")
    )
    return _differences_credit(
        sub=sub,
        lines=lines,
        by=by,
        note=lambda line: (
            _(
                "Periode tagihan %(n)s dibayar dengan tagihan lain: selisih naik paket tidak terpakai"
            )
            % {"n": line.renewal.number}
        ),
    )


def _differences_credit(
    *, sub: Subscription, lines, by, note: Callable[[UpgradeDifference], str]
) -> Decimal:
    """Credit each upgrade difference (line) as billed, with its credit note."""
    total = Decimal(0)
    for line in lines:
        entry = _credit_move(
            sub=sub,
            amount=line.amount,
            reason=R.UPGRADE_DIFFERENCE,
            by=by,
            invoice=line.invoice,
            for_period_start=line.period_start,
            note=note(line),
        )
        credit_note_issue(sub=sub, entry=entry, tax=(line.dpp, line.ppn), by=by)
        total += line.amount
    return total


def credit_note_issue(
    *, sub: Subscription, entry: CreditEntry, by, tax: tuple | None = None
) -> CreditNote | None:
    """The credit note (nota retur) for a movement in (``entry``) of money paid on a
    paid invoice of a (locked) subscription and credited back: its amount with its own
    DPP and PPN, ``tax`` (DPP, PPN) as figured for that part of the invoice when they
    add up to it, else the amount split at the invoice's rate (PPN included, half up,
    tax_split). Never more than what earlier notes left of the invoice. None for credit
    not from a taxed invoice. Audited billing.credit_note_issued."""
    invoice = entry.invoice
    if entry.amount <= 0 or invoice is None or invoice.dpp is None:
        return None
    noted = invoice.credit_notes.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    amount = min(entry.amount, invoice.amount - noted)
    if amount <= 0:
        return None
    rate = Decimal(invoice.ppn_rate if invoice.ppn_rate is not None else settings.BILLING_PPN_RATE)
    if tax is None or None in tax or tax[0] + tax[1] != amount:
        tax = tax_split(price=amount, rate=rate, includes_ppn=True)
    dpp, ppn = tax
    note = CreditNote.objects.create(
        subscription=sub,
        invoice=invoice,
        credit_entry=entry,
        number=f"{invoice.number}-R{invoice.credit_notes.count() + 1}",
        issued_on=timezone.localdate(),
        amount=amount,
        dpp=dpp,
        ppn=ppn,
        ppn_rate=rate,
        # the buyer as on the invoice it reduces
        **{field: getattr(invoice, field) for field in BUYER_FIELDS},
        reason=entry.note,
        credit_reason=entry.reason,
    )
    _audit(
        actor=by,
        action=BillingAudit.CREDIT_NOTE_ISSUED,
        target=sub.cooperative,
        reason=entry.note,
        data={
            "credit_note": note.number,
            "invoice": invoice.number,
            "amount": str(amount),
            "dpp": str(dpp),
            "ppn": str(ppn),
            "entry": entry.pk,
        },
    )
    return note


def credit_return_for_void(*, sub: Subscription, invoice: Invoice, by) -> None:
    """A voided invoice that had credit taken off it gives that credit back."""
    if invoice.credit_applied > 0:
        _credit_move(
            sub=sub,
            amount=invoice.credit_applied,
            reason=R.INVOICE_VOIDED,
            by=by,
            invoice=invoice,
            note=_("Tagihan %(n)s dibatalkan") % {"n": invoice.number},
        )


def credit_for_duplicates(
    *, sub: Subscription, invoice: Invoice, period: tuple[date, date], by
) -> Decimal:
    """``invoice`` (a subscription invoice for ``period``, as invoiced) has just been
    paid: another paid bank-transfer subscription invoice for the period starting that
    same day (whatever its interval: a monthly and a yearly one starting on the renewal
    day are the same period bought twice) paid it already, so that one's amount (what
    was transferred and the credit taken off it) is credited, once. Returns the total
    credited."""
    total = Decimal(0)
    for dup in (
        sub.invoices.filter(
            provider=Subscription.Provider.BANK_TRANSFER,
            kind=Invoice.Kind.SUBSCRIPTION,
            status=Invoice.Status.PAID,
            period_start=period[0],
            amount__gt=0,
        )
        .exclude(pk=invoice.pk)
        .exclude(
            Exists(CreditEntry.objects.filter(invoice=OuterRef("pk"), reason=R.DUPLICATE_PAYMENT))
        )
        .order_by("pk")
    ):
        entry = _credit_move(
            sub=sub,
            amount=dup.amount,
            reason=R.DUPLICATE_PAYMENT,
            by=by,
            invoice=dup,
            note=_("Periode yang sama dibayar lagi dengan tagihan %(n)s") % {"n": invoice.number},
        )
        credit_note_issue(sub=sub, entry=entry, tax=(dup.dpp, dup.ppn), by=by)
        total += dup.amount
        # Its period will not run as that invoice bought it: what upgrades added for it
        # (the difference to their dearer plan) is not owed either.
        total += upgrade_differences_credit(
            sub=sub,
            renewal=dup,
            by=by,
            reason=_(
                "Periode tagihan %(n)s dibayar dengan tagihan %(m)s: selisih naik paket tidak terpakai"
            )
            % {"n": dup.number, "m": invoice.number},
        )
    return total


def credit_apply(*, sub: Subscription, invoice: Invoice, by) -> Decimal:
    """Take the cooperative's credit off a newly issued (open) bank-transfer invoice, up
    to its amount. Returns what was taken."""
    balance = credit_balance(subscription=sub)
    take = min(balance, invoice.amount - invoice.credit_applied)
    if take <= 0:
        return Decimal(0)
    invoice.credit_applied += take
    invoice.save(update_fields=["credit_applied"])
    _credit_move(
        sub=sub,
        amount=-take,
        reason=R.APPLIED,
        by=by,
        invoice=invoice,
        note=_("Dipakai untuk tagihan %(n)s") % {"n": invoice.number},
    )
    return take


@transaction.atomic
def credit_refund_record(
    *, subscription: Subscription, amount, reason: str, operator
) -> CreditEntry:
    """An operator records a refund of the cooperative's credit paid out by bank: the
    credit goes down by that amount (whole rupiah read with parse_rupiah, more than
    zero, at most the balance). Reason required; audited."""
    _require_billing_operator(operator)
    reason = reason_required(
        reason, code=BillingErrors.CREDIT_INVALID, message=_("Tuliskan alasan/keterangan.")
    )
    # Read as every money field reads what people type (1.234.567, 1,234,567,
    # Rp 1.234.567,-, 1234567; a Decimal or int given by code).
    try:
        value = parse_rupiah(amount, field=_("Jumlah pengembalian"))
    except RupiahError as e:
        raise ApplicationError(
            BillingErrors.CREDIT_INVALID, e.text, fields={"amount": [e.text]}
        ) from None
    if value <= 0:
        message = _("Jumlah pengembalian harus rupiah utuh lebih dari nol.")
        raise ApplicationError(BillingErrors.CREDIT_INVALID, message, fields={"amount": [message]})
    sub = _lock(subscription)
    return _credit_move(sub=sub, amount=-value, reason=R.REFUND, by=operator, note=reason)
