"""Bank transfer: invoices (number series, PPN), proofs, confirmation, rejection, the cooperative's tax details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.audit import BillingAudit
from core.common.errors import ApplicationError, reason_required
from core.common.money import format_rupiah
from core.common.uploads import upload_check

from ..emails import billing_email_send
from ..models import (
    CreditEntry,
    Invoice,
    InvoiceSequence,
    PaymentProof,
    Plan,
    Subscription,
    UpgradeDifference,
)
from ..selectors import invoice_period_paid_by, invoice_upgrade_covering
from ..tax import npwp_digits, tax_split
from .common import (
    LIVE_STRIPE_STATUSES,
    BillingErrors,
    S,
    _audit,
    _end_of_day,
    _lock,
    _paid_by_transfer_until,
    _require_billing_operator,
    _status_set,
    _token,
    operator_held,
    period_end_for,
)
from .credit import (
    _credit_move,
    credit_apply,
    credit_balance,
    credit_for_duplicates,
    credit_return_for_void,
    upgrade_differences_credit,
    upgrade_differences_orphaned_credit,
)


@transaction.atomic
def bank_invoice_issue(
    *,
    subscription: Subscription,
    plan: Plan,
    interval: str,
    by,
    kind: str = Invoice.Kind.SUBSCRIPTION,
    amount: Decimal | None = None,
    period: tuple[date, date] | None = None,
    differences: list[tuple[Invoice, Decimal]] | None = None,
) -> Invoice:
    """Issue a bank-transfer invoice (unique transfer reference). If an unpaid one for the
    same plan and period already exists it is returned instead of a second one. A
    ``proration`` invoice (an upgrade inside a paid period) carries its own amount (the
    rest of the current period) and period, and ``differences``: for each later period
    it also tops up, (the invoice whose price it is measured from, the difference),
    each a line of its own with its own DPP and PPN (UpgradeDifference), so a line
    credited back later is credited as billed. The invoice's amount, DPP and PPN are
    the sums of its lines."""
    sub = _lock(subscription)
    open_invoices = sub.invoices.filter(
        provider=Subscription.Provider.BANK_TRANSFER,
        kind=kind,
        status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING],
    ).select_for_update()
    replaced = []
    for inv in open_invoices:
        if inv.plan_id == plan.pk and inv.interval == interval and kind == inv.Kind.SUBSCRIPTION:
            return inv
        upgrade = invoice_upgrade_covering(invoice=inv) if kind == inv.Kind.SUBSCRIPTION else None
        if upgrade is not None and upgrade.plan_id == plan.pk and inv.interval == interval:
            # That period's invoice and the upgrade's difference for it are the plan
            # asked for: a full-price invoice would bill the difference twice.
            return inv
        if inv.status == Invoice.Status.OPEN:
            replaced.append(inv)
    today = timezone.localdate()
    if period is not None:
        period_start, period_end = period
        due_on = min(today + timedelta(days=settings.BILLING_INVOICE_DUE_DAYS), period_end)
    else:
        covered_until = _covered_until(sub, today)
        if covered_until is not None:
            period_start = covered_until + timedelta(days=1)
            due_on = max(period_start - timedelta(days=1), today)
        else:
            period_start = today
            due_on = today + timedelta(days=settings.BILLING_INVOICE_DUE_DAYS)
        period_end = period_end_for(period_start, interval) - timedelta(days=1)
    price = plan.price_for(interval) if amount is None else amount
    tax = invoice_tax_fields(price=price, includes_ppn=plan.prices_include_ppn)
    lines = []
    for renewal, difference in differences or []:
        dpp, ppn = tax_split(
            price=difference, rate=tax["ppn_rate"], includes_ppn=plan.prices_include_ppn
        )
        lines.append(
            UpgradeDifference(
                renewal=renewal,
                period_start=renewal.period_start,
                amount=dpp + ppn,
                dpp=dpp,
                ppn=ppn,
            )
        )
        tax["dpp"], tax["ppn"], tax["amount"] = (
            tax["dpp"] + dpp,
            tax["ppn"] + ppn,
            tax["amount"] + dpp + ppn,
        )
    invoice = Invoice.objects.create(
        subscription=sub,
        provider=Subscription.Provider.BANK_TRANSFER,
        kind=kind,
        number=invoice_number_next(on=today),
        reference=f"LMB{_token(8)}",
        plan=plan,
        interval=interval,
        **tax,
        issued_on=today,
        due_on=due_on,
        period_start=period_start,
        period_end=period_end,
        **invoice_buyer_fields(subscription=sub),
    )
    for line in lines:
        line.invoice = invoice
    UpgradeDifference.objects.bulk_create(lines)
    for inv in replaced:
        invoice_void(
            sub=sub, invoice=inv, by=by, reason=_("Diganti tagihan %(n)s") % {"n": invoice.number}
        )
    card_bills = sub.stripe_subscription_id and sub.stripe_status in LIVE_STRIPE_STATUSES
    if not card_bills and sub.provider != Subscription.Provider.BANK_TRANSFER:
        # An invoice issued for transfer is the cooperative's choice of paying by
        # transfer (also before it is paid whole: a partly paid one): plan changes and
        # the renewal sweep treat the subscription as a transfer one from now on.
        sub.provider = Subscription.Provider.BANK_TRANSFER
        sub.save(update_fields=["provider", "updated_at"])
    taken = Decimal(0) if card_bills else credit_apply(sub=sub, invoice=invoice, by=by)
    _audit(
        actor=by,
        action=BillingAudit.BANK_INVOICE_ISSUED,
        target=sub.cooperative,
        data={
            "invoice": invoice.number,
            "reference": invoice.reference,
            "amount": str(invoice.amount),
            "credit_applied": str(taken),
            "kind": kind,
            "provider": sub.provider,
        },
    )
    if invoice.amount > 0 and invoice.amount_due == 0:
        # Wholly covered by the cooperative's credit: paid at once, as a confirmed
        # transfer would be (audited billing.invoice_paid_by_credit).
        _invoice_paid(sub=sub, inv=invoice, by=by, note="", by_credit=True)
    # What the invoices it replaced gave back and this one did not take goes onto the
    # other open invoices.
    _credit_to_open_invoices(sub=sub, by=by)
    invoice.refresh_from_db()
    return invoice


@transaction.atomic
def credit_apply_to_open(*, subscription: Subscription, by) -> Decimal:
    """The cooperative's credit goes onto its open bank-transfer invoices now (see
    _credit_to_open_invoices). Locks the subscription first. Returns what was taken."""
    return _credit_to_open_invoices(sub=_lock(subscription), by=by)


def _credit_to_open_invoices(*, sub: Subscription, by) -> Decimal:
    """Credit a (locked) subscription holds is taken off its open bank-transfer invoices
    at once (it does not wait for the next invoice), the earliest due first, each up to
    what is left to transfer (``credit_applied``; amount, DPP and PPN stay the taxed
    price, as on an invoice issued with credit). An invoice it covers in full is paid at
    once, as a confirmed transfer would be. Not an invoice whose proof awaits the
    operator (transferred as issued: the operator checks that amount), nor an upgrade's
    whose period is over (it lapses), nor anything while a card subscription still
    bills. Every movement is audited (billing.credit_applied). Returns what was taken."""
    if sub.stripe_subscription_id and sub.stripe_status in LIVE_STRIPE_STATUSES:
        return Decimal(0)
    if credit_balance(subscription=sub) <= 0:
        return Decimal(0)
    now = timezone.now()
    total = Decimal(0)
    pks = list(
        sub.invoices.filter(
            provider=Subscription.Provider.BANK_TRANSFER, status=Invoice.Status.OPEN
        )
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)
    )
    for pk in pks:
        # Locked one by one after the subscription; paying one may have voided another.
        inv = Invoice.objects.select_for_update().select_related("plan").get(pk=pk)
        if inv.status != Invoice.Status.OPEN or inv.amount_due <= 0:
            continue
        if inv.kind == Invoice.Kind.PRORATION and (
            inv.period_end < timezone.localdate(now)
            or not (sub.current_period_end and sub.current_period_end > now)
        ):
            continue  # it lapses unpaid with its period (the sweep)
        taken = credit_apply(sub=sub, invoice=inv, by=by)
        if taken <= 0:
            break  # no credit left
        total += taken
        if inv.amount_due == 0:
            _invoice_paid(sub=sub, inv=inv, by=by, note="", by_credit=True)
    return total


def invoice_void(*, sub: Subscription, invoice: Invoice, by, reason: str) -> Invoice:
    """Make a (locked) unpaid invoice void: no longer owed, reminded or confirmable.
    Audited with the reason, as every change to what a cooperative owes."""
    invoice.status = Invoice.Status.VOID
    invoice.voided_on = timezone.localdate()
    invoice.save(update_fields=["status", "voided_on"])
    _void_credit(sub=sub, invoice=invoice, by=by)
    _audit(
        actor=by,
        action=BillingAudit.BANK_INVOICE_VOIDED,
        target=invoice,
        reason=reason,
        data={
            "cooperative": sub.cooperative.slug,
            "amount": str(invoice.amount),
            "reference": invoice.reference,
            "kind": invoice.kind,
            "period": [
                d.isoformat() if d else None for d in (invoice.period_start, invoice.period_end)
            ],
        },
    )
    return invoice


def _void_credit(*, sub: Subscription, invoice: Invoice, by) -> None:
    """What a voided invoice leaves to the cooperative's credit: the credit taken off
    it, and, for a later period's invoice, what paid upgrades added for that period
    (it is billed again in full, or paid otherwise: the difference is not owed)."""
    credit_return_for_void(sub=sub, invoice=invoice, by=by)
    if invoice.kind == Invoice.Kind.SUBSCRIPTION and invoice.period_start is not None:
        upgrade_differences_credit(
            sub=sub,
            renewal=invoice,
            by=by,
            reason=_("Tagihan %(n)s yang selisihnya sudah dibayar dibatalkan")
            % {"n": invoice.number},
        )


def invoice_number_next(*, on: date) -> str:
    """The next number of the year's gap-free series, ``INV/2026/000123``. Call inside
    the transaction that creates the invoice: the year's row stays locked until it
    commits, and a rollback gives the number back."""
    if not connection.in_atomic_block:
        raise RuntimeError("invoice_number_next needs the invoice's transaction")
    try:
        with transaction.atomic():
            InvoiceSequence.objects.get_or_create(year=on.year)
    except IntegrityError:
        pass  # created by a concurrent transaction just now
    seq = InvoiceSequence.objects.select_for_update().get(year=on.year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"INV/{on.year}/{seq.last:06d}"


def invoice_tax_fields(*, price: Decimal, includes_ppn: bool, rate: Decimal | None = None) -> dict:
    """amount, DPP and PPN as the invoice shows them, at ``rate`` (an issued invoice's
    own) or else today's settings.BILLING_PPN_RATE."""
    rate = Decimal(settings.BILLING_PPN_RATE if rate is None else rate)
    dpp, ppn = tax_split(price=price, rate=rate, includes_ppn=includes_ppn)
    return {"amount": dpp + ppn, "dpp": dpp, "ppn": ppn, "ppn_rate": rate}


