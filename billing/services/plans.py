"""Choosing and paying: plan changes (prorated upgrades, downgrades at renewal), payment start, ending a card subscription, operators' plan edits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.audit import BillingAudit
from billing.card_preview import (
    card_preview_cached,
    card_preview_failed,
    card_preview_forget,
    card_preview_keep,
)
from core.common.errors import ApplicationError
from core.common.money import RupiahError, parse_rupiah

from ..models import CreditEntry, Interval, Invoice, Plan, Subscription
from ..providers.base import PaymentStart, provider_get
from ..providers.stripe_provider import StripeProvider, from_minor
from ..selectors import upgrade_differences_for
from .bank import (
    _credit_to_open_invoices,
    _live_subscription_payments,
    bank_invoice_issue,
    invoice_tax_fields,
    invoice_void,
)
from .common import (
    ARREARS_STRIPE_STATUSES,
    LIVE_STRIPE_STATUSES,
    BillingErrors,
    S,
    _audit,
    _check_plan_fits,
    _lock,
    _paid_until,
    _require_billing_operator,
    _require_reason,
    log,
)
from .credit import credit_balance

# Stripe Checkout takes a trial end (subscription_data.trial_end) at least 48 hours
# ahead; a few minutes more for the time the request takes.
CHECKOUT_MIN_DEFERRAL = timedelta(hours=48, minutes=5)

# -- choosing and paying ------------------------------------------------------------------


def _paid_invoice_now(sub: Subscription, today: date) -> Invoice | None:
    """The paid bank-transfer invoice whose period covers ``today`` (a paid period), not
    one credited back because another invoice paid the same period."""
    return (
        _live_subscription_payments(sub)
        .filter(
            period_start__lte=today,
            period_end__gte=today,
        )
        .order_by("-period_end", "-pk")
        .first()
    )


def proration_amount(
    *, old_price: Decimal, new_price: Decimal, period_start: date, period_end: date, today: date
) -> Decimal:
    """What the rest of a paid period costs on the dearer plan: the price difference for
    the remaining days (today included) over the period's days, whole rupiah, half up."""
    total = (period_end - period_start).days + 1
    remaining = (period_end - max(today, period_start)).days + 1
    if remaining <= 0 or new_price <= old_price:
        return Decimal(0)
    return ((new_price - old_price) * remaining / total).quantize(Decimal(1), ROUND_HALF_UP)


@transaction.atomic
def plan_change(*, subscription: Subscription, plan: Plan, interval: str, by) -> Subscription:
    """Change plan. Refused (with the reason) below the current active member count.
    A Stripe subscription is moved at Stripe first (prorated). A bank-transfer
    subscription inside a paid period is never moved for free: an upgrade issues a
    prorated invoice for the rest of the period and the plan changes when it is paid; a
    downgrade (or another interval) applies at renewal. Outside a paid period the plan
    changes at once (the next invoice is for it). Credit the change gives back (an
    invoice voided) goes onto the invoices still open at once."""
    sub = _plan_change(subscription=subscription, plan=plan, interval=interval, by=by)
    card_preview_forget(subscription_id=sub.pk)  # what the card charges next changed
    sub = _lock(sub)
    _credit_to_open_invoices(sub=sub, by=by)
    return sub


