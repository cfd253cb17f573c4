"""Stripe webhooks: receive (verify, store, answer fast) and process (in a Celery task).

Receiving stores every request: valid events under their unique id, invalid ones as
``rejected``. A replayed event id is answered 200 and changes nothing. Processing never
trusts the payload's copy of the object: it re-fetches the object from the API, so
events arriving late or out of order end in the state Stripe has now."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import stripe
from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from billing.audit import BillingAudit
from core.audit.services import audit_log
from core.common.said import Said
from tenants.models import Cooperative

from .card_preview import card_preview_forget
from .emails import billing_email_send
from .models import Interval, Invoice, Subscription, WebhookEvent
from .providers.stripe_provider import (
    StripeProvider,
    from_minor,
    invoice_subscription_id,
    plan_for_price,
)
from .selectors import suspension_on
from .services import (
    LIVE_STRIPE_STATUSES,
    invoice_buyer_fields,
    invoice_number_next,
    invoice_reissue_paid,
    invoice_tax_fields,
    subscription_sync_stripe,
)
from .webhook_flags import flag_said

log = logging.getLogger(__name__)

HANDLED = {
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "customer.subscription.trial_will_end",
}
# Invoice events: each re-fetches the invoice and mirrors Stripe's state now (so they
# may arrive in any order, and more than once).
INVOICE_EVENTS = {
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
}
_SKIP_HEADERS = {"cookie", "authorization"}


def _storable(text: str) -> str:
    """``text`` as PostgreSQL can store it: a NUL character (which no text or JSON column
    accepts, and no real event carries) is kept visibly escaped as ``\\x00``."""
    return text.replace("\x00", "\\x00")


def _headers_of(request_headers) -> dict[str, str]:
    return {
        _storable(k): _storable(v)
        for k, v in request_headers.items()
        if k.lower() not in _SKIP_HEADERS
    }


def _event_of(text: str) -> dict:
    """The decoded event, or ValueError when it is not an object with a text ``id`` and
    ``type`` (an array body, a missing id)."""
    event = json.loads(text)
    if not isinstance(event, dict):
        raise ValueError("event is not a JSON object")
    for key in ("id", "type"):
        value = event.get(key)
        if not isinstance(value, str) or not value or len(value) > 100 or "\x00" in value:
            raise ValueError(f"event without a valid {key!r}")
    return event


def rejection_of(row: WebhookEvent) -> tuple[str, str]:
    """The error code and message answered for a rejected request: a bad signature, or a
    signed body that is not one event (what was wrong with it)."""
    kind, _sep, detail = row.error.partition(": ")
    if kind == "SignatureVerificationError":
        return "invalid_signature", "invalid signature"
    return "invalid_event", detail or kind


def stripe_event_receive(*, raw_body: bytes, headers) -> tuple[int, WebhookEvent]:
    """Verify and store one webhook request. Returns (HTTP status, stored row). A body
    with a NUL byte is not JSON (and so never a valid event): it is stored escaped and
    answered 400 like any other invalid request."""
    text = raw_body.decode("utf-8", errors="replace")
    stored_headers = _headers_of(headers)
    try:
        # the signature first (what stripe.Webhook.construct_event does), then the shape:
        # a signed body must still be one event object with a text id and type
        stripe.WebhookSignature.verify_header(
            text,
            headers.get("Stripe-Signature", ""),
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=stripe.Webhook.DEFAULT_TOLERANCE,  # stale (replayed) deliveries: 400
        )
        event = _event_of(text)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        claimed_id, claimed_type = "", ""
        try:
            claimed = json.loads(text)
            claimed_id = _storable(str(claimed.get("id", "")))[:100]
            claimed_type = _storable(str(claimed.get("type", "")))[:100]
        except (ValueError, AttributeError):
            pass
        row = WebhookEvent.objects.create(
            event_id=claimed_id,
            event_type=claimed_type,
            valid=False,
            raw_body=_storable(text),
            headers=stored_headers,
            state=WebhookEvent.State.REJECTED,
            error=_storable(f"{type(exc).__name__}: {exc}")[:2000],
        )
        log.warning("Rejected Stripe webhook (claimed id %r): %s", claimed_id, exc)
        return 400, row
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                event_id=event["id"],
                event_type=event["type"],
                valid=True,
                raw_body=text,
                headers=stored_headers,
            )
            transaction.on_commit(lambda: _enqueue(row.pk))
    except IntegrityError:
        row = WebhookEvent.objects.get(provider="stripe", event_id=event["id"], valid=True)
        if row.state in (WebhookEvent.State.RECEIVED, WebhookEvent.State.FAILED):
            # Not done yet (queue lost, or failed): the redelivery queues it again;
            # processing is locked and idempotent, so this is safe.
            transaction.on_commit(lambda: _enqueue(row.pk))
        log.info("Replay of Stripe event %s (state %s)", event["id"], row.state)
        return 200, row
    return 200, row


def _enqueue(pk: int) -> None:
    # import cycle: billing.tasks imports this module
    from .tasks import stripe_event_process_task

    stripe_event_process_task.delay(pk)


def stripe_event_process(*, event_pk: int, provider: StripeProvider | None = None) -> WebhookEvent:
    """Process one stored event (idempotent: a processed event is left alone)."""
    with transaction.atomic():
        row = WebhookEvent.objects.select_for_update().get(pk=event_pk)
        if not row.valid or row.state in (WebhookEvent.State.PROCESSED, WebhookEvent.State.IGNORED):
            return row
        row.attempts += 1
        row.save(update_fields=["attempts"])
        try:
            with transaction.atomic():
                _dispatch(row, json.loads(row.raw_body), provider or StripeProvider())
        except Exception as exc:
            stranger = _stranger(exc, json.loads(row.raw_body))
            if stranger:
                # Nothing to retry and nothing of ours: not a failure for operators.
                _flag(row, stranger)
                row.error = ""
                row.processed_at = timezone.now()
                row.save()
                return row
            row.state = WebhookEvent.State.FAILED
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
            row.save(update_fields=["state", "error"])
            log.exception("Processing Stripe event %s failed", row.event_id)
            failed = exc
        else:
            failed = None
            if row.subscription_id:
                # What Stripe charges next may have changed: the next view asks it.
                card_preview_forget(subscription_id=row.subscription_id)
            if row.state == WebhookEvent.State.RECEIVED or row.state == WebhookEvent.State.FAILED:
                row.state = WebhookEvent.State.PROCESSED
            row.error = ""
            row.processed_at = timezone.now()
            row.save()
    if failed is not None and _transient(failed):
        raise failed  # the Celery task retries with backoff
    return row


def _stranger(exc: Exception, event: dict) -> Said | None:
    """The reason an event is ignored when Stripe does not have the object it names (a
    404) and Lumbung does not know it either (no subscription, customer or invoice of
    ours has its id, nor the customer or subscription it names): an object of another
    product or mode on the account, or one deleted since. "" when it is not that: an
    object of ours that Stripe cannot find stays a failure (None)."""
    if not (isinstance(exc, stripe.InvalidRequestError) and exc.http_status == 404):
        return None
    obj = (event.get("data") or {}).get("object") or {}
    ids = {
        i["id"] if isinstance(i, dict) else i
        for i in (obj.get("id"), obj.get("customer"), obj.get("subscription"))
        if i
    }
    ours = (
        Subscription.objects.filter(
            Q(stripe_subscription_id__in=ids) | Q(stripe_customer_id__in=ids)
        ).exists()
        or Invoice.objects.filter(stripe_invoice_id__in=ids).exists()
    )
    if ours:
        return None
    return flag_said("webhook.stranger", object=obj.get("id") or "-", type=event.get("type") or "-")


def _transient(exc: Exception) -> bool:
    """Worth retrying: the provider or the database was briefly unavailable. A 4xx from
    the provider (e.g. the object does not exist) stays failed for operators to see."""
    return isinstance(
        exc, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError | OperationalError
    )


def _flag(row: WebhookEvent, reason: Said) -> None:
    """Flag ``row`` for operators with ``reason`` (``flag_said``): its text in Indonesian,
    its code and params to say it again in the operator's language."""
    row.flagged = True
    row.flag_reason = reason[:300]
    row.flag_code = reason.code
    row.flag_params = reason.params
    row.state = WebhookEvent.State.IGNORED
    audit_log(actor="stripe", action=BillingAudit.WEBHOOK_FLAGGED, target=row, reason=reason)