def invoice_buyer_fields(*, subscription: Subscription) -> dict:
    """The buyer an invoice names, as it is today: the cooperative's name, legal number
    (badan hukum), NIK koperasi and billing e-mail, and the NPWP and address entered on
    /langganan/. Copied onto the invoice when it is issued and never read again from
    the cooperative (a tax document says what it said when issued, also once the
    cooperative is renamed or deleted)."""
    coop = subscription.cooperative
    return {
        "buyer_name": coop.name[:200],
        "buyer_npwp": subscription.npwp,
        "buyer_address": subscription.tax_address,
        "buyer_legal_number": coop.legal_number,
        "buyer_nik_koperasi": coop.nik_koperasi,
        "buyer_email": coop.email,
        "buyer_identity_known": True,
    }


def _covered_until(sub: Subscription, today: date) -> date | None:
    """The last day already covered (paid period, or the trial's last day when a
    trial cooperative pays: paying during a trial keeps the remaining trial days). A
    paid period runs on while an operator's suspension holds: a payment then buys the
    period after it, never days already paid."""
    if (
        (sub.status == S.ACTIVE or operator_held(sub))
        and sub.current_period_end
        and timezone.localdate(sub.current_period_end) >= today
    ):
        return timezone.localdate(sub.current_period_end)
    if (
        sub.status == S.TRIAL
        and sub.trial_ends_at
        and timezone.localdate(sub.trial_ends_at) > today
    ):
        return timezone.localdate(sub.trial_ends_at)
    return None