def _plan_change(*, subscription: Subscription, plan: Plan, interval: str, by) -> Subscription:
    if interval not in Interval.values:
        raise ApplicationError(BillingErrors.PLAN_UNAVAILABLE, _("Periode tagihan tidak dikenal."))
    if subscription.status == S.ARCHIVED:
        raise ApplicationError(BillingErrors.ARCHIVED, _("Langganan sudah diarsipkan."))
    count = _check_plan_fits(subscription=subscription, plan=plan)
    sub = _lock(subscription)
    _refuse_while_upgrade_transfer_awaits(sub)
    old_plan, old_interval = sub.plan, sub.interval
    if old_plan.pk == plan.pk and old_interval == interval:
        if sub.next_plan_id or sub.next_interval:
            # Back to the current plan: the change given up is not owed any more (its
            # renewal or prorated invoice, still unpaid, is void; the sweep invoices the
            # renewal for the plan kept).
            given_up = f"{(sub.next_plan or old_plan).code}/{sub.next_interval or old_interval}"
            if _card_deferred(sub):  # the waiting card is moved back too
                provider_get(Subscription.Provider.STRIPE).change_plan(
                    subscription=sub, plan=plan, interval=interval
                )
            sub.next_plan, sub.next_interval = None, ""
            sub.save()
            _change_invoices_void(
                sub,
                today=timezone.localdate(),
                by=by,
                reason=_("Kembali ke paket saat ini: perubahan paket dibatalkan"),
            )
            _plan_change_audit(
                sub,
                BillingAudit.PLAN_CHANGE_SCHEDULED,
                by=by,
                was=given_up,
                to=(plan, interval),
                count=count,
            )
        return sub
    today = timezone.localdate()
    paid = (
        _paid_invoice_now(sub, today)
        if sub.provider == Subscription.Provider.BANK_TRANSFER and sub.status == S.ACTIVE
        else None
    )
    if paid is not None:
        return _bank_plan_change_in_paid_period(
            sub=sub, plan=plan, interval=interval, paid=paid, today=today, by=by, count=count
        )
    if (
        sub.provider == Subscription.Provider.STRIPE
        and sub.stripe_subscription_id
        and sub.stripe_status
        not in (
            "canceled",
            "incomplete_expired",
        )
    ):
        provider_get(Subscription.Provider.STRIPE).change_plan(
            subscription=sub, plan=plan, interval=interval
        )
        if _card_deferred(sub):
            # The card charges nothing until what was paid (by transfer or an earlier
            # card) runs out: that period stays on the plan it was paid for, and the new
            # plan applies when the card starts charging (as subscription_sync_stripe
            # keeps it).
            sub.next_plan, sub.next_interval = plan, interval
            sub.save()
            _plan_change_audit(
                sub,
                BillingAudit.PLAN_CHANGE_SCHEDULED,
                by=by,
                was=f"{old_plan.code}/{old_interval}",
                to=(plan, interval),
                count=count,
                from_date=(timezone.localdate(_paid_until(sub)) + timedelta(days=1)).isoformat(),
            )
            return sub
    sub.plan, sub.interval = plan, interval
    sub.next_plan, sub.next_interval = None, ""
    if sub.is_over_limit and plan.allows(count):
        sub.over_limit_since = None
    sub.save()
    if sub.provider == Subscription.Provider.BANK_TRANSFER:
        # An unpaid invoice for the old plan is not owed (the next one is for the new plan).
        for inv in sub.invoices.filter(
            provider=Subscription.Provider.BANK_TRANSFER, status=Invoice.Status.OPEN
        ).select_for_update():
            invoice_void(
                sub=sub,
                invoice=inv,
                by=by,
                reason=_("Paket diganti menjadi %(plan)s") % {"plan": plan.name},
            )
    _plan_change_audit(
        sub,
        BillingAudit.PLAN_CHANGED,
        by=by,
        was=f"{old_plan.code}/{old_interval}",
        to=(plan, interval),
        count=count,
    )
    return sub


def _refuse_while_upgrade_transfer_awaits(sub: Subscription) -> None:
    """An upgrade's transfer whose proof awaits the operator may be paid: another plan
    change now would be figured from the plan before it (a second upgrade would bill
    that difference again once both are confirmed; a way back would be undone by the
    confirmation). The operator confirms or rejects it first."""
    awaiting = (
        sub.invoices.filter(kind=Invoice.Kind.PRORATION, status=Invoice.Status.AWAITING)
        .order_by("pk")
        .first()
    )
    if awaiting is not None:
        raise ApplicationError(
            BillingErrors.TRANSFER_AWAITING,
            _(
                "Bukti transfer tagihan %(n)s masih menunggu konfirmasi operator. Ganti "
                "paket setelah transfer itu dikonfirmasi atau ditolak, agar selisihnya "
                "tidak ditagih dua kali."
            )
            % {"n": awaiting.number},
        )