def _sub_for_customer(row: WebhookEvent, customer_id: str | None) -> Subscription | None:
    sub = (
        Subscription.objects.filter(stripe_customer_id=customer_id).first() if customer_id else None
    )
    if sub is None:
        _flag(row, flag_said("webhook.unknown_customer", customer=customer_id or "-"))
    return sub


def _dispatch(row: WebhookEvent, event: dict, provider: StripeProvider) -> None:
    etype = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    if etype not in HANDLED:
        row.state = WebhookEvent.State.IGNORED
        return
    if etype == "checkout.session.completed":
        _checkout_completed(row, provider.checkout_session_fetch(obj["id"]), provider)
    elif (
        etype.startswith("customer.subscription.")
        and etype != "customer.subscription.trial_will_end"
    ):
        stripe_sub = provider.subscription_fetch(obj["id"])
        sub = _sub_for_customer(row, stripe_sub.get("customer"))
        if sub:
            row.subscription = sub
            unrecorded = _card_end_unrecorded(sub, stripe_sub)
            sub = subscription_sync_stripe(subscription=sub, stripe_sub=stripe_sub)
            _flag_second_card(row, sub, stripe_sub)
            if unrecorded:
                _card_end_unrecorded_flag(row, sub)
    elif etype == "customer.subscription.trial_will_end":
        stripe_sub = provider.subscription_fetch(obj["id"])
        sub = _sub_for_customer(row, stripe_sub.get("customer"))
        if sub:
            row.subscription = sub
            sub = subscription_sync_stripe(subscription=sub, stripe_sub=stripe_sub)
            if stripe_sub.get("status") == "trialing" and sub.status == Subscription.Status.TRIAL:
                billing_email_send(kind="trial_ending", subscription=sub)
    elif etype in INVOICE_EVENTS:
        stripe_inv = provider.invoice_fetch(obj["id"])
        sub = _sub_for_customer(row, stripe_inv.get("customer"))
        if sub is None:
            return
        row.subscription = sub
        sub_id = invoice_subscription_id(stripe_inv)
        if sub_id:
            stripe_sub = provider.subscription_fetch(sub_id)
            sub = subscription_sync_stripe(
                subscription=sub,
                stripe_sub=stripe_sub,
                latest_invoice_paid=_latest_invoice_paid(stripe_sub, provider, stripe_inv),
            )
            _flag_second_card(row, sub, stripe_sub)
        _invoice_mirror(sub, stripe_inv)
        if etype == "invoice.payment_failed" and stripe_inv.get("status") != "paid":
            billing_email_send(
                kind="payment_failed",
                subscription=sub,
                extra={
                    "amount": from_minor(stripe_inv.get("amount_due")),
                    "grace_days": settings.BILLING_PAST_DUE_GRACE_DAYS,
                    "suspend_on": suspension_on(subscription=sub),
                },
            )