# The amount a proof claims: asked with every proof (the form's field says it too).
PROOF_AMOUNT_REQUIRED = gettext_lazy(
    "isi jumlah yang ditransfer seperti di bukti transfer (mis. 1.234.567)."
)


@transaction.atomic
def bank_proof_upload(
    *, invoice: Invoice, upload, by, amount_claimed: Decimal, note: str = ""
) -> PaymentProof:
    """The cooperative uploads proof of transfer (PDF, PNG or JPEG, bounded size), with
    the amount it says it transferred (whole rupiah, more than zero; the database checks
    it is more than zero), which the operator checks before confirming. Refused,
    nothing changed, without one. (Proofs sent before the amount was asked have none.)"""
    if (
        not isinstance(amount_claimed, Decimal)
        or not amount_claimed.is_finite()
        or amount_claimed <= 0
        or amount_claimed != amount_claimed.to_integral_value()
    ):
        raise ApplicationError(
            BillingErrors.PROOF_INVALID,
            _("Jumlah yang ditransfer: %(why)s") % {"why": PROOF_AMOUNT_REQUIRED},
            fields={"amount": [str(PROOF_AMOUNT_REQUIRED)]},
        )
    inv = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if inv.provider != Subscription.Provider.BANK_TRANSFER or inv.status not in (
        Invoice.Status.OPEN,
        Invoice.Status.AWAITING,
    ):
        raise ApplicationError(
            BillingErrors.INVOICE_NOT_PAYABLE,
            _("Tagihan %(n)s tidak menunggu pembayaran transfer.") % {"n": inv.number},
        )
    # the one upload policy: PDF/PNG/JPEG by extension and content, bounded size
    upload_check(
        upload, max_bytes=settings.BILLING_PROOF_MAX_BYTES, code=BillingErrors.PROOF_INVALID
    )
    proof = PaymentProof.objects.create(
        invoice=inv,
        file=upload,
        uploaded_by=str(getattr(by, "username", by))[:200],
        note=note,
        amount_claimed=amount_claimed,
    )
    inv.status = Invoice.Status.AWAITING
    inv.save(update_fields=["status"])
    _audit(
        actor=by,
        action=BillingAudit.PROOF_UPLOADED,
        target=inv,
        data={
            "proof": proof.pk,
            "amount_claimed": str(amount_claimed),
        },
    )
    return proof


