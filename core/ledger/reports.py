"""Financial statements as selectors returning plain data (dicts, lists, Decimals, dates).

The HTML pages, PDF and XLSX downloads and the JSON API all render these same structures.

- ``general_ledger``: buku besar of one account, with running balance, paginated;
- ``trial_balance``: neraca saldo at a date;
- ``balance_sheet``: neraca at a date, assets by liquidity (chart order: current first);
- ``income_statement``: laporan perhitungan hasil usaha for a period (closing entries
  excluded, so a closed year still shows its income and expense);
- ``equity_changes``: laporan perubahan ekuitas for a period;
- ``cash_flow``: laporan arus kas, direct method, from the lines of entries that touch a
  cash or bank account (``Account.is_cash``).

Each period report also carries the previous period (same length, immediately before) for
comparison; each at-date report carries the previous period's end.
"""

from __future__ import annotations

import math
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.common.said import Said

from .models import Account, AccountRole, CashFlowMonth, JournalEntry, JournalLine, Period
from .reconciliation import SubledgerRow
from .selectors import cash_accounts, signed_balance, totals_as_of, totals_between

ZERO = Decimal("0")
TYPE_LABELS = dict(Account.Type.choices)


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Range:
    date_from: date
    date_to: date

    def previous(self) -> Range:
        """The comparison period. A range from 1 January within one fiscal year compares
        with the same span of the previous fiscal year (a whole year with the whole
        previous year); other whole months with the months just before; other ranges
        with the same number of days just before."""
        f, t = self.date_from, self.date_to
        if (f.month, f.day) == (1, 1) and t.year == f.year:
            day = min(t.day, monthrange(t.year - 1, t.month)[1])
            return Range(date(f.year - 1, 1, 1), date(t.year - 1, t.month, day))
        if f.day == 1 and t == _month_end(t):
            months = (t.year - f.year) * 12 + t.month - f.month + 1
            pt = f - timedelta(days=1)
            y, m = pt.year, pt.month - months + 1
            while m < 1:
                m += 12
                y -= 1
            return Range(date(y, m, 1), pt)
        days = (t - f).days + 1
        return Range(f - timedelta(days=days), f - timedelta(days=1))

    def as_dict(self) -> dict:
        return {"date_from": self.date_from, "date_to": self.date_to}


def _month_end(d: date) -> date:
    return d.replace(day=monthrange(d.year, d.month)[1])


def default_range(date_from: date | None = None, date_to: date | None = None) -> Range:
    """Defaults: from 1 January of the end date's year to today."""
    date_to = date_to or timezone.localdate()
    date_from = date_from or date(date_to.year, 1, 1)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    return Range(date_from, date_to)


# --------------------------------------------------------------------------- helpers


def _accounts() -> list[Account]:
    return list(Account.objects.order_by("code"))


def _group_of(acc: Account, by_id: dict[int, Account]) -> Account | None:
    return by_id.get(acc.parent_id) if acc.parent_id else None


def _natural(type_: str, debit: Decimal, credit: Decimal) -> Decimal:
    """Amount on the statement's natural side for the account type: assets and expenses
    debit − credit; others credit − debit (a contra account comes out negative)."""
    if type_ in (Account.Type.ASSET, Account.Type.EXPENSE):
        return debit - credit
    return credit - debit