def _checkout_completed(row: WebhookEvent, session: dict, provider: StripeProvider) -> None:
    slug = session.get("client_reference_id") or ""
    coop = Cooperative.objects.filter(slug=slug).exclude(schema_name="public").first()
    sub = Subscription.objects.filter(cooperative=coop).first() if coop else None
    if sub is None:
        _flag(row, flag_said("webhook.unknown_checkout", slug=slug or "-"))
        return
    row.subscription = sub
    customer = session.get("customer")
    if sub.stripe_customer_id and customer and sub.stripe_customer_id != customer:
        _flag(
            row,
            flag_said(
                "webhook.customer_mismatch",
                customer=customer,
                slug=slug,
                ours=sub.stripe_customer_id,
            ),
        )
        return
    if customer and not sub.stripe_customer_id:
        Subscription.objects.filter(pk=sub.pk).update(stripe_customer_id=customer)
        sub.stripe_customer_id = customer
    if session.get("subscription"):
        sub_id = session["subscription"]
        sub_id = sub_id["id"] if isinstance(sub_id, dict) else sub_id
        stripe_sub = provider.subscription_fetch(sub_id)
        sub = subscription_sync_stripe(
            subscription=sub,
            stripe_sub=stripe_sub,
            latest_invoice_paid=_latest_invoice_paid(stripe_sub, provider),
        )
        _flag_second_card(row, sub, stripe_sub)