@transaction.atomic
def bank_transfer_confirm(*, invoice: Invoice, operator, note: str = "") -> Invoice:
    """An operator confirms a bank transfer arrived: the invoice is paid and the
    subscription runs on that plan until the invoice's period end; access is restored
    at once. A late payment (the cooperative's access had lapsed and the invoice's
    period already began) runs from the payment date, so a paid subscription always
    has a period ahead of it. A proration invoice moves the plan for the rest of the
    current period (it never extends the period, even when it also carries the
    difference for a renewal whose proof awaits the operator); an invoice for a later
    period moves it when that period begins, on the plan of an upgrade that carries its
    difference, if any (selectors.invoice_upgrade_covering). Refused while a card subscription still bills the cooperative.

    Locks the subscription first, then the invoice: the order of bank_invoice_issue and
    plan_change (the other order deadlocks against them)."""
    _require_billing_operator(operator)
    # An invoice never changes subscription: reading its id unlocked is safe.
    sub = _lock(Subscription(pk=invoice.subscription_id))
    inv = Invoice.objects.select_for_update().select_related("plan").get(pk=invoice.pk)
    if inv.provider != Subscription.Provider.BANK_TRANSFER or inv.status not in (
        Invoice.Status.OPEN,
        Invoice.Status.AWAITING,
    ):
        raise ApplicationError(
            BillingErrors.INVOICE_NOT_PAYABLE,
            _("Tagihan %(n)s tidak dapat dikonfirmasi (status: %(s)s).")
            % {"n": inv.number, "s": inv.get_status_display()},
        )
    _refuse_while_card_bills(sub)
    _invoice_paid(sub=sub, inv=inv, by=operator, note=note, by_credit=False)
    # A payment credited as a duplicate goes onto what is still open.
    _credit_to_open_invoices(sub=sub, by=operator)
    return inv


@dataclass(frozen=True)
class TransferReceived:
    """What recording a transfer did: ``remaining`` still to transfer on the invoice
    (partial; the invoice stays open), ``excess`` credited beyond what was due (paid)."""

    invoice: Invoice
    received: Decimal
    remaining: Decimal
    excess: Decimal


def _amount_refused(message: str) -> ApplicationError:
    return ApplicationError(BillingErrors.AMOUNT_INVALID, message, fields={"amount": [message]})


def _audit_received(action, *, operator, sub, inv, note, value, due, **more) -> None:
    """The audit row of a transfer recorded for another amount than due: what came, what
    was due, and the rest (``remaining``) or the excess (``excess``)."""
    _audit(
        actor=operator,
        action=action,
        target=inv,
        reason=note,
        data={
            "cooperative": sub.cooperative.slug,
            "received": str(value),
            "due": str(due),
            **more,
            "reference": inv.reference,
        },
    )


def _received_told(*, kind: str, sub: Subscription, inv: Invoice, **figures) -> None:
    """The cooperative is told (e-mail to its billing address after commit, and the
    notice on its billing page) what a transfer recorded for another amount did: what
    came, the rest and how to pay it, or the excess become credit."""
    billing_email_send(
        kind=kind,
        subscription=sub,
        extra={
            "invoice": inv,
            "bank_name": settings.BILLING_BANK_NAME,
            "bank_account_number": settings.BILLING_BANK_ACCOUNT_NUMBER,
            "bank_account_holder": settings.BILLING_BANK_ACCOUNT_HOLDER,
            **figures,
        },
    )


