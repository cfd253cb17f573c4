"""Deposits and withdrawals on the sub-ledger only (balance + transaction row), returning
the savings-side ledger lines for the caller to post; linking transactions to the entry."""

from datetime import date
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.dates import add_months, format_date
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.ledger.services import LineSpec

from ..models import SavingsAccount, SavingsProduct, SavingsTransaction
from .accounts import _lock, berjangka_next_payout_date
from .common import ZERO, Applied, SavingsErrors, clean_amount

# --- apply (sub-ledger only) ------------------------------------------------------------


def _check_open(account: SavingsAccount) -> None:
    if account.status != SavingsAccount.Status.OPEN:
        raise ApplicationError(
            SavingsErrors.ACCOUNT_CLOSED,
            _("Rekening %(n)s sudah ditutup; transaksi tidak dapat dilakukan.")
            % {"n": account.number},
        )


def frozen_refusal(account: SavingsAccount) -> str | None:
    """Why money out of a frozen account is refused (its number, since when and the
    freeze reason), or None when it is not frozen: ``check_not_frozen``'s message, which
    a screen shows before the refused action is offered (the exit settlement)."""
    if account.frozen_at is None:
        return None
    return _(
        "Rekening %(n)s diblokir sejak %(d)s (%(r)s): penarikan, pencairan dan "
        "penutupan ditolak sampai blokirnya dibuka bendahara."
    ) % {
        "n": account.number,
        "d": format_date(timezone.localtime(account.frozen_at).date()),
        "r": account.frozen_reason,
    }


def check_not_frozen(account: SavingsAccount) -> None:
    """Money out to the member (withdrawal, payout, early withdrawal, exit settlement)
    and closing are refused while the account is frozen (``savings_account_freeze``)."""
    refusal = frozen_refusal(account)
    if refusal is not None:
        raise ApplicationError(SavingsErrors.ACCOUNT_FROZEN, refusal, status=409)


def berjangka_due_date(account: SavingsAccount) -> date | None:
    """The date a berjangka account may be paid out from: its own payout date, else the
    product's, else (neither set) the end of the product's term from opening."""
    product = account.product
    payout = account.payout_date or product.payout_date
    if payout is None and product.term_months:
        # no payout date set: the deposit matures when its term has run
        payout = add_months(account.opened_on, product.term_months)
    return payout


def berjangka_deposited(account: SavingsAccount) -> Decimal:
    """What the member has deposited into a berjangka account in its current cycle — what
    the term caps (monthly amount × term, "total setoran"): the balance less the jasa
    simpanan (net of its PPh) credited since the account was last emptied. Jasa is on top
    of the agreed deposits, never part of them; jasa from before the last emptying was
    paid out with it (an emptying taken back since does not count). (Jasa taken back,
    and its reversal, count neither way.) One query (``berjangka_deposited_bulk``)."""
    return berjangka_deposited_bulk([account])[account.pk]


def berjangka_deposited_bulk(accounts) -> dict[int, Decimal]:
    """``berjangka_deposited`` of each of ``accounts`` (their balances as given), by
    account id, in one query for all of them: the jasa (net of PPh) credited since each
    account's own last emptying, summed per account."""
    accounts = list(accounts)
    if not accounts:
        return {}
    emptied = (
        SavingsTransaction.objects.filter(
            account_id=OuterRef("account_id"), balance_after__lte=0, reversed_by__isnull=True
        )
        .order_by("-pk")
        .values("pk")[:1]
    )
    jasa = dict(
        SavingsTransaction.objects.filter(
            account_id__in={a.pk for a in accounts},
            kind__in=[SavingsTransaction.Kind.INTEREST, SavingsTransaction.Kind.TAX],
            reversed_by__isnull=True,
        )
        .alias(emptied=Coalesce(Subquery(emptied), 0))
        .filter(pk__gt=F("emptied"))
        .order_by()
        .values("account_id")
        .annotate(s=Sum("delta"))
        .values_list("account_id", "s")
    )
    return {a.pk: max(a.balance - jasa.get(a.pk, ZERO), ZERO) for a in accounts}