def _card_end_unrecorded(sub: Subscription, stripe_sub: dict) -> bool:
    """Stripe ended the card subscription we follow while our row still says it bills
    (active or on trial, not set to end, not archived): every ending we ask for is
    written here (card_subscription_end, card_subscription_end_last), so nothing records
    this one, e.g. a manual payment whose commit failed after Stripe ended the card."""
    return (
        stripe_sub.get("status") == "canceled"
        and sub.stripe_subscription_id == stripe_sub["id"]
        and sub.provider == Subscription.Provider.STRIPE
        and sub.stripe_status in ("active", "trialing")
        and not sub.cancel_at_period_end
        and sub.status != Subscription.Status.ARCHIVED
    )


def _card_end_unrecorded_flag(row: WebhookEvent, sub: Subscription) -> None:
    Subscription.objects.filter(pk=sub.pk, card_end_unrecorded_at__isnull=True).update(
        card_end_unrecorded_at=timezone.now()
    )
    _flag(
        row,
        flag_said(
            "webhook.card_end_unrecorded",
            subscription=sub.stripe_subscription_id,
            slug=sub.cooperative.slug,
        ),
    )


def _flag_second_card(row: WebhookEvent, sub: Subscription, stripe_sub: dict) -> None:
    """A card subscription of this cooperative that still bills but is not the one we
    follow (two Checkout pages paid, a subscription made in Stripe's dashboard) charges
    the card a second time: operators must see it (to end and refund it at Stripe)."""
    if (
        sub.stripe_subscription_id
        and sub.stripe_subscription_id != stripe_sub["id"]
        and stripe_sub.get("status") in LIVE_STRIPE_STATUSES
    ):
        _flag(
            row,
            flag_said(
                "webhook.second_card",
                second=stripe_sub["id"],
                status=stripe_sub.get("status"),
                slug=sub.cooperative.slug,
                first=sub.stripe_subscription_id,
            ),
        )


def _latest_invoice_paid(
    stripe_sub: dict, provider: StripeProvider, known: dict | None = None
) -> bool:
    """Whether the subscription's latest invoice (``known`` when it is the one fetched
    already) is paid with money: then the subscription's current period is paid by card.
    A trial's zero invoice pays nothing."""
    latest = stripe_sub.get("latest_invoice")
    latest = latest.get("id") if isinstance(latest, dict) else latest
    if not latest:
        return False
    invoice = known if known is not None and known.get("id") == latest else None
    if invoice is None:
        invoice = provider.invoice_fetch(latest)
    return invoice.get("status") == "paid" and (invoice.get("amount_paid") or 0) > 0


def _date(ts) -> datetime | None:
    return datetime.fromtimestamp(int(ts), tz=UTC) if ts else None


def _invoice_period(inv: dict) -> tuple[int | None, int | None]:
    """The period an invoice pays for: its lines' periods. (A subscription invoice's own
    ``period_start``/``period_end`` look back one period: the first invoice's are both
    its creation time.) The invoice's own, without line periods."""
    lines = ((inv.get("lines") or {}).get("data")) or []
    periods = [line.get("period") or {} for line in lines]
    starts = [p["start"] for p in periods if p.get("start")]
    ends = [p["end"] for p in periods if p.get("end")]
    if starts and ends:
        return min(starts), max(ends)
    return inv.get("period_start"), inv.get("period_end")