@transaction.atomic
def bank_transfer_receive(
    *, invoice: Invoice, operator, amount: Decimal, note: str = ""
) -> TransferReceived:
    """An operator records the amount a bank transfer actually brought for ``invoice``
    (the statement's figure), whatever the proof claimed:

    - exactly what is to be transferred: paid, as ``bank_transfer_confirm``;
    - less: received into the cooperative's credit ledger and taken off this invoice at
      once (CreditEntry ``payment_received`` then ``applied``; ``credit_applied`` grows,
      so ``amount_due`` is the rest): the invoice stays open (a proof waiting is
      answered: open again) for the rest, its tax figures unchanged;
    - more: paid, and the excess becomes the cooperative's credit (``overpayment``),
      taken off its other open invoices now and the next one issued.

    Refused, nothing written: not whole rupiah more than zero, more than twice the
    invoice (a typo, or a transfer for something else: check the statement), an invoice
    not payable (paid, void, a card's), a card subscription still billing. Audited
    (billing.bank_transfer_partial / _overpaid / _confirmed). Less or more is told to
    the cooperative (e-mail and notice: transfer_partial / transfer_overpaid)."""
    _require_billing_operator(operator)
    value = Decimal(amount)
    if not value.is_finite() or value <= 0 or value != value.to_integral_value():
        raise _amount_refused(_("Jumlah diterima harus rupiah utuh lebih dari nol."))
    sub = _lock(Subscription(pk=invoice.subscription_id))
    inv = Invoice.objects.select_for_update().select_related("plan").get(pk=invoice.pk)
    if inv.provider != Subscription.Provider.BANK_TRANSFER or inv.status not in (
        Invoice.Status.OPEN,
        Invoice.Status.AWAITING,
    ):
        raise ApplicationError(
            BillingErrors.INVOICE_NOT_PAYABLE,
            _("Tagihan %(n)s tidak dapat dicatat pembayarannya (status: %(s)s).")
            % {"n": inv.number, "s": inv.get_status_display()},
        )
    if value > 2 * inv.amount:
        raise _amount_refused(
            _(
                "Jumlah diterima %(got)s lebih dari dua kali tagihan %(n)s (%(a)s): periksa "
                "mutasi rekening; transfer untuk hal lain tidak dicatat di tagihan ini."
            )
            % {"got": format_rupiah(value), "n": inv.number, "a": format_rupiah(inv.amount)}
        )
    _refuse_while_card_bills(sub)
    due = inv.amount_due
    figures = {"n": inv.number, "got": format_rupiah(value), "due": format_rupiah(due)}
    if value < due:
        _credit_move(
            sub=sub,
            amount=value,
            reason=CreditEntry.Reason.PAYMENT_RECEIVED,
            by=operator,
            invoice=inv,
            note=_("Transfer %(got)s untuk tagihan %(n)s (kurang dari %(due)s)") % figures,
        )
        inv.credit_applied += value
        inv.status = Invoice.Status.OPEN
        inv.save(update_fields=["credit_applied", "status"])
        _credit_move(
            sub=sub,
            amount=-value,
            reason=CreditEntry.Reason.APPLIED,
            by=operator,
            invoice=inv,
            note=_("Dipakai untuk tagihan %(n)s") % figures,
        )
        _audit_received(
            BillingAudit.BANK_TRANSFER_PARTIAL,
            operator=operator,
            sub=sub,
            inv=inv,
            note=note,
            value=value,
            due=due,
            remaining=str(inv.amount_due),
        )
        _received_told(
            kind="transfer_partial",
            sub=sub,
            inv=inv,
            received=value,
            due=due,
            remaining=inv.amount_due,
            received_total=sum(
                inv.credit_entries.filter(reason=CreditEntry.Reason.PAYMENT_RECEIVED).values_list(
                    "amount", flat=True
                ),
                Decimal(0),
            ),
        )
        return TransferReceived(
            invoice=inv, received=value, remaining=inv.amount_due, excess=Decimal(0)
        )
    excess = value - due
    in_trial = sub.status == S.TRIAL
    # An excess is told in one e-mail with the payment (transfer_overpaid says the
    # invoice is paid, and during the trial the period it runs): not a second one.
    _invoice_paid(
        sub=sub, inv=inv, by=operator, note=note, by_credit=False, confirm_mail=excess <= 0
    )
    if excess > 0:
        _credit_move(
            sub=sub,
            amount=excess,
            reason=CreditEntry.Reason.OVERPAYMENT,
            by=operator,
            invoice=inv,
            note=_("Transfer %(got)s untuk tagihan %(n)s (lebih dari %(due)s)") % figures,
        )
        _audit_received(
            BillingAudit.BANK_TRANSFER_OVERPAID,
            operator=operator,
            sub=sub,
            inv=inv,
            note=note,
            value=value,
            due=due,
            excess=str(excess),
        )
    # What is credited (the excess, a duplicate payment) goes onto what is still open.
    _credit_to_open_invoices(sub=sub, by=operator)
    if excess > 0:
        _received_told(
            kind="transfer_overpaid",
            sub=sub,
            inv=inv,
            received=value,
            due=due,
            excess=excess,
            credit=credit_balance(subscription=sub),
            in_trial=in_trial,
        )
    inv.refresh_from_db()
    return TransferReceived(invoice=inv, received=value, remaining=Decimal(0), excess=excess)


