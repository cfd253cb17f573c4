"""Reads from the general ledger: balances and the basic look-ups. Financial statements
live in ``reports.py``.

Balances come from ``AccountBalance`` (debit/credit per account per month, trigger-
maintained) plus, for a date inside a month, that month's lines up to the date — so no
query aggregates all lines.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError

from .errors import LedgerErrors as E
from .models import Account, AccountRole, JournalLine, ManualEntryRequest, Receipt, ReceiptSeries

ZERO = Decimal("0")
Totals = dict[int, tuple[Decimal, Decimal]]  # account_id -> (debit, credit)


def member_ids_unknown(ids) -> set[int]:
    """Of the member ids a journal line would carry, those that name no member of this
    cooperative (the members app answers: ``settings.LEDGER_MEMBER_IDS_EXISTING``)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return set()
    return ids - set(import_string(settings.LEDGER_MEMBER_IDS_EXISTING)(ids))


def member_labels(ids) -> dict[int, str]:
    """``{member id: "A00001 Nama"}`` for the member ids journal lines carry (the members
    app answers: ``settings.LEDGER_MEMBER_LABELS``); an id it does not know is left out."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return import_string(settings.LEDGER_MEMBER_LABELS)(ids)


def account_for_role(key: str) -> Account:
    role = AccountRole.objects.select_related("account").filter(key=key).first()
    if role is None:
        raise ApplicationError(
            E.ROLE_UNMAPPED,
            _("Peran akun '%(k)s' belum dipetakan ke akun buku besar.") % {"k": key},
        )
    return role.account


def cash_accounts(*, role_keys: list[str] | None = None) -> list[Account]:
    """The cash and bank accounts, in chart order: ``is_cash`` and not a group — what
    the cash flow statement counts as cash (``reports.cash_account_ids``). With
    ``role_keys``, each account carries ``role``: the first of those keys (in the order
    given) mapped to it, or None — in the same query."""
    qs = Account.objects.filter(is_cash=True, is_group=False).order_by("code")
    if role_keys:
        rank = Case(
            *(When(key=k, then=Value(i)) for i, k in enumerate(role_keys)),
            output_field=IntegerField(),
        )
        mapped = (
            AccountRole.objects.filter(account=OuterRef("pk"), key__in=role_keys)
            .annotate(rank=rank)
            .order_by("rank")
            .values("key")[:1]
        )
        qs = qs.annotate(role=Subquery(mapped))
    return list(qs)


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _next_month_start(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def totals_as_of(as_of: date | None, *, account_ids: list[int] | None = None) -> Totals:
    """Cumulative debit and credit per account for all postings dated ≤ ``as_of``
    (everything when None)."""
    acc_filter = ""
    params: dict = {}
    if account_ids is not None:
        if not account_ids:
            return {}
        acc_filter = " AND account_id = ANY(%(ids)s)"
        params["ids"] = list(account_ids)
    if as_of is None:
        sql = (
            "SELECT account_id, sum(debit), sum(credit) FROM ledger_accountbalance "
            f"WHERE true{acc_filter} GROUP BY account_id"
        )
    else:
        nxt = _next_month_start(as_of)
        if as_of == nxt - timedelta(days=1):  # month end: the balances table alone
            sql = (
                "SELECT account_id, sum(debit), sum(credit) FROM ledger_accountbalance "
                f"WHERE month < %(nxt)s{acc_filter} GROUP BY account_id"
            )
            params["nxt"] = nxt
        else:
            sql = (
                "SELECT account_id, sum(d), sum(c) FROM ("
                " SELECT account_id, debit AS d, credit AS c FROM ledger_accountbalance"
                f"  WHERE month < %(start)s{acc_filter}"
                " UNION ALL"
                " SELECT account_id, sum(debit), sum(credit) FROM ledger_journalline"
                f"  WHERE date >= %(start)s AND date <= %(as_of)s{acc_filter} GROUP BY account_id"
                ") t GROUP BY account_id"
            )
            params["start"] = _month_start(as_of)
            params["as_of"] = as_of
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return {r[0]: (r[1] or ZERO, r[2] or ZERO) for r in cur.fetchall()}


def totals_between(date_from: date, date_to: date, *, account_ids=None) -> Totals:
    """Debit and credit per account for postings dated in [date_from, date_to]."""
    end = totals_as_of(date_to, account_ids=account_ids)
    start = totals_as_of(date_from - timedelta(days=1), account_ids=account_ids)
    out: Totals = {}
    for acc_id, (d, c) in end.items():
        d0, c0 = start.get(acc_id, (ZERO, ZERO))
        if d - d0 or c - c0:
            out[acc_id] = (d - d0, c - c0)
    return out


def signed_balance(account: Account, debit: Decimal, credit: Decimal) -> Decimal:
    """Balance signed by the account's normal side (positive = normal)."""
    return (debit - credit) if account.normal_side == Account.Side.DEBIT else (credit - debit)