def _write(
    *,
    account: SavingsAccount,
    kind: str,
    channel: str,
    amount: Decimal,
    delta: Decimal,
    on: date,
    by,
    memo: str,
    receipt_number: str | None,
    reverses: SavingsTransaction | None = None,
    cycle: tuple[date | None, date] | None = None,
) -> SavingsTransaction:
    previous_payout_date, next_payout_date = cycle or (None, None)
    account.balance = account.balance + delta
    account.save(update_fields=["balance", "updated_at"])
    return SavingsTransaction.objects.create(
        account=account,
        on=on,
        kind=kind,
        channel=channel,
        amount=amount,
        delta=delta,
        balance_after=account.balance,
        receipt_number=receipt_number,
        memo=memo[:200],
        reverses=reverses,
        previous_payout_date=previous_payout_date,
        next_payout_date=next_payout_date,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )


def _check_deposit(
    account: SavingsAccount, amount: Decimal, kind: str, *, deposited: Decimal | None = None
) -> None:
    """The rules a deposit must pass on the (locked) account: open, member active (except
    opening balances), pokok and berjangka caps. Shared with ``core.savings.batch``.
    ``deposited``: the account's ``berjangka_deposited`` when the caller has it (a batch
    reads it for all its accounts at once); else read here when needed."""
    _check_open(account)
    product = account.product
    if kind != SavingsTransaction.Kind.OPENING and not account.member.is_active:
        raise ApplicationError(
            SavingsErrors.MEMBER_INACTIVE,
            _("Anggota %(m)s tidak aktif; setoran tidak dapat diterima.") % {"m": account.member},
        )
    if (
        product.kind == SavingsProduct.Kind.POKOK
        and product.amount > 0
        and account.balance + amount > product.amount
    ):
        raise ApplicationError(
            SavingsErrors.POKOK_EXCEEDED,
            _("Simpanan pokok hanya %(a)s; saldo sudah %(b)s.")
            % {"a": format_rupiah(product.amount), "b": format_rupiah(account.balance)},
            fields={"amount": [_("Melebihi simpanan pokok.")]},
        )
    if product.kind == SavingsProduct.Kind.BERJANGKA and product.term_months:
        target = (account.monthly_amount or product.amount) * product.term_months
        # the deposits are capped, not the jasa an interest-bearing product adds (read
        # only when the balance alone would be over: a batch's deposits stay query-free)
        if account.balance + amount > target and (
            (deposited if deposited is not None else berjangka_deposited(account)) + amount > target
        ):
            raise ApplicationError(
                SavingsErrors.TERM_EXCEEDED,
                _("Setoran melebihi total simpanan berjangka (%(t)s).")
                % {"t": format_rupiah(target)},
                fields={"amount": [_("Melebihi total setoran.")]},
            )


def savings_deposit_apply(
    *,
    account: SavingsAccount,
    amount,
    on: date,
    by,
    channel: str = SavingsTransaction.Channel.CASH,
    kind: str = SavingsTransaction.Kind.DEPOSIT,
    memo: str = "",
    receipt_number: str | None = None,
    locked: bool = False,
) -> Applied:
    """Credit a savings account. Returns the transaction and the credit line on the
    product's control account. Pass ``locked=True`` if the caller already locked it."""
    amount = clean_amount(amount)
    if not locked:
        account = _lock(account)
    _check_deposit(account, amount, kind)
    return _applied(
        account,
        kind=kind,
        channel=channel,
        delta=amount,
        on=on,
        by=by,
        memo=memo,
        receipt_number=receipt_number,
    )


