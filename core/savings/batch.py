"""Set-based savings deposits for batches (the monthly payroll deduction).

``savings_deposits_apply_bulk`` does for many deposits what ``savings_deposit_apply`` does
for one, with the same checks (``services._check_deposit``: account open, member active,
pokok / berjangka caps, whole positive rupiah) and the same results (one transaction per
deposit with its running ``balance_after``, the account balance, one credit line on the
product's control account), in a fixed number of queries: the accounts locked in one
query ordered by pk (unless the caller locked them), the transactions written with one
INSERT, the balances with one UPDATE. The deferred trigger ``savings_account_balance_matches``
(balance = sum of the account's transactions) checks the result at commit, as it does for
the single deposit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log_bulk
from core.common.bulk import bulk_insert_values, bulk_update_values
from core.common.errors import ApplicationError
from core.ledger.services import LineSpec
from core.members.models import Member
from core.savings.audit import SavingsAudit

from .models import SavingsAccount, SavingsProduct, SavingsTransaction
from .services import (
    Applied,
    SavingsErrors,
    berjangka_deposited_bulk,
    clean_amount,
    savings_accounts_lock,
)
from .services.accounts import _account_number, _already_open, _check_openable
from .services.apply import _check_deposit


@dataclass
class Deposit:
    """One deposit of a batch (the arguments of ``savings_deposit_apply``)."""

    account: SavingsAccount
    amount: Any
    channel: str = SavingsTransaction.Channel.CASH
    kind: str = SavingsTransaction.Kind.DEPOSIT
    memo: str = ""
    receipt_number: str | None = None


def savings_deposits_apply_bulk(
    *,
    deposits: Sequence[Deposit],
    on: date,
    by,
    locked: bool = False,
    entry_id: int | None = None,
) -> list[Applied]:
    """Apply ``deposits`` in order, as ``savings_deposit_apply`` called for each in turn
    would (several deposits to one account follow each other: each sees the balance the
    previous one left). Returns one ``Applied`` per deposit, in order. Any refusal raises
    the same ``ApplicationError`` and writes nothing. ``locked=True``: the accounts given
    are already locked by the caller (``savings_accounts_lock``) and are updated in place.
    ``entry_id``: the journal entry (``journal_entry_id_reserve``) the caller will post the
    returned lines in; the transactions are written linked to it. Without it, link them
    with ``transactions_link_entry`` after posting."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("savings_deposits_apply_bulk must run inside a transaction")
    if not deposits:
        return []
    if locked:
        accounts: dict[int, SavingsAccount] = {}
        for d in deposits:
            accounts.setdefault(d.account.pk, d.account)
    else:
        accounts = savings_accounts_lock({d.account.pk for d in deposits})
    created_by = by if getattr(by, "is_authenticated", False) else None
    now = timezone.now()
    txns: list[SavingsTransaction] = []
    results: list[Applied] = []
    deposited = _berjangka_deposited_at_cap(deposits, accounts)
    for d in deposits:
        amount = clean_amount(d.amount)  # checked in turn, as one-by-one calls would
        account = accounts[d.account.pk]
        _check_deposit(account, amount, d.kind, deposited=deposited.get(account.pk))
        if account.pk in deposited and d.kind not in _JASA_KINDS:
            deposited[account.pk] += amount
        product = account.product
        account.balance = account.balance + amount
        account.updated_at = now
        txn = SavingsTransaction(
            account=account,
            on=on,
            kind=d.kind,
            channel=d.channel,
            amount=amount,
            delta=amount,
            balance_after=account.balance,
            receipt_number=d.receipt_number,
            memo=d.memo[:200],
            created_by=created_by,
            journal_entry_id=entry_id,
        )
        txns.append(txn)
        line = LineSpec(
            account=product.account,
            credit=amount,
            member_id=account.member_id,
            memo=f"{product.name} {account.number}"[:300],
        )
        results.append(Applied(transaction=txn, lines=[line]))
    bulk_insert_values(SavingsTransaction, txns)
    bulk_update_values(
        SavingsAccount,
        sorted(accounts.values(), key=lambda a: a.pk),
        ["balance", "updated_at"],
    )
    return results


_JASA_KINDS = (SavingsTransaction.Kind.INTEREST, SavingsTransaction.Kind.TAX)


def _berjangka_deposited_at_cap(
    deposits: Sequence[Deposit], accounts: dict[int, SavingsAccount]
) -> dict[int, Decimal]:
    """What each berjangka account with a term that the batch's deposits could take past
    its target (by the balance alone) has deposited, read for all of them in one query
    (``berjangka_deposited_bulk``): the term caps deposits, not jasa, and
    ``_check_deposit`` would otherwise read it account by account."""
    asked: dict[int, Decimal] = {}
    for d in deposits:
        try:
            amount = clean_amount(d.amount)
        except ApplicationError:  # refused in turn by the loop, as one-by-one calls would
            continue
        asked[d.account.pk] = asked.get(d.account.pk, Decimal(0)) + amount
    near = []
    for pk, total in asked.items():
        acc = accounts[pk]
        product = acc.product
        if product.kind == SavingsProduct.Kind.BERJANGKA and product.term_months:
            target = (acc.monthly_amount or product.amount) * product.term_months
            if acc.balance + total > target:
                near.append(acc)
    return berjangka_deposited_bulk(near)


def savings_accounts_open_bulk(
    *, opens: Sequence[tuple[Member, SavingsProduct]], on: date, by=None
) -> list[SavingsAccount]:
    """Open an account for each ``(member, product)`` as ``savings_account_open`` would
    one by one (same checks and errors: member active, product active, no open account
    in that product yet; same numbers; one audit row each), with a fixed number of
    queries. For products without a berjangka term (the payroll batch opens wajib and
    sukarela accounts). Returns the accounts in the order asked."""
    if not opens:
        return []
    seen: set[tuple[int, int]] = set()
    for member, product in opens:
        if product.kind == SavingsProduct.Kind.BERJANGKA:
            raise ValueError("savings_accounts_open_bulk: berjangka accounts open one by one")
        if (member.pk, product.pk) in seen:
            raise _already_open(product)
        seen.add((member.pk, product.pk))
        _check_openable(member, product)
    products = {p.pk: p for _m, p in opens}
    for key in (
        SavingsAccount.objects.filter(
            status=SavingsAccount.Status.OPEN,
            member_id__in={m.pk for m, _p in opens},
            product_id__in=set(products),
        )
        .values_list("member_id", "product_id")
        .distinct()
    ):
        if key in seen:
            raise _already_open(products[key[1]])
    bases = [f"{m.number}-{p.code}" for m, p in opens]
    taken = set(SavingsAccount.objects.filter(number__in=bases).values_list("number", flat=True))
    accounts = [
        SavingsAccount(
            # the base number, or (rarely: the base was used before) the next free one
            number=base if base not in taken else _account_number(m, p),
            member=m,
            product=p,
            opened_on=on,
        )
        for (m, p), base in zip(opens, bases, strict=True)
    ]
    try:
        with transaction.atomic():
            bulk_insert_values(SavingsAccount, accounts)
    except IntegrityError:  # opened meanwhile by another transaction
        raise ApplicationError(
            SavingsErrors.ALREADY_OPEN, _("Anggota sudah memiliki rekening yang aktif.")
        ) from None
    if by is not None:
        audit_log_bulk(
            actor=by, action=SavingsAudit.ACCOUNT_OPEN, targets=[(a, None) for a in accounts]
        )
    return accounts
