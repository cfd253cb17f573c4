"""Operators' changes from the console: status overrides (with a grace), trial extensions, purging a deleted cooperative's rows."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.audit import BillingAudit
from core.common.errors import ApplicationError
from tenants.models import Cooperative

from ..emails import billing_email_send
from ..models import DeletedCooperative, Invoice, PaymentProof, Subscription, UpgradeDifference
from .common import (
    LIVE_STRIPE_STATUSES,
    BillingErrors,
    S,
    _audit,
    _end_of_day,
    _lock,
    _require_reason,
    _status_set,
    period_end_for,
)


@transaction.atomic
def subscription_status_override(
    *,
    subscription: Subscription,
    status: str,
    operator,
    reason: str,
    grace_days: int | None = None,
) -> Subscription:
    """An operator moves a subscription (and its cooperative) to ``status`` by hand:
    suspend, reactivate, archive from the console. Audited with the reason. A manual
    suspension or archive is marked as such, with the operator's reason for the
    cooperative's staff (a payment never lifts it: operator_held); archiving ends the
    card subscription (see _status_set). Made active
    without a paid period ahead, the subscription gets a period end ``grace_days``
    (settings.BILLING_REACTIVATION_GRACE_DAYS when not given) from now: access is never
    given for good, and the daily sweep takes it from there."""
    reason = _require_reason(reason)
    if status not in S.values:
        raise ApplicationError(BillingErrors.STATUS_INVALID, _("Status langganan tidak dikenal."))
    if grace_days is not None and not 1 <= grace_days <= 365:
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("Masa tenggang antara 1 dan 365 hari."),
            fields={"days": [_("Antara 1 dan 365.")]},
        )
    sub = _lock(subscription)
    now = timezone.now()
    if status in (S.SUSPENDED, S.ARCHIVED):
        # lifted only by an operator: a payment (a card's reported by Stripe, a transfer
        # confirmed) does not undo it; the cooperative's staff are shown the reason
        if status == S.SUSPENDED:
            sub.suspended_by_operator = True
        else:
            sub.archived_by_operator = True
        sub.operator_reason = reason
        sub.save()
    if status == S.ACTIVE and not (sub.current_period_end and sub.current_period_end > now):
        days = grace_days if grace_days is not None else settings.BILLING_REACTIVATION_GRACE_DAYS
        sub.current_period_end = _end_of_day(timezone.localdate(now) + timedelta(days=days))
        sub.save()
        _audit(
            actor=operator,
            action=BillingAudit.GRACE_GRANTED,
            target=sub.cooperative,
            reason=reason,
            data={"days": days, "period_end": sub.current_period_end.isoformat()},
        )
    _status_set(sub=sub, status=status, reason=reason, actor=operator)
    return sub


@transaction.atomic
def trial_extend(*, subscription: Subscription, days: int, operator, reason: str) -> Subscription:
    """An operator gives ``days`` more trial (from today when the trial already ended);
    a cooperative that fell past due only because its trial ended is back on trial.
    Its unpaid bank-transfer invoices for the period after the trial (open, or with a
    proof awaiting the operator) then start the day after the new trial end
    (_invoices_after_trial_move): paying them never buys days given free. When any
    moved, the cooperative's billing address gets one e-mail (after commit) and the
    same in-app notice naming each with its old and new period and due date
    (``invoice_period_moved``); nothing is sent when none moved or the extension is
    refused."""
    reason = _require_reason(reason)
    if not 1 <= days <= 365:
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("Perpanjangan masa uji coba antara 1 dan 365 hari."),
            fields={"days": [_("Antara 1 dan 365.")]},
        )
    sub = _lock(subscription)
    paid = sub.invoices.filter(status=Invoice.Status.PAID).exists()
    if sub.stripe_subscription_id and sub.stripe_status in LIVE_STRIPE_STATUSES:
        # A card that still bills (on trial at Stripe, active or in arrears): a longer
        # trial here would not stop its charges. A cancelled one bills nothing.
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _(
                "Koperasi ini masih berlangganan dengan kartu (Stripe). Masa uji coba tidak "
                "dapat diperpanjang selama langganan kartu itu masih menagih."
            ),
        )
    if sub.status not in (S.TRIAL, S.PAST_DUE) or paid:
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("Masa uji coba hanya dapat diperpanjang untuk koperasi yang belum berlangganan."),
        )
    now = timezone.now()
    old = sub.trial_ends_at
    sub.trial_ends_at = max(old or now, now) + timedelta(days=days)
    sub.trial_notice_sent_at = None
    sub.save()
    _audit(
        actor=operator,
        action=BillingAudit.TRIAL_EXTENDED,
        target=sub.cooperative,
        reason=reason,
        data={
            "days": days,
            "from": old.isoformat() if old else None,
            "to": sub.trial_ends_at.isoformat(),
        },
    )
    moved = _invoices_after_trial_move(sub=sub, by=operator, reason=reason)
    if sub.status == S.PAST_DUE:
        _status_set(sub=sub, status=S.TRIAL, reason=reason, actor=operator)
    if moved:
        # One e-mail (after commit) and in-app notice for the whole batch moved.
        billing_email_send(
            kind="invoice_period_moved",
            subscription=sub,
            extra={
                "moved": moved,
                "numbers": ", ".join(m["invoice"].number for m in moved),
                "trial_ends_on": timezone.localdate(sub.trial_ends_at),
            },
        )
    return sub


def _invoices_after_trial_move(*, sub: Subscription, by, reason: str) -> list[dict]:
    """A (locked) subscription's trial now ends later: each unpaid bank-transfer
    subscription invoice whose period begins before the new trial is over moves to
    begin the day after it, for the same interval (period_end_for), due by the trial's
    last day; same number, reference, plan and amount (what a transfer on its way
    was made for). Each move is audited (billing.invoice_period_moved). A paid invoice
    is never moved (a trial is not extended once one is: trial_extend). Locks the
    invoices after the subscription, as every billing write does. Returns each moved
    invoice with its period and due date before (``invoice``, ``was_start``,
    ``was_end``, ``was_due``), for the cooperative's e-mail."""
    start = timezone.localdate(sub.trial_ends_at) + timedelta(days=1)
    moved = []
    for inv in (
        sub.invoices.filter(
            provider=Subscription.Provider.BANK_TRANSFER,
            kind=Invoice.Kind.SUBSCRIPTION,
            status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING],
            period_start__lt=start,
        )
        .select_for_update()
        .order_by("pk")
    ):
        was = (inv.period_start, inv.period_end, inv.due_on)
        inv.period_start = start
        inv.period_end = period_end_for(start, inv.interval) - timedelta(days=1)
        inv.due_on = max(start - timedelta(days=1), inv.due_on)
        inv.save(update_fields=["period_start", "period_end", "due_on"])
        # An upgrade's line for this period (none during a trial) follows it.
        UpgradeDifference.objects.filter(renewal=inv).update(period_start=start)
        _audit(
            actor=by,
            action=BillingAudit.INVOICE_PERIOD_MOVED,
            target=inv,
            reason=reason,
            data={
                "cooperative": sub.cooperative.slug,
                "invoice": inv.number,
                "status": inv.status,
                "amount": str(inv.amount),
                "from": [was[0].isoformat(), was[1].isoformat()],
                "to": [inv.period_start.isoformat(), inv.period_end.isoformat()],
                "due_on": [was[2].isoformat(), inv.due_on.isoformat()],
                "trial_ends_at": sub.trial_ends_at.isoformat(),
            },
        )
        moved.append({"invoice": inv, "was_start": was[0], "was_end": was[1], "was_due": was[2]})
    return moved