def _plan_change_audit(
    sub: Subscription, action: str, *, by, was: str, to: tuple[Plan, str], count: int, **more
) -> None:
    """The audit row of a plan change (made, scheduled or invoiced): from and to as
    ``code/interval``, the active members counted, and what else the change did."""
    plan, interval = to
    _audit(
        actor=by,
        action=action,
        target=sub.cooperative,
        data={"from": was, "to": f"{plan.code}/{interval}", "active_members": count, **more},
    )


def _change_invoices_void(sub: Subscription, *, today: date, by, reason: str) -> None:
    """Void the unpaid bank-transfer invoices a plan change (or its withdrawal) replaces:
    a prorated upgrade, and a renewal for a period not begun."""
    for inv in sub.invoices.filter(
        provider=Subscription.Provider.BANK_TRANSFER, status=Invoice.Status.OPEN
    ).select_for_update():
        if inv.kind == Invoice.Kind.PRORATION or inv.period_start > today:
            invoice_void(sub=sub, invoice=inv, by=by, reason=reason)


def _card_deferred(sub: Subscription) -> bool:
    """A card subscription that charges nothing yet because a paid period still runs
    (Stripe's ``trialing`` until that period ends: card_billing_start)."""
    paid_until = _paid_until(sub)
    return (
        sub.stripe_status == "trialing" and paid_until is not None and paid_until > timezone.now()
    )


def _bank_plan_change_in_paid_period(
    *, sub: Subscription, plan: Plan, interval: str, paid: Invoice, today: date, by, count: int
) -> Subscription:
    old_plan = sub.plan
    was = f"{old_plan.code}/{sub.interval}"
    # What was asked applies from the renewal on; an unpaid invoice for another change
    # (a renewal for the old plan, an earlier upgrade) is replaced.
    sub.next_plan, sub.next_interval = plan, interval
    sub.save()
    _change_invoices_void(
        sub, today=today, by=by, reason=_("Paket diganti menjadi %(plan)s") % {"plan": plan.name}
    )
    amount = proration_amount(
        old_price=old_plan.price_for(sub.interval),
        new_price=plan.price_for(sub.interval),
        period_start=paid.period_start,
        period_end=paid.period_end,  # the paid period covering today
        today=today,
    )
    period_end = paid.period_end
    differences: list[tuple[Invoice, Decimal]] = []
    if amount > 0:
        # Periods after this one already paid (a renewal paid early), or whose transfer
        # awaits the operator (the cooperative transferred the renewal as issued; the
        # operator checks that amount, so it is kept), are at the old plan's price: the
        # new plan applies to them too, so their difference is owed in full, once per
        # period (a monthly and a yearly invoice from the same day are one period bought
        # twice: only one of them will run). What an earlier paid upgrade already added
        # for such a period is not owed again.
        for later, level in _later_periods_bought(sub, after=paid.period_end):
            difference = plan.price_for(later.interval) - level
            if difference > 0:
                differences.append((later, difference))
            period_end = max(period_end, later.period_end)
    covers = [later.number for later, _difference in differences]
    total = amount + sum((d for _later, d in differences), Decimal(0))
    more: dict = {"covers": covers} if covers else {}
    if total > 0:
        invoice = bank_invoice_issue(
            subscription=sub,
            plan=plan,
            interval=sub.interval,
            by=by,
            kind=Invoice.Kind.PRORATION,
            amount=amount,
            period=(today, period_end),
            differences=differences,
        )
        more |= {"invoice": invoice.number, "amount": str(invoice.amount)}
        sub.refresh_from_db()  # paid at once when the credit covered it
        action = BillingAudit.PLAN_UPGRADE_INVOICED
    else:
        more["from_date"] = (timezone.localdate(sub.current_period_end) + timedelta(1)).isoformat()
        action = BillingAudit.PLAN_CHANGE_SCHEDULED
    _plan_change_audit(
        sub,
        action,
        by=by,
        was=was,
        to=(plan, interval),
        count=count,
        **more,
    )
    return sub


