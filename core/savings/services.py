"""Writes of savings: opening accounts, deposits, withdrawals, interest, receipts.

Every money service is split in two:

- ``*_apply`` validates, changes the sub-ledger (account balance + transaction row) and
  returns the ledger lines for the savings side (``LineSpec`` on the product's control
  account, tagged with the member). It posts nothing, so a batch (payroll deduction) can
  apply thousands of members' movements and post them as ONE journal entry.
- the thin teller service (``teller_deposit``, ``teller_withdraw``) adds the cash/bank line,
  posts one entry via ``journal_post`` and links the transaction to it.

Callers of ``*_apply`` must run inside ``transaction.atomic`` and post the returned lines
(with their counterpart) in the same transaction, then call ``transactions_link_entry``.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.money import format_rupiah, round_rupiah, to_decimal
from core.ledger.models import Account
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.members.models import Member

from .models import ReceiptSequence, SavingsAccount, SavingsProduct, SavingsTransaction

ZERO = Decimal("0")


class SavingsErrors(StrEnum):
    AMOUNT = "savings_bad_amount"
    ACCOUNT_CLOSED = "savings_account_closed"
    MEMBER_INACTIVE = "savings_member_inactive"
    NOT_WITHDRAWABLE = "savings_not_withdrawable"
    INSUFFICIENT = "savings_insufficient_balance"
    BELOW_MINIMUM = "savings_below_minimum"
    POKOK_EXCEEDED = "savings_pokok_exceeded"
    TERM_EXCEEDED = "savings_term_exceeded"
    PRODUCT_INACTIVE = "savings_product_inactive"
    CHANNEL = "savings_bad_channel"
    ALREADY_OPEN = "savings_account_already_open"
    INTEREST_DONE = "savings_interest_already_accrued"
    BAD_PERIOD = "savings_bad_period"
    PRODUCT_INVALID = "savings_product_invalid"


@dataclass
class Applied:
    """The result of an ``*_apply``: the transaction written and the savings-side lines."""

    transaction: SavingsTransaction
    lines: list[LineSpec] = field(default_factory=list)


def clean_amount(amount) -> Decimal:
    try:
        d = to_decimal(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise ApplicationError(
            SavingsErrors.AMOUNT, _("Jumlah tidak valid."), fields={"amount": [_("Tidak valid.")]}
        ) from None
    if not d.is_finite() or d <= 0:
        raise ApplicationError(
            SavingsErrors.AMOUNT,
            _("Jumlah harus lebih dari nol."),
            fields={"amount": [_("Harus lebih dari nol.")]},
        )
    if d != round_rupiah(d):
        raise ApplicationError(
            SavingsErrors.AMOUNT,
            _("Jumlah harus rupiah utuh (tanpa sen)."),
            fields={"amount": [_("Harus rupiah utuh.")]},
        )
    return round_rupiah(d)


# --- accounts ---------------------------------------------------------------------------


def _account_number(member: Member, product: SavingsProduct) -> str:
    base = f"{member.number}-{product.code}"
    if not SavingsAccount.objects.filter(number=base).exists():
        return base
    n = SavingsAccount.objects.filter(number__startswith=base + "-").count() + 2
    return f"{base}-{n}"


def _check_openable(member: Member, product: SavingsProduct) -> None:
    """An account can be opened only for an active member in an active product (shared
    with ``core.savings.batch.savings_accounts_open_bulk``)."""
    if not member.is_active:
        raise ApplicationError(
            SavingsErrors.MEMBER_INACTIVE,
            _("Anggota %(m)s tidak aktif; rekening baru tidak dapat dibuka.") % {"m": member},
        )
    if not product.is_active:
        raise ApplicationError(
            SavingsErrors.PRODUCT_INACTIVE, _("Produk %(p)s tidak aktif.") % {"p": product.name}
        )


def _already_open(product: SavingsProduct) -> ApplicationError:
    return ApplicationError(
        SavingsErrors.ALREADY_OPEN,
        _("Anggota sudah memiliki rekening %(p)s yang aktif.") % {"p": product.name},
    )


def savings_account_open(
    *,
    member: Member,
    product: SavingsProduct,
    on: date,
    by=None,
    monthly_amount: Decimal | None = None,
    payout_date: date | None = None,
) -> SavingsAccount:
    """Open a member's account in a product (inside the caller's transaction)."""
    _check_openable(member, product)
    if SavingsAccount.objects.filter(member=member, product=product, status="open").exists():
        raise _already_open(product)
    if product.kind == SavingsProduct.Kind.BERJANGKA:
        monthly_amount = clean_amount(monthly_amount or product.amount)
        payout_date = payout_date or product.payout_date
    try:
        with transaction.atomic():
            account = SavingsAccount.objects.create(
                number=_account_number(member, product),
                member=member,
                product=product,
                opened_on=on,
                monthly_amount=monthly_amount,
                payout_date=payout_date,
            )
    except IntegrityError:
        raise _already_open(product) from None
    if by is not None:
        audit_log(actor=by, action="savings.account_open", target=account)
    return account


def savings_account_get_or_open(
    *, member: Member, product: SavingsProduct, on: date, by=None
) -> SavingsAccount:
    acc = SavingsAccount.objects.filter(member=member, product=product, status="open").first()
    return acc or savings_account_open(member=member, product=product, on=on, by=by)


def _lock(account: SavingsAccount) -> SavingsAccount:
    return (
        SavingsAccount.objects.select_for_update()
        .select_related("product", "product__account", "member")
        .get(pk=account.pk)
    )


def savings_accounts_lock(ids) -> dict[int, SavingsAccount]:
    """Lock many accounts at once, in pk order (no deadlocks). For batches."""
    rows = list(
        SavingsAccount.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk__in=list(ids))
        .order_by("pk")
    )
    # the few products (with their control accounts) read once and shared by the accounts
    products = SavingsProduct.objects.select_related("account").in_bulk(
        {a.product_id for a in rows}
    )
    for a in rows:
        a.product = products[a.product_id]
    return {a.pk: a for a in rows}


# --- receipts ---------------------------------------------------------------------------


def receipt_number_next(*, prefix: str, on: date) -> str:
    """The next receipt number for ``prefix`` in ``on``'s year, e.g. KW-2026-000001.
    Gapless within committed transactions (the counter row is locked until commit)."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO savings_receiptsequence (prefix, year, last) VALUES (%s, %s, 0)"
            " ON CONFLICT (prefix, year) DO NOTHING",
            [prefix, on.year],
        )
    seq = ReceiptSequence.objects.select_for_update().get(prefix=prefix, year=on.year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{prefix}-{on.year}-{seq.last:06d}"


# --- apply (sub-ledger only) ------------------------------------------------------------


def _check_open(account: SavingsAccount) -> None:
    if account.status != SavingsAccount.Status.OPEN:
        raise ApplicationError(
            SavingsErrors.ACCOUNT_CLOSED,
            _("Rekening %(n)s sudah ditutup; transaksi tidak dapat dilakukan.")
            % {"n": account.number},
        )


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
) -> SavingsTransaction:
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
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )


def _check_deposit(account: SavingsAccount, amount: Decimal, kind: str) -> None:
    """The rules a deposit must pass on the (locked) account: open, member active (except
    opening balances), pokok and berjangka caps. Shared with ``core.savings.batch``."""
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
        if account.balance + amount > target:
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
    product = account.product
    txn = _write(
        account=account,
        kind=kind,
        channel=channel,
        amount=amount,
        delta=amount,
        on=on,
        by=by,
        memo=memo,
        receipt_number=receipt_number,
    )
    line = LineSpec(
        account=product.account,
        credit=amount,
        member_id=account.member_id,
        memo=f"{product.name} {account.number}"[:300],
    )
    return Applied(transaction=txn, lines=[line])


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
    """Debit a savings account. Refuses below zero or below the product minimum, and
    pokok/wajib (and berjangka before its payout date) while the holder is a member.
    ``settlement=True`` (exit settlement only) empties any account."""
    amount = clean_amount(amount)
    if not locked:
        account = _lock(account)
    _check_open(account)
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
            payout = account.payout_date or product.payout_date
            if payout and on < payout:
                raise ApplicationError(
                    SavingsErrors.NOT_WITHDRAWABLE,
                    _("%(p)s baru dapat dicairkan pada %(d)s.")
                    % {"p": product.name, "d": payout.strftime("%d-%m-%Y")},
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
                "b": f"{account.balance:,.0f}".replace(",", "."),
                "a": f"{amount:,.0f}".replace(",", "."),
            },
            fields={"amount": [_("Melebihi saldo.")]},
        )
    minimum = ZERO if settlement else product.minimum_balance
    if account.balance - amount < minimum:
        raise ApplicationError(
            SavingsErrors.BELOW_MINIMUM,
            _("Penarikan membuat saldo di bawah saldo minimum %(m)s.")
            % {"m": format_rupiah(minimum)},
            fields={"amount": [_("Saldo minimum harus tersisa.")]},
        )
    txn = _write(
        account=account,
        kind=kind,
        channel=channel,
        amount=amount,
        delta=-amount,
        on=on,
        by=by,
        memo=memo,
        receipt_number=receipt_number,
    )
    line = LineSpec(
        account=product.account,
        debit=amount,
        member_id=account.member_id,
        memo=f"{product.name} {account.number}"[:300],
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


# --- teller -----------------------------------------------------------------------------


def _counter_account(channel: str):
    from core.ledger.selectors import account_for_role

    if channel == SavingsTransaction.Channel.CASH:
        return account_for_role("cash")
    if channel == SavingsTransaction.Channel.BANK:
        return account_for_role("bank")
    raise ApplicationError(
        SavingsErrors.CHANNEL, _("Cara bayar harus tunai atau bank."), fields={"channel": ["?"]}
    )


@transaction.atomic
def teller_deposit(
    *, account: SavingsAccount, amount, channel: str, on: date, by, memo: str = ""
) -> SavingsTransaction:
    """A deposit at the counter: sub-ledger + one balanced journal entry + a receipt."""
    counter = _counter_account(channel)
    account = _lock(account)
    receipt = receipt_number_next(prefix="KW", on=on)
    applied = savings_deposit_apply(
        account=account,
        amount=amount,
        on=on,
        by=by,
        channel=channel,
        memo=memo,
        receipt_number=receipt,
        locked=True,
    )
    txn = applied.transaction
    counter_line = LineSpec(account=counter, debit=txn.amount, memo=receipt)
    description = _("Setoran %(p)s %(m)s (%(r)s)") % {
        "p": account.product.name,
        "m": account.member.full_name,
        "r": receipt,
    }
    return _teller_post(
        account=account,
        applied=applied,
        lines=[counter_line, *applied.lines],
        description=description,
        action="savings.deposit",
        channel=channel,
        receipt=receipt,
        on=on,
        by=by,
    )


@transaction.atomic
def teller_withdraw(
    *, account: SavingsAccount, amount, channel: str, on: date, by, memo: str = ""
) -> SavingsTransaction:
    """A withdrawal at the counter (sukarela; berjangka on/after its payout date)."""
    counter = _counter_account(channel)
    account = _lock(account)
    receipt = receipt_number_next(prefix="TR", on=on)
    kind = (
        SavingsTransaction.Kind.PAYOUT
        if account.product.kind == SavingsProduct.Kind.BERJANGKA
        else SavingsTransaction.Kind.WITHDRAWAL
    )
    applied = savings_withdraw_apply(
        account=account,
        amount=amount,
        on=on,
        by=by,
        channel=channel,
        kind=kind,
        memo=memo,
        receipt_number=receipt,
        locked=True,
    )
    txn = applied.transaction
    counter_line = LineSpec(account=counter, credit=txn.amount, memo=receipt)
    description = _("Penarikan %(p)s %(m)s (%(r)s)") % {
        "p": account.product.name,
        "m": account.member.full_name,
        "r": receipt,
    }
    return _teller_post(
        account=account,
        applied=applied,
        lines=[*applied.lines, counter_line],
        description=description,
        action="savings.withdraw",
        channel=channel,
        receipt=receipt,
        on=on,
        by=by,
    )


def _teller_post(
    *, account, applied, lines, description: str, action: str, channel: str, receipt: str, on, by
) -> SavingsTransaction:
    """The counter's tail shared by deposit and withdrawal: one journal entry for the
    applied transaction, linked back to it, and the audit row."""
    txn = applied.transaction
    entry = journal_post(
        on=on,
        description=description,
        lines=lines,
        source="savings",
        source_ref=f"txn:{txn.pk}",
        by=by,
    )
    transactions_link_entry(transactions=[txn], entry=entry)
    audit_log(
        actor=by,
        action=action,
        target=account,
        data={"amount": str(txn.amount), "channel": channel, "receipt": receipt},
    )
    return txn


# --- interest (jasa simpanan) -----------------------------------------------------------


def interest_for_month(
    *,
    opening: Decimal,
    movements: list[tuple[date, Decimal]],
    year: int,
    month: int,
    basis: str,
    rate_annual: Decimal,
) -> tuple[Decimal, Decimal]:
    """Pure: (base balance, interest) for one account and month. ``movements`` are
    (date, signed delta) within the month. Basis ``minimum``: the lowest balance in the
    month (including the opening); ``average``: the average end-of-day balance.
    Interest = base × rate / 12, whole rupiah half-up."""
    import calendar

    days = calendar.monthrange(year, month)[1]
    by_day: dict[int, Decimal] = {}
    for d, delta in movements:
        by_day[d.day] = by_day.get(d.day, ZERO) + delta
    bal = opening
    lowest = opening
    total = ZERO
    for day in range(1, days + 1):
        if day in by_day:
            bal += by_day[day]
            lowest = min(lowest, bal)
        total += bal
    base = lowest if basis == SavingsProduct.InterestBasis.MINIMUM else total / days
    base = max(base, ZERO)
    interest = round_rupiah(base * Decimal(rate_annual) / Decimal(100) / Decimal(12))
    return base, interest


def tax_on_interest(*, interest: Decimal, threshold: Decimal, rate: Decimal) -> Decimal:
    """PPh on savings interest: when the month's interest is above the threshold, the
    whole interest is taxed at ``rate`` percent (whole rupiah)."""
    if interest <= threshold:
        return ZERO
    return round_rupiah(interest * Decimal(rate) / Decimal(100))


@transaction.atomic
def savings_interest_accrue(*, product: SavingsProduct, year: int, month: int, by):
    """Monthly jasa simpanan for every open account of an interest-bearing product:
    credits the net interest to each account (interest and tax as two movements) and posts
    ONE entry: Dr savings interest expense / Cr control account per member / Cr tax
    payable. Once per product and month (unique run + the ledger's source reference)."""
    import calendar

    from django.db.models import Sum

    from core.ledger.selectors import account_for_role

    from .models import InterestRun

    if not product.interest_enabled or product.interest_rate_annual <= 0:
        raise ApplicationError(
            SavingsErrors.BAD_PERIOD, _("Produk %(p)s tidak berbunga.") % {"p": product.name}
        )
    if not (1 <= month <= 12):
        raise ApplicationError(SavingsErrors.BAD_PERIOD, _("Bulan tidak valid."))
    if date(year, month, calendar.monthrange(year, month)[1]) >= timezone.localdate():
        raise ApplicationError(
            SavingsErrors.BAD_PERIOD,
            _("Bulan %(m)02d/%(y)s belum selesai; jasa dihitung setelah akhir bulan.")
            % {"m": month, "y": year},
        )
    if InterestRun.objects.filter(product=product, year=year, month=month).exists():
        raise ApplicationError(
            SavingsErrors.INTEREST_DONE,
            _("Jasa %(p)s bulan %(m)02d/%(y)s sudah dihitung.")
            % {"p": product.name, "m": month, "y": year},
        )
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    ids = SavingsAccount.objects.filter(product=product, status="open", opened_on__lte=last)
    accounts = savings_accounts_lock(ids.values_list("pk", flat=True))
    openings = dict(
        SavingsTransaction.objects.filter(account_id__in=list(accounts), on__lt=first)
        .values_list("account_id")
        .annotate(s=Sum("delta"))
        .values_list("account_id", "s")
    )
    moves: dict[int, list] = {}
    for aid, on, delta in SavingsTransaction.objects.filter(
        account_id__in=list(accounts), on__gte=first, on__lte=last
    ).values_list("account_id", "on", "delta"):
        moves.setdefault(aid, []).append((on, delta))
    gross_total = tax_total = ZERO
    lines: list[LineSpec] = []
    txns = []
    n = 0
    for aid, acc in accounts.items():
        _base, interest = interest_for_month(
            opening=openings.get(aid) or ZERO,
            movements=moves.get(aid, []),
            year=year,
            month=month,
            basis=product.interest_basis,
            rate_annual=product.interest_rate_annual,
        )
        if interest <= 0:
            continue
        tax = tax_on_interest(
            interest=interest, threshold=product.tax_threshold, rate=product.tax_rate
        )
        txns.append(
            _write(
                account=acc,
                kind=SavingsTransaction.Kind.INTEREST,
                channel=SavingsTransaction.Channel.INTERNAL,
                amount=interest,
                delta=interest,
                on=last,
                by=by,
                memo=_("Jasa simpanan %(m)02d/%(y)s") % {"m": month, "y": year},
                receipt_number=None,
            )
        )
        if tax > 0:
            txns.append(
                _write(
                    account=acc,
                    kind=SavingsTransaction.Kind.TAX,
                    channel=SavingsTransaction.Channel.INTERNAL,
                    amount=tax,
                    delta=-tax,
                    on=last,
                    by=by,
                    memo=_("PPh jasa simpanan %(m)02d/%(y)s") % {"m": month, "y": year},
                    receipt_number=None,
                )
            )
        lines.append(
            LineSpec(
                account=product.account,
                credit=interest - tax,
                member_id=acc.member_id,
                memo=acc.number,
            )
        )
        gross_total += interest
        tax_total += tax
        n += 1
    entry = None
    if gross_total > 0:
        head = [LineSpec(account=account_for_role("savings_interest_expense"), debit=gross_total)]
        if tax_total > 0:
            lines.append(LineSpec(account=account_for_role("tax_payable"), credit=tax_total))
        entry = journal_post(
            on=last,
            description=_("Jasa simpanan %(p)s %(m)02d/%(y)s")
            % {"p": product.name, "m": month, "y": year},
            lines=head + lines,
            source="savings",
            source_ref=f"interest:{product.pk}:{year}-{month:02d}",
            by=by,
        )
        transactions_link_entry(transactions=txns, entry=entry)
    run = InterestRun.objects.create(
        product=product,
        year=year,
        month=month,
        gross_interest=gross_total,
        tax=tax_total,
        accounts=n,
        journal_entry=entry,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_log(
        actor=by,
        action="savings.interest_accrue",
        target=product,
        data={"period": f"{year}-{month:02d}", "gross": str(gross_total), "tax": str(tax_total)},
    )
    return run


# --- product settings -------------------------------------------------------------------

PRODUCT_EDITABLE = (
    "name",
    "interest_auto",
    "amount",
    "amount_by_grade",
    "effective_from",
    "minimum_balance",
    "interest_enabled",
    "interest_rate_annual",
    "interest_basis",
    "tax_threshold",
    "tax_rate",
    "term_months",
    "payout_date",
    "is_active",
)


# a product's ledger control account by kind, unless another one is chosen at creation
PRODUCT_KIND_ROLES = {
    SavingsProduct.Kind.POKOK: "savings_pokok",
    SavingsProduct.Kind.WAJIB: "savings_wajib",
    SavingsProduct.Kind.SUKARELA: "savings_sukarela",
    SavingsProduct.Kind.BERJANGKA: "savings_berjangka",
}
# one product of each of these kinds per cooperative (a database constraint)
PRODUCT_SINGLE_KINDS = (SavingsProduct.Kind.POKOK, SavingsProduct.Kind.WAJIB)
PRODUCT_CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,29}")


def _product_errors(
    *, kind: str, changes: dict, current: SavingsProduct | None
) -> dict[str, list[str]]:
    """What is wrong with these settings for a product of ``kind`` (``current``: the
    product being changed; None for a new one, whose other settings are the defaults)."""

    def value(key):
        if key in changes:
            return changes[key]
        if current is not None:
            return getattr(current, key)
        return SavingsProduct._meta.get_field(key).get_default()

    errors: dict[str, list[str]] = {}

    def number(key):
        try:
            return to_decimal(value(key) or 0)
        except (InvalidOperation, TypeError, ValueError):
            errors[key] = [_("Harus berupa angka.")]
            return None

    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name or len(name) > 120:
            errors["name"] = [_("Wajib diisi, paling banyak 120 karakter.")]
    for key in ("amount", "minimum_balance", "tax_threshold"):
        v = number(key) if key in changes else None
        if v is not None and (v < 0 or v != round_rupiah(v)):
            errors[key] = [_("Harus rupiah utuh, tidak negatif.")]
    for key in ("interest_rate_annual", "tax_rate"):
        if key in changes and (v := number(key)) is not None and not 0 <= v <= 100:
            errors[key] = [_("Harus antara 0 dan 100 persen.")]
    if value("interest_basis") not in SavingsProduct.InterestBasis.values:
        errors["interest_basis"] = [_("Tidak valid.")]
    if value("amount_by_grade") and kind != SavingsProduct.Kind.WAJIB:
        errors["amount_by_grade"] = [_("Nominal menurut golongan hanya untuk simpanan wajib.")]
    if kind == SavingsProduct.Kind.BERJANGKA:
        term = value("term_months")
        if not term or int(term) < 1:
            errors["term_months"] = [_("Simpanan berjangka perlu jangka (bulan).")]
        if "amount" not in errors and (v := number("amount")) is not None and v <= 0:
            errors["amount"] = [_("Setoran bulanan harus lebih dari nol.")]
    return errors


@transaction.atomic
def savings_product_create(
    *, code: str, kind: str, by, account: Account | None = None, **settings
) -> SavingsProduct:
    """A new savings product, typically another purpose product (berjangka: Simpanan
    Pendidikan, Qurban, ...) or another sukarela product; ``settings`` are the fields of
    ``PRODUCT_EDITABLE`` (``name`` required). Its ledger control account is the chart's
    account for the kind unless ``account`` names another active, non-group liability
    account; products may share an account (the reconciliation adds them up). A
    cooperative has one pokok and one wajib product. Refused as a whole, with an error per
    field, when anything is wrong."""
    unknown = set(settings) - set(PRODUCT_EDITABLE)
    if unknown:
        raise ApplicationError(
            SavingsErrors.PRODUCT_INVALID,
            _("Kolom tidak dikenal: %(f)s") % {"f": ", ".join(sorted(unknown))},
        )
    errors: dict[str, list[str]] = {}
    code = (code or "").strip().upper()
    if not PRODUCT_CODE_RE.fullmatch(code):
        errors["code"] = [_("1-30 huruf besar, angka atau tanda hubung, diawali huruf atau angka.")]
    elif SavingsProduct.objects.filter(code=code).exists():
        errors["code"] = [_("Kode %(c)s sudah dipakai produk lain.") % {"c": code}]
    if kind not in SavingsProduct.Kind.values:
        errors["kind"] = [_("Jenis simpanan tidak valid.")]
    elif kind in PRODUCT_SINGLE_KINDS and SavingsProduct.objects.filter(kind=kind).exists():
        errors["kind"] = [
            _("Koperasi sudah punya produk %(k)s; ubah produk yang ada.")
            % {"k": SavingsProduct.Kind(kind).label}
        ]
    if not (settings.get("name") or "").strip():
        errors["name"] = [_("Wajib diisi.")]
    if kind in SavingsProduct.Kind.values:
        errors = _product_errors(kind=kind, changes=settings, current=None) | errors
        if account is None:
            try:
                account = account_for_role(PRODUCT_KIND_ROLES[kind])
            except ApplicationError as e:
                errors["account"] = [e.message]
    if account is not None and (
        account.type != Account.Type.LIABILITY or account.is_group or not account.is_active
    ):
        errors["account"] = [
            _("Akun %(a)s bukan akun kewajiban aktif yang dapat diposting.") % {"a": account}
        ]
    if errors:
        raise ApplicationError(
            SavingsErrors.PRODUCT_INVALID, next(iter(errors.values()))[0], fields=errors
        )
    settings["name"] = settings["name"].strip()
    try:
        with transaction.atomic():
            product = SavingsProduct.objects.create(
                code=code, kind=kind, account=account, **settings
            )
    except IntegrityError:  # a product with that code or kind was created meanwhile
        raise ApplicationError(
            SavingsErrors.PRODUCT_INVALID,
            _("Kode atau jenis produk baru saja dipakai; muat ulang dan coba lagi."),
        ) from None
    audit_log(
        actor=by,
        action="savings.product_create",
        target=product,
        data={"code": code, "kind": kind, "account": account.code}
        | {k: str(v) for k, v in settings.items()},
    )
    return product


@transaction.atomic
def savings_product_update(*, product: SavingsProduct, by, **changes) -> SavingsProduct:
    """Change a product's settings (amounts, interest, tax, term). The kind and the ledger
    account are fixed once created (balances already sit in that account)."""
    unknown = set(changes) - set(PRODUCT_EDITABLE)
    if unknown:
        raise ApplicationError(
            SavingsErrors.AMOUNT,
            _("Kolom tidak boleh diubah: %(f)s") % {"f": ", ".join(sorted(unknown))},
        )
    product = SavingsProduct.objects.select_for_update().get(pk=product.pk)
    errors = _product_errors(kind=product.kind, changes=changes, current=product)
    if errors:
        raise ApplicationError(SavingsErrors.AMOUNT, next(iter(errors.values()))[0], fields=errors)
    old = {k: str(getattr(product, k)) for k in changes}
    for k, v in changes.items():
        setattr(product, k, v)
    product.save()
    audit_log(
        actor=by,
        action="savings.product_update",
        target=product,
        data={"old": old, "new": {k: str(v) for k, v in changes.items()}},
    )
    return product


@transaction.atomic
def wajib_rate_set(*, product: SavingsProduct, grade: str, amount, effective_from: date, by):
    """Set the monthly wajib for a grade group from a date (a new row; history is kept)."""
    from .models import WajibRate

    if product.kind != SavingsProduct.Kind.WAJIB:
        raise ApplicationError(
            SavingsErrors.AMOUNT, _("Tarif golongan hanya untuk simpanan wajib.")
        )
    grade = (grade or "").strip().upper()
    if grade not in ("I", "II", "III", "IV", "PPPK"):
        raise ApplicationError(
            SavingsErrors.AMOUNT,
            _("Kelompok golongan harus I, II, III, IV atau PPPK."),
            fields={"grade": [_("Tidak valid.")]},
        )
    amount = clean_amount(amount)
    rate, _created = WajibRate.objects.update_or_create(
        product=product, grade=grade, effective_from=effective_from, defaults={"amount": amount}
    )
    audit_log(
        actor=by,
        action="savings.wajib_rate_set",
        target=product,
        data={"grade": grade, "amount": str(amount), "from": effective_from.isoformat()},
    )
    return rate
