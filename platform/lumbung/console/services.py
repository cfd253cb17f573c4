"""Console actions. Each one: an operator allowed to do it, a reason, one transaction,
an audit row in the public schema naming the operator and the reason.

Billing state changes go through ``billing.services``; provisioning through
``tenants.signup``; the cooperative's schema is only read (exports, support access)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import remove_www

from billing import services as billing
from billing.models import Invoice, Plan, Subscription
from billing.selectors import invoices_unpaid, payments_recorded
from core.audit.services import audit_log
from core.common.errors import ApplicationError, reason_required
from core.common.money import format_rupiah
from lumbung.console.audit import ConsoleAudit
from tenants import signup as tenant_signup
from tenants.backup import cooperative_backups_set_aside
from tenants.models import Cooperative, Domain, SignupRequest
from tenants.services import cooperative_discard, cooperative_media_remove
from tenants.validators import validate_slug

from .errors import action_require as _require
from .models import MigrationRun
from .selectors import status_actions_applicable
from .tasks import console_stats_refresh_task, migrate_all_tenants_task

log = logging.getLogger(__name__)

S = Subscription.Status
HOSTNAME_RE = re.compile(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z", re.IGNORECASE
)


class ConsoleErrors:
    FORBIDDEN = "console_forbidden"
    REASON = "reason_required"
    STATE = "console_state_invalid"
    DOMAIN = "domain_invalid"
    CONFIRM = "confirmation_mismatch"
    UNRECORDED = "payment_unrecorded_card_ended"
    AMOUNT = "payment_amount_mismatch"


def _reason(reason: str) -> str:
    return reason_required(
        reason, code=ConsoleErrors.REASON, message=_("Tuliskan alasan tindakan ini.")
    )


def _subscription(cooperative: Cooperative) -> Subscription:
    """The cooperative's subscription, its row locked until the action's transaction
    ends: the state is checked on what is locked, so a second operator acting at the
    same time waits, then sees the first one's change (and is refused if it no longer
    applies) instead of both passing the check and both writing."""
    sub = (
        Subscription.objects.select_related("plan", "cooperative")
        .select_for_update(of=("self",))
        .filter(cooperative_id=cooperative.pk)
        .first()
    )
    if sub is None:
        if not Cooperative.objects.filter(pk=cooperative.pk).exists():
            raise _gone(cooperative)
        raise ApplicationError(
            ConsoleErrors.STATE,
            _("Koperasi %(name)s belum memiliki langganan.") % {"name": cooperative.name},
        )
    return sub


def _gone(cooperative: Cooperative) -> ApplicationError:
    """The refusal for a cooperative deleted meanwhile (another operator, or the first
    click of a double submit, whose lock this one waited on)."""
    return ApplicationError(
        ConsoleErrors.STATE,
        _("Koperasi %(slug)s sudah dihapus; tidak ada lagi yang dapat diubah.")
        % {"slug": cooperative.slug},
    )


# -- status ------------------------------------------------------------------------------


@transaction.atomic
def tenant_suspend(*, operator, cooperative: Cooperative, reason: str) -> Cooperative:
    """Read-only access for the cooperative until reactivated. One the daily sweep
    suspended for an unpaid invoice may be suspended by an operator too: it is then held
    (``suspended_by_operator``), so paying no longer lifts it."""
    _require(operator, "suspend")
    reason = _reason(reason)
    sub = _subscription(cooperative)
    if "suspend" not in status_actions_applicable(subscription=sub):
        raise ApplicationError(
            ConsoleErrors.STATE, _("Koperasi ini sudah ditangguhkan atau diarsipkan.")
        )
    billing.subscription_status_override(
        subscription=sub, status=S.SUSPENDED, operator=operator, reason=reason
    )
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_TENANT_SUSPENDED,
        target=cooperative,
        reason=reason,
    )
    cooperative.refresh_from_db()
    return cooperative


@transaction.atomic
def tenant_reactivate(
    *, operator, cooperative: Cooperative, reason: str, days: int | None = None
) -> Cooperative:
    """Back to work: trial while the trial lasts and nothing was paid, else active until
    the paid period's end or, with none ahead, for ``days`` of grace the operator
    chooses; after that the daily sweep applies (past due, suspended)."""
    _require(operator, "reactivate")
    reason = _reason(reason)
    sub = _subscription(cooperative)
    if "reactivate" not in status_actions_applicable(subscription=sub):
        raise ApplicationError(
            ConsoleErrors.STATE,
            _("Hanya koperasi yang ditangguhkan, diarsipkan atau menunggak yang dapat diaktifkan."),
        )

    on_trial = (
        sub.trial_ends_at
        and sub.trial_ends_at > timezone.now()
        and not sub.invoices.filter(status=Invoice.Status.PAID).exists()
    )
    target = S.TRIAL if on_trial else S.ACTIVE
    sub = billing.subscription_status_override(
        subscription=sub, status=target, operator=operator, reason=reason, grace_days=days
    )
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_TENANT_REACTIVATED,
        target=cooperative,
        reason=reason,
        data={
            "status": target,
            "days": days,
            "until": (sub.trial_ends_at if on_trial else sub.current_period_end).isoformat(),
        },
    )
    cooperative.refresh_from_db()
    return cooperative


@transaction.atomic
def tenant_archive(*, operator, cooperative: Cooperative, reason: str) -> Cooperative:
    """Nobody logs in; data kept (export, delete or reactivate later)."""
    _require(operator, "archive")
    reason = _reason(reason)
    sub = _subscription(cooperative)
    if "archive" not in status_actions_applicable(subscription=sub):
        raise ApplicationError(ConsoleErrors.STATE, _("Koperasi ini sudah diarsipkan."))
    billing.subscription_status_override(
        subscription=sub, status=S.ARCHIVED, operator=operator, reason=reason
    )
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_TENANT_ARCHIVED,
        target=cooperative,
        reason=reason,
    )
    cooperative.refresh_from_db()
    return cooperative


@transaction.atomic
def tenant_trial_extend(*, operator, cooperative: Cooperative, days: int, reason: str):
    _require(operator, "extend_trial")
    reason = _reason(reason)
    sub = billing.trial_extend(
        subscription=_subscription(cooperative), days=days, operator=operator, reason=reason
    )
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_TRIAL_EXTENDED,
        target=cooperative,
        reason=reason,
        data={"days": days, "trial_ends_at": sub.trial_ends_at.isoformat()},
    )
    return sub


@dataclass(frozen=True)
class PlanChangeOutcome:
    """What a plan change did, for the operator's message: ``changed`` (the plan applies
    now), ``invoiced`` (an upgrade inside a paid period: the plan moves once
    ``invoice``, the difference, is paid) or ``scheduled`` (it applies from
    ``from_date``, the renewal; the cooperative stays on ``was`` until then)."""

    subscription: Subscription
    outcome: str
    was: Plan
    invoice: Invoice | None = None
    from_date: date | None = None


@transaction.atomic
def tenant_plan_change(
    *, operator, cooperative: Cooperative, plan: Plan, interval: str, reason: str
) -> PlanChangeOutcome:
    """billing.plan_change for the console, which says what happened: inside a paid
    period a downgrade waits for the renewal and an upgrade for its difference to be
    paid (docs/billing.md, Changing plan); audited with the plan before and the
    outcome."""
    _require(operator, "change_plan")
    reason = _reason(reason)
    sub = _subscription(cooperative)
    was, was_interval = sub.plan, sub.interval
    sub = billing.plan_change(subscription=sub, plan=plan, interval=interval, by=operator)
    invoice = None
    from_date = None
    if (sub.plan_id, sub.interval) == (plan.pk, interval) and not sub.next_plan_id:
        outcome = "changed"
    else:
        invoice = (
            sub.invoices.filter(
                kind=Invoice.Kind.PRORATION,
                plan=plan,
                status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING],
            )
            .order_by("-pk")
            .first()
        )
        outcome = "invoiced" if invoice is not None else "scheduled"
        ends = [e for e in (sub.current_period_end, sub.card_paid_until) if e is not None]
        if ends:
            from_date = timezone.localdate(max(ends)) + timedelta(days=1)
    data = {
        "plan": plan.code,
        "interval": interval,
        "from": f"{was.code}/{was_interval}",
        "outcome": outcome,
    }
    if invoice is not None:
        data["invoice"] = invoice.number
    if from_date is not None:
        data["from_date"] = from_date.isoformat()
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_PLAN_CHANGED,
        target=cooperative,
        reason=reason,
        data=data,
    )
    return PlanChangeOutcome(
        subscription=sub, outcome=outcome, was=was, invoice=invoice, from_date=from_date
    )


@dataclass(frozen=True)
class PaymentOutcome:
    """What a manual payment did, for the operator's message: the invoice paid, the
    cooperative's status before (``was``) and after, and, when it is still closed,
    ``held`` — the operator's decision that keeps it so (``suspended``: an operator's
    suspension; ``archived``: an operator's archive; ``suspension_archived``: an
    operator's suspension the sweep archived for lasting too long), with ``reason``
    (the operator's, as typed) and ``archive_days``; ``unpaid``: the cooperative's
    invoices still unpaid after it."""

    invoice: Invoice
    subscription: Subscription
    was: str
    held: str = ""
    reason: str = ""
    archive_days: int = 0
    unpaid: tuple[Invoice, ...] = ()
    # The amount received, when it was not what was due: the rest still to transfer
    # (partial: the invoice stays open) or the excess credited (billing.bank_transfer_receive).
    remaining: Decimal = Decimal(0)
    excess: Decimal = Decimal(0)


def tenant_payment_record(
    *,
    operator,
    cooperative: Cooperative,
    reason: str,
    invoice: Invoice | None = None,
    plan: Plan | None = None,
    interval: str = "month",
    end_card_subscription: bool = False,
    amount_received: Decimal | None = None,
    payments_seen: int | None = None,
) -> PaymentOutcome:
    """Record a manual payment (_payment_record, one transaction) and say what it did to
    the cooperative's access (PaymentOutcome). The card is ended at
    Stripe as that transaction's last step; should the transaction then fail (its commit
    included) after Stripe ended the card, nothing of the payment is written: the card
    is then recorded as ended and flagged for operators (billing.card_end_unrecorded_flag)
    and the operator is told to record the payment again. Never a double charge (the
    card is ended before the payment counts), and never an ended card nobody sees."""
    ended: list = []
    try:
        return _payment_record(
            operator=operator,
            cooperative=cooperative,
            reason=reason,
            invoice=invoice,
            plan=plan,
            interval=interval,
            end_card_subscription=end_card_subscription,
            amount_received=amount_received,
            payments_seen=payments_seen,
            ended=ended,
        )
    except Exception as exc:
        if not (ended and getattr(ended[0], "ended_at_stripe", False)):
            raise
        # the technical error goes to the log (and the flag's audit row); the operator is
        # told in plain words what happened and what to do
        log.exception(
            "Manual payment of %s not recorded after Stripe ended the card", cooperative.slug
        )
        flagged = billing.card_end_unrecorded_flag(
            cooperative_id=cooperative.pk,
            by=operator,
            reason=reason,
            error=f"{type(exc).__name__}: {exc}",
        )
        message = (
            _(
                "Langganan kartu sudah diakhiri di Stripe, tetapi pembayaran gagal dicatat. "
                "Catat pembayaran ini sekali lagi (kartu tidak lagi menagih); koperasi ini "
                "ditandai untuk diperiksa operator sampai pembayarannya tercatat."
            )
            if flagged
            else _(
                "Langganan kartu sudah diakhiri di Stripe, tetapi pembayaran gagal dicatat "
                "dan basis data belum dapat ditulisi. Catat pembayaran ini sekali lagi "
                "setelah sistem pulih (kartu tidak lagi menagih)."
            )
        )
        raise ApplicationError(ConsoleErrors.UNRECORDED, message) from exc


@transaction.atomic
def _payment_record(
    *,
    operator,
    cooperative: Cooperative,
    reason: str,
    invoice: Invoice | None,
    plan: Plan | None,
    interval: str,
    end_card_subscription: bool,
    ended: list,
    amount_received: Decimal | None = None,
    payments_seen: int | None = None,
) -> PaymentOutcome:
    """A manual payment (bank transfer seen on the statement): confirms the given open
    invoice, or issues a bank-transfer invoice for ``plan``/``interval`` and confirms it.
    Refused while a card subscription still bills the cooperative (that would bill it
    twice) unless the operator ends the card subscription with it: ended at Stripe as
    the last step, so a refused payment leaves the card running and Stripe unreachable
    refuses the payment (billing.card_subscription_end_last). Refused for a plan the
    cooperative's active members do not fit.

    ``amount_received`` (the console's form always gives it): the transfer seen on the
    statement, recorded against the invoice as received (billing.bank_transfer_receive):
    less than is to be transferred leaves the invoice open for the rest, more pays it
    and credits the excess; more than twice the invoice is refused, nothing recorded.
    ``payments_seen``: how many paid
    invoices the operator saw when opening the form (billing.selectors
    .payments_recorded); another payment recorded since (a second operator recording the
    same transfer, checked under the subscription's lock) refuses this one."""
    _require(operator, "record_payment")
    reason = _reason(reason)
    sub = _subscription(cooperative)
    was = sub.status  # read under the lock: what the payment changes it from
    if payments_seen is not None and payments_recorded(subscription=sub) != payments_seen:
        raise ApplicationError(
            ConsoleErrors.STATE,
            _(
                "Sejak formulir ini dibuka, pembayaran lain sudah dicatat untuk koperasi ini. "
                "Periksa tagihannya lalu buka formulir ini lagi bila memang ada pembayaran "
                "lain."
            ),
        )
    paid_plan = invoice.plan if invoice is not None else plan
    if paid_plan is not None:
        billing.plan_fits_check(subscription=sub, plan=paid_plan)
    if invoice is None and plan is None:
        raise ApplicationError(
            ConsoleErrors.STATE,
            _("Pilih tagihan yang dibayar atau paket yang dibayar."),
            fields={"plan": [_("Wajib diisi.")]},
        )
    if invoice is not None and invoice.subscription_id != sub.pk:
        raise ApplicationError(ConsoleErrors.STATE, _("Tagihan bukan milik koperasi ini."))
    cancel_card_at_stripe = None
    if sub.stripe_subscription_id and sub.stripe_status in billing.LIVE_STRIPE_STATUSES:
        if not end_card_subscription:
            raise ApplicationError(
                ConsoleErrors.STATE,
                _(
                    "Koperasi ini membayar dengan kartu (langganan Stripe masih berjalan). "
                    'Mencatat pembayaran manual akan menagih dua kali. Centang "Akhiri '
                    'langganan kartu" bila koperasi memang beralih ke transfer bank.'
                ),
                fields={"end_card_subscription": [_("Langganan kartu masih berjalan.")]},
            )
        # Recorded now (the confirmation below needs the card ended); ended at Stripe
        # as the last step, see card_subscription_end_last.
        cancel_card_at_stripe = billing.card_subscription_end_last(
            subscription=sub, by=operator, reason=reason
        )
        if cancel_card_at_stripe is not None:
            ended.append(cancel_card_at_stripe)  # tenant_payment_record reads what it did
    if invoice is None:
        invoice = billing.bank_invoice_issue(
            subscription=sub, plan=plan, interval=interval, by=operator
        )
    remaining = excess = Decimal(0)
    if amount_received is not None:
        received = billing.bank_transfer_receive(
            invoice=invoice, operator=operator, amount=amount_received, note=reason
        )
        invoice, remaining, excess = received.invoice, received.remaining, received.excess
    elif invoice.status != Invoice.Status.PAID:  # paid at once when the credit covered it
        invoice = billing.bank_transfer_confirm(invoice=invoice, operator=operator, note=reason)
    sub.refresh_from_db()
    held = billing.operator_hold(sub)
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_PAYMENT_RECORDED,
        target=cooperative,
        reason=reason,
        data={
            "invoice": invoice.number,
            "amount": str(invoice.amount),
            "credit_applied": str(invoice.credit_applied),
            "status_from": was,
            "status_to": sub.status,
            "held_by_operator": held,
            "received": str(amount_received) if amount_received is not None else None,
            "remaining": str(remaining),
            "excess": str(excess),
        },
    )
    if cancel_card_at_stripe is not None:
        # Last: a refusal above never leaves the card cancelled with nothing recorded,
        # and Stripe refusing or unreachable here rolls the whole payment back.
        cancel_card_at_stripe()
    return PaymentOutcome(
        invoice=invoice,
        subscription=sub,
        was=was,
        held=held,
        reason=sub.operator_reason if held else "",
        archive_days=sub.archive_after_days or settings.BILLING_ARCHIVE_AFTER_DAYS,
        unpaid=tuple(invoices_unpaid(subscription=sub)),
        remaining=remaining,
        excess=excess,
    )


# -- statistics ---------------------------------------------------------------------------


@transaction.atomic
def stats_refresh_request(*, operator) -> None:
    """Queue a refresh of every tenant's figures now (the periodic task) once the audit
    row (who asked, when) is written."""
    _require(operator, "stats_refresh")
    audit_log(actor=operator, action=ConsoleAudit.CONSOLE_STATS_REFRESH_REQUESTED)
    transaction.on_commit(console_stats_refresh_task.delay)


# -- provisioning, domains ---------------------------------------------------------------


@transaction.atomic
def signup_retry(*, operator, signup: SignupRequest, reason: str) -> SignupRequest:
    """Queue a failed sign-up's provisioning again (the task is all-or-nothing), through
    ``tenants.signup.signup_retry``: the same refusals as ``manage.py signup_retry``
    (e.g. a newer sign-up holds the address) and the same task posted on commit."""
    _require(operator, "retry_provisioning")
    reason = _reason(reason)
    locked = SignupRequest.objects.select_for_update().get(pk=signup.pk)
    if locked.status != SignupRequest.Status.FAILED:
        raise ApplicationError(
            ConsoleErrors.STATE, _("Hanya pendaftaran yang gagal yang dapat diulang.")
        )
    locked = tenant_signup.signup_retry(signup=locked, actor=operator)
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_PROVISIONING_RETRIED,
        target=locked,
        reason=reason,
        data={"slug": locked.slug, "last_error": locked.last_error[:500]},
    )
    return locked