def _later_periods_bought(sub: Subscription, *, after: date) -> list[tuple[Invoice, Decimal]]:
    """The periods beginning after ``after`` bought by bank transfer (paid, not credited
    as paid twice, or awaiting the operator), one invoice per first day, in date order,
    each with the price level already paid for it (its own plan's, or a dearer one a
    paid upgrade topped it up to). Of several invoices for the same first day the one
    an upgrade already topped up is kept, else the paid one (it runs unless another is
    confirmed), else the one issued last."""
    candidates = (
        sub.invoices.filter(
            provider=Subscription.Provider.BANK_TRANSFER,
            status__in=[Invoice.Status.PAID, Invoice.Status.AWAITING],
            kind=Invoice.Kind.SUBSCRIPTION,
            period_start__gt=after,
        )
        .exclude(
            Exists(
                CreditEntry.objects.filter(
                    invoice=OuterRef("pk"), reason=CreditEntry.Reason.DUPLICATE_PAYMENT
                )
            )
        )
        .select_related("plan")
        .order_by("period_start", "pk")
    )
    by_start: dict[date, list[Invoice]] = {}
    for inv in candidates:
        by_start.setdefault(inv.period_start, []).append(inv)
    chosen = []
    for start, group in by_start.items():
        topped = {
            line.renewal_id: line.invoice.plan
            for line in upgrade_differences_for(subscription=sub, period_start=start)
        }
        later = (
            [inv for inv in group if inv.pk in topped]
            or [inv for inv in group if inv.status == Invoice.Status.PAID]
            or group
        )[-1]
        plans = [later.plan] + [p for pk, p in topped.items() if pk == later.pk]
        chosen.append((later, max(p.price_for(later.interval) for p in plans)))
    return chosen


def renewal_plan(*, subscription: Subscription, count: int | None = None) -> tuple[Plan, str]:
    """The plan and interval the next (renewal) invoice is for: the change asked for,
    else the current plan; when the active members no longer fit it, the cheapest
    offered plan that fits (the cooperative is told in advance, see usage_record)."""
    plan = subscription.next_plan or subscription.plan
    interval = subscription.next_interval or subscription.interval
    if count is None:
        count = subscription.active_members
    if count is not None and not plan.allows(count):
        fitting = [p for p in Plan.objects.filter(is_active=True) if p.allows(count)]
        fitting.sort(key=lambda p: (p.price_for(interval), p.sort_order, p.pk))
        if fitting:
            plan = fitting[0]
    return plan, interval


def renewal_figures(*, subscription: Subscription, count: int | None = None) -> dict:
    """What the next invoice, not issued yet, will ask (the billing page's "Tagihan
    berikutnya"): its plan and interval (renewal_plan), its ``amount`` as invoiced (PPN
    added when the plan's price is without it: invoice_tax_fields), the ``credit`` a
    bank-transfer invoice takes off it (up to its amount; none while a card subscription
    still bills, as bank_invoice_issue) and the ``due`` left to pay."""
    plan, interval = renewal_plan(subscription=subscription, count=count)
    amount = invoice_tax_fields(
        price=plan.price_for(interval), includes_ppn=plan.prices_include_ppn
    )["amount"]
    card_bills = (
        subscription.stripe_subscription_id and subscription.stripe_status in LIVE_STRIPE_STATUSES
    )
    credit = Decimal(0) if card_bills else min(credit_balance(subscription=subscription), amount)
    return {
        "plan": plan,
        "interval": interval,
        "interval_label": Interval(interval).label,
        "amount": amount,
        "credit": credit,
        "due": amount - credit,
    }


