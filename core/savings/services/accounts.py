"""Savings accounts: opened (numbered per product), found or opened, locked one by one or
many at once in pk order."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.models import AuditEvent
from core.audit.services import audit_log
from core.common.dates import add_months
from core.common.errors import ApplicationError, CommonErrors, reason_required, text_checked
from core.common.money import format_rupiah
from core.common.permissions import TREASURY
from core.members.models import Member
from core.savings.audit import SavingsAudit

from ..models import SavingsAccount, SavingsProduct, SavingsTransaction
from .common import SavingsErrors, clean_amount

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
    """Open a member's account in a product (inside the caller's transaction). A
    berjangka account takes the product's payout date unless that date has passed by
    ``on``: it then matures when the term has run from ``on``."""
    _check_openable(member, product)
    if SavingsAccount.objects.filter(member=member, product=product, status="open").exists():
        raise _already_open(product)
    if product.kind == SavingsProduct.Kind.BERJANGKA:
        monthly_amount = clean_amount(monthly_amount or product.amount)
        if payout_date is None and product.payout_date and product.payout_date <= on:
            # the product's payout date has passed (last year's, not moved yet): the
            # account would be withdrawable at once and never on a deduction list; it
            # matures when its term has run from opening instead
            payout_date = add_months(on, product.term_months) if product.term_months else None
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
        audit_log(actor=by, action=SavingsAudit.ACCOUNT_OPEN, target=account)
    return account


@transaction.atomic
def savings_account_open_unique(
    *, member: Member, product: SavingsProduct, on: date, by
) -> SavingsAccount:
    """``savings_account_open`` in its own transaction for a client that may send the
    same request twice (the API's ``POST /api/v1/savings/accounts/``): the member's
    account already open in the product is a 409 naming it (``fields.product``), two
    requests at once open one account (the database's unique rule) and the other is
    told the same."""
    try:
        return savings_account_open(member=member, product=product, on=on, by=by)
    except ApplicationError as exc:
        if exc.code != SavingsErrors.ALREADY_OPEN:
            raise
        existing = SavingsAccount.objects.filter(
            member=member, product=product, status="open"
        ).first()
        if existing is None:
            raise
        message = _(
            "Anggota sudah memiliki rekening %(p)s yang aktif: %(n)s (id %(id)s); "
            "rekening kedua tidak dibuka."
        ) % {"p": product.name, "n": existing.number, "id": existing.pk}
        raise ApplicationError(
            SavingsErrors.ALREADY_OPEN, message, fields={"product": [message]}, status=409
        ) from None


def berjangka_next_payout_date(*, account: SavingsAccount, on: date) -> date | None:
    """The payout date a berjangka account paid out in full on ``on`` moves to for its
    next cycle: the product's payout date if that is after ``on``, else the end of the
    product's term from ``on``; None when neither is set (or not berjangka)."""
    product = account.product
    if product.kind != SavingsProduct.Kind.BERJANGKA:
        return None
    if product.payout_date and product.payout_date > on:
        return product.payout_date
    if product.term_months:
        return add_months(on, product.term_months)
    return None


def berjangka_cycle_next(*, account: SavingsAccount, txn: SavingsTransaction, by) -> None:
    """A (locked) berjangka account paid out in full (``txn``, on/after its payout date)
    starts its next cycle: its payout date becomes the one the payout recorded
    (``txn.next_payout_date``, from ``berjangka_next_payout_date``, written with the
    payout together with the date it replaces), so the next deduction lists ask its
    monthly amount again. Inside the payout's transaction; the old and new dates in the
    audit row as well (``berjangka_cycle_restore`` puts the old one back on reversal)."""
    if txn.next_payout_date is None or account.balance != 0:
        return
    old, new = txn.previous_payout_date, txn.next_payout_date
    account.payout_date = new
    account.save(update_fields=["payout_date", "updated_at"])
    audit_log(
        actor=by,
        action=SavingsAudit.BERJANGKA_NEXT_CYCLE,
        target=account,
        data={
            "transaction": txn.pk,
            "old_payout_date": old.isoformat() if old else None,
            "new_payout_date": new.isoformat(),
        },
    )


def _cycle_dates_from_audit(account: SavingsAccount, txn: SavingsTransaction):
    """A payout written before the transaction stored its cycle dates (savings 0015):
    the (old, new) payout dates from its next-cycle audit row, or None."""
    moved = (
        AuditEvent.objects.filter(
            action=SavingsAudit.BERJANGKA_NEXT_CYCLE,
            target_type=account._meta.label_lower,
            target_id=str(account.pk),
            data__transaction=txn.pk,
        )
        .order_by("-pk")
        .first()
    )
    if moved is None:
        return None
    old, new = moved.data["old_payout_date"], moved.data["new_payout_date"]
    return (date.fromisoformat(old) if old else None), date.fromisoformat(new)


def berjangka_cycle_restore(*, account: SavingsAccount, txn: SavingsTransaction, by) -> None:
    """``txn`` (a payout) reversed: the (locked) account goes back to the payout date it
    had before the payout moved it to its next cycle, if it did and the date was not
    changed since. The dates are the payout's own (``previous_payout_date``,
    ``next_payout_date``); a payout from before they were stored falls back to its
    next-cycle audit row. Audited."""
    if txn.next_payout_date is not None:
        old, new = txn.previous_payout_date, txn.next_payout_date
    elif (found := _cycle_dates_from_audit(account, txn)) is not None:
        old, new = found
    else:
        return
    if account.payout_date != new:
        return  # changed since (by hand): left as it is
    account.payout_date = old
    account.save(update_fields=["payout_date", "updated_at"])
    audit_log(
        actor=by,
        action=SavingsAudit.BERJANGKA_CYCLE_RESTORE,
        target=account,
        data={
            "transaction": txn.pk,
            "old_payout_date": new.isoformat(),
            "new_payout_date": old.isoformat() if old else None,
        },
    )


FREEZE_REASON_MAX_LENGTH = 200


def _require_treasury(by, what: str) -> None:
    if getattr(by, "role", None) not in TREASURY:
        raise ApplicationError(
            CommonErrors.PERMISSION_DENIED,
            _("Hanya bendahara atau admin yang dapat %(w)s.") % {"w": what},
            status=403,
        )


@transaction.atomic
def savings_account_freeze(*, account: SavingsAccount, reason: str, by) -> SavingsAccount:
    """Freeze (blokir) an open account (bendahara, admin; reason required): while frozen,
    withdrawals, payouts, early withdrawal, exit settlement and closing are refused
    (``apply.check_not_frozen``); deposits and payroll credits are still accepted.
    Audited."""
    _require_treasury(by, _("memblokir rekening simpanan"))
    reason = reason_required(
        reason,
        code=SavingsErrors.REASON,
        message=_("Alasan blokir wajib diisi."),
        max_length=FREEZE_REASON_MAX_LENGTH,
    )
    account = _lock(account)
    if account.status != SavingsAccount.Status.OPEN:
        raise ApplicationError(
            SavingsErrors.ACCOUNT_CLOSED,
            _("Rekening %(n)s sudah ditutup; tidak dapat diblokir.") % {"n": account.number},
            status=409,
        )
    if account.frozen_at is not None:
        raise ApplicationError(
            SavingsErrors.ACCOUNT_FROZEN,
            _("Rekening %(n)s sudah diblokir (%(r)s).")
            % {"n": account.number, "r": account.frozen_reason},
            status=409,
        )
    account.frozen_at = timezone.now()
    account.frozen_reason = reason
    account.frozen_by = by if getattr(by, "is_authenticated", False) else None
    account.save(update_fields=["frozen_at", "frozen_reason", "frozen_by", "updated_at"])
    audit_log(
        actor=by,
        action=SavingsAudit.ACCOUNT_FREEZE,
        target=account,
        reason=reason,
        data={"balance": str(account.balance)},
    )
    return account


@transaction.atomic
def savings_account_unfreeze(*, account: SavingsAccount, reason: str = "", by) -> SavingsAccount:
    """Lift an account's freeze (bendahara, admin); the reason is optional. Audited with
    the freeze it lifts."""
    _require_treasury(by, _("membuka blokir rekening simpanan"))
    reason = text_checked((reason or "").strip(), field="reason", label=_("Alasan"), multiline=True)
    account = _lock(account)
    if account.frozen_at is None:
        raise ApplicationError(
            SavingsErrors.ACCOUNT_NOT_FROZEN,
            _("Rekening %(n)s tidak diblokir.") % {"n": account.number},
            status=409,
        )
    data = {
        "frozen_at": account.frozen_at.isoformat(),
        "frozen_reason": account.frozen_reason,
    }
    account.frozen_at = None
    account.frozen_reason = ""
    account.frozen_by = None
    account.save(update_fields=["frozen_at", "frozen_reason", "frozen_by", "updated_at"])
    audit_log(
        actor=by, action=SavingsAudit.ACCOUNT_UNFREEZE, target=account, reason=reason, data=data
    )
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
    return savings_accounts_lock_where(Q(pk__in=list(ids)))


def savings_accounts_lock_where(where: Q) -> dict[int, SavingsAccount]:
    """Lock the accounts ``where`` selects, in pk order (no deadlocks), with their
    members and products read. For batches: one statement finds and locks them."""
    rows = list(
        SavingsAccount.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(where)
        .order_by("pk")
    )
    # the few products (with their control accounts) read once and shared by the accounts
    products = SavingsProduct.objects.select_related("account").in_bulk(
        {a.product_id for a in rows}
    )
    for a in rows:
        a.product = products[a.product_id]
    return {a.pk: a for a in rows}


# --- refusals the database makes -----------------------------------------------------


def txn_entry_missing_db_refusal(detail: dict[str, Any]) -> ApplicationError:
    """The database refused to commit a savings movement without its journal entry
    (migration 0021's deferred check; ``detail``: the movement's kind and account
    number). The services always post and link the entry, so this is a code path that
    forgot it: nothing was saved, and the person is told so plainly."""
    return ApplicationError(
        SavingsErrors.ENTRY_MISSING,
        _(
            "Transaksi simpanan rekening %(a)s tidak disimpan: jurnalnya tidak ikut "
            "tercatat, dan simpanan tidak boleh berubah tanpa jurnal. Tidak ada yang "
            "berubah. Ini kesalahan aplikasi yang sudah dicatat untuk diperbaiki; laporkan "
            "kepada pengelola Lumbung bila berulang."
        )
        % {"a": detail.get("account") or "?"},
        status=409,
    )


# --- a member leaving with accounts open ------------------------------------------------


def member_leave_db_refusal(detail: dict[str, Any]) -> ApplicationError:
    """The database refused a member's leaving status while savings accounts of theirs
    are open (migration 0018's trigger; ``detail``: the member and the open accounts with
    their balances). Only the exit settlement lets a member leave: it pays the accounts
    out and closes them first."""
    accounts = [a for a in detail.get("accounts") or [] if isinstance(a, dict)]
    balances = []
    for a in accounts:
        try:
            balances.append(Decimal(str(a.get("balance"))))
        except ArithmeticError:
            balances.append(Decimal(0))
    listed = ", ".join(
        f"{a.get('number')} {format_rupiah(b)}" for a, b in zip(accounts, balances, strict=True)
    )
    member = f"{detail.get('number') or ''} {detail.get('full_name') or ''}".strip()
    return ApplicationError(
        SavingsErrors.LEAVE_ACCOUNTS_OPEN,
        _(
            "Anggota %(m)s masih memiliki rekening simpanan terbuka: %(a)s (jumlah %(t)s). "
            "Anggota keluar hanya melalui penyelesaian keluar (halaman anggota → Keluar / "
            "pensiun / meninggal), yang membayarkan simpanannya dan menutup rekeningnya; "
            "statusnya tidak diubah."
        )
        % {"m": member, "a": listed, "t": format_rupiah(sum(balances, Decimal(0)))},
        status=409,
    )