def _invoice_mirror(sub: Subscription, inv: dict) -> Invoice | None:
    """Insert or update our copy of a Stripe invoice (state as fetched now). An invoice
    of Rp 0 (a card's trial or deferred start) charged nothing: it is not copied (no
    number of the tax invoice series, no receipt, no e-Faktur row).

    Paid and void are final. A void copy (Stripe voided it or marked it uncollectible)
    is in the e-Faktur data of the months already reported: it never changes again.
    Stripe reporting it paid since (an uncollectible invoice the customer paid after
    all) records the payment on a re-issue (``invoice_reissue_paid``: a new number,
    dated today), made once; its copy is what is returned from then on."""
    status = {
        "paid": Invoice.Status.PAID,
        "void": Invoice.Status.VOID,
        "uncollectible": Invoice.Status.VOID,
    }.get(inv.get("status"), Invoice.Status.OPEN)
    created = _date(inv.get("created")) or timezone.now()
    plan, interval = sub.plan, sub.interval
    lines = ((inv.get("lines") or {}).get("data")) or []
    for line in lines:
        price = (
            line.get("price")
            or line.get("plan")
            or (line.get("pricing") or {}).get("price_details")
            or {}
        )
        price_id = price.get("id") if isinstance(price, dict) else price
        found = plan_for_price(price_id or "")
        if found:
            plan, interval = found
    transitions = inv.get("status_transitions") or {}
    paid_at = _date(transitions.get("paid_at")) or (
        timezone.now() if status == Invoice.Status.PAID else None
    )
    period_start, period_end = _invoice_period(inv)
    values = {
        "subscription": sub,
        "provider": Subscription.Provider.STRIPE,
        "provider_number": (inv.get("number") or inv["id"])[:100],
        "plan": plan,
        "interval": interval if interval in Interval.values else Interval.MONTH,
        "status": status,
        "issued_on": timezone.localdate(created),
        "due_on": timezone.localdate(_date(inv.get("due_date")) or created),
        "period_start": timezone.localdate(_date(period_start)) if period_start else None,
        "period_end": timezone.localdate(_date(period_end)) if period_end else None,
        "paid_at": paid_at,
        "hosted_url": inv.get("hosted_invoice_url") or "",
    }
    # What Stripe charged is the total: PPN is inside it, at the rate of the day the
    # invoice was first copied (a rate changed since does not re-figure an issued one).
    charged = from_minor(inv.get("total", inv.get("amount_due"))).max(Decimal("0"))
    existing = (
        Invoice.objects.select_for_update()
        .filter(stripe_invoice_id=inv["id"], reissue_of__isnull=True)
        .first()
    )
    if existing and existing.status == Invoice.Status.VOID:
        # void is final (a database trigger enforces it): its months stay as reported
        if status != Invoice.Status.PAID:
            return existing
        return invoice_reissue_paid(
            void=existing, charged=charged, paid_at=paid_at, hosted_url=values["hosted_url"]
        )
    values |= invoice_tax_fields(
        price=charged, includes_ppn=True, rate=existing.ppn_rate if existing else None
    )
    if existing is None and not charged:
        return None
    if existing:
        if existing.status == Invoice.Status.PAID:
            return existing  # paid is final (a database trigger enforces it)
        # open until now: made void today (the day we learnt of it)
        values["voided_on"] = timezone.localdate() if status == Invoice.Status.VOID else None
        for k, v in values.items():
            setattr(existing, k, v)
        existing.save()
        if status == Invoice.Status.VOID:
            _invoice_voided_audit(existing, inv)
        return existing
    # Our own number from the year's series; Stripe's stays as provider_number.
    # The buyer as today, copied once: a later report of the same invoice (paid, say)
    # updates Stripe's state, never whom it was issued to.
    number = invoice_number_next(on=values["issued_on"])
    if status == Invoice.Status.VOID:
        values["voided_on"] = timezone.localdate()
    copy = Invoice.objects.create(
        stripe_invoice_id=inv["id"],
        number=number,
        **values,
        **invoice_buyer_fields(subscription=sub),
    )
    if status == Invoice.Status.VOID:
        _invoice_voided_audit(copy, inv)
    return copy


def _invoice_voided_audit(invoice: Invoice, inv: dict) -> None:
    """Our copy of a Stripe invoice became void (Stripe voided it or marked it
    uncollectible): no longer owed, cancelled in the e-Faktur data of the void's month
    when it was reported in an earlier one. Written once: a void copy never changes."""
    audit_log(
        actor="stripe",
        action=BillingAudit.INVOICE_VOIDED,
        target=invoice,
        data={
            "stripe_invoice_id": inv["id"],
            "stripe_status": inv.get("status") or "",
            "voided_on": invoice.voided_on.isoformat(),
            "amount": str(invoice.amount),
        },
    )