def next_invoice_figures(*, subscription: Subscription, count: int | None = None) -> dict:
    """The billing page's "Tagihan berikutnya": renewal_figures, and for a card
    subscription still billing, what Stripe will charge next instead (its invoice
    preview: the plan plus the prorations waiting after a plan change; ``from_stripe``).
    When Stripe cannot be asked the plan's price stays, marked ``estimate``: the page
    never fails for it, and never shows zero for a figure it could not read. A failed
    ask is kept a short while (card_preview_failed): views meanwhile do not ask again."""
    figures = renewal_figures(subscription=subscription, count=count)
    card_bills = (
        subscription.stripe_subscription_id
        and subscription.stripe_customer_id
        and subscription.stripe_status in LIVE_STRIPE_STATUSES
    )
    if not card_bills:
        return figures | {"from_stripe": False, "estimate": False}
    preview = card_preview_cached(subscription=subscription)
    if preview is None:
        provider = provider_get(Subscription.Provider.STRIPE)
        assert isinstance(provider, StripeProvider)
        try:
            preview = provider.invoice_preview(subscription=subscription)
        except stripe.StripeError:
            log.warning("Stripe invoice preview for %s failed", subscription.pk, exc_info=True)
            card_preview_failed(subscription=subscription)
            return figures | {"from_stripe": False, "estimate": True}
        preview = {"amount_due": preview.get("amount_due")}
        if preview["amount_due"] is not None:
            card_preview_keep(subscription=subscription, preview=preview)
        else:
            card_preview_failed(subscription=subscription)
    if preview.get("amount_due") is None:  # not a figure: never read as zero
        return figures | {"from_stripe": False, "estimate": True}
    amount = from_minor(preview["amount_due"])
    return figures | {
        "amount": amount,
        "credit": Decimal(0),
        "due": amount,
        "from_stripe": True,
        "estimate": False,
    }


def card_billing_start(
    *, subscription: Subscription, now: datetime | None = None
) -> datetime | None:
    """When a card subscription started now first charges the card: at the end of what
    is already covered (the period paid by bank transfer or by an earlier card, cancelled
    since, or the trial's remaining days, as the bank path keeps them), or None when
    nothing is covered (at once). Coverage ending within Stripe's 48-hour minimum is
    deferred to that minimum: the cooperative is never charged twice for the same days."""
    now = now or timezone.now()
    covered = [_paid_until(subscription)]
    if subscription.status == S.TRIAL:
        covered.append(subscription.trial_ends_at)
    until = max((c for c in covered if c is not None), default=None)
    if until is None or until <= now:
        return None
    return max(until, now + CHECKOUT_MIN_DEFERRAL)


def card_subscription_ending(*, subscription: Subscription) -> bool:
    """A card subscription that still runs but was cancelled to end at its period end
    (and is not in arrears): a new card may replace it, first charged when the period
    it paid for ends."""
    return bool(
        subscription.stripe_subscription_id
        and subscription.stripe_status in ("active", "trialing")
        and subscription.cancel_at_period_end
    )


def card_start_blocked(*, subscription: Subscription) -> bool:
    """A card subscription bills the cooperative and is not ending: another one (or a
    transfer) would bill twice."""
    return bool(
        subscription.stripe_subscription_id
        and subscription.stripe_status in LIVE_STRIPE_STATUSES
        and not card_subscription_ending(subscription=subscription)
    )