@transaction.atomic
def tenant_domain_add(*, operator, cooperative: Cooperative, domain: str, reason: str) -> Domain:
    _require(operator, "add_domain")
    reason = _reason(reason)
    domain = (domain or "").strip().lower().rstrip(".")
    # Requests are looked up without "www." (django-tenants' remove_www): a domain kept
    # as "www.x" would never be found; kept as "x", it serves both x and www.x.
    domain = remove_www(domain)
    if not HOSTNAME_RE.match(domain):
        raise ApplicationError(
            ConsoleErrors.DOMAIN,
            _("'%(d)s' bukan nama domain yang sah (contoh: koperasi.contoh.id).") % {"d": domain},
            fields={"domain": [_("Nama domain tidak sah.")]},
        )
    if cooperative.is_public:
        raise ApplicationError(ConsoleErrors.STATE, _("Bukan koperasi."))
    if cooperative.is_practice:
        raise ApplicationError(
            ConsoleErrors.STATE, _("Domain khusus tidak dapat ditambahkan ke ruang latihan.")
        )
    base = settings.BASE_DOMAIN.lower()
    if domain.endswith(f".{base}"):
        # An address under Lumbung's own domain is a cooperative address: the sign-up's
        # rules apply (no reserved name such as konsol or admin, no <slug>-latihan of a
        # practice copy, no punycode, one label only).
        try:
            validate_slug(domain[: -len(base) - 1])
        except ApplicationError as exc:
            raise ApplicationError(
                ConsoleErrors.DOMAIN,
                exc.message,
                fields={"domain": exc.fields.get("slug") or [exc.message]},
            )
    if Domain.objects.filter(domain=domain).exists():
        raise ApplicationError(
            ConsoleErrors.DOMAIN,
            _("Domain %(d)s sudah dipakai.") % {"d": domain},
            fields={"domain": [_("Sudah dipakai.")]},
        )
    made = Domain.objects.create(domain=domain, tenant=cooperative, is_primary=False)
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_DOMAIN_ADDED,
        target=cooperative,
        reason=reason,
        data={"domain": domain},
    )
    return made


