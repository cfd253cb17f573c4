"""Billing reads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.money import format_rupiah

from .models import (
    CreditEntry,
    CreditNote,
    DeletedCooperative,
    Invoice,
    PaymentProof,
    Plan,
    Subscription,
    UpgradeDifference,
    WebhookEvent,
)


def plans_public() -> list[Plan]:
    """Plans on offer, cheapest first (public pricing page, onboarding, billing page).
    Fields: name, max_members (None = unlimited), price_monthly, price_yearly, features."""
    return list(Plan.objects.filter(is_active=True).order_by("sort_order", "pk"))


def suspension_on(*, subscription: Subscription) -> date | None:
    """The day a past-due cooperative's access becomes read-only if it is still unpaid:
    the daily sweep suspends it once ``past_due_since`` plus the grace has passed (a card
    that Stripe retries and fails again never restarts the grace). None when not past
    due."""
    if subscription.status != Subscription.Status.PAST_DUE or not subscription.past_due_since:
        return None
    grace = timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
    return timezone.localdate(subscription.past_due_since + grace)


def subscription_for(*, cooperative) -> Subscription | None:
    return (
        Subscription.objects.select_related("plan", "cooperative")
        .filter(cooperative_id=cooperative.pk)
        .first()
    )


def _receipts(reason: str) -> Coalesce:
    money = DecimalField(max_digits=14, decimal_places=0)
    total = (
        CreditEntry.objects.filter(invoice=OuterRef("pk"), reason=reason)
        .order_by()
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=money), Value(Decimal(0)), output_field=money)


def invoices_with_receipts(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """``invoices``, each with what transfers recorded against it say
    (bank_transfer_receive): ``received``, the transfers taken off it while it stays
    open for the rest (part of ``credit_applied``); ``credit_taken``, the cooperative's
    credit taken off it (the rest of ``credit_applied``); ``excess``, what a transfer
    brought beyond what was due, credited. In the list's one query."""
    return invoices.annotate(
        received=_receipts(CreditEntry.Reason.PAYMENT_RECEIVED),
        excess=_receipts(CreditEntry.Reason.OVERPAYMENT),
    ).annotate(credit_taken=F("credit_applied") - F("received"))


@dataclass(frozen=True)
class PaymentWay:
    """How a cooperative pays (``label``) and, while a bank-transfer invoice of its is
    partly paid, that invoice with what was ``received`` and what is left (``remaining``)."""

    label: str
    invoice: Invoice | None = None
    received: Decimal = Decimal(0)
    remaining: Decimal = Decimal(0)


def subscription_payment_way(*, subscription: Subscription) -> PaymentWay:
    """The subscription's way of paying as the operator reads it. A cooperative that has
    not paid a whole invoice yet has no ``provider`` recorded ("Belum memilih"), but one
    whose bank-transfer invoice is partly paid (bank_transfer_receive) pays by transfer:
    said so, with the invoice, received and remaining."""
    partly = (
        invoices_with_receipts(
            subscription.invoices.filter(
                provider=Subscription.Provider.BANK_TRANSFER,
                status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING],
            )
        )
        .filter(received__gt=0)
        .order_by("pk")
        .first()
    )
    if partly is None:
        return PaymentWay(label=str(subscription.get_provider_display()))
    return PaymentWay(
        label=str(Subscription.Provider.BANK_TRANSFER.label),
        invoice=partly,
        received=partly.received,
        remaining=partly.amount_due,
    )


def invoices_for(*, subscription: Subscription) -> QuerySet[Invoice]:
    """The cooperative's invoices, void ones too (an invoice it got by e-mail must not
    vanish: the page marks it *Dibatalkan*), newest first, each with its credit notes
    (``invoice.credit_notes.all()``, oldest first). What is owed is read elsewhere
    (invoice_open_for), never from this list. A void invoice paid later and its re-issue
    name each other (``reissue`` / ``reissue_of``, read with the list)."""
    return invoices_with_receipts(
        subscription.invoices.select_related("plan", "reissue", "reissue_of").prefetch_related(
            credit_notes_prefetch()
        )
    )


