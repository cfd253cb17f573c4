"""Early withdrawal (pencairan sebelum jatuh tempo) of a berjangka / hari raya account: a
member who needs the money before the payout date (illness, an emergency) is paid the
balance at the counter by the bendahara, with a reason, less the product's optional
penalty, and the account closes.

- Jasa simpanan of the withdrawal's own month (an interest-bearing product): the days of
  the month before the withdrawal earn by the monthly run's own rule for an account paid
  out that day, as at an exit settlement (``interest_exit_month_due``): on the average
  daily balance the days before, divided by the month's days; on the month's lowest
  balance nothing (the payout is that zero; the figures say so, ``interest_note``). PPh
  by the member's month across all their accounts. Credited on the withdrawal date in
  the withdrawal's own entry (``interest_exit_month_apply``), then paid out with the
  balance; the month's run skips the closed account. The product has no rule that
  forfeits jasa on an early break: its penalty is the cost. A finished month whose jasa
  the run has not paid yet refuses the withdrawal (run it first).
- The penalty (``SavingsProduct.early_penalty_type`` / ``early_penalty_value``): none (the
  default), a percentage of the balance paid out (the month's jasa included) **rounded
  down** to whole rupiah (the member never pays a fraction of a rupiah more than the rate
  says), or a fixed rupiah amount. It must be less than that balance: a payout of nothing
  is refused.
- One journal entry: the month's jasa (Dr savings interest expense / Cr the control
  account, net, / Cr tax payable), the product's control account debited with the whole
  balance paid out (the member's sub-ledger) in two lines — the net, against cash/bank
  credited with it, and the penalty, against the penalty income account (role
  ``penalty_income``) credited with it. The jasa's lines and the penalty's pair move no
  cash and are marked ``non_cash``: the cash flow shows only the net paid out. On the
  sub-ledger: the ``interest`` and ``tax`` of the month, the ``early_payout`` of the net,
  receipted in the withdrawal series (``TAR-…``), and the ``early_penalty`` (internal, no
  receipt), so the teller's drawer counts the cash paid.
- The account **closes** rather than starting its next cycle as a full payout on/after
  the payout date does (``berjangka_cycle_next``): that cycle restart exists because a
  completed hari raya saving repeats every year by agreement; an early withdrawal breaks
  the agreement before its term, and keeping the account open would keep the payroll
  lists deducting from a member who has just asked for the money back. A member who
  wants to save again opens a new account (the deduction lists then ask it again).
- Reversed through ``teller_reverse`` (``early_withdrawal_reverse_apply``): every movement
  of the entry taken back (payout, penalty, PPh, jasa), the entry reversed (penalty
  income and the jasa's expense included), the account reopened with its balance and
  payout date as they were; the month's run then pays it on its balances.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_bulan, format_date
from core.common.errors import ApplicationError, CommonErrors, reason_required
from core.common.money import format_rupiah, to_decimal
from core.common.permissions import TREASURY
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post, receipt_source_set
from core.savings.audit import SavingsAudit

from ..models import SavingsAccount, SavingsProduct, SavingsTransaction
from .accounts import _lock
from .apply import (
    _check_open,
    _write,
    berjangka_due_date,
    check_not_frozen,
    transactions_link_entry,
)
from .common import ZERO, SavingsErrors, counter_account, receipt_number_next
from .interest import (
    InterestCredit,
    interest_days_label,
    interest_exit_month_apply,
    interest_exit_month_due,
    interest_exit_month_unrun,
    interest_unpaid_at_exit,
)
from .reversal import interest_run_through, savings_movement_reverse_apply

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


@dataclass(frozen=True, kw_only=True)
class MonthInterestFigures:
    """The jasa of the payout month's days before ``on`` that a berjangka account paid out
    on ``on`` is credited first (early, or in full at maturity): gross, its PPh, the
    line's name, why there is none when the product's basis gives nothing for it (the
    month's lowest balance), and the credit as computed (``_interest_of_month``)."""

    interest: Decimal = ZERO
    interest_tax: Decimal = ZERO
    interest_label: str = ""
    interest_note: str = ""
    credits: tuple[InterestCredit, ...] = ()

    @property
    def interest_net(self) -> Decimal:
        return self.interest - self.interest_tax


@dataclass(frozen=True, kw_only=True)
class EarlyWithdrawalPreview(MonthInterestFigures):
    """What an early withdrawal of ``account`` on ``on`` pays: the balance with the jasa of
    the month's days before ``on`` (``paid_out``), less the penalty, is the net handed to
    the member."""

    account: SavingsAccount
    on: date
    payout_date: date
    # the balance before the month's jasa
    balance: Decimal
    penalty: Decimal
    net: Decimal
    penalty_rule: str

    @property
    def paid_out(self) -> Decimal:
        """The balance paid out: with the month's jasa, net of PPh (the penalty's base)."""
        return self.balance + self.interest_net


def _month_named(on: date) -> str:
    return format_bulan(on)


def _interest_of_month(account: SavingsAccount, on: date) -> dict:
    """The jasa of ``on``'s month up to the day before, by the rule the exit settlement
    uses (``interest_exit_month_due``), as the preview's fields; the note when the
    product's basis gives nothing for it (the month's lowest balance is the payout's
    zero)."""
    credits = tuple(interest_exit_month_due(accounts=[account], on=on))
    names = {"p": account.product.name, "b": _month_named(on)}
    if credits:
        c = credits[0]
        return {
            "credits": credits,
            "interest": c.interest,
            "interest_tax": c.tax,
            "interest_label": _("Jasa simpanan %(p)s %(b)s, tanggal %(d)s (sampai dicairkan)")
            % (names | {"d": interest_days_label(on, c.since)}),
        }
    product = account.product
    if (
        product.interest_basis == SavingsProduct.InterestBasis.MINIMUM
        and account.balance > 0
        and interest_exit_month_unrun(accounts=[account], on=on)
    ):
        return {
            "interest_note": _(
                "Jasa simpanan %(p)s %(b)s: tidak ada. Produk ini menghitung jasa atas saldo "
                "terendah bulan itu, dan saldo menjadi nol saat dicairkan."
            )
            % names
        }
    return {}


def berjangka_unrun_month_check(*, account: SavingsAccount, on: date) -> None:
    """Refused (``savings_bad_period``, naming the month) while the jasa of a finished
    month before ``on`` the run has not paid yet is owed on ``account`` (an
    interest-bearing product): a berjangka account paid out now — early, or in full at
    maturity, which starts its next cycle — would receive it only afterwards, closed or
    locked until the next payout date. Run that month first."""
    product = account.product
    if product.interest_enabled and (pending := interest_unpaid_at_exit(accounts=[account], on=on)):
        c = pending[0]
        raise ApplicationError(
            SavingsErrors.BAD_PERIOD,
            _(
                "Jasa simpanan %(p)s bulan %(m)s belum dihitung; hitung dulu di "
                "halaman rekonsiliasi, lalu cairkan."
            )
            % {"p": product.name, "m": format_bulan(date(c.year, c.month, 1))},
        )


def _preview(account: SavingsAccount, on: date) -> EarlyWithdrawalPreview:
    """The figures, or the refusal: an open berjangka account of an active member, before
    its payout date, with no jasa simpanan of a finished month still to be run on it, and
    a balance (with the month's jasa) larger than the penalty."""
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
    berjangka_unrun_month_check(account=account, on=on)
    figures = EarlyWithdrawalPreview(
        account=account,
        on=on,
        payout_date=due,
        balance=balance,
        penalty=ZERO,
        net=ZERO,
        penalty_rule=penalty_rule_label(product),
        **_interest_of_month(account, on),
    )
    paid_out = figures.paid_out
    penalty = early_withdrawal_penalty(
        penalty_type=product.early_penalty_type,
        value=product.early_penalty_value,
        balance=paid_out,
    )
    if penalty >= paid_out:
        raise ApplicationError(
            SavingsErrors.PENALTY_EXCEEDS,
            _(
                "Denda pencairan dini %(x)s tidak kurang dari saldo %(b)s; tidak ada yang "
                "dapat dicairkan."
            )
            % {"x": format_rupiah(penalty), "b": format_rupiah(paid_out)},
        )
    return replace(figures, penalty=penalty, net=paid_out - penalty)


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
    """Pay a berjangka account out before its payout date (bendahara, admin): the jasa of
    the month's days before ``on`` credited (an interest-bearing product), then the net
    (the balance with it, less the product's penalty) in cash or by bank with a
    withdrawal receipt, the penalty to penalty income, one journal entry, the account
    closed, audited with the reason. ``expected_net``: the net the screen showed; refused
    when it differs (the balance, the jasa or the product's penalty changed meanwhile).
    Returns the payout movement (``early_payout``)."""
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
                "jasa bulan ini %(j)s, denda %(x)s). Periksa lagi sebelum mencairkan."
            )
            % {
                "n": format_rupiah(preview.net),
                "b": format_rupiah(preview.balance),
                "j": format_rupiah(preview.interest_net),
                "x": format_rupiah(preview.penalty),
            },
            status=409,
        )
    product = account.product
    # the month's jasa first, on the withdrawal date, in this entry (the payout takes it)
    lines, txns = interest_exit_month_apply(
        credits=preview.credits, accounts={account.pk: account}, by=by, early_withdrawal=True
    )
    # crediting it moves no cash (the payout of the balance, jasa included, is the flow):
    # its lines (Dr expense = Cr savings + Cr PPh payable) are a marked non-cash pair, as
    # at an exit settlement (``JournalLine.non_cash``; this entry's cash line is the net)
    lines = [replace(x, non_cash=True) for x in lines]
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
    txns.append(payout)
    # the member's whole balance (with the month's jasa) off the control account: the net
    # paid against the counter; the penalty kept moves no cash, so its part of the debit
    # and the penalty income's credit are a marked non-cash pair (``JournalLine.non_cash``)
    # and the cash flow shows only the net paid out
    lines += [
        LineSpec(
            account=product.account,
            debit=preview.net,
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
        lines += [
            LineSpec(
                account=product.account,
                debit=preview.penalty,
                member_id=account.member_id,
                memo=memo,
                non_cash=True,
            ),
            LineSpec(
                account=account_for_role("penalty_income"),
                credit=preview.penalty,
                memo=_("Denda pencairan dini %(r)s") % {"r": receipt},
                non_cash=True,
            ),
        ]
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
            "interest": str(preview.interest + CENTS),
            "interest_tax": str(preview.interest_tax + CENTS),
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
    its transaction, ``account`` locked): the account reopened, every movement of its
    entry taken back — the payout and its penalty first (they refill the account), then
    the month's PPh and jasa it credited — so the balance is as it was and the month's
    run pays the account on its balances. Refused when the member has opened another
    account of the product since (one open account per product), or when the product's
    jasa has been run for the withdrawal's month or later since (the reopened account
    would have missed it). The journal half is the caller's. Returns the reversals, the
    payout's first."""
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
    run = interest_run_through(product_id=account.product_id, on=txn.on)
    if run is not None:
        raise ApplicationError(
            SavingsErrors.REVERSAL_INTEREST_RUN,
            _(
                "Pencairan dini %(r)s tidak dapat dibatalkan: jasa %(p)s bulan %(m)s "
                "sudah dihitung tanpa rekening ini."
            )
            % {"r": txn.receipt_number, "p": account.product.name, "m": run.month_shown},
            status=409,
        )
    if account.status == SavingsAccount.Status.CLOSED:
        account.status = SavingsAccount.Status.OPEN
        account.closed_on = None
        account.save(update_fields=["status", "closed_on", "updated_at"])
    first = [
        SavingsTransaction.Kind.EARLY_PAYOUT,
        SavingsTransaction.Kind.EARLY_PENALTY,
        SavingsTransaction.Kind.TAX,
        SavingsTransaction.Kind.INTEREST,
    ]
    moved = sorted(
        SavingsTransaction.objects.filter(journal_entry_id=txn.journal_entry_id, kind__in=first),
        key=lambda t: (first.index(t.kind), t.account_id != account.pk, t.account_id, t.pk),
    )
    # PPh the month's jasa made another of the member's accounts bear (``_tax_elsewhere``)
    locked = {account.pk: account}
    for t in sorted(moved, key=lambda t: t.account_id):
        if t.account_id not in locked:
            locked[t.account_id] = _lock(t.account)
    return [
        savings_movement_reverse_apply(txn=t, on=on, by=by, memo=memo, account=locked[t.account_id])
        for t in moved
    ]