# -- delete ------------------------------------------------------------------------------


@transaction.atomic
def tenant_delete(*, operator, cooperative: Cooperative, confirm: str, reason: str) -> dict:
    """Delete an archived cooperative for good: schema, domains, billing rows (its
    issued invoices and credit notes are kept as tax records: billing_records_purge),
    the row, and (after commit) its stored files.
    ``confirm`` must repeat the cooperative's address (slug) exactly."""
    _require(operator, "delete")
    reason = _reason(reason)
    coop = Cooperative.objects.select_for_update().filter(pk=cooperative.pk).first()
    if coop is None:
        raise _gone(cooperative)
    if coop.is_public or coop.status != Cooperative.Status.ARCHIVED:
        raise ApplicationError(
            ConsoleErrors.STATE, _("Hanya koperasi yang sudah diarsipkan yang dapat dihapus.")
        )
    if (confirm or "").strip() != coop.slug:
        raise ApplicationError(
            ConsoleErrors.CONFIRM,
            _("Ketik alamat koperasi (%(slug)s) persis untuk menghapus.") % {"slug": coop.slug},
            fields={"confirm": [_("Tidak cocok.")]},
        )
    _delete_money_check(coop)
    removed = billing.billing_records_purge(cooperative=coop)
    summary = {
        "slug": coop.slug,
        "name": coop.name,
        "schema": coop.schema_name,
        "nik_koperasi": coop.nik_koperasi,
        "domains": list(coop.domains.values_list("domain", flat=True)),
        **removed,
    }
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_TENANT_DELETED,
        target=coop,
        reason=reason,
        data=summary,
    )
    # A "ready" sign-up must point at its cooperative (DB constraint): they go together.
    SignupRequest.objects.filter(cooperative=coop).delete()
    # Its practice copy goes with it (the row cascades, django-tenants drops the schema).
    schemas = [
        coop.schema_name,
        *Cooperative.objects.filter(practice_of=coop).values_list("schema_name", flat=True),
    ]
    cooperative_discard(cooperative=coop)
    # The stored files (loan documents, payslips, transfer proofs under <schema>/, the
    # practice copy's too) go once the deletion is committed: a rollback keeps schema and
    # files together.
    for schema in schemas:
        transaction.on_commit(lambda schema=schema: cooperative_media_remove(schema=schema))
    # Its daily backups are set aside (BACKUP_DIR/_deleted/, BACKUP_DELETED_KEEP_DAYS) once
    # the deletion is committed: the address is free for a new sign-up at once, whose
    # backups must not share the folder.
    transaction.on_commit(lambda: _backups_set_aside(cooperative=coop, operator=operator))
    return summary