def credit_notes_prefetch() -> Prefetch:
    """An invoice's credit notes (nota retur), in number order, with the credit movement
    each came with (its reason)."""
    return Prefetch(
        "credit_notes", queryset=CreditNote.objects.select_related("credit_entry").order_by("pk")
    )


def invoice_open_for(*, subscription: Subscription) -> Invoice | None:
    """The unpaid invoice the billing page shows with its transfer instructions: one the
    cooperative still has to pay (open) before one whose proof awaits the operator (an
    upgrade issued while the renewal's proof waits), then the earliest due."""
    return (
        invoices_with_receipts(
            subscription.invoices.filter(status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING])
        )
        .annotate(
            awaiting_last=Case(
                When(status=Invoice.Status.AWAITING, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("awaiting_last", "due_on", "pk")
        .first()
    )


def invoices_unpaid(*, subscription: Subscription) -> list[Invoice]:
    """Every invoice the cooperative has not paid (open, or with a transfer proof
    awaiting the operator), the earliest due first: what its closure e-mails and the
    console's payment message name."""
    return list(
        subscription.invoices.filter(status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING])
        .select_related("plan")
        .order_by("due_on", "pk")
    )


def invoice_upgrade_open_for(*, subscription: Subscription) -> Invoice | None:
    """The unpaid prorated invoice of an upgrade inside a paid bank-transfer period (at
    most one is open: a new upgrade voids the previous one's). Not whichever unpaid
    invoice is due first: a renewal whose proof awaits the operator may be due earlier."""
    return (
        subscription.invoices.filter(status=Invoice.Status.OPEN, kind=Invoice.Kind.PRORATION)
        .order_by("-pk")
        .first()
    )


def difference_credited() -> Exists:
    """Filter on upgrade differences (lines): credited back since (the credit movement
    for its invoice and period)."""
    return Exists(
        CreditEntry.objects.filter(
            invoice=OuterRef("invoice"),
            reason=CreditEntry.Reason.UPGRADE_DIFFERENCE,
            for_period_start=OuterRef("period_start"),
        )
    )


def upgrade_differences_for(
    *, subscription: Subscription, period_start: date
) -> QuerySet[UpgradeDifference]:
    """The differences paid upgrades billed for the period beginning on
    ``period_start`` that still count as paid for it (not credited since), oldest
    first: what the cooperative paid for that period besides its invoice."""
    return (
        UpgradeDifference.objects.filter(
            invoice__subscription_id=subscription.pk,
            invoice__status=Invoice.Status.PAID,
            period_start=period_start,
        )
        .exclude(difference_credited())
        .select_related("invoice__plan", "renewal")
        .order_by("invoice_id")
    )


def _upgrades_covering(*, subscription_id=None, renewal_pk=None) -> QuerySet[Invoice]:
    """The one rule for "which upgrade carries this renewal's difference": the (not void)
    prorated invoices of upgrades that billed a difference measured from this renewal's
    price (an UpgradeDifference line: one per period and upgrade, however many invoices
    were issued for that period), not credited back since; the latest first. Given
    values, for one renewal; given none, correlated to the subscription invoice of an
    outer query (``Subquery``)."""
    if renewal_pk is None:
        subscription_id, renewal_pk = OuterRef("subscription_id"), OuterRef(OuterRef("pk"))
    return (
        Invoice.objects.filter(
            subscription_id=subscription_id,
            kind=Invoice.Kind.PRORATION,
            status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING, Invoice.Status.PAID],
        )
        .filter(
            Exists(
                UpgradeDifference.objects.filter(
                    invoice=OuterRef("pk"), renewal_id=renewal_pk
                ).exclude(difference_credited())
            )
        )
        .order_by("-pk")
    )


def invoice_upgrade_covering(*, invoice: Invoice) -> Invoice | None:
    """The upgrade invoice that carries the difference for ``invoice``'s period (a
    subscription invoice), or None."""
    if invoice.kind != Invoice.Kind.SUBSCRIPTION:
        return None
    return (
        _upgrades_covering(subscription_id=invoice.subscription_id, renewal_pk=invoice.pk)
        .select_related("plan")
        .first()
    )