def _invoice_paid(
    *, sub: Subscription, inv: Invoice, by, note: str, by_credit: bool, confirm_mail: bool = True
) -> Invoice:
    """A (locked) open bank-transfer invoice of a (locked) subscription is paid: by a
    transfer an operator confirmed, or wholly by the cooperative's credit. During the
    trial the cooperative is e-mailed that the payment came (payment_confirmed), unless
    the caller tells it in its own e-mail (``confirm_mail=False``: an overpayment)."""
    operator = by
    now = timezone.now()
    today = timezone.localdate(now)
    was = sub.status
    original = (inv.period_start, inv.period_end)
    if inv.kind == Invoice.Kind.PRORATION:
        if not (sub.current_period_end and sub.current_period_end > now):
            raise ApplicationError(
                BillingErrors.INVOICE_NOT_PAYABLE,
                _("Periode tagihan selisih %(n)s sudah berakhir.") % {"n": inv.number},
            )
    else:
        lapsed = not (sub.current_period_end and sub.current_period_end >= now) and not (
            sub.status == S.TRIAL and sub.trial_ends_at and sub.trial_ends_at > now
        )
        if inv.period_start and inv.period_start < today and lapsed:
            inv.period_start = today
            inv.period_end = period_end_for(today, inv.interval) - timedelta(days=1)
    inv.status = Invoice.Status.PAID
    inv.paid_at = now
    inv.confirmed_by = None if by_credit else operator
    inv.save(update_fields=["status", "paid_at", "confirmed_by", "period_start", "period_end"])
    if inv.kind == Invoice.Kind.SUBSCRIPTION and original[0] is not None:
        # The same period already paid by another transfer (a renewal and another
        # plan's invoice for that period, both transferred and confirmed): the period
        # runs on this one's plan, the other payment is credited.
        duplicated = credit_for_duplicates(sub=sub, invoice=inv, period=original, by=operator)
    else:
        duplicated = Decimal(0)
    if inv.kind == Invoice.Kind.SUBSCRIPTION:
        # Another unpaid invoice for (part of) this period is not owed any more: the
        # period is paid (a transfer whose proof awaits the operator is left to them).
        for other in (
            sub.invoices.filter(
                provider=Subscription.Provider.BANK_TRANSFER,
                kind=Invoice.Kind.SUBSCRIPTION,
                status=Invoice.Status.OPEN,
                period_start__lte=inv.period_end,
                period_end__gte=inv.period_start,
            )
            .exclude(pk=inv.pk)
            .select_for_update()
            .order_by("pk")
        ):
            invoice_void(
                sub=sub,
                invoice=other,
                by=operator,
                reason=_("Periode ini sudah dibayar dengan tagihan %(n)s") % {"n": inv.number},
            )
    sub.provider = Subscription.Provider.BANK_TRANSFER
    sub.card_end_unrecorded_at = None  # a payment is recorded (card_end_unrecorded_flag)
    # An invoice for a period after the current one (a renewal paid early, the next
    # period bought on another plan) changes nothing in the current period, which was
    # paid on the current plan: its plan is the change due at renewal, applied by
    # billing_sweep when that period begins.
    # A period not begun that was already paid by another invoice (credited above as
    # paid twice) starts later too: the current period keeps its plan.
    starts_later = (
        inv.kind == Invoice.Kind.SUBSCRIPTION
        and sub.current_period_end is not None
        and inv.period_start > today
        and (inv.period_start > timezone.localdate(sub.current_period_end) or bool(duplicated))
    )
    # The upgrade that also carries this renewal's difference, if any.
    upgrade = invoice_upgrade_covering(invoice=inv)
    if starts_later:
        # An upgrade asked for after this renewal was transferred billed the difference
        # for its period too: the period runs on the upgrade's plan (once that is paid),
        # in this invoice's interval.
        runs_on = (upgrade.plan if upgrade is not None else inv.plan, inv.interval)
        if runs_on == (sub.plan, sub.interval):
            sub.next_plan, sub.next_interval = None, ""
        else:
            sub.next_plan, sub.next_interval = runs_on
    else:
        plan = inv.plan
        if upgrade is not None and upgrade.status == Invoice.Status.PAID:
            # Paid late (the period moved to today): its difference to the dearer plan
            # was paid with the upgrade, so it runs on that plan.
            plan = upgrade.plan
        sub.plan, sub.interval = plan, inv.interval
        if sub.next_plan_id == plan.pk and (sub.next_interval or sub.interval) == inv.interval:
            sub.next_plan, sub.next_interval = None, ""
    if inv.kind == Invoice.Kind.PRORATION:
        _upgrade_paid_later_periods(sub=sub, upgrade=inv, by=operator)
    period_end = _end_of_day(inv.period_end)
    if duplicated:
        # It replaces another payment for the period starting that day (credited
        # above): the period runs to the end of what is paid and not credited, shorter
        # too (a monthly invoice confirmed after a yearly one).
        sub.current_period_end = _paid_by_transfer_until(sub, kind=Invoice.Kind.SUBSCRIPTION)
    elif inv.kind == Invoice.Kind.SUBSCRIPTION and (
        not sub.current_period_end or period_end > sub.current_period_end
    ):
        # Only a subscription invoice buys time: an upgrade's difference for a later
        # period (whose renewal awaits the operator) pays no period by itself.
        sub.current_period_end = period_end
    if sub.over_limit_since and sub.plan.allows(sub.active_members or 0):
        sub.over_limit_since = None
    sub.save()
    # A suspension an operator made is lifted only by an operator ("Aktifkan
    # kembali"), as with a card payment (subscription_sync_stripe): the payment is
    # recorded, the period runs, access waits for that decision. It still holds once
    # the sweep has archived the cooperative (suspended longer than the archive days).
    held = operator_held(sub)
    if not held:
        _status_set(
            sub=sub,
            status=S.ACTIVE,
            reason=(
                _("Tagihan %(n)s dibayar dengan kredit") % {"n": inv.number}
                if by_credit
                else _("Transfer bank %(ref)s dikonfirmasi") % {"ref": inv.reference}
            ),
            actor=operator,
        )
    _audit(
        actor=operator,
        action=(
            BillingAudit.INVOICE_PAID_BY_CREDIT
            if by_credit
            else BillingAudit.BANK_TRANSFER_CONFIRMED
        ),
        target=inv,
        reason=note,
        data={
            "cooperative": sub.cooperative.slug,
            "amount": str(inv.amount),
            "credit_applied": str(inv.credit_applied),
            "reference": inv.reference,
            "kind": inv.kind,
            "period": [inv.period_start.isoformat(), inv.period_end.isoformat()],
            "invoice_period": [d.isoformat() if d else None for d in original],
            "plan": f"{inv.plan.code}/{inv.interval}",
            "plan_from": (inv.period_start if starts_later else today).isoformat(),
        },
    )
    if was == S.TRIAL and confirm_mail:
        billing_email_send(kind="payment_confirmed", subscription=sub, extra={"invoice": inv})
    return inv