def _backups_set_aside(*, cooperative: Cooperative, operator) -> None:
    """After a deletion's commit: a failure to move the folder never turns the committed
    deletion into an error page; it is logged, and the folder's backups still never count
    as the next cooperative's at that address (tenants.backup.backups_prune sets them
    aside, a restore for it refuses them)."""
    try:
        cooperative_backups_set_aside(cooperative=cooperative, actor=operator)
    except Exception:
        log.exception("Could not set the backups of deleted %s aside", cooperative.slug)


def _delete_money_check(coop: Cooperative) -> None:
    """Refuse to delete a cooperative the platform still owes money, or whose transfer
    may be on its way: credit left (refund it first, "Catat pengembalian kredit"), or a
    transfer proof awaiting the operator (confirm or reject it first). Checked with its
    subscription locked, so no credit or proof arrives in between."""
    sub = Subscription.objects.select_for_update().filter(cooperative_id=coop.pk).first()
    if sub is None:
        return
    credit = billing.credit_balance(subscription=sub)
    if credit > 0:
        raise ApplicationError(
            ConsoleErrors.STATE,
            _(
                "Koperasi ini masih memiliki saldo kredit %(c)s. Kembalikan kredit itu "
                "(Catat pengembalian kredit) sebelum menghapus koperasi."
            )
            % {"c": format_rupiah(credit)},
        )
    awaiting = (
        sub.invoices.filter(status=Invoice.Status.AWAITING)
        .order_by("pk")
        .values_list("number", flat=True)
    )
    if awaiting:
        raise ApplicationError(
            ConsoleErrors.STATE,
            _(
                "Bukti transfer tagihan %(n)s menunggu konfirmasi operator. Konfirmasi atau "
                "tolak dulu sebelum menghapus koperasi."
            )
            % {"n": ", ".join(awaiting)},
        )