def _closing_totals(rng: Range) -> dict[int, tuple[Decimal, Decimal]]:
    rows = (
        JournalLine.objects.filter(
            entry__source=JournalEntry.Source.CLOSING,
            date__gte=rng.date_from,
            date__lte=rng.date_to,
        )
        .values("account_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    return {r["account_id"]: (r["d"], r["c"]) for r in rows}


def _role_account_ids(*keys: str) -> set[int]:
    return set(AccountRole.objects.filter(key__in=keys).values_list("account_id", flat=True))


def _acc_row(acc: Account) -> dict:
    return {"id": acc.pk, "code": acc.code, "name": acc.name, "type": acc.type}


# --------------------------------------------------------------------------- trial balance


def trial_balance(*, as_of: date, compare_as_of: date | None = None) -> dict:
    """Neraca saldo: each account's balance on its debit or credit column at ``as_of``."""
    accounts = [a for a in _accounts() if not a.is_group]
    cur = totals_as_of(as_of)
    prev = totals_as_of(compare_as_of) if compare_as_of else {}
    rows = []
    td = tc = pd = pc = ZERO
    for acc in accounts:
        d, c = cur.get(acc.pk, (ZERO, ZERO))
        d0, c0 = prev.get(acc.pk, (ZERO, ZERO))
        if not (d or c or d0 or c0):
            continue
        net, net0 = d - c, d0 - c0
        row = _acc_row(acc) | {
            "normal_side": acc.normal_side,
            "debit": net if net > 0 else ZERO,
            "credit": -net if net < 0 else ZERO,
            "prev_debit": net0 if net0 > 0 else ZERO,
            "prev_credit": -net0 if net0 < 0 else ZERO,
        }
        td += row["debit"]
        tc += row["credit"]
        pd += row["prev_debit"]
        pc += row["prev_credit"]
        rows.append(row)
    return {
        "title": _("Neraca Saldo"),
        "as_of": as_of,
        "compare_as_of": compare_as_of,
        "rows": rows,
        "total_debit": td,
        "total_credit": tc,
        "prev_total_debit": pd,
        "prev_total_credit": pc,
        "balanced": td == tc and pd == pc,
    }


# --------------------------------------------------------------------------- balance sheet


def _sections(
    accounts: list[Account], types: list[str], cur: dict, prev: dict
) -> tuple[list[dict], Decimal, Decimal]:
    """Accounts of ``types`` grouped under their parent group, in chart (liquidity) order."""
    by_id = {a.pk: a for a in accounts}
    groups: dict[int | None, dict] = {}
    total = total0 = ZERO
    for acc in accounts:
        if acc.is_group or acc.type not in types:
            continue
        d, c = cur.get(acc.pk, (ZERO, ZERO))
        d0, c0 = prev.get(acc.pk, (ZERO, ZERO))
        amount, amount0 = _natural(acc.type, d, c), _natural(acc.type, d0, c0)
        if not (amount or amount0) and not acc.is_active:
            continue
        if not (amount or amount0 or d or c):
            continue
        grp = _group_of(acc, by_id)
        key = grp.pk if grp else None
        if key not in groups:
            groups[key] = {
                "code": grp.code if grp else "",
                "name": grp.name if grp else TYPE_LABELS[acc.type],
                "rows": [],
                "total": ZERO,
                "prev_total": ZERO,
            }
        g = groups[key]
        g["rows"].append(
            _acc_row(acc) | {"amount": amount, "prev_amount": amount0, "is_contra": acc.is_contra}
        )
        g["total"] += amount
        g["prev_total"] += amount0
        total += amount
        total0 += amount0
    ordered = sorted(groups.values(), key=lambda g: g["code"] or "~")
    return ordered, total, total0


def _non_current_part(role: str, on: date | None) -> Decimal:
    """The part of a receivable (by role) due more than 12 months after ``on``, from the
    module that knows the schedules (``settings.LEDGER_NON_CURRENT_PROVIDERS``: role →
    dotted path of ``fn(*, on) -> Decimal``; named by string because those modules sit
    above the ledger)."""
    path = getattr(settings, "LEDGER_NON_CURRENT_PROVIDERS", {}).get(role)
    if not path or on is None:
        return ZERO
    return import_string(path)(on=on)


def _split_non_current(assets: list[dict], *, as_of: date, compare_as_of: date | None) -> None:
    """Split each receivable with a provider into its current part (due within 12
    months, left in place) and a non-current group after the current assets."""
    providers = getattr(settings, "LEDGER_NON_CURRENT_PROVIDERS", {})
    if not providers:
        return
    roles = dict(AccountRole.objects.filter(key__in=providers).values_list("account_id", "key"))
    moved = []
    insert_at = None
    for gi, g in enumerate(assets):
        for row in g["rows"]:
            role = roles.get(row["id"])
            if role is None:
                continue
            n = min(max(row["amount"], ZERO), _non_current_part(role, as_of))
            n0 = min(max(row["prev_amount"], ZERO), _non_current_part(role, compare_as_of))
            if not (n or n0):
                continue
            name = row["name"]
            row["amount"] -= n
            row["prev_amount"] -= n0
            g["total"] -= n
            g["prev_total"] -= n0
            row["name"] = _("%(n)s (jatuh tempo ≤ 12 bulan)") % {"n": name}
            moved.append(
                row
                | {
                    "name": _("%(n)s (jatuh tempo > 12 bulan)") % {"n": name},
                    "amount": n,
                    "prev_amount": n0,
                }
            )
            insert_at = gi + 1
    if moved:
        assets.insert(
            insert_at,
            {
                "code": "",
                "name": _("Aset Tidak Lancar: Piutang Jangka Panjang"),
                "rows": moved,
                "total": sum((r["amount"] for r in moved), ZERO),
                "prev_total": sum((r["prev_amount"] for r in moved), ZERO),
            },
        )


def _unclosed_result(totals: dict, accounts: list[Account]) -> Decimal:
    """Income − expense not yet closed into SHU tahun berjalan."""
    out = ZERO
    for acc in accounts:
        if acc.type in (Account.Type.INCOME, Account.Type.EXPENSE):
            d, c = totals.get(acc.pk, (ZERO, ZERO))
            out += c - d
    return out


def balance_sheet(*, as_of: date, compare_as_of: date | None = None) -> dict:
    """Neraca at ``as_of``: aset (by liquidity), kewajiban, ekuitas (with the current
    year's unclosed result as SHU tahun berjalan)."""
    accounts = _accounts()
    cur = totals_as_of(as_of)
    prev = totals_as_of(compare_as_of) if compare_as_of else {}
    assets, ta, ta0 = _sections(accounts, [Account.Type.ASSET], cur, prev)
    _split_non_current(assets, as_of=as_of, compare_as_of=compare_as_of)
    liabilities, tl, tl0 = _sections(accounts, [Account.Type.LIABILITY], cur, prev)
    equity, te, te0 = _sections(accounts, [Account.Type.EQUITY], cur, prev)
    result, result0 = _unclosed_result(cur, accounts), _unclosed_result(prev, accounts)
    if result or result0:
        equity.append(
            {
                "code": "",
                "name": _("Hasil usaha tahun berjalan (belum ditutup)"),
                "rows": [
                    {
                        "id": None,
                        "code": "",
                        "name": _("SHU tahun berjalan belum dibukukan"),
                        "type": Account.Type.EQUITY,
                        "amount": result,
                        "prev_amount": result0,
                        "is_contra": False,
                    }
                ],
                "total": result,
                "prev_total": result0,
            }
        )
        te += result
        te0 += result0
    return {
        "title": _("Neraca"),
        "as_of": as_of,
        "compare_as_of": compare_as_of,
        "assets": assets,
        "liabilities": liabilities,
        "equity": equity,
        "total_assets": ta,
        "total_liabilities": tl,
        "total_equity": te,
        "total_liabilities_equity": tl + te,
        "prev_total_assets": ta0,
        "prev_total_liabilities": tl0,
        "prev_total_equity": te0,
        "prev_total_liabilities_equity": tl0 + te0,
        "balanced": ta == tl + te and ta0 == tl0 + te0,
    }


# --------------------------------------------------------------------------- income statement


def _movements_excluding_closing(rng: Range) -> dict:
    moves = totals_between(rng.date_from, rng.date_to)
    for acc_id, (d, c) in _closing_totals(rng).items():
        d1, c1 = moves.get(acc_id, (ZERO, ZERO))
        moves[acc_id] = (d1 - d, c1 - c)
    return moves


def income_statement(*, date_from: date, date_to: date, compare: bool = True) -> dict:
    """Laporan perhitungan hasil usaha for [date_from, date_to] (closing entries
    excluded), with the previous period of the same length."""
    rng = Range(date_from, date_to)
    prev_rng = rng.previous() if compare else None
    accounts = _accounts()
    cur = _movements_excluding_closing(rng)
    prev = _movements_excluding_closing(prev_rng) if prev_rng else {}
    income, ti, ti0 = _sections(accounts, [Account.Type.INCOME], cur, prev)
    tax_ids = _role_account_ids("income_tax_expense")
    expense, tx, tx0 = _sections(
        [a for a in accounts if a.pk not in tax_ids], [Account.Type.EXPENSE], cur, prev
    )
    tax = sum((_natural("expense", *cur.get(i, (ZERO, ZERO))) for i in tax_ids), ZERO)
    tax0 = sum((_natural("expense", *prev.get(i, (ZERO, ZERO))) for i in tax_ids), ZERO)
    return {
        "title": _("Laporan Perhitungan Hasil Usaha"),
        "date_from": date_from,
        "date_to": date_to,
        "previous": prev_rng.as_dict() if prev_rng else None,
        "income": income,
        "expense": expense,
        "total_income": ti,
        "total_expense": tx,
        # SHU before the cooperative's income tax, the tax, and SHU after tax (``result``)
        "shu_before_tax": ti - tx,
        "income_tax": tax,
        "result": ti - tx - tax,
        "prev_total_income": ti0,
        "prev_total_expense": tx0,
        "prev_shu_before_tax": ti0 - tx0,
        "prev_income_tax": tax0,
        "prev_result": ti0 - tx0 - tax0,
    }


# --------------------------------------------------------------------------- equity changes


def _opening_entry_totals(rng: Range, account_type: str) -> dict[int, tuple[Decimal, Decimal]]:
    """Debit and credit per account of ``account_type`` over the range from the entries
    that bring balances in (source ``opening``) or take them back out (reversals of
    those: a move-in or member import undone) — ``OPENING_ENTRY`` below."""
    rows = (
        JournalLine.objects.filter(
            Q(entry__source=JournalEntry.Source.OPENING)
            | Q(
                entry__source=JournalEntry.Source.REVERSAL,
                entry__reverses__source=JournalEntry.Source.OPENING,
            ),
            date__gte=rng.date_from,
            date__lte=rng.date_to,
            account__type=account_type,
        )
        .values("account_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    return {r["account_id"]: (r["d"], r["c"]) for r in rows}


# The equity lines of the period's entries that move amounts between equity components,
# per entry and account (net credit − debit): an entry whose equity lines go both ways
# (the year end's move of SHU tahun berjalan to SHU belum dibagi, the RAT's part of it to
# cadangan, a reversal of either), and every closing entry (its equity line takes the
# year's result from income and expense, the statement's result row). Not the entries
# that bring balances in or take them back out (``OPENING_ENTRY``: opening balances).
EQUITY_MOVES_SQL = """
WITH n AS (
    SELECT l.entry_id, l.account_id, sum(l.credit - l.debit) AS net
    FROM ledger_journalline l JOIN ledger_account a ON a.id = l.account_id
    WHERE a.type = 'equity' AND l.date >= %s AND l.date <= %s
    GROUP BY l.entry_id, l.account_id
), m AS (
    SELECT n.entry_id, e.source
    FROM n JOIN ledger_journalentry e ON e.id = n.entry_id
    WHERE NOT {opening}
    GROUP BY n.entry_id, e.source
    HAVING e.source = 'closing' OR (bool_or(n.net > 0) AND bool_or(n.net < 0))
)
SELECT n.entry_id, m.source, n.account_id, n.net
FROM n JOIN m ON m.entry_id = n.entry_id JOIN ledger_account a ON a.id = n.account_id
WHERE n.net <> 0
ORDER BY n.entry_id, a.code
"""


def _equity_moves(rng: Range) -> dict[int, tuple[Decimal, Decimal]]:
    """Per equity account, (in, out): what the period's entries moved into and out of it
    from and to another equity component (``EQUITY_MOVES_SQL``). In an entry whose equity
    lines go both ways, the smaller side is the move, all of it; the larger side's share
    of it is taken in chart order (whole amounts, no proportions); the rest is a real
    increase or decrease of equity (the RAT's funds and members' shares leave it). A
    closing entry's equity lines are moves in full."""
    sql = EQUITY_MOVES_SQL.format(opening=OPENING_ENTRY)
    by_entry: dict[int, tuple[str, list[tuple[int, Decimal]]]] = {}
    with connection.cursor() as cur:
        cur.execute(sql, [rng.date_from, rng.date_to])
        for entry_id, source, account_id, net in cur.fetchall():
            by_entry.setdefault(entry_id, (source, []))[1].append((account_id, net))
    out: dict[int, tuple[Decimal, Decimal]] = {}

    def add(acc_id: int, amount_in: Decimal, amount_out: Decimal) -> None:
        i, o = out.get(acc_id, (ZERO, ZERO))
        out[acc_id] = (i + amount_in, o + amount_out)

    for source, nets in by_entry.values():
        pos = [(a, n) for a, n in nets if n > 0]
        neg = [(a, -n) for a, n in nets if n < 0]
        if source == JournalEntry.Source.CLOSING:
            for a, n in pos:
                add(a, n, ZERO)
            for a, n in neg:
                add(a, ZERO, n)
            continue
        moved = min(sum((n for _a, n in pos), ZERO), sum((n for _a, n in neg), ZERO))
        left = moved
        for a, n in pos:
            part = min(n, left)
            left -= part
            if part:
                add(a, part, ZERO)
        left = moved
        for a, n in neg:
            part = min(n, left)
            left -= part
            if part:
                add(a, ZERO, part)
    return out


def _closing_result_moved(rng: Range, accounts: list[Account]) -> Decimal:
    """What the period's closing entries (and their reversals) took out of the unclosed
    result (income − expense): −SHU closed, +deficit closed."""
    types = {a.pk: a.type for a in accounts}
    moved = ZERO
    for acc_id, (d, c) in _closing_totals(rng).items():
        if types.get(acc_id) in (Account.Type.INCOME, Account.Type.EXPENSE):
            moved += c - d
    return moved


def equity_changes(*, date_from: date, date_to: date) -> dict:
    """Laporan perubahan ekuitas: per equity component the opening balance, increases,
    decreases, moves between equity components (``transfer``, signed) and closing
    balance; plus the result (income − expense) not yet closed. Per row and in total:
    opening + increase − decrease + transfer = closing; the moves sum to zero, so the
    totals' increases and decreases are equity gained and lost, each rupiah once.

    Increases are credits and decreases debits from outside equity: the year's result is
    an increase of the result row, its close into SHU tahun berjalan and the year end's
    move on to SHU belum dibagi (and the RAT's part to cadangan) are moves.

    Balances a move-in brings in within the range (its opening entries, and their
    reversals when it was undone) belong to the opening balance, not to the year's
    increases — as the cash flow takes the cash they bring as opening cash. Income and
    expense it brings in stay in the year's result (they are the year's, from the old
    books), as in the income statement."""
    rng = Range(date_from, date_to)
    accounts = _accounts()
    opening_at = date_from - timedelta(days=1)
    open_t = totals_as_of(opening_at)
    moves = totals_between(date_from, date_to)
    brought_in = _opening_entry_totals(rng, Account.Type.EQUITY)
    transfers = _equity_moves(rng)
    rows = []
    keys = ["opening", "increase", "decrease", "transfer", "closing"]
    tot = dict.fromkeys(keys, ZERO)
    for acc in accounts:
        if acc.is_group or acc.type != Account.Type.EQUITY:
            continue
        d0, c0 = open_t.get(acc.pk, (ZERO, ZERO))
        d, c = moves.get(acc.pk, (ZERO, ZERO))
        bd, bc = brought_in.get(acc.pk, (ZERO, ZERO))
        d0, c0, d, c = d0 + bd, c0 + bc, d - bd, c - bc
        t_in, t_out = transfers.get(acc.pk, (ZERO, ZERO))
        opening = c0 - d0
        if not (opening or d or c):
            continue
        row = _acc_row(acc) | {
            "opening": opening,
            "increase": c - t_in,
            "decrease": d - t_out,
            "transfer": t_in - t_out,
            "closing": opening + c - d,
        }
        rows.append(row)
        for k in tot:
            tot[k] += row[k]
    close_t = totals_as_of(date_to)
    r_open, r_close = _unclosed_result(open_t, accounts), _unclosed_result(close_t, accounts)
    closed = _closing_result_moved(rng, accounts)
    result = r_close - r_open - closed  # the period's income − expense
    if r_open or r_close or result or closed:
        row = {
            "id": None,
            "code": "",
            "name": _("Hasil usaha periode ini (pendapatan − beban)"),
            "type": Account.Type.EQUITY,
            "opening": r_open,
            "increase": result if result > 0 else ZERO,
            "decrease": -result if result < 0 else ZERO,
            "transfer": closed,
            "closing": r_close,
        }
        rows.append(row)
        for k in tot:
            tot[k] += row[k]
    return {
        "title": _("Laporan Perubahan Ekuitas"),
        "date_from": date_from,
        "date_to": date_to,
        "rows": rows,
        "totals": tot,
    }


# --------------------------------------------------------------------------- cash flow

# Every line of an entry shares the entry's date, so both sides can be limited to the
# period: a hash semi-join over the period's lines, not a join over whole entries.
# Opening-balance entries (source "opening") are not flows: the cash they bring in is
# part of the opening cash. Nor are the reversals of opening entries (a move-in or a
# member import undone): the cash they take back out is opening cash taken back, so a
# move-in undone and done again starts the statement from its cash once. The same test
# (``OPENING_ENTRY``, on an entry ``e``) is made by the per-day figures' trigger and
# rebuild (ledger migration 0019) and by ``cash_flow_days_check``.
OPENING_ENTRY = """(e.source = 'opening' OR (e.source = 'reversal' AND e.reverses_id IN (
       SELECT o.id FROM ledger_journalentry o WHERE o.source = 'opening')))"""
# A line's inflow and outflow (``l`` of entry ``e``): a credit on a non-cash account is
# an inflow and a debit an outflow, except in a reversal, which takes back what the
# entry it reverses showed — its debit lowers the inflows, its credit the outflows — so
# an entry cancelled within the period leaves no receipt and no payment behind (the
# per-day figures' trigger and rebuild: ledger migration 0022).
# A line marked ``non_cash`` (one side of a non-cash pair inside an entry that touches
# cash: the deferred jasa a restructured loan's repayment earns) is no flow at all; the
# marked lines of an entry balance, so the statement still ties to the cash's change
# (ledger migration 0024).
FLOW_IN = "CASE WHEN e.source = 'reversal' THEN -l.debit ELSE l.credit END"
FLOW_OUT = "CASE WHEN e.source = 'reversal' THEN -l.credit ELSE l.debit END"
CASH_FLOW_SQL = f"""
SELECT l.account_id, coalesce(sum({FLOW_IN}), 0), coalesce(sum({FLOW_OUT}), 0)
  FROM ledger_journalline l JOIN ledger_journalentry e ON e.id = l.entry_id
 WHERE l.date >= %(f)s AND l.date <= %(t)s AND NOT (l.account_id = ANY(%(cash)s))
   AND NOT l.non_cash
   AND l.entry_id IN (
     SELECT c.entry_id FROM ledger_journalline c
      WHERE c.account_id = ANY(%(cash)s) AND c.date >= %(f)s AND c.date <= %(t)s)
   AND NOT {OPENING_ENTRY}
 GROUP BY l.account_id
"""
OPENING_CASH_SQL = f"""
SELECT coalesce(sum(l.debit - l.credit), 0)
  FROM ledger_journalline l JOIN ledger_journalentry e ON e.id = l.entry_id
 WHERE {OPENING_ENTRY} AND l.account_id = ANY(%(cash)s)
   AND l.date >= %(f)s AND l.date <= %(t)s
"""


def _flows_from_lines(cash_ids: list[int], f: date, t: date) -> dict[int, list[Decimal]]:
    """Inflow and outflow per non-cash account over [f, t], straight from the lines."""
    with connection.cursor() as cur:
        cur.execute(CASH_FLOW_SQL, {"cash": cash_ids, "f": f, "t": t})
        return {r[0]: [r[1], r[2]] for r in cur.fetchall()}


def _flows_from_days(f: date, t: date) -> dict[int, list[Decimal]]:
    """The same from ``CashFlowDay`` (trigger-kept per day and account, for the cash
    accounts flagged now): a few rows per day instead of every line of the range."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT account_id, sum(inflow), sum(outflow) FROM ledger_cashflowday"
            " WHERE day >= %s AND day <= %s GROUP BY account_id",
            [f, t],
        )
        return {r[0]: [r[1], r[2]] for r in cur.fetchall()}


def _cash_flow_months(months: list[date], cash_ids: list[int]) -> dict[date, dict]:
    """The stored figures of those ``months`` still valid: closed since they were
    computed, with the same cash accounts. {month: {account_id: [inflow, outflow]}}"""
    if not months:
        return {}
    closed = dict(
        Period.objects.filter(start_date__in=months, status=Period.Status.CLOSED).values_list(
            "start_date", "closed_at"
        )
    )
    out = {}
    for cf in CashFlowMonth.objects.filter(month__in=list(closed)):
        at = closed[cf.month]
        if at is not None and cf.computed_at >= at and cf.cash_account_ids == cash_ids:
            out[cf.month] = {int(k): [Decimal(v[0]), Decimal(v[1])] for k, v in cf.flows.items()}
    return out


def _period_flows(rng: Range, cash_ids: list[int]) -> dict[int, list[Decimal]]:
    """Inflow and outflow per non-cash account over the range: whole closed months from
    ``CashFlowMonth``, the rest (open months, partial months) from ``CashFlowDay``."""
    whole = []
    d = rng.date_from
    if d.day != 1:
        d = _month_end(d) + timedelta(days=1)
    while _month_end(d) <= rng.date_to:
        whole.append(d)
        d = _month_end(d) + timedelta(days=1)
    stored = _cash_flow_months(whole, cash_ids)
    total: dict[int, list[Decimal]] = {}

    def add(flows):
        for acc_id, (i, o) in flows.items():
            t = total.setdefault(acc_id, [ZERO, ZERO])
            t[0] += i
            t[1] += o

    for flows in stored.values():
        add(flows)
    # the rest, as few date ranges as possible
    start = None
    d = rng.date_from
    while d <= rng.date_to:
        if d in stored:
            if start is not None:
                add(_flows_from_days(start, d - timedelta(days=1)))
                start = None
            d = _month_end(d) + timedelta(days=1)
            continue
        if start is None:
            start = d
        d = min(_month_end(d), rng.date_to) + timedelta(days=1)
    if start is not None:
        add(_flows_from_days(start, rng.date_to))
    return total


def cash_account_ids() -> list[int]:
    return sorted(a.pk for a in cash_accounts())


def cash_flow_month_store(*, month: date) -> CashFlowMonth:
    """Compute and keep a closed month's cash-flow figures (called when it is closed)."""
    month = month.replace(day=1)
    period = Period.objects.get(start_date=month)
    ids = cash_account_ids()
    flows = _flows_from_lines(ids, month, _month_end(month))
    cf, _created = CashFlowMonth.objects.update_or_create(
        month=month,
        defaults={
            "computed_at": period.closed_at or timezone.now(),
            "cash_account_ids": ids,
            "flows": {str(k): [str(i), str(o)] for k, (i, o) in flows.items()},
        },
    )
    return cf


def cash_flow_months_check() -> list:
    """Every stored month still in use against the lines (the daily reconciliation): one
    row per month, the stored total of inflows + outflows against the lines', and any
    account whose figures differ makes the month differ."""
    ids = cash_account_ids()
    months = list(CashFlowMonth.objects.values_list("month", flat=True))
    out = []
    for month, flows in sorted(_cash_flow_months(months, ids).items()):
        real = _flows_from_lines(ids, month, _month_end(month))
        stored_total = sum((i + o for i, o in flows.values()), ZERO)
        real_total = sum((i + o for i, o in real.values()), ZERO)
        same = {k: list(v) for k, v in flows.items() if v != [ZERO, ZERO]} == {
            k: list(v) for k, v in real.items() if v != [ZERO, ZERO]
        }
        out.append(
            SubledgerRow(
                Said("subledger.cash_flow_month", {"month": f"{month:%Y-%m}"}),
                stored_total,
                real_total if same else real_total + Decimal("0.01") + stored_total,
            )
        )
    return out


# What ``CashFlowDay`` must hold, from the lines, beside what it holds, per month.
CASH_FLOW_DAYS_CHECK_SQL = f"""
WITH cash AS (SELECT id FROM ledger_account WHERE is_cash AND NOT is_group),
real AS (
  SELECT l.date AS day, l.account_id, sum({FLOW_IN}) AS inflow, sum({FLOW_OUT}) AS outflow
    FROM ledger_journalline l JOIN ledger_journalentry e ON e.id = l.entry_id
   WHERE NOT {OPENING_ENTRY} AND NOT l.non_cash AND l.account_id NOT IN (SELECT id FROM cash)
     AND EXISTS (SELECT 1 FROM ledger_journalline c
                  WHERE c.entry_id = l.entry_id AND c.account_id IN (SELECT id FROM cash))
   GROUP BY 1, 2
)
SELECT date_trunc('month', coalesce(r.day, d.day))::date,
       coalesce(sum(d.inflow + d.outflow), 0), coalesce(sum(r.inflow + r.outflow), 0),
       bool_and(d.day IS NOT NULL AND r.day IS NOT NULL
                AND d.inflow = r.inflow AND d.outflow = r.outflow)
  FROM real r FULL JOIN ledger_cashflowday d ON d.day = r.day AND d.account_id = r.account_id
 GROUP BY 1 ORDER BY 1
"""


def cash_flow_days_check() -> list:
    """``CashFlowDay`` against the lines (the daily reconciliation): one row per month,
    the stored total of inflows + outflows against the lines'; any day and account whose
    figures differ (or that one side lacks) makes the month differ."""
    with connection.cursor() as cur:
        cur.execute(CASH_FLOW_DAYS_CHECK_SQL)
        rows = cur.fetchall()
    return [
        SubledgerRow(
            Said("subledger.cash_flow_days_month", {"month": f"{month:%Y-%m}"}),
            stored,
            real if same else real + Decimal("0.01") + stored,
        )
        for month, stored, real, same in rows
    ]


def _cash_flow_period(rng: Range, accounts: list[Account], cash_ids: list[int]) -> dict:
    by_id = {a.pk: a for a in accounts}
    rows = [(k, i, o) for k, (i, o) in _period_flows(rng, sorted(cash_ids)).items()]
    sections = {
        k: {"key": k, "label": str(label), "inflows": [], "outflows": [], "net": ZERO}
        for k, label in Account.CashFlow.choices
    }
    for acc_id, inflow, outflow in sorted(rows, key=lambda r: by_id[r[0]].code):
        acc = by_id[acc_id]
        s = sections[acc.cash_flow]
        if inflow:
            s["inflows"].append(_acc_row(acc) | {"amount": inflow})
        if outflow:
            s["outflows"].append(_acc_row(acc) | {"amount": outflow})
        s["net"] += inflow - outflow
    opening_at = rng.date_from - timedelta(days=1)
    t_open = totals_as_of(opening_at, account_ids=cash_ids)
    t_close = totals_as_of(rng.date_to, account_ids=cash_ids)
    opening = sum((d - c for d, c in t_open.values()), ZERO)
    with connection.cursor() as cur:
        cur.execute(OPENING_CASH_SQL, {"cash": cash_ids, "f": rng.date_from, "t": rng.date_to})
        opening += cur.fetchone()[0] or ZERO
    closing = sum((d - c for d, c in t_close.values()), ZERO)
    net = sum((s["net"] for s in sections.values()), ZERO)
    return {
        "sections": list(sections.values()),
        "opening_cash": opening,
        "net_change": net,
        "closing_cash": closing,
        "reconciles": opening + net == closing,
    }


def cash_flow(*, date_from: date, date_to: date, compare: bool = True) -> dict:
    """Laporan arus kas (direct method): each cash movement attributed to the other
    accounts of its entry, grouped as operating / investing / financing."""
    rng = Range(date_from, date_to)
    accounts = _accounts()
    cash_ids = [a.pk for a in accounts if a.is_cash and not a.is_group]
    current = _cash_flow_period(rng, accounts, cash_ids)
    prev = None
    if compare:
        prev_rng = rng.previous()
        prev = _cash_flow_period(prev_rng, accounts, cash_ids) | prev_rng.as_dict()
    return {
        "title": _("Laporan Arus Kas"),
        "date_from": date_from,
        "date_to": date_to,
        **current,
        "previous": prev,
    }


# --------------------------------------------------------------------------- general ledger

PAGE_SIZE = 100


def _ledger_segments(
    account_id: int, date_from: date, date_to: date, *, sums: bool = True
) -> list[tuple]:
    """The range split by month: [(start, end, count, debit, credit)]. Whole months come
    from the balances table; a partial first/last month is counted from its lines (at
    most a month of one account's lines). ``sums=False``: counts only (debit and credit
    zero), no sums over the lines."""
    months = []
    d = date_from.replace(day=1)
    while d <= date_to:
        nxt = _month_end(d) + timedelta(days=1)
        months.append((max(d, date_from), min(nxt - timedelta(days=1), date_to)))
        d = nxt
    with connection.cursor() as cur:
        cur.execute(
            "SELECT month, lines, "
            + ("debit, credit" if sums else "0, 0")
            + " FROM ledger_accountbalance WHERE account_id = %s AND month >= %s AND month <= %s",
            [account_id, date_from.replace(day=1), date_to.replace(day=1)],
        )
        full = {r[0]: (r[1], r[2], r[3]) for r in cur.fetchall()}
        out = []
        for start, end in months:
            whole = start.day == 1 and end == _month_end(start)
            if whole:
                n, dr, cr = full.get(start, (0, ZERO, ZERO))
            elif start.replace(day=1) not in full:
                n, dr, cr = 0, ZERO, ZERO
            else:
                cur.execute(
                    (
                        "SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0)"
                        if sums
                        else "SELECT count(*), 0, 0"
                    )
                    + " FROM ledger_journalline WHERE account_id = %s AND date >= %s AND date <= %s",
                    [account_id, start, end],
                )
                n, dr, cr = cur.fetchone()
            if n:
                out.append((start, end, n, dr, cr))
    return out


LINE_SELECT = (
    "SELECT l.id, l.date, l.debit, l.credit, l.member_id, l.memo,"
    " e.id, e.fiscal_year, e.number, e.description, e.source, e.source_ref"
)


def _ledger_rows(account: Account, raw, running: Decimal):
    """The ledger's row dicts from ``LINE_SELECT`` rows, each with the running balance
    after it (``running``: the balance before the first)."""
    for lid, dt, d, c, member_id, memo, eid, fy, num, desc, source, ref in raw:
        running += signed_balance(account, d, c)
        yield {
            "line_id": lid,
            "date": dt,
            "entry_id": eid,
            "number": f"JU-{fy}-{num:05d}",
            "description": desc,
            "memo": memo,
            "source": source,
            "source_ref": ref,
            "member_id": member_id,
            "debit": d,
            "credit": c,
            "balance": running,
        }


def general_ledger_line_count(*, account: Account, date_from: date, date_to: date) -> int:
    """How many lines ``account``'s buku besar has in [date_from, date_to]: per-month
    counts from the balances table, a partial first/last month counted from its lines.
    What a request needs to choose between a file now, a refusal and a background file,
    without the opening balance, the totals or the "has sen" check (the file's builder
    computes those, once)."""
    return sum(s[2] for s in _ledger_segments(account.pk, date_from, date_to, sums=False))


def _ledger_head(account: Account, date_from: date, date_to: date) -> tuple[dict, list[tuple]]:
    """What every view of the buku besar shows besides its lines: opening balance,
    totals of the range, closing balance, line count; and the range's month segments."""
    d0, c0 = totals_as_of(date_from - timedelta(days=1), account_ids=[account.pk]).get(
        account.pk, (ZERO, ZERO)
    )
    opening = signed_balance(account, d0, c0)
    segments = _ledger_segments(account.pk, date_from, date_to)
    total_d = sum((s[3] for s in segments), ZERO)
    total_c = sum((s[4] for s in segments), ZERO)
    head = {
        "title": _("Buku Besar"),
        "account": _acc_row(account) | {"normal_side": account.normal_side},
        "date_from": date_from,
        "date_to": date_to,
        "opening": opening,
        "total_debit": total_d,
        "total_credit": total_c,
        "closing": opening + signed_balance(account, total_d, total_c),
        "count": sum(s[2] for s in segments),
    }
    return head, segments


def general_ledger(
    *,
    account: Account,
    date_from: date,
    date_to: date,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> dict:
    """Buku besar of one account for [date_from, date_to]: opening balance, one page of
    lines (ordered by date, then posting order) with the running balance, closing balance.
    Balances are signed by the account's normal side. ``carried`` is the balance before
    the page's first line (the opening balance on the first page, the balance carried
    from the previous page after it).

    Cost does not grow with the account's history: the month holding the page is found
    from per-month line counts, so only that month's lines are scanned."""
    page_size = max(1, min(page_size, 1000))
    head, segments = _ledger_head(account, date_from, date_to)
    count = head["count"]
    pages = max(1, math.ceil(count / page_size))
    page = max(1, min(page, pages))
    offset = (page - 1) * page_size
    before_d = before_c = ZERO
    seg_start, local_offset = date_from, offset
    seen = 0
    for start, _end, n, dr, cr in segments:
        if seen + n > offset:
            seg_start, local_offset = start, offset - seen
            break
        seen += n
        before_d += dr
        before_c += cr
    raw = []
    with connection.cursor() as cur:
        if count:
            if local_offset:
                cur.execute(
                    "SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0) FROM ("
                    " SELECT debit, credit FROM ledger_journalline"
                    " WHERE account_id = %s AND date >= %s AND date <= %s"
                    " ORDER BY date, id LIMIT %s) x",
                    [account.pk, seg_start, date_to, local_offset],
                )
                dd, cc = cur.fetchone()
                before_d += dd
                before_c += cc
            cur.execute(
                LINE_SELECT + " FROM (SELECT id FROM ledger_journalline"
                "       WHERE account_id = %s AND date >= %s AND date <= %s"
                "       ORDER BY date, id LIMIT %s OFFSET %s) p"
                " JOIN ledger_journalline l ON l.id = p.id"
                " JOIN ledger_journalentry e ON e.id = l.entry_id"
                " ORDER BY l.date, l.id",
                [account.pk, seg_start, date_to, page_size, local_offset],
            )
            raw = cur.fetchall()
    carried = head["opening"] + signed_balance(account, before_d, before_c)
    return head | {
        "carried": carried,
        "rows": list(_ledger_rows(account, raw, carried)),
        "page": page,
        "pages": pages,
        "page_size": page_size,
    }


EXPORT_CHUNK = 2000


def _ledger_lines(account: Account, date_from: date, date_to: date, opening: Decimal):
    """Every line of the range with its running balance, read ``EXPORT_CHUNK`` lines at
    a time (keyset on date and id over the account's index), so a file of a million
    lines never holds them all in memory."""
    running = opening
    after: tuple = (date_from, 0)  # line ids start at 1: every line of date_from is after it
    while True:
        with connection.cursor() as cur:
            cur.execute(
                LINE_SELECT + " FROM ledger_journalline l"
                " JOIN ledger_journalentry e ON e.id = l.entry_id"
                " WHERE l.account_id = %s AND (l.date, l.id) > (%s, %s) AND l.date <= %s"
                " ORDER BY l.date, l.id LIMIT %s",
                [account.pk, after[0], after[1], date_to, EXPORT_CHUNK],
            )
            raw = cur.fetchall()
        for row in _ledger_rows(account, raw, running):
            running = row["balance"]
            yield row
        if len(raw) < EXPORT_CHUNK:
            return
        after = (raw[-1][1], raw[-1][0])


def general_ledger_all(*, account: Account, date_from: date, date_to: date) -> dict:
    """The whole buku besar of the range for a file (PDF, XLSX): as ``general_ledger``
    but ``rows`` is an iterator over every line of the range, read in chunks, and
    ``has_sen`` says whether any figure has sen (known before the lines are read, so the
    file's number format is chosen up front: a line, the opening balance)."""
    head, _segments = _ledger_head(account, date_from, date_to)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM ledger_journalline"
            " WHERE account_id = %s AND date >= %s AND date <= %s"
            " AND (debit <> trunc(debit) OR credit <> trunc(credit)))",
            [account.pk, date_from, date_to],
        )
        lines_with_sen = cur.fetchone()[0]
    return head | {
        "carried": head["opening"],
        "rows": _ledger_lines(account, date_from, date_to, head["opening"]),
        "has_sen": lines_with_sen or head["opening"] != head["opening"].to_integral_value(),
        "page": 1,
        "pages": 1,
        "page_size": head["count"],
    }