@transaction.atomic
def billing_records_purge(*, cooperative: Cooperative) -> dict:
    """A cooperative is deleted (the console's "delete an archived tenant"): its billing
    rows go, except its tax records. The invoices and credit notes (nota retur) issued
    are kept, as issued, for the tax office (10 years; the e-Faktur data of their months
    reads them): they no longer point at the subscription, and each names its buyer
    itself (its identity was copied on when issued: invoice_buyer_fields; a blank name,
    which no document issued since migration 0018 has, gets the cooperative's).
    An invoice's lines (UpgradeDifference) stay with it. A DeletedCooperative row
    records who the cooperative was (id, address, name, NIK koperasi, NPWP, the time),
    whether or not it ever issued an invoice (one without a subscription too), and each
    kept invoice points at it: the operators' list of deleted cooperatives
    (selectors.deleted_cooperatives). The subscription, its credit ledger, notices and
    transfer proofs (their files go with the cooperative's) are removed. Returns what
    was kept, for the audit row."""
    sub = Subscription.objects.select_for_update().filter(cooperative=cooperative).first()
    name = cooperative.name[:200]
    owner = DeletedCooperative.objects.create(
        cooperative_pk=cooperative.pk,
        slug=cooperative.slug,
        name=name,
        nik_koperasi=cooperative.nik_koperasi,
        npwp=sub.npwp if sub is not None else "",
        deleted_at=timezone.now(),
    )
    if sub is None:
        return {"invoices": [], "credit_notes": []}
    invoices = list(sub.invoices.order_by("pk").values("number", "amount", "status", "issued_on"))
    notes = list(sub.credit_notes.order_by("pk").values_list("number", flat=True))
    PaymentProof.objects.filter(invoice__subscription=sub).delete()
    sub.invoices.filter(buyer_name="").update(buyer_name=name)
    sub.credit_notes.filter(buyer_name="").update(buyer_name=name)
    sub.credit_notes.update(subscription=None, credit_entry=None)
    sub.credit_entries.all().delete()
    sub.invoices.update(subscription=None, deleted_cooperative=owner)
    sub.delete()
    return {
        "invoices": [
            {
                "number": i["number"],
                "amount": str(i["amount"]),
                "status": i["status"],
                "issued_on": i["issued_on"].isoformat(),
            }
            for i in invoices
        ],
        "credit_notes": notes,
    }
