"""Early withdrawal (pencairan sebelum jatuh tempo) of a berjangka / hari raya account: a
member who needs the money before the payout date (illness, an emergency) is paid the
balance at the counter by the bendahara, with a reason, less the product's optional
penalty, and the account closes.

- The penalty (``SavingsProduct.early_penalty_type`` / ``early_penalty_value``): none (the
  default), a percentage of the balance **rounded down** to whole rupiah (the member never
  pays a fraction of a rupiah more than the rate says), or a fixed rupiah amount. It must
  be less than the balance: a payout of nothing is refused.
- One journal entry: the product's control account debited with the whole balance (the
  member's sub-ledger), cash/bank credited with the net, the penalty income account (role
  ``penalty_income``) credited with the penalty. On the sub-ledger two movements: the
  ``early_payout`` of the net, receipted in the withdrawal series (``TAR-…``), and the
  ``early_penalty`` (internal, no receipt), so the teller's drawer counts the cash paid.
- The account **closes** rather than starting its next cycle as a full payout on/after
  the payout date does (``berjangka_cycle_next``): that cycle restart exists because a
  completed hari raya saving repeats every year by agreement; an early withdrawal breaks
  the agreement before its term, and keeping the account open would keep the payroll
  lists deducting from a member who has just asked for the money back. A member who
  wants to save again opens a new account (the deduction lists then ask it again).
- Reversed through ``teller_reverse`` (``early_withdrawal_reverse_apply``): both movements
  taken back, the entry reversed (penalty income included), the account reopened with
  its balance and payout date as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_date
from core.common.errors import ApplicationError, CommonErrors, reason_required
from core.common.money import format_rupiah, to_decimal
from core.common.permissions import TREASURY
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post, receipt_source_set
from core.savings.audit import SavingsAudit

from ..models import InterestRun, SavingsAccount, SavingsProduct, SavingsTransaction
from .accounts import _lock
from .apply import (
    _check_open,
    _write,
    berjangka_due_date,
    check_not_frozen,
    transactions_link_entry,
)
from .common import ZERO, SavingsErrors, counter_account, receipt_number_next
from .interest import interest_unpaid_at_exit
from .reversal import savings_movement_reverse_apply

CENTS = Decimal("0.00")
# the reason is kept whole in the movement's memo ("Pencairan dini: <reason>", 200 chars)
EARLY_REASON_MAX_LENGTH = 150


def early_withdrawal_penalty(*, penalty_type: str, value: Decimal, balance: Decimal) -> Decimal:
    """The penalty on paying ``balance`` out early: none, ``value`` % of it rounded down
    to whole rupiah, or the fixed ``value``."""
    if penalty_type == SavingsProduct.PenaltyType.PERCENT:
        # (+ 0.00: two places, as the amounts stored)
        return (balance * value / 100).quantize(Decimal("1"), rounding=ROUND_DOWN) + CENTS
    if penalty_type == SavingsProduct.PenaltyType.FIXED:
        return value + CENTS
    return ZERO + CENTS


def penalty_rule_label(product: SavingsProduct) -> str:
    """The product's penalty rule as the screens say it."""
    if product.early_penalty_type == SavingsProduct.PenaltyType.PERCENT:
        return _("%(v)s%% dari saldo, dibulatkan ke bawah") % {
            "v": f"{product.early_penalty_value.normalize():f}".replace(".", ",")
        }
    if product.early_penalty_type == SavingsProduct.PenaltyType.FIXED:
        return format_rupiah(product.early_penalty_value)
    return _("tanpa denda")


@dataclass(frozen=True)
class EarlyWithdrawalPreview:
    """What an early withdrawal of ``account`` on ``on`` pays: the whole balance, less the
    penalty, is the net handed to the member."""

    account: SavingsAccount
    on: date
    payout_date: date
    balance: Decimal
    penalty: Decimal
    net: Decimal
    penalty_rule: str