# -- bulk migration ----------------------------------------------------------------------


@transaction.atomic
def migration_run_start(*, operator, reason: str) -> MigrationRun:
    """Queue a bulk migration of every tenant schema (Celery); progress is kept on the
    MigrationRun row."""
    _require(operator, "migrate")
    reason = _reason(reason)
    running = MigrationRun.objects.filter(
        status__in=[MigrationRun.Status.QUEUED, MigrationRun.Status.RUNNING]
    ).exists()
    if running:
        raise ApplicationError(ConsoleErrors.STATE, _("Migrasi massal sedang berjalan."))
    run = MigrationRun.objects.create(started_by=operator.get_username())
    audit_log(
        actor=operator, action=ConsoleAudit.CONSOLE_MIGRATION_STARTED, target=run, reason=reason
    )

    def _enqueue(pk=run.pk):
        migrate_all_tenants_task.delay(pk)

    transaction.on_commit(_enqueue)
    return run


def tenant_credit_refund(*, operator, cooperative: Cooperative, amount, reason: str):
    """Record a refund of the cooperative's credit paid out by bank: the credit goes
    down by that amount (billing.credit_refund_record: at most the balance, reason
    required, audited billing.credit_refunded)."""
    _require(operator, "refund_credit")
    reason = _reason(reason)
    sub = _subscription(cooperative)
    return billing.credit_refund_record(
        subscription=sub, amount=amount, reason=reason, operator=operator
    )