def payment_start(
    *,
    subscription: Subscription,
    provider: str,
    plan: Plan,
    interval: str,
    success_url: str,
    cancel_url: str,
    by,
) -> PaymentStart:
    """Start paying with a provider: Stripe Checkout, or a bank-transfer invoice. Both
    keep what is already covered: the invoice's period starts after it, the card is
    first charged when it ends (card_billing_start). A card set to end at its period
    end is ended now when a new card is set up (it would charge nothing more; what it
    paid for stays covered), so one card subscription bills at a time. A card is refused
    while a transfer's proof awaits the operator; the open transfer invoices it pays for
    are void once Stripe reports it (subscription_sync_stripe)."""
    if provider not in settings.BILLING_PROVIDERS:
        raise ApplicationError(BillingErrors.PROVIDER_UNKNOWN, _("Cara pembayaran tidak dikenal."))
    if interval not in Interval.values:
        raise ApplicationError(BillingErrors.PLAN_UNAVAILABLE, _("Periode tagihan tidak dikenal."))
    _check_plan_fits(subscription=subscription, plan=plan)
    if provider == Subscription.Provider.STRIPE:
        _refuse_card_while_transfer_awaits(subscription)
    if (
        provider == Subscription.Provider.BANK_TRANSFER
        and subscription.stripe_subscription_id
        and subscription.stripe_status in ARREARS_STRIPE_STATUSES
    ):
        # A card in arrears may switch to transfer: the card subscription ends first, so
        # nothing is billed twice.
        subscription = card_subscription_end(
            subscription=subscription,
            by=by,
            reason=_("Beralih ke transfer bank karena pembayaran kartu menunggak"),
        )
    if provider == Subscription.Provider.STRIPE and card_subscription_ending(
        subscription=subscription
    ):
        subscription = card_subscription_end(
            subscription=subscription,
            by=by,
            reason=_(
                "Kartu baru dipasang: langganan kartu yang akan berakhir di akhir periode "
                "diakhiri sekarang; periode yang sudah dibayar tetap berlaku"
            ),
            switch_to_transfer=False,
        )
    if subscription.stripe_subscription_id and subscription.stripe_status in LIVE_STRIPE_STATUSES:
        # Paying again would bill twice: change the plan or the card on the live one.
        raise ApplicationError(
            BillingErrors.ALREADY_SUBSCRIBED,
            _(
                'Langganan dengan kartu masih berjalan. Gunakan "Ganti paket" atau '
                '"Kelola kartu & tagihan" untuk mengubahnya.'
            ),
        )
    starts_at = (
        card_billing_start(subscription=subscription)
        if provider == Subscription.Provider.STRIPE
        else None
    )
    start = provider_get(provider).start_payment(
        subscription=subscription,
        plan=plan,
        interval=interval,
        success_url=success_url,
        cancel_url=cancel_url,
        billing_starts_at=starts_at,
    )
    data = {"provider": provider, "plan": plan.code, "interval": interval}
    if starts_at is not None:
        data["billing_starts_at"] = starts_at.isoformat()
    with transaction.atomic():
        _audit(
            actor=by,
            action=BillingAudit.PAYMENT_STARTED,
            target=subscription.cooperative,
            data=data,
        )
    return start


def _refuse_card_while_transfer_awaits(sub: Subscription) -> None:
    """A transfer whose proof awaits the operator may be paid: the card's first charge
    is only known once the operator has confirmed or rejected it (a card started now
    would also be charged for the period that transfer pays)."""
    awaiting = (
        sub.invoices.filter(
            provider=Subscription.Provider.BANK_TRANSFER, status=Invoice.Status.AWAITING
        )
        .order_by("pk")
        .first()
    )
    if awaiting is not None:
        raise ApplicationError(
            BillingErrors.TRANSFER_AWAITING,
            _(
                "Bukti transfer tagihan %(n)s masih menunggu konfirmasi operator. Bayar "
                "dengan kartu setelah transfer itu dikonfirmasi (kartu lalu ditagih mulai "
                "akhir periode yang dibayar) atau ditolak, agar tidak membayar dua kali."
            )
            % {"n": awaiting.number},
        )