def _preview(account: SavingsAccount, on: date) -> EarlyWithdrawalPreview:
    """The figures, or the refusal: an open berjangka account of an active member, before
    its payout date, with a balance larger than the penalty and no jasa simpanan of a
    finished month still to be run on it."""
    _check_open(account)
    check_not_frozen(account)
    product = account.product
    if product.kind != SavingsProduct.Kind.BERJANGKA:
        raise ApplicationError(
            SavingsErrors.NOT_WITHDRAWABLE,
            _(
                "Pencairan sebelum jatuh tempo hanya untuk simpanan berjangka / hari raya; "
                "%(p)s bukan simpanan berjangka."
            )
            % {"p": product.name},
        )
    if not account.member.is_active:
        raise ApplicationError(
            SavingsErrors.MEMBER_INACTIVE,
            _("Anggota %(m)s tidak aktif; gunakan penyelesaian keluar.") % {"m": account.member},
        )
    due = berjangka_due_date(account)
    if due is None or on >= due:
        raise ApplicationError(
            SavingsErrors.NOT_EARLY,
            _(
                "%(p)s rekening %(n)s sudah dapat dicairkan (jatuh tempo %(d)s): gunakan "
                "Penarikan biasa di teller, tanpa denda."
            )
            % {"p": product.name, "n": account.number, "d": format_date(due) or "-"},
        )
    balance = account.balance
    if balance <= 0:
        raise ApplicationError(
            SavingsErrors.INSUFFICIENT,
            _("Saldo rekening %(n)s kosong; tidak ada yang dicairkan.") % {"n": account.number},
        )
    penalty = early_withdrawal_penalty(
        penalty_type=product.early_penalty_type,
        value=product.early_penalty_value,
        balance=balance,
    )
    if penalty >= balance:
        raise ApplicationError(
            SavingsErrors.PENALTY_EXCEEDS,
            _(
                "Denda pencairan dini %(x)s tidak kurang dari saldo %(b)s; tidak ada yang "
                "dapat dicairkan."
            )
            % {"x": format_rupiah(penalty), "b": format_rupiah(balance)},
        )
    if product.interest_enabled and (pending := interest_unpaid_at_exit(accounts=[account], on=on)):
        c = pending[0]
        raise ApplicationError(
            SavingsErrors.BAD_PERIOD,
            _(
                "Jasa simpanan %(p)s bulan %(m)02d/%(y)s belum dihitung; hitung dulu di "
                "halaman rekonsiliasi, lalu cairkan."
            )
            % {"p": product.name, "m": c.month, "y": c.year},
        )
    return EarlyWithdrawalPreview(
        account=account,
        on=on,
        payout_date=due,
        balance=balance,
        penalty=penalty,
        net=balance - penalty,
        penalty_rule=penalty_rule_label(product),
    )


def savings_early_withdrawal_preview(
    *, account: SavingsAccount, on: date
) -> EarlyWithdrawalPreview:
    """The balance, penalty and net of paying ``account`` out early on ``on`` (shown
    before confirming); raises the refusal ``savings_early_withdraw`` would. Writes
    nothing."""
    account = SavingsAccount.objects.select_related("product", "member").get(pk=account.pk)
    return _preview(account, on)


def early_withdrawal_reason_clean(reason: str) -> str:
    """The reason for an early withdrawal, stripped: required, at most
    ``EARLY_REASON_MAX_LENGTH`` characters (kept whole in the movement and the audit)."""
    return reason_required(
        reason,
        code=SavingsErrors.REASON,
        message=_("Alasan pencairan dini wajib diisi."),
        max_length=EARLY_REASON_MAX_LENGTH,
    )


def _require_treasury(by) -> None:
    if getattr(by, "role", None) not in TREASURY:
        raise ApplicationError(
            CommonErrors.PERMISSION_DENIED,
            _("Hanya bendahara atau admin yang dapat mencairkan simpanan sebelum jatuh tempo."),
            status=403,
        )