def _renewals_with_upgrade(subscription: Subscription) -> QuerySet[Invoice]:
    """The subscription's (not void) subscription invoices whose difference an upgrade
    carries, each with ``upgrade_pk`` (invoice_upgrade_covering's rule, in one query)."""
    return (
        subscription.invoices.filter(kind=Invoice.Kind.SUBSCRIPTION, period_start__isnull=False)
        .exclude(status=Invoice.Status.VOID)
        .annotate(upgrade_pk=Subquery(_upgrades_covering().values("pk")[:1]))
        .filter(upgrade_pk__isnull=False)
    )


def invoice_upgrades_covering(*, subscription: Subscription) -> dict[int, Invoice]:
    """For each subscription invoice whose difference to a dearer plan is carried by a
    later upgrade's prorated invoice (invoice_upgrade_covering, for all of them):
    {invoice pk: the upgrade invoice}."""
    pairs = list(_renewals_with_upgrade(subscription).values_list("pk", "upgrade_pk"))
    if not pairs:
        return {}
    upgrades = Invoice.objects.select_related("plan").in_bulk({up for _, up in pairs})
    return {pk: upgrades[up] for pk, up in pairs}


def invoice_period_paid_by(*, invoice: Invoice) -> Invoice | None:
    """The paid bank-transfer subscription invoice (still counted as paid: not credited
    back as the period paid twice) whose period overlaps that of ``invoice``, a
    subscription invoice: the rule by which a confirmation voids the other unpaid
    invoices for its period (a monthly and a yearly one from the same day are one
    period). None for another kind, or when nobody paid that period."""
    if invoice.kind != Invoice.Kind.SUBSCRIPTION or invoice.period_start is None:
        return None
    return (
        Invoice.objects.filter(
            subscription_id=invoice.subscription_id,
            provider=Subscription.Provider.BANK_TRANSFER,
            kind=Invoice.Kind.SUBSCRIPTION,
            status=Invoice.Status.PAID,
            period_start__lte=invoice.period_end,
            period_end__gte=invoice.period_start,
        )
        .exclude(pk=invoice.pk)
        .exclude(
            Exists(
                CreditEntry.objects.filter(
                    invoice=OuterRef("pk"), reason=CreditEntry.Reason.DUPLICATE_PAYMENT
                )
            )
        )
        .order_by("-paid_at", "-pk")
        .first()
    )


def payments_recorded(*, subscription: Subscription) -> int:
    """How many of the subscription's invoices are paid. A paid invoice is never voided
    nor unpaid, so the count only grows: a form that shows it and gets it back tells
    whether a payment was recorded in between (two operators recording one transfer)."""
    return subscription.invoices.filter(status=Invoice.Status.PAID).count()