def account_balance(
    *, account: Account, as_of: date | None = None, member_id: int | None = None
) -> Decimal:
    """An account's balance at ``as_of`` (inclusive; all time when None), signed by its
    normal side; for one member's lines when ``member_id`` is given (sub-ledger)."""
    if member_id is not None:
        qs = JournalLine.objects.filter(account_id=account.pk, member_id=member_id)
        if as_of is not None:
            qs = qs.filter(date__lte=as_of)
        agg = qs.aggregate(d=Sum("debit"), c=Sum("credit"))
        return signed_balance(account, agg["d"] or ZERO, agg["c"] or ZERO)
    d, c = totals_as_of(as_of, account_ids=[account.pk]).get(account.pk, (ZERO, ZERO))
    return signed_balance(account, d, c)


def account_balances(*, accounts: list[Account], as_of: date | None = None) -> dict[int, Decimal]:
    """``account_balance`` of each account (by pk) in one query."""
    totals = totals_as_of(as_of, account_ids=sorted({a.pk for a in accounts}))
    return {a.pk: signed_balance(a, *totals.get(a.pk, (ZERO, ZERO))) for a in accounts}


def balances_check() -> list[dict]:
    """Compare ``ledger_accountbalance`` with a full aggregation of the lines (debit,
    credit and line count per account and month). Returns the differing rows; empty means
    the balances table is exact."""
    sql = """
    WITH l AS (
      SELECT account_id, date_trunc('month', date)::date AS month,
             sum(debit) AS debit, sum(credit) AS credit, count(*) AS lines
        FROM ledger_journalline GROUP BY 1, 2
    )
    SELECT coalesce(l.account_id, b.account_id), coalesce(l.month, b.month),
           coalesce(l.debit, 0), coalesce(l.credit, 0), coalesce(l.lines, 0),
           coalesce(b.debit, 0), coalesce(b.credit, 0), coalesce(b.lines, 0)
      FROM l FULL OUTER JOIN ledger_accountbalance b
        ON b.account_id = l.account_id AND b.month = l.month
     WHERE coalesce(l.debit, 0) <> coalesce(b.debit, 0)
        OR coalesce(l.credit, 0) <> coalesce(b.credit, 0)
        OR coalesce(l.lines, 0) <> coalesce(b.lines, 0)
    """
    with connection.cursor() as cur:
        cur.execute(sql)
        return [
            {
                "account_id": r[0],
                "month": r[1],
                "lines_debit": r[2],
                "lines_credit": r[3],
                "lines_count": r[4],
                "balance_debit": r[5],
                "balance_credit": r[6],
                "balance_count": r[7],
            }
            for r in cur.fetchall()
        ]


def receipt_number_for(source_ref: str) -> str | None:
    """The receipt number issued for ``source_ref`` (e.g. ``loan-repayment:12``), if any."""
    return Receipt.objects.filter(source_ref=source_ref).values_list("number", flat=True).first()


def receipt_numbers_for(source_refs: list[str]) -> dict[str, str]:
    """The receipt numbers issued for these ``source_ref``s, in one query."""
    if not source_refs:
        return {}
    return dict(
        Receipt.objects.filter(source_ref__in=source_refs).values_list("source_ref", "number")
    )


def receipt_gaps(*, kind: str, year: int) -> list[int]:
    """Numbers missing from a series up to its counter (an auditor's check: empty)."""
    last = ReceiptSeries.objects.filter(kind=kind, year=year).values_list("last", flat=True).first()
    have = set(Receipt.objects.filter(kind=kind, year=year).values_list("seq", flat=True))
    return [n for n in range(1, (last or 0) + 1) if n not in have]


def period_activity(*, date_from: date, date_to: date) -> dict:
    """What closing a month freezes, for its confirmation: the entries dated in it, their
    debit total, and the period's income and expense (credit − debit / debit − credit)."""
    lines = JournalLine.objects.filter(date__gte=date_from, date__lte=date_to)
    agg = lines.aggregate(d=Sum("debit"), n=Count("entry_id", distinct=True))
    income = lines.filter(account__type=Account.Type.INCOME).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    expense = lines.filter(account__type=Account.Type.EXPENSE).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    zero = Decimal("0")
    inc = (income["c"] or zero) - (income["d"] or zero)
    exp = (expense["d"] or zero) - (expense["c"] or zero)
    return {
        "entries": agg["n"] or 0,
        "debit_total": agg["d"] or zero,
        "income": inc,
        "expense": exp,
        "result": inc - exp,
    }


def manual_requests_pending(*, up_to: date) -> list[ManualEntryRequest]:
    """Manual journal entry requests waiting for approval dated on or before ``up_to``
    (the end of a month or a year being closed), oldest first. Closing the books up to
    ``up_to`` leaves every one of them unpostable (nothing is posted on or before the
    latest closed month): the month close, the year close and the year end's close and
    re-close refuse while there is one."""
    return list(
        ManualEntryRequest.objects.filter(
            status=ManualEntryRequest.Status.PENDING, date__lte=up_to
        ).order_by("date", "pk")
    )