def card_subscription_end(
    *, subscription: Subscription, by, reason: str, switch_to_transfer: bool = True
) -> Subscription:
    """End a cooperative's card subscription at Stripe now and make bank transfer its way
    of paying (a card in arrears switching to transfer, or an operator recording a manual
    payment). The period already paid by card stays; Stripe charges no more. Without
    ``switch_to_transfer`` (an archived cooperative) the way of paying is left as is."""
    reason = _require_reason(reason)
    if not (
        subscription.stripe_subscription_id and subscription.stripe_status in LIVE_STRIPE_STATUSES
    ):
        return subscription
    provider = provider_get(Subscription.Provider.STRIPE)
    assert isinstance(provider, StripeProvider)
    ended = provider.subscription_cancel(subscription=subscription)
    with transaction.atomic():
        sub = _lock(subscription)
        _card_end_record(
            sub,
            status=ended.get("status") or "canceled",
            by=by,
            reason=reason,
            switch_to_transfer=switch_to_transfer,
        )
    return sub


def _card_end_record(
    sub: Subscription, *, status: str, by, reason: str, switch_to_transfer: bool = True
) -> None:
    """Record on a (locked) subscription that its card subscription ended (Stripe's
    ``status`` now), bank transfer becoming the way of paying unless told otherwise;
    audited billing.card_subscription_ended with the status it had."""
    old = sub.stripe_status
    sub.stripe_status = status
    sub.cancel_at_period_end = False
    if switch_to_transfer:
        sub.provider = Subscription.Provider.BANK_TRANSFER
    sub.save()
    _audit(
        actor=by,
        action=BillingAudit.CARD_SUBSCRIPTION_ENDED,
        target=sub.cooperative,
        reason=reason,
        data={"stripe_subscription": sub.stripe_subscription_id, "from": old},
    )