def _upgrade_paid_later_periods(*, sub: Subscription, upgrade: Invoice, by) -> None:
    """An upgrade's prorated invoice has just been paid (the current period moved to its
    plan): what it billed for a later period that another invoice paid since (the
    invoice it topped up was voided, or credited as that period paid twice) is credited
    at once, and the latest later period already paid runs on the plan it was paid for
    (the upgrade's when it carries that period's difference, else its own)."""
    upgrade_differences_orphaned_credit(sub=sub, upgrade=upgrade, by=by)
    later = (
        _live_subscription_payments(sub)
        .filter(period_start__gt=timezone.localdate())
        .select_related("plan")
        .order_by("-period_start", "-pk")
        .first()
    )
    if later is None:
        return
    covering = invoice_upgrade_covering(invoice=later)
    paid_up = covering is not None and covering.status == Invoice.Status.PAID
    runs_on = (covering.plan if paid_up else later.plan, later.interval)
    if runs_on == (sub.plan, sub.interval):
        sub.next_plan, sub.next_interval = None, ""
    else:
        sub.next_plan, sub.next_interval = runs_on


def _live_subscription_payments(sub: Subscription):
    """The subscription's paid bank-transfer subscription invoices that still count as
    paid (not credited back as the period paid twice)."""
    return sub.invoices.filter(
        provider=Subscription.Provider.BANK_TRANSFER,
        kind=Invoice.Kind.SUBSCRIPTION,
        status=Invoice.Status.PAID,
    ).exclude(
        Exists(
            CreditEntry.objects.filter(
                invoice=OuterRef("pk"), reason=CreditEntry.Reason.DUPLICATE_PAYMENT
            )
        )
    )


def _bank_invoices_void_for_card(
    *,
    sub: Subscription,
    card_starts: datetime,
    card_ends: datetime | None,
    stripe_subscription: str,
    switched: bool,
    by,
) -> list[Invoice]:
    """A card now pays for a (locked) subscription, from ``card_starts`` on (until
    ``card_ends`` when it is set to end then): its open bank-transfer invoices for
    periods the card pays are void (no longer owed, reminded or confirmable) and each is
    audited. A period already over counts as the card's: a confirmation would run it
    from that day (bank_transfer_confirm). A transfer whose proof awaits the operator is
    left (the money may be on its way: the operator decides), and so is every paid
    invoice. The cooperative is told which were voided, and, when the card has just
    taken over (``switched``), which were left. An upgrade's prorated invoice is for the
    current paid period, not the card's, and is left as it is. Returns the voided
    invoices.

    Locks the invoices after the subscription, as every billing write does."""
    today = timezone.localdate()
    first_day = max(timezone.localdate(card_starts), today)
    last_day = timezone.localdate(card_ends) if card_ends is not None else None
    voided, left = [], []
    for inv in (
        sub.invoices.filter(
            provider=Subscription.Provider.BANK_TRANSFER,
            kind=Invoice.Kind.SUBSCRIPTION,
            status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING],
        )
        .select_for_update()
        .order_by("pk")
    ):
        if today <= inv.period_end < first_day or (last_day and inv.period_start > last_day):
            continue  # a period before the card starts or after it ends: the transfer's
        if inv.status == Invoice.Status.AWAITING:
            left.append(inv)
            continue
        inv.status = Invoice.Status.VOID
        inv.voided_on = timezone.localdate()
        inv.save(update_fields=["status", "voided_on"])
        _void_credit(sub=sub, invoice=inv, by=by)
        voided.append(inv)
        _audit(
            actor=by,
            action=BillingAudit.BANK_INVOICE_VOIDED,
            target=inv,
            reason=_("Langganan kini dibayar dengan kartu"),
            data={
                "cooperative": sub.cooperative.slug,
                "amount": str(inv.amount),
                "reference": inv.reference,
                "period": [inv.period_start.isoformat(), inv.period_end.isoformat()],
                "stripe_subscription": stripe_subscription,
                "card_starts": card_starts.isoformat(),
            },
        )
    if voided or (left and switched):
        billing_email_send(
            kind="bank_invoices_voided",
            subscription=sub,
            extra={"voided": voided, "left": left, "card_starts": card_starts},
        )
    return voided