def transfers_awaiting() -> QuerySet[Invoice]:
    """Open bank-transfer invoices for operators: those with proof uploaded (awaiting
    confirmation) first, the longest waiting first, then the open ones by due date.
    ``proof_at`` is when the latest proof came. Every row is reachable (paginate it)."""
    return (
        Invoice.objects.filter(provider=Subscription.Provider.BANK_TRANSFER)
        .filter(status__in=[Invoice.Status.AWAITING, Invoice.Status.OPEN])
        .filter(subscription__isnull=False)  # a deleted cooperative's: nobody's to confirm
        .annotate(
            proof_at=Max("proofs__created_at"),
            awaiting_first=Case(
                When(status=Invoice.Status.AWAITING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .select_related("subscription__cooperative", "plan")
        .prefetch_related("proofs")
        .order_by("awaiting_first", "proof_at", "due_on", "pk")
    )


@dataclass(frozen=True)
class TransferCheck:
    """What an operator checks before confirming a bank transfer: the latest proof
    still standing (not rejected; None when none was sent), the amount the cooperative
    says it transferred (None when not said), what is to be transferred (the invoice's
    amount less the credit taken off it) and the difference (claimed − due; None when
    nothing was claimed)."""

    proof: PaymentProof | None
    claimed: Decimal | None
    due: Decimal
    difference: Decimal | None

    @property
    def difference_abs(self) -> Decimal | None:
        return None if self.difference is None else abs(self.difference)


def transfer_check(*, invoice: Invoice) -> TransferCheck:
    proof = invoice.proofs.filter(rejected_at__isnull=True).order_by("-created_at", "-pk").first()
    claimed = proof.amount_claimed if proof is not None else None
    due = invoice.amount_due
    return TransferCheck(
        proof=proof,
        claimed=claimed,
        due=due,
        difference=None if claimed is None else claimed - due,
    )


def proof_claim_difference(*, invoice: Invoice, proof: PaymentProof) -> str:
    """What the cooperative is told when a proof's amount differs from what is to be
    transferred for ``invoice`` ("" when it does not, or none was stated): the proof is
    accepted either way (the money has moved), and the operator confirms or rejects it
    against the bank statement. An invoice is paid whole: there is no partial payment,
    and an excess is not kept as credit (docs/billing.md, "Bank transfer payments")."""
    claimed, due = proof.amount_claimed, invoice.amount_due
    if claimed is None or claimed == due:
        return ""
    figures = {
        "claimed": format_rupiah(claimed),
        "diff": format_rupiah(abs(claimed - due)),
        "n": invoice.number,
        "due": format_rupiah(due),
        "ref": invoice.reference,
    }
    if claimed < due:
        return (
            _(
                "Jumlah di bukti transfer, %(claimed)s, kurang %(diff)s dari tagihan %(n)s "
                "(%(due)s). Tagihan lunas setelah seluruhnya diterima: transfer "
                "kekurangannya, %(diff)s, dengan kode referensi %(ref)s, lalu unggah "
                "buktinya dengan jumlah seluruh yang sudah ditransfer (%(due)s). Bila "
                "jumlah yang diketik salah, unggah lagi bukti ini dengan jumlah yang benar."
            )
            % figures
        )
    return (
        _(
            "Jumlah di bukti transfer, %(claimed)s, lebih %(diff)s dari tagihan %(n)s "
            "(%(due)s). Operator mengonfirmasi tagihan ini setelah transfernya terlihat di "
            "rekening; kelebihannya tidak otomatis menjadi kredit: minta pengembaliannya "
            "ke tim Lumbung. Bila jumlah yang diketik salah, unggah lagi bukti ini dengan "
            "jumlah yang benar."
        )
        % figures
    )


def proof_claim_summary(*, invoice: Invoice) -> str:
    """For the billing page while a proof waits: how the latest proof's amount differs
    from what is to be transferred ("" when it does not)."""
    check = transfer_check(invoice=invoice)
    if not check.difference:
        return ""
    figures = {
        "claimed": format_rupiah(check.claimed),
        "diff": format_rupiah(check.difference_abs),
        "due": format_rupiah(check.due),
    }
    if check.difference < 0:
        return (
            _(
                "Bukti terakhir menyebut %(claimed)s: kurang %(diff)s dari tagihan "
                "(%(due)s). Tagihan lunas setelah seluruhnya diterima."
            )
            % figures
        )
    return (
        _(
            "Bukti terakhir menyebut %(claimed)s: lebih %(diff)s dari tagihan (%(due)s). "
            "Kelebihannya tidak otomatis menjadi kredit."
        )
        % figures
    )


def proofs_waiting_too_long(*, now=None) -> list[Invoice]:
    """Awaiting invoices whose latest proof has waited longer than
    settings.BILLING_PROOF_ALERT_HOURS (a paying cooperative must not drift into
    suspension because nobody looked)."""
    now = now or timezone.now()
    limit = now - timedelta(hours=settings.BILLING_PROOF_ALERT_HOURS)
    return list(transfers_awaiting().filter(status=Invoice.Status.AWAITING, proof_at__lt=limit))


def invoice_numbers_covered_by(*, subscription: Subscription, upgrade: Invoice) -> list[str]:
    """The numbers of the renewal invoices whose difference ``upgrade`` also bills
    (invoice_upgrade_covering's rule), oldest first."""
    return list(
        _renewals_with_upgrade(subscription)
        .filter(upgrade_pk=upgrade.pk)
        .order_by("pk")
        .values_list("number", flat=True)
    )


def operator_flags() -> dict:
    """What operators should look at: cooperatives over their plan's member limit and
    webhook events flagged (e.g. for an unknown customer) or failed."""
    return {
        "stale_proofs": proofs_waiting_too_long(),
        "over_limit": list(
            Subscription.objects.filter(over_limit_since__isnull=False)
            .select_related("cooperative", "plan")
            .order_by("over_limit_since")
        ),
        "card_end_unrecorded": list(
            Subscription.objects.filter(card_end_unrecorded_at__isnull=False)
            .select_related("cooperative")
            .order_by("card_end_unrecorded_at")
        ),
        "events": list(
            WebhookEvent.objects.filter(
                Q(flagged=True) | Q(state=WebhookEvent.State.FAILED)
            ).order_by("-received_at")[:200]
        ),
    }


def mrr_billed(*, subscription: Subscription | None, today=None) -> Decimal:
    """Monthly recurring revenue from what is actually billed: the latest paid
    subscription invoice whose period is still running (or ended within the grace),
    before tax (DPP), as a monthly figure (a yearly invoice divided by 12, whole rupiah).
    Nothing billed (a trial, a reactivation grace, a never-paid cooperative) counts 0."""
    if subscription is None or subscription.status not in (
        Subscription.Status.ACTIVE,
        Subscription.Status.PAST_DUE,
    ):
        return Decimal(0)
    today = today or timezone.localdate()
    grace = timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
    inv = (
        subscription.invoices.filter(
            status=Invoice.Status.PAID,
            kind=Invoice.Kind.SUBSCRIPTION,
            period_end__gte=today - grace,
        )
        .order_by("-period_end", "-pk")
        .first()
    )
    if inv is None:
        return Decimal(0)
    base = inv.dpp if inv.dpp is not None else inv.amount
    months = 12 if inv.interval == "year" else 1
    return (base / months).quantize(Decimal(1), ROUND_HALF_UP)


def invoices_overdue(*, today=None) -> list[Invoice]:
    """Open invoices past their due date, the longest overdue first, each with
    ``days_overdue``."""
    today = today or timezone.localdate()
    rows = list(
        Invoice.objects.filter(
            status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING],
            due_on__lt=today,
            subscription__isnull=False,  # a deleted cooperative's is kept, not chased
        )
        .select_related("subscription__cooperative", "plan")
        .order_by("due_on", "pk")
    )
    for inv in rows:
        inv.days_overdue = (today - inv.due_on).days
    return rows


# -- deleted cooperatives' kept documents (tax records) -----------------------------------


@dataclass(frozen=True)
class KeptDocument:
    """An invoice or credit note (nota retur) a deleted cooperative left, as the
    operators' list shows it. ``kind`` is ``invoice`` or ``credit_note``; a note's
    ``invoice_number`` is the invoice it reduces, its ``status`` empty."""

    kind: str
    pk: int
    number: str
    issued_on: date
    amount: Decimal
    status: str
    voided_on: date | None
    invoice_number: str
    # A void invoice paid later and its re-issue name each other (services.reissue).
    reissue_number: str = ""
    reissue_of_number: str = ""

    @property
    def status_label(self) -> str:
        return str(Invoice.Status(self.status).label) if self.status else ""


def _alnum(column: str) -> Func:
    """``column`` with everything but letters and digits taken out, upper case (a number
    typed with dashes or spaces, an NPWP without its dots)."""
    return Func(
        Func(F(column), Value(r"[^0-9A-Za-z]"), Value(""), Value("g"), function="regexp_replace"),
        function="upper",
        output_field=CharField(),
    )


def _deleted_cooperative_match(q: str) -> Q:
    """A deleted cooperative matching the operator's search: its name (as deleted, or on
    any of its documents as issued), address or NIK koperasi contains ``q``; or ``q``'s
    letters and digits (so ``INV-2026-000123``, ``INV/2026/000123`` and an NPWP with or
    without its dots are alike) are in one of its documents' numbers or NPWPs."""
    match = (
        Q(name__icontains=q)
        | Q(slug__icontains=q)
        | Q(nik_koperasi__icontains=q)
        | Exists(
            Invoice.objects.filter(deleted_cooperative=OuterRef("pk"), buyer_name__icontains=q)
        )
    )
    key = re.sub(r"[^0-9A-Za-z]", "", q).upper()
    if not key:
        return match
    invoices = Invoice.objects.filter(deleted_cooperative=OuterRef("pk")).alias(
        number_key=_alnum("number"), npwp_key=_alnum("buyer_npwp")
    )
    notes = CreditNote.objects.filter(invoice__deleted_cooperative=OuterRef("pk")).alias(
        number_key=_alnum("number")
    )
    by_key = DeletedCooperative.objects.alias(npwp_key=_alnum("npwp")).filter(
        pk=OuterRef("pk"), npwp_key__contains=key
    )
    return (
        match
        | Exists(invoices.filter(Q(number_key__contains=key) | Q(npwp_key__contains=key)))
        | Exists(notes.filter(number_key__contains=key))
        | Exists(by_key)
    )


def deleted_cooperatives(*, q: str = "") -> QuerySet[DeletedCooperative]:
    """Cooperatives deleted from the console (every one, with or without invoices) with
    the invoices and credit notes they left (tax records: billing_records_purge), the
    last deleted first, searched by
    ``q`` (_deleted_cooperative_match). Each row carries all its documents in the same
    query (``docs``: the invoices in issue order, each with its notes), read with
    deleted_cooperative_documents: a page of them is one query, however many documents
    each has."""
    notes = (
        CreditNote.objects.filter(invoice_id=OuterRef("pk"))
        .order_by("issued_on", "pk")
        .values(
            doc=JSONObject(
                pk="pk",
                number="number",
                issued_on="issued_on",
                amount=Cast("amount", TextField()),
            )
        )
    )
    invoices = (
        Invoice.objects.filter(deleted_cooperative_id=OuterRef("pk"))
        .order_by("issued_on", "number")
        .values(
            doc=JSONObject(
                pk="pk",
                number="number",
                issued_on="issued_on",
                amount=Cast("amount", TextField()),
                status="status",
                voided_on="voided_on",
                reissue_number="reissue__number",
                reissue_of_number="reissue_of__number",
                notes=ArraySubquery(notes),
            )
        )
    )
    rows = DeletedCooperative.objects.annotate(docs=ArraySubquery(invoices))
    q = (q or "").strip()
    if q:
        rows = rows.filter(_deleted_cooperative_match(q))
    return rows.order_by(F("deleted_at").desc(nulls_last=True), "-pk")


def deleted_cooperative_documents(*, cooperative: DeletedCooperative) -> list[KeptDocument]:
    """The documents of a row of deleted_cooperatives (no query): each invoice, then the
    credit notes that reduce it."""
    out: list[KeptDocument] = []
    for inv in cooperative.docs or []:
        out.append(
            KeptDocument(
                kind="invoice",
                pk=inv["pk"],
                number=inv["number"],
                issued_on=date.fromisoformat(inv["issued_on"]),
                amount=Decimal(inv["amount"]),
                status=inv["status"],
                voided_on=date.fromisoformat(inv["voided_on"]) if inv["voided_on"] else None,
                invoice_number="",
                reissue_number=inv.get("reissue_number") or "",
                reissue_of_number=inv.get("reissue_of_number") or "",
            )
        )
        out.extend(
            KeptDocument(
                kind="credit_note",
                pk=note["pk"],
                number=note["number"],
                issued_on=date.fromisoformat(note["issued_on"]),
                amount=Decimal(note["amount"]),
                status="",
                voided_on=None,
                invoice_number=inv["number"],
            )
            for note in inv["notes"] or []
        )
    return out