@transaction.atomic
def savings_early_withdraw(
    *,
    account: SavingsAccount,
    on: date,
    channel: str,
    reason: str,
    by,
    expected_net=None,
) -> SavingsTransaction:
    """Pay a berjangka account out before its payout date (bendahara, admin): the net
    (balance less the product's penalty) in cash or by bank with a withdrawal receipt,
    the penalty to penalty income, one journal entry, the account closed, audited with
    the reason. ``expected_net``: the net the screen showed; refused when it differs
    (the balance or the product's penalty changed meanwhile). Returns the payout
    movement (``early_payout``)."""
    _require_treasury(by)
    reason = early_withdrawal_reason_clean(reason)
    counter = counter_account(channel)
    account = _lock(account)
    preview = _preview(account, on)
    if expected_net not in (None, "") and _amount(expected_net) != preview.net:
        raise ApplicationError(
            SavingsErrors.FIGURE_CHANGED,
            _(
                "Angka pencairan berubah sejak ditampilkan: bersih kini %(n)s (saldo %(b)s, "
                "denda %(x)s). Periksa lagi sebelum mencairkan."
            )
            % {
                "n": format_rupiah(preview.net),
                "b": format_rupiah(preview.balance),
                "x": format_rupiah(preview.penalty),
            },
            status=409,
        )
    product = account.product
    receipt = receipt_number_next(prefix="TAR", on=on)
    memo = f"{product.name} {account.number}"[:300]
    payout = _write(
        account=account,
        kind=SavingsTransaction.Kind.EARLY_PAYOUT,
        channel=channel,
        amount=preview.net,
        delta=-preview.net,
        on=on,
        by=by,
        memo=_("Pencairan dini: %(r)s") % {"r": reason},
        receipt_number=receipt,
    )
    txns = [payout]
    # the member's whole balance off the control account in one line; the net to the
    # counter, the penalty to income
    lines = [
        LineSpec(
            account=product.account,
            debit=preview.balance,
            member_id=account.member_id,
            memo=memo,
        ),
        LineSpec(account=counter, credit=preview.net, memo=receipt),
    ]
    if preview.penalty > 0:
        txns.append(
            _write(
                account=account,
                kind=SavingsTransaction.Kind.EARLY_PENALTY,
                channel=SavingsTransaction.Channel.INTERNAL,
                amount=preview.penalty,
                delta=-preview.penalty,
                on=on,
                by=by,
                memo=_("Denda pencairan dini %(r)s (%(x)s)")
                % {"r": receipt, "x": preview.penalty_rule},
                receipt_number=None,
            )
        )
        lines.append(
            LineSpec(
                account=account_for_role("penalty_income"),
                credit=preview.penalty,
                memo=_("Denda pencairan dini %(r)s") % {"r": receipt},
            )
        )
    entry = journal_post(
        on=on,
        description=_("Pencairan sebelum jatuh tempo %(p)s %(m)s (%(r)s)")
        % {"p": product.name, "m": account.member.full_name, "r": receipt},
        lines=lines,
        source="savings",
        source_ref=f"txn:{payout.pk}",
        by=by,
    )
    transactions_link_entry(transactions=txns, entry=entry)
    receipt_source_set(number=receipt, source_ref=f"savings-txn:{payout.pk}")
    account.status = SavingsAccount.Status.CLOSED
    account.closed_on = on
    account.save(update_fields=["status", "closed_on", "updated_at"])
    audit_log(
        actor=by,
        action=SavingsAudit.EARLY_WITHDRAW,
        target=account,
        reason=reason,
        data={
            "transaction": payout.pk,
            "receipt": receipt,
            "channel": channel,
            "balance": str(preview.balance),
            "penalty": str(preview.penalty),
            "net": str(preview.net),
            "penalty_rule": {
                "type": product.early_penalty_type,
                "value": str(product.early_penalty_value),
            },
            "payout_date": preview.payout_date.isoformat(),
            "entry": str(entry),
        },
    )
    return payout


def _amount(value) -> Decimal:
    try:
        return to_decimal(value)
    except (TypeError, ArithmeticError, ValueError):
        raise ApplicationError(
            SavingsErrors.AMOUNT,
            _("Jumlah tidak valid."),
            fields={"expected_net": [_("Tidak valid.")]},
        ) from None


def early_withdrawal_reverse_apply(
    *, txn: SavingsTransaction, account: SavingsAccount, on: date, by, memo: str
) -> list[SavingsTransaction]:
    """The sub-ledger half of cancelling an early withdrawal (``teller_reverse``, inside
    its transaction, ``account`` locked): the account reopened, the payout and its
    penalty taken back (the balance as it was). Refused when the member has opened
    another account of the product since (one open account per product), or when the
    product's jasa has been run for the withdrawal's month or later since (the reopened
    account would have missed it). The journal half is the caller's."""
    other = (
        SavingsAccount.objects.filter(
            member_id=account.member_id,
            product_id=account.product_id,
            status=SavingsAccount.Status.OPEN,
        )
        .exclude(pk=account.pk)
        .first()
    )
    if other is not None:
        raise ApplicationError(
            SavingsErrors.ALREADY_OPEN,
            _(
                "Pencairan dini %(r)s tidak dapat dibatalkan: anggota sudah membuka rekening "
                "%(p)s baru (%(n)s) sesudahnya."
            )
            % {"r": txn.receipt_number, "p": account.product.name, "n": other.number},
            status=409,
        )
    run = (
        InterestRun.objects.filter(product_id=account.product_id, reversed_at__isnull=True)
        .filter(Q(year__gt=txn.on.year) | Q(year=txn.on.year, month__gte=txn.on.month))
        .order_by("-year", "-month")
        .first()
    )
    if run is not None:
        raise ApplicationError(
            SavingsErrors.REVERSAL_INTEREST_RUN,
            _(
                "Pencairan dini %(r)s tidak dapat dibatalkan: jasa %(p)s bulan %(m)02d/%(y)s "
                "sudah dihitung tanpa rekening ini."
            )
            % {"r": txn.receipt_number, "p": account.product.name, "m": run.month, "y": run.year},
            status=409,
        )
    if account.status == SavingsAccount.Status.CLOSED:
        account.status = SavingsAccount.Status.OPEN
        account.closed_on = None
        account.save(update_fields=["status", "closed_on", "updated_at"])
    moved = SavingsTransaction.objects.filter(
        journal_entry_id=txn.journal_entry_id,
        account_id=account.pk,
        kind__in=[SavingsTransaction.Kind.EARLY_PAYOUT, SavingsTransaction.Kind.EARLY_PENALTY],
    ).order_by("pk")
    return [
        savings_movement_reverse_apply(txn=t, on=on, by=by, memo=memo, account=account)
        for t in moved
    ]