def _refuse_while_card_bills(sub: Subscription) -> None:
    if sub.stripe_subscription_id and sub.stripe_status in LIVE_STRIPE_STATUSES:
        raise ApplicationError(
            BillingErrors.CARD_ACTIVE,
            _(
                "Koperasi ini masih membayar dengan kartu (langganan Stripe berjalan). "
                "Pembayaran manual akan menagih dua kali: akhiri langganan kartu terlebih "
                "dahulu."
            ),
        )


@transaction.atomic
def bank_transfer_reject(*, invoice: Invoice, operator, reason: str) -> Invoice:
    """An operator finds no matching transfer: the invoice is open again, and the
    cooperative's credit that waited while the proof did is taken off it at once (paid
    by it when it covers it; _credit_to_open_invoices). When another invoice for (part
    of) its period was confirmed meanwhile (selectors.invoice_period_paid_by), it is void instead (audited
    billing.bank_invoice_voided, its credit given back): that period is paid. Locks the
    subscription first, then the invoice (the order of bank_transfer_confirm)."""
    _require_billing_operator(operator)
    reason = reason_required(
        reason, code=BillingErrors.STATUS_INVALID, message=_("Tuliskan alasan penolakan.")
    )
    # An invoice never changes subscription: reading its id unlocked is safe.
    sub = _lock(Subscription(pk=invoice.subscription_id))
    inv = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if inv.status != Invoice.Status.AWAITING:
        raise ApplicationError(
            BillingErrors.INVOICE_NOT_PAYABLE, _("Tagihan tidak menunggu konfirmasi.")
        )
    inv.status = Invoice.Status.OPEN
    inv.save(update_fields=["status"])
    inv.proofs.filter(rejected_at__isnull=True).update(
        rejected_at=timezone.now(), rejected_reason=reason
    )
    _audit(actor=operator, action=BillingAudit.BANK_TRANSFER_REJECTED, target=inv, reason=reason)
    paid_by = invoice_period_paid_by(invoice=inv)
    if paid_by is not None:
        # Another invoice for (part of) this period was confirmed while this proof
        # waited (a monthly and a yearly one from the same day are one period): the
        # period is paid, this one is not owed any more. Void (its credit comes back,
        # and what paid upgrades added for its period), as the confirmation would have
        # done to it had it been open.
        invoice_void(
            sub=sub,
            invoice=inv,
            by=operator,
            reason=_("Periode ini sudah dibayar dengan tagihan %(n)s") % {"n": paid_by.number},
        )
    _credit_to_open_invoices(sub=sub, by=operator)
    inv.refresh_from_db()
    billing_email_send(
        kind="proof_rejected",
        subscription=sub,
        extra={"invoice": inv, "reason": reason, "paid_by": paid_by},
    )
    return inv


@transaction.atomic
def subscription_tax_details_set(
    *, subscription: Subscription, npwp: str, address: str, by
) -> Subscription:
    """The cooperative's NPWP and tax address, printed on the invoices issued from now
    on, the NPWP as typed (empty clears it). An NPWP is 15 or 16 ASCII digits once the
    usual dots, dashes and spaces are removed (``tax.npwp_digits``): digits of another
    script or text around the number are refused, nothing changed."""
    if (npwp or "").strip() and npwp_digits(npwp) is None:
        message = _(
            "NPWP harus 15 atau 16 angka (0-9); titik, tanda hubung dan spasi boleh, "
            "misalnya 01.234.567.8-901.000."
        )
        raise ApplicationError(BillingErrors.NPWP_INVALID, message, fields={"npwp": [message]})
    sub = _lock(subscription)
    sub.npwp = (npwp or "").strip()[:30]
    sub.tax_address = (address or "").strip()[:300]
    sub.save()
    _audit(
        actor=by,
        action=BillingAudit.TAX_DETAILS_SET,
        target=sub.cooperative,
        data={"npwp": sub.npwp},
    )
    return sub