def savings_withdraw_apply(
    *,
    account: SavingsAccount,
    amount,
    on: date,
    by,
    channel: str = SavingsTransaction.Channel.CASH,
    kind: str = SavingsTransaction.Kind.WITHDRAWAL,
    memo: str = "",
    receipt_number: str | None = None,
    locked: bool = False,
    settlement: bool = False,
) -> Applied:
    """Debit a savings account. Refuses below zero or below the product minimum (not a
    berjangka payout of the whole balance), and
    pokok/wajib (and berjangka before its payout date) while the holder is a member.
    ``settlement=True`` (exit settlement only) empties any account."""
    amount = clean_amount(amount)
    if not locked:
        account = _lock(account)
    _check_open(account)
    if kind != SavingsTransaction.Kind.TRANSFER_OUT:
        # (a transfer out undoes a credit, e.g. a payroll batch cancelled: not money out)
        check_not_frozen(account)
    product = account.product
    if not settlement:
        if product.kind in (SavingsProduct.Kind.POKOK, SavingsProduct.Kind.WAJIB):
            raise ApplicationError(
                SavingsErrors.NOT_WITHDRAWABLE,
                _(
                    "%(p)s tidak dapat ditarik selama masih menjadi anggota; "
                    "pengembalian hanya saat keluar."
                )
                % {"p": product.name},
            )
        if product.kind == SavingsProduct.Kind.BERJANGKA:
            payout = berjangka_due_date(account)
            if payout and on < payout:
                raise ApplicationError(
                    SavingsErrors.NOT_WITHDRAWABLE,
                    _("%(p)s baru dapat dicairkan pada %(d)s.")
                    % {"p": product.name, "d": format_date(payout)},
                )
        if not account.member.is_active:
            raise ApplicationError(
                SavingsErrors.MEMBER_INACTIVE,
                _("Anggota %(m)s tidak aktif; gunakan penyelesaian keluar.")
                % {"m": account.member},
            )
    if amount > account.balance:
        raise ApplicationError(
            SavingsErrors.INSUFFICIENT,
            _("Saldo tidak cukup: saldo %(b)s, diminta %(a)s.")
            % {
                "b": format_rupiah(account.balance),
                "a": format_rupiah(amount),
            },
            fields={"amount": [_("Melebihi saldo.")]},
        )
    # a berjangka payout of the whole balance (at maturity: what the product is for;
    # the account starts its next cycle) is not held to the minimum
    paid_in_full = kind == SavingsTransaction.Kind.PAYOUT and amount == account.balance
    minimum = ZERO if settlement or paid_in_full else product.minimum_balance
    if account.balance - amount < minimum:
        raise ApplicationError(
            SavingsErrors.BELOW_MINIMUM,
            _("Penarikan membuat saldo di bawah saldo minimum %(m)s.")
            % {"m": format_rupiah(minimum)},
            fields={"amount": [_("Saldo minimum harus tersisa.")]},
        )
    cycle = None
    # a berjangka payout in full: the account's next cycle, recorded on the payout with
    # the date it replaces (applied by ``berjangka_cycle_next``)
    if (
        kind == SavingsTransaction.Kind.PAYOUT
        and amount == account.balance
        and (nxt := berjangka_next_payout_date(account=account, on=on)) is not None
    ):
        cycle = (account.payout_date, nxt)
    return _applied(
        account,
        kind=kind,
        channel=channel,
        delta=-amount,
        on=on,
        by=by,
        memo=memo,
        receipt_number=receipt_number,
        cycle=cycle,
    )


def _applied(
    account: SavingsAccount,
    *,
    kind: str,
    channel: str,
    delta: Decimal,
    on: date,
    by,
    memo: str,
    receipt_number: str | None,
    cycle: tuple[date | None, date] | None = None,
) -> Applied:
    """The movement written (balance + transaction row) and its line on the product's
    control account: a credit for money in (``delta`` > 0), a debit for money out."""
    product = account.product
    amount = abs(delta)
    txn = _write(
        account=account,
        kind=kind,
        channel=channel,
        amount=amount,
        delta=delta,
        on=on,
        by=by,
        memo=memo,
        receipt_number=receipt_number,
        cycle=cycle,
    )
    side = {"credit": amount} if delta > 0 else {"debit": amount}
    line = LineSpec(
        account=product.account,
        member_id=account.member_id,
        memo=f"{product.name} {account.number}"[:300],
        **side,
    )
    return Applied(transaction=txn, lines=[line])


def transactions_link_entry(*, transactions, entry) -> None:
    """Attach the posted journal entry to the transactions (the one UPDATE the
    immutability trigger allows: journal_entry from NULL to a value)."""
    ids = [t.pk for t in transactions if t.journal_entry_id is None]
    if ids:  # (transactions written linked to the entry already need nothing)
        SavingsTransaction.objects.filter(pk__in=ids, journal_entry__isnull=True).update(
            journal_entry=entry
        )
    for t in transactions:
        t.journal_entry = entry