def card_subscription_end_last(*, subscription: Subscription, by, reason: str):
    """For an action that ends a cooperative's card subscription together with other
    writes (an operator recording a manual payment): inside the caller's transaction,
    record that the card subscription ends and bank transfer becomes the way of paying,
    and return the call that ends it at Stripe. The caller makes that call as the LAST
    step of its transaction, after every write that could still be refused: a refusal
    there then never leaves the card cancelled at Stripe with nothing recorded, and a
    Stripe refusal or outage rolls the whole action back (nothing recorded, the card
    still bills and our row says so; the operator tries again). Cancelling after commit
    instead would leave a recorded transfer beside a card that may still charge while
    Stripe is unreachable: a double charge. Returns None without a card that bills. The
    call's ``ended_at_stripe`` turns True once Stripe has ended the card: a caller whose
    transaction fails after that (its commit included) flags it
    (card_end_unrecorded_flag), as the console's tenant_payment_record does."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("card_subscription_end_last needs the caller's transaction")
    reason = _require_reason(reason)
    sub = _lock(subscription)
    if not (sub.stripe_subscription_id and sub.stripe_status in LIVE_STRIPE_STATUSES):
        return None
    _card_end_record(sub, status="canceled", by=by, reason=reason)

    def cancel_at_stripe() -> None:
        provider = provider_get(Subscription.Provider.STRIPE)
        assert isinstance(provider, StripeProvider)
        ended = provider.subscription_cancel(subscription=sub)
        # Stripe has ended it: from here a failure (the caller's commit included) leaves
        # the card ended with nothing recorded; the caller flags it (ended_at_stripe).
        cancel_at_stripe.ended_at_stripe = True
        status = ended.get("status") or "canceled"
        if status != "canceled":
            Subscription.objects.filter(pk=sub.pk).update(stripe_status=status)

    cancel_at_stripe.ended_at_stripe = False
    return cancel_at_stripe


def card_end_unrecorded_flag(*, cooperative_id: int, by, reason: str, error: str) -> bool:
    """Stripe ended the card (card_subscription_end_last's call, made last) but the
    transaction that recorded the payment with it then failed to commit: nothing of it
    was written. Record what is true now in a transaction of its own: the card no longer
    bills (bank transfer is the way of paying), flagged for operators until a payment is
    recorded (bank_transfer_confirm clears it), audited with the error. If this cannot
    be written either (the database still down), it is logged, and Stripe's event for
    the ended subscription flags it (billing.webhooks). Returns whether it was written."""
    stripe_id = "?"
    try:
        with transaction.atomic():
            sub = _lock(Subscription.objects.get(cooperative_id=cooperative_id))
            stripe_id = sub.stripe_subscription_id
            old = sub.stripe_status
            sub.stripe_status = "canceled"
            sub.cancel_at_period_end = False
            sub.provider = Subscription.Provider.BANK_TRANSFER
            sub.card_end_unrecorded_at = timezone.now()
            sub.save()
            _audit(
                actor=by,
                action=BillingAudit.CARD_ENDED_PAYMENT_UNRECORDED,
                target=sub.cooperative,
                reason=reason,
                data={
                    "stripe_subscription": sub.stripe_subscription_id,
                    "from": old,
                    "error": error[:500],
                },
            )
    except Exception:
        log.critical(
            "Card subscription %s of cooperative %s ended at Stripe, payment not recorded, "
            "and the flag could not be written either",
            stripe_id,
            cooperative_id,
            exc_info=True,
        )
        return False
    return True


# -- plans (operators) --------------------------------------------------------------------

# The price columns are numeric(14, 0).
PRICE_MAX = Decimal("99999999999999")

PLAN_FIELDS = (
    "name",
    "max_members",
    "price_monthly",
    "price_yearly",
    "prices_include_ppn",
    "features",
    "limits",
    "is_active",
    "sort_order",
)


@transaction.atomic
def plan_save(*, operator, plan: Plan | None = None, **fields) -> Plan:
    """Create or edit a plan (operators with billing/admin role). A price change makes
    new Stripe prices (Stripe prices cannot change): the old ids are dropped and the
    catalogue is synced after commit; running subscriptions keep their price until they
    change plan."""
    _require_billing_operator(operator)
    unknown = set(fields) - set(PLAN_FIELDS) - {"code"}
    if unknown:
        raise ValueError(f"unknown plan fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    for key in ("price_monthly", "price_yearly"):
        if key in fields:
            try:
                fields[key] = parse_rupiah(fields[key], field=_("Harga"), max_value=PRICE_MAX)
            except RupiahError as e:
                errors[key] = [e.text]
    if fields.get("max_members") is not None and int(fields["max_members"]) < 1:
        errors["max_members"] = [_("Minimal 1 anggota, atau kosong untuk tanpa batas.")]
    if errors:
        raise ApplicationError(
            BillingErrors.STATUS_INVALID, _("Data paket tidak valid."), fields=errors
        )
    if plan is None:
        plan = Plan(**fields)
        old = {}
    else:
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        old = {k: getattr(plan, k) for k in PLAN_FIELDS}
        for key, value in fields.items():
            setattr(plan, key, value)
    ppn_changed = old.get("prices_include_ppn", plan.prices_include_ppn) != (
        plan.prices_include_ppn
    )  # the card is charged another total
    if plan.pk is None or old.get("price_monthly") != plan.price_monthly or ppn_changed:
        plan.stripe_price_monthly_id = ""
    if plan.pk is None or old.get("price_yearly") != plan.price_yearly or ppn_changed:
        plan.stripe_price_yearly_id = ""
    plan.save()
    changed = {
        k: [str(old.get(k)), str(getattr(plan, k))]
        for k in PLAN_FIELDS
        if old.get(k) != getattr(plan, k)
    }
    _audit(actor=operator, action=BillingAudit.PLAN_SAVED, target=plan, data={"changed": changed})
    if not (plan.stripe_price_monthly_id and plan.stripe_price_yearly_id) and plan.is_active:
        # import cycle: billing.tasks imports billing.services
        from ..tasks import stripe_catalog_sync_task

        transaction.on_commit(lambda: stripe_catalog_sync_task.delay())
    return plan
