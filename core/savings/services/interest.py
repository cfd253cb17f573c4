"""Monthly jasa simpanan on the minimum or average balance, with income tax withheld
above the threshold: one journal entry per product and month."""

import calendar
import logging
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_bulan, format_tanggal
from core.common.errors import ApplicationError
from core.common.money import round_rupiah
from core.ledger.errors import LedgerErrors
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, books_closed_until, journal_post
from core.members.models import Member
from core.savings.audit import SavingsAudit

from ..models import InterestRun, SavingsAccount, SavingsProduct, SavingsTransaction
from .accounts import savings_accounts_lock
from .apply import _write, transactions_link_entry
from .common import ZERO, SavingsErrors

log = logging.getLogger(__name__)

# --- interest (jasa simpanan) -----------------------------------------------------------


def interest_for_month(
    *,
    opening: Decimal,
    movements: list[tuple[date, Decimal]],
    year: int,
    month: int,
    basis: str,
    rate_annual: Decimal,
    paid_out_on: date | None = None,
    counted_from: date | None = None,
) -> tuple[Decimal, Decimal]:
    """Pure: (base balance, interest) for one account and month. ``movements`` are
    (date, signed delta) within the month. Basis ``minimum``: the lowest balance in the
    month (including the opening); ``average``: the average end-of-day balance over the
    month's days. Interest = base × rate / 12, whole rupiah half-up.

    ``paid_out_on`` (a day of the month): the account is emptied that day (a member's
    exit settlement pays it out), so from that day the end-of-day balance is zero, as
    after any withdrawal of everything: on the average basis the days before it earn,
    still divided by the month's days (pro-rata to the exit date); on the minimum basis
    the month's lowest balance is that zero.

    ``counted_from`` (a day of the month): the jasa of the days before it was credited
    already (a berjangka account paid out in full at maturity that day: its payout
    credited the days before, ``interest_exit_month_due``); only the days from it count —
    on the average basis their end-of-day balances, still divided by the month's days; on
    the minimum basis their lowest (the payout's zero).

    A day's balance below zero counts as zero: it arises only in the computation, when
    jasa taken back is left out (``interest_month_compute``) after it had been paid out
    (a reversed exit: its payout included the jasa, which is no longer counted)."""
    days = calendar.monthrange(year, month)[1]
    by_day: dict[int, Decimal] = {}
    for d, delta in movements:
        by_day[d.day] = by_day.get(d.day, ZERO) + delta
    bal = opening
    lowest = max(opening, ZERO) if counted_from is None else None
    total = ZERO
    for day in range(1, days + 1):
        if day in by_day:
            bal += by_day[day]
        if counted_from is not None and day < counted_from.day:
            continue  # credited already
        held = ZERO if paid_out_on is not None and day >= paid_out_on.day else max(bal, ZERO)
        lowest = held if lowest is None else min(lowest, held)
        total += held
    if basis == SavingsProduct.InterestBasis.MINIMUM:
        base = lowest if lowest is not None else ZERO
    else:
        base = total / days
    base = max(base, ZERO)
    interest = round_rupiah(base * Decimal(rate_annual) / Decimal(100) / Decimal(12))
    return base, interest


def tax_on_interest(*, interest: Decimal, threshold: Decimal, rate: Decimal) -> Decimal:
    """PPh on savings interest (PP 15/2009, final): when a MEMBER's interest for the month
    across all their accounts is above the threshold, the whole of it is taxed at ``rate``
    percent (whole rupiah). ``interest`` is that member total."""
    if interest <= threshold:
        return ZERO
    return round_rupiah(interest * Decimal(rate) / Decimal(100))


def tax_shares(tax: Decimal, interests: list[Decimal]) -> list[Decimal]:
    """Pure: a member's tax split over their accounts in proportion to each account's
    interest, whole rupiah, the last taking the remainder (the shares sum to ``tax``)."""
    total = sum(interests, ZERO)
    out: list[Decimal] = []
    left = tax
    for i, x in enumerate(interests):
        share = (
            left if i == len(interests) - 1 else round_rupiah(tax * x / total) if total else ZERO
        )
        share = min(share, left)
        out.append(share)
        left -= share
    return out


def _member_month_interest(*, member_ids, first: date, last: date):
    """Interest already credited in the month on any of the members' accounts, of any
    product, open or closed since — another product's run, an exit settlement, an early
    withdrawal or a full payout at maturity (the days before it), an account of the same
    product closed in the month (broken early, then a new one opened) —, and PPh already
    withheld on them: {member: (gross, tax)}. What is being computed is not written yet,
    so nothing of it is here."""
    rows = (
        SavingsTransaction.objects.filter(
            account__member_id__in=list(member_ids),
            on__gte=first,
            on__lte=last,
            kind__in=[SavingsTransaction.Kind.INTEREST, SavingsTransaction.Kind.TAX],
            reversed_by__isnull=True,  # a reversed run's interest no longer counts
        )
        .values("account__member_id")
        .annotate(
            g=Sum("amount", filter=Q(kind="interest"), default=ZERO),
            t=Sum("amount", filter=Q(kind="tax"), default=ZERO),
        )
    )
    return {r["account__member_id"]: (r["g"], r["t"]) for r in rows}


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _credited_dates(account_ids, first: date, last: date) -> dict[int, date]:
    """{account: the day of its latest live jasa simpanan credit dated in the month}: the
    month is paid on it up to that day (a credit dated before the month's last day is a
    part month — an exit, an early withdrawal, a full payout at maturity —, the run's own
    is dated the last day)."""
    return dict(
        SavingsTransaction.objects.filter(
            account_id__in=list(account_ids),
            kind=SavingsTransaction.Kind.INTEREST,
            on__gte=first,
            on__lte=last,
            reversed_by__isnull=True,
        )
        .values_list("account_id")
        .annotate(d=Max("on"))
        .values_list("account_id", "d")
    )


def _credited_in_month(first: date, last: date):
    """Accounts holding a live jasa simpanan credit dated in the month (the per-account
    record of a month's interest: an ``interest`` movement, not reversed)."""
    return SavingsTransaction.objects.filter(
        kind=SavingsTransaction.Kind.INTEREST,
        on__gte=first,
        on__lte=last,
        reversed_by__isnull=True,
    ).values("account_id")


@dataclass(frozen=True)
class InterestCredit:
    """One account's jasa simpanan of one month as the monthly run computes it, not yet
    written (an exit settlement's preview chains several months and products)."""

    account_id: int
    member_id: int
    product_id: int
    year: int
    month: int
    interest: Decimal
    tax: Decimal
    # the exit's own month (``interest_exit_month_due``): the jasa of the days before
    # this exit date, credited on it; None for a finished month (credited on its last day)
    until: date | None = None
    # the day the month is counted from when its days before were credited already (a
    # full payout at maturity earlier in the month); None: from the 1st
    since: date | None = None


def interest_month_compute(
    *,
    product: SavingsProduct,
    accounts: dict[int, SavingsAccount],
    year: int,
    month: int,
    pending: Sequence[InterestCredit] = (),
    paid_out_on: date | None = None,
) -> dict[int, tuple[Decimal, Decimal]]:
    """THE rule of the monthly run: {account: (interest, tax)} for ``accounts`` (of
    ``product``) in the month, for the accounts with interest above zero. Interest per
    account by ``interest_for_month`` on its balances — an account credited part of the
    month already (a full payout at maturity) from that credit's day; PPh per member and
    month across all their accounts (these, plus what the month already credited and
    withheld on any of the member's accounts, closed since or not). ``pending``: credits
    computed but not yet written (earlier months raise the opening; other products of
    the month count toward the threshold) as if they had been posted on their month's
    last day. ``paid_out_on``: the accounts are paid out on that day of the month (an
    exit settlement, ``interest_for_month``)."""
    first, last = month_bounds(year, month)
    # jasa taken back (a reversed run being replaced, an exit settlement reversed) never
    # was: neither the credit and its tax nor their reversal count in the balances
    kinds = [SavingsTransaction.Kind.INTEREST, SavingsTransaction.Kind.TAX]
    voided = Q(kind__in=kinds, reversed_by__isnull=False) | Q(
        kind=SavingsTransaction.Kind.REVERSAL, reverses__kind__in=kinds
    )
    openings = dict(
        SavingsTransaction.objects.filter(account_id__in=list(accounts), on__lt=first)
        .exclude(voided)
        .values_list("account_id")
        .annotate(s=Sum("delta"))
        .values_list("account_id", "s")
    )
    moves: dict[int, list] = {}
    for aid, on, delta in (
        SavingsTransaction.objects.filter(
            account_id__in=list(accounts), on__gte=first, on__lte=last
        )
        .exclude(voided)
        # PPh of the month (another product's run may withhold it here, on the month's
        # last day) is the month's result, not a balance the month earns on; PPh of a
        # part month credited earlier in it (a full payout at maturity) left the account
        # that day, with the jasa it was withheld on
        .exclude(kind=SavingsTransaction.Kind.TAX, on=last)
        .values_list("account_id", "on", "delta")
    ):
        moves.setdefault(aid, []).append((on, delta))
    # an account whose days before a part-month credit were paid by it (a full payout at
    # maturity earlier in the month) is counted from that day (the callers leave out an
    # account paid to the end)
    since = _credited_dates(accounts, first, last)
    for c in pending:
        if c.account_id not in accounts:
            continue
        c_last = c.until or month_bounds(c.year, c.month)[1]
        if c_last < first:
            openings[c.account_id] = (openings.get(c.account_id) or ZERO) + c.interest - c.tax
        elif c_last <= last:
            moves.setdefault(c.account_id, []).append((c_last, c.interest - c.tax))
    interest_of: dict[int, Decimal] = {}
    for aid in accounts:
        _base, interest = interest_for_month(
            opening=openings.get(aid) or ZERO,
            movements=moves.get(aid, []),
            year=year,
            month=month,
            basis=product.interest_basis,
            rate_annual=product.interest_rate_annual,
            paid_out_on=paid_out_on,
            counted_from=since.get(aid),
        )
        if interest > 0:
            interest_of[aid] = interest
    # the threshold is per member and month across all their accounts: these accounts
    # together, plus what the month already credited (and withheld) on the member's other
    # accounts, of any product, closed since or not; the member's tax is split over
    # these accounts
    by_member: dict[int, list[int]] = {}
    for aid in interest_of:
        by_member.setdefault(accounts[aid].member_id, []).append(aid)
    earlier = _member_month_interest(member_ids=by_member, first=first, last=last)
    for c in pending:
        if (
            c.member_id in by_member
            and c.account_id not in accounts
            and (c.year, c.month) == (year, month)
        ):
            g0, t0 = earlier.get(c.member_id, (ZERO, ZERO))
            earlier[c.member_id] = (g0 + c.interest, t0 + c.tax)
    out: dict[int, tuple[Decimal, Decimal]] = {}
    for mid, aids in by_member.items():
        g0, t0 = earlier.get(mid, (ZERO, ZERO))
        month_gross = g0 + sum((interest_of[a] for a in aids), ZERO)
        due = tax_on_interest(
            interest=month_gross, threshold=product.tax_threshold, rate=product.tax_rate
        )
        due = max(due - t0, ZERO)
        for aid, share in zip(aids, tax_shares(due, [interest_of[a] for a in aids]), strict=True):
            out[aid] = (interest_of[aid], share)
    return out


def _tax_write(*, account: SavingsAccount, amount: Decimal, on: date, by):
    """The PPh withheld on a month's jasa simpanan, taken from ``account`` on ``on`` (the
    month's last day; the jasa of an exit's own month: the exit date)."""
    return _write(
        account=account,
        kind=SavingsTransaction.Kind.TAX,
        channel=SavingsTransaction.Channel.INTERNAL,
        amount=amount,
        delta=-amount,
        on=on,
        by=by,
        memo=_("PPh jasa simpanan %(m)s") % {"m": format_bulan(on)},
        receipt_number=None,
    )


def interest_month_post(
    *,
    product: SavingsProduct,
    year: int,
    month: int,
    accounts: dict[int, SavingsAccount],
    amounts: dict[int, tuple[Decimal, Decimal]],
    by,
    description: str,
    source_ref: str,
):
    """Write the month's jasa (``interest_month_compute``'s amounts) on the locked
    ``accounts``, dated the month's last day: interest and tax as two movements per
    account, and ONE entry: Dr savings interest expense / Cr the product's control account
    per member (net) / Cr tax payable. Returns (entry or None, gross, tax, accounts)."""
    last = month_bounds(year, month)[1]
    txns, lines, gross_total, tax_total, n = _interest_write(
        product=product,
        accounts=accounts,
        amounts=amounts,
        on=last,
        memo=_("Jasa simpanan %(m)s") % {"m": _month_label((year, month))},
        by=by,
    )
    entry = None
    if gross_total > 0:
        entry = journal_post(
            on=last,
            description=description,
            lines=_interest_lines(lines, gross_total, tax_total),
            source="savings",
            source_ref=source_ref,
            by=by,
        )
        transactions_link_entry(transactions=txns, entry=entry)
    return entry, gross_total, tax_total, n


def _interest_lines(lines: list[LineSpec], gross: Decimal, tax: Decimal) -> list[LineSpec]:
    """The jasa's whole entry (or part of one): Dr savings interest expense (gross), the
    control accounts' lines, Cr tax payable (the PPh withheld)."""
    head = [LineSpec(account=account_for_role("savings_interest_expense"), debit=gross)]
    if tax > 0:
        lines = [*lines, LineSpec(account=account_for_role("tax_payable"), credit=tax)]
    return head + lines


def _interest_write(
    *,
    product: SavingsProduct,
    accounts: dict[int, SavingsAccount],
    amounts: dict[int, tuple[Decimal, Decimal]],
    on: date,
    memo: str,
    by,
) -> tuple[list[SavingsTransaction], list[LineSpec], Decimal, Decimal, int]:
    """The movements of a month's jasa of ``product`` on the locked ``accounts``, dated
    ``on`` (the month's last day; an exit's own month: the exit date): per account the
    interest and the PPh, and the control accounts' lines (net per member; the PPh
    another account must bear, ``_tax_elsewhere``). Returns (movements, lines, gross,
    tax, accounts credited); the caller adds the expense and tax payable lines."""
    first, last = month_bounds(on.year, on.month)
    gross_total = tax_total = ZERO
    lines: list[LineSpec] = []
    txns = []
    # member -> the part of their tax their account here cannot bear
    excess: dict[int, Decimal] = {}
    n = 0
    for aid, acc in accounts.items():
        interest, tax = amounts.get(aid, (ZERO, ZERO))
        if interest <= 0:
            continue
        # the member's tax may include the PPh on another product's interest of the month
        # (the threshold is per member): what exceeds this account's balance is withheld
        # from the accounts that interest went to (below), never below zero here
        if tax > acc.balance + interest:
            excess[acc.member_id] = excess.get(acc.member_id, ZERO) + tax - acc.balance - interest
            tax = acc.balance + interest
        txns.append(
            _write(
                account=acc,
                kind=SavingsTransaction.Kind.INTEREST,
                channel=SavingsTransaction.Channel.INTERNAL,
                amount=interest,
                delta=interest,
                on=on,
                by=by,
                memo=memo,
                receipt_number=None,
            )
        )
        if tax > 0:
            txns.append(_tax_write(account=acc, amount=tax, on=on, by=by))
        net = interest - tax  # below zero when the tax includes another product's interest
        if net != 0:
            lines.append(
                LineSpec(
                    account=product.account,
                    credit=max(net, ZERO),
                    debit=max(-net, ZERO),
                    member_id=acc.member_id,
                    memo=acc.number,
                )
            )
        gross_total += interest
        tax_total += tax
        n += 1
    if excess:
        more_txns, more_lines = _tax_elsewhere(
            product=product, excess=excess, first=first, last=last, on=on, by=by
        )
        txns += more_txns
        lines += more_lines
        tax_total += sum(excess.values(), ZERO)
    return txns, lines, gross_total, tax_total, n


def _tax_elsewhere(
    *,
    product: SavingsProduct,
    excess: dict[int, Decimal],
    first: date,
    last: date,
    on: date,
    by,
) -> tuple[list, list[LineSpec]]:
    """Withhold ``excess`` (member -> PPh their account in ``product`` could not bear)
    from the member's open accounts of other products credited with jasa in the month
    (the interest the tax is on), in pk order, each down to zero at most: a ``tax``
    movement dated ``on`` (the month's last day; an exit's own month: the exit date) and
    a debit on that product's control account for the member. Refused (nothing written)
    when they do not hold it either."""
    others = (
        SavingsAccount.objects.select_for_update(of=("self",))
        .select_related("product__account", "member")
        .filter(member_id__in=list(excess), status=SavingsAccount.Status.OPEN)
        .exclude(product=product)
        .filter(pk__in=_credited_in_month(first, last))
        .order_by("pk")
    )
    txns, lines = [], []
    left = dict(excess)
    for acc in others:
        take = min(left.get(acc.member_id, ZERO), acc.balance)
        if take <= 0:
            continue
        left[acc.member_id] -= take
        txns.append(_tax_write(account=acc, amount=take, on=on, by=by))
        lines.append(
            LineSpec(
                account=acc.product.account, debit=take, member_id=acc.member_id, memo=acc.number
            )
        )
    short = {mid: amt for mid, amt in left.items() if amt > 0}
    if short:
        names = ", ".join(str(m) for m in Member.objects.filter(pk__in=list(short)))
        raise ApplicationError(
            SavingsErrors.INSUFFICIENT,
            _(
                "PPh jasa simpanan %(m)s tidak dapat dipotong seluruhnya: saldo "
                "rekening anggota %(n)s tidak cukup."
            )
            % {"m": format_bulan(last), "n": names},
        )
    return txns, lines


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def interest_unpaid_at_exit(*, accounts, on: date) -> list[InterestCredit]:
    """The jasa simpanan the monthly run has not paid yet on a leaving member's open
    ``accounts`` for the months finished before the exit date ``on`` (and before today):
    per interest-bearing product, every month after its latest live run (a product never
    run: the month before ``on``), for each account open by that month's end and not
    credited for it already. Computed by ``interest_month_compute`` — the run's own rule —
    month by month and, within a month, product by product in the auto run's order, each
    on top of the credits before it (a month's jasa raises the next month's opening; the
    PPh threshold counts the member's other products of the month)."""
    bearing = [
        a for a in accounts if a.product.interest_enabled and a.product.interest_rate_annual > 0
    ]
    if not bearing:
        return []
    before = on.replace(day=1) - timedelta(days=1)
    today = timezone.localdate()
    products = {a.product_id: a.product for a in bearing}
    months_of: dict[int, set[tuple[int, int]]] = {}
    for pid in products:
        latest = _latest_run(pid)
        ym = _next_month(*latest) if latest else (before.year, before.month)
        months: set[tuple[int, int]] = set()
        while ym <= (before.year, before.month) and month_bounds(*ym)[1] < today:
            months.add(ym)
            ym = _next_month(*ym)
        months_of[pid] = months
    credits: list[InterestCredit] = []
    for year, month in sorted(set().union(*months_of.values())):
        first, last = month_bounds(year, month)
        # paid to the month's end already (a credit of the days before a full payout
        # leaves the rest of the month to count)
        credited = {
            aid
            for aid, d in _credited_dates([a.pk for a in bearing], first, last).items()
            if d >= last
        }
        for pid in sorted(products):
            if (year, month) not in months_of[pid]:
                continue
            accs = {
                a.pk: a
                for a in bearing
                if a.product_id == pid and a.opened_on <= last and a.pk not in credited
            }
            if not accs:
                continue
            amounts = interest_month_compute(
                product=products[pid], accounts=accs, year=year, month=month, pending=credits
            )
            credits += [
                InterestCredit(
                    account_id=aid,
                    member_id=accs[aid].member_id,
                    product_id=pid,
                    year=year,
                    month=month,
                    interest=interest,
                    tax=tax,
                )
                for aid, (interest, tax) in amounts.items()
            ]
    return credits


def interest_credit_at_exit(
    *, credits: Sequence[InterestCredit], accounts: dict[int, SavingsAccount], by, ref: str
) -> list:
    """Post ``interest_unpaid_at_exit``'s credits on the locked ``accounts`` as the run
    would have: per product and month one entry dated the month's last day
    (``interest_month_post``), its reference ``interest:<product>:<yyyy-mm>:exit:<ref>``.
    The ``interest`` movement is the month's per-account record: the run skips an account
    holding one. Returns the entries, in order."""
    groups: dict[tuple[int, int, int], dict[int, tuple[Decimal, Decimal]]] = {}
    for c in credits:
        groups.setdefault((c.year, c.month, c.product_id), {})[c.account_id] = (
            c.interest,
            c.tax,
        )
    entries = []
    for (year, month, pid), amounts in groups.items():
        accs = {aid: accounts[aid] for aid in amounts}
        product = next(iter(accs.values())).product
        entry, _g, _t, _n = interest_month_post(
            product=product,
            year=year,
            month=month,
            accounts=accs,
            amounts=amounts,
            by=by,
            description=_("Jasa simpanan %(p)s %(m)02d/%(y)s (penyelesaian keluar anggota)")
            % {"p": product.name, "m": month, "y": year},
            source_ref=f"interest:{pid}:{year}-{month:02d}:exit:{ref}",
        )
        if entry is not None:
            entries.append(entry)
    return entries


def _latest_run(product_id: int) -> tuple[int, int] | None:
    """(year, month) of the product's latest monthly run not reversed, or None."""
    return (
        InterestRun.objects.filter(product_id=product_id, reversed_at__isnull=True)
        .order_by("-year", "-month")
        .values_list("year", "month")
        .first()
    )


def _month_label(ym: tuple[int, int]) -> str:
    """``Maret 2026`` / ``March 2026``: the month (year, month) in words."""
    return format_bulan(date(ym[0], ym[1], 1))


def month_ends_counted(
    *, accounts: Iterable[tuple[date, date | None, date | None]], ends: Iterable[date]
) -> set[date]:
    """Of the month-ends ``ends``, those at which some account of ``accounts`` — each
    (opened on, closed on or None, latest live opening balance's date or None) — is
    open with a balance that is Lumbung's: opened on or before it, closed after it, and
    its opening balance (the old books) dated before it. Pure: each account is the span
    [max(opened, day after the opening balance), closed) of the month-ends it counts;
    the spans joined, each end looked up in them."""
    spans: list[tuple[date, date]] = []
    for opened, closed, old in accounts:
        start = opened if old is None or old < opened else old + timedelta(days=1)
        until = closed or date.max
        if start < until:
            spans.append((start, until))
    joined: list[list[date]] = []
    for start, until in sorted(spans):
        if joined and start <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], until)
        else:
            joined.append([start, until])
    starts = [span[0] for span in joined]
    out: set[date] = set()
    for end in ends:
        i = bisect_right(starts, end) - 1
        if i >= 0 and end < joined[i][1]:
            out.add(end)
    return out


def interest_months_owed(
    *, product_id: int, months: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Of ``months`` (in the order given), those whose jasa of the product a run must
    pay: an account of the product was open at the month's end whose balance that month
    is Lumbung's — opened by then, not closed by then, and no opening balance dated on or
    after the month's end (a move-in's cut-over or the member import's opening date: the
    old books paid the months up to it). A month the product had no such account in
    (before its first account, or all closed) has nothing to pay. One query (the
    accounts' distinct dates), then ``month_ends_counted``."""
    if not months:
        return []
    ends = {ym: month_bounds(*ym)[1] for ym in months}
    old_books_until = (
        SavingsTransaction.objects.filter(
            account=OuterRef("pk"),
            kind=SavingsTransaction.Kind.OPENING,
            reversed_by__isnull=True,
        )
        .order_by("-on")
        .values("on")[:1]
    )
    rows = (
        SavingsAccount.objects.filter(product_id=product_id, opened_on__lte=max(ends.values()))
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=min(ends.values())))
        .annotate(old_books_until=Subquery(old_books_until))
        .values_list("opened_on", "closed_on", "old_books_until")
        .distinct()
    )
    counted = month_ends_counted(accounts=rows, ends=ends.values())
    return [ym for ym in months if ends[ym] in counted]


def interest_months_missing(*, product_id: int, year: int, month: int) -> list[tuple[int, int]]:
    """The months before (``year``, ``month``) whose jasa of the product a run must pay
    first, in order: the months after its latest live run that were never run and that
    the product's jasa pays (``interest_months_owed``: an account open at the month's
    end whose balance is Lumbung's). None for the product's first run ever (nor when
    every run was reversed: the product starts again), nor for the month right after the
    latest run (the common case: no query)."""
    latest = _latest_run(product_id)
    if latest is None:
        return []
    months: list[tuple[int, int]] = []
    ym = _next_month(*latest)
    while ym < (year, month):
        months.append(ym)
        ym = _next_month(*ym)
    return interest_months_owed(product_id=product_id, months=months)


def interest_months_named(months: list[tuple[int, int]]) -> str:
    """The months as said: "Februari 2026", "Februari 2026 sampai April 2026 (3 bulan)",
    apart by commas."""
    groups: list[list[tuple[int, int]]] = []
    for ym in months:
        if groups and _next_month(*groups[-1][-1]) == ym:
            groups[-1].append(ym)
        else:
            groups.append([ym])
    return ", ".join(
        _month_label(g[0])
        if len(g) == 1
        else _("%(a)s sampai %(b)s (%(n)s bulan)")
        % {"a": _month_label(g[0]), "b": _month_label(g[-1]), "n": len(g)}
        for g in groups
    )


def interest_month_skipped_check(*, product: SavingsProduct, year: int, month: int) -> None:
    """Refuse a run of (``year``, ``month``) while a month before it that the product's
    jasa must pay was never run (``interest_months_missing``): its members would never
    get that month's jasa (no later run pays it). Names the months and the way out."""
    missing = interest_months_missing(product_id=product.pk, year=year, month=month)
    if not missing:
        return
    latest = _latest_run(product.pk)
    raise ApplicationError(
        SavingsErrors.INTEREST_MONTH_SKIPPED,
        _(
            "Jasa %(p)s bulan %(m)s belum dapat dihitung: jasa bulan %(missing)s belum "
            "dihitung (terakhir dihitung bulan %(l)s). Bila bulan %(m)s dihitung sekarang, "
            "anggota tidak akan pernah menerima jasa bulan itu. Hitung dulu jasa bulan "
            "%(f)s, lalu bulan-bulan sesudahnya berurutan sampai %(m)s. Tidak ada yang "
            "diubah."
        )
        % {
            "p": product.name,
            "m": _month_label((year, month)),
            "missing": interest_months_named(missing),
            "l": _month_label(latest) if latest else "-",
            "f": _month_label(missing[0]),
        },
        fields={
            "month": [
                _("Jasa bulan %(f)s belum dihitung; hitung berurutan.")
                % {"f": _month_label(missing[0])}
            ],
            "missing": [f"{y}-{m:02d}" for y, m in missing],
        },
        status=409,
    )


def interest_exit_month_unrun(*, accounts, on: date) -> list[SavingsProduct]:
    """The interest-bearing products of ``accounts`` whose jasa of the month of ``on``
    (the exit's own month) the monthly run has not paid: its latest live run is of an
    earlier month, or it was never run. In pk order (the auto run's)."""
    products = {
        a.product_id: a.product
        for a in accounts
        if a.product.interest_enabled and a.product.interest_rate_annual > 0
    }
    return [
        products[pid]
        for pid in sorted(products)
        if (latest := _latest_run(pid)) is None or latest < (on.year, on.month)
    ]


def interest_exit_month_due(
    *, accounts, on: date, pending: Sequence[InterestCredit] = ()
) -> list[InterestCredit]:
    """The jasa simpanan of the exit's own month, from its first day to the exit date
    ``on``, on a leaving member's open ``accounts`` (or on one berjangka account paid out
    early, ``savings_early_withdraw``: the same rule for an account emptied on ``on``):
    for each product the run has not
    paid that month for (``interest_exit_month_unrun``), each account open by ``on`` and
    not credited for the month already, by the run's own rule (``interest_month_compute``)
    with the account paid out on ``on``: on the average daily balance the days before
    the exit, divided by the month's days; on the minimum balance nothing (the payout is
    the month's lowest balance). ``pending``: the finished months' credits before it
    (``interest_unpaid_at_exit``: they raise the opening). PPh by the member's month
    across all their accounts: product by product, each on top of the credits before it,
    as the run of each product would. The credits carry ``until=on``."""
    products = interest_exit_month_unrun(accounts=accounts, on=on)
    if not products:
        return []
    first, last = month_bounds(on.year, on.month)
    # credited up to the exit date already; one credited for the days before a full
    # payout earlier in the month counts from that day (``interest_month_compute``)
    credited_on = _credited_dates([a.pk for a in accounts], first, last)
    credited = {aid for aid, d in credited_on.items() if d >= on}
    credits = list(pending)
    out: list[InterestCredit] = []
    for product in products:
        accs = {
            a.pk: a
            for a in accounts
            if a.product_id == product.pk and a.opened_on <= on and a.pk not in credited
        }
        if not accs:
            continue
        amounts = interest_month_compute(
            product=product,
            accounts=accs,
            year=on.year,
            month=on.month,
            pending=credits,
            paid_out_on=on,
        )
        new = [
            InterestCredit(
                account_id=aid,
                member_id=accs[aid].member_id,
                product_id=product.pk,
                year=on.year,
                month=on.month,
                interest=interest,
                tax=tax,
                until=on,
                since=credited_on.get(aid),
            )
            for aid, (interest, tax) in amounts.items()
        ]
        credits += new
        out += new
    return out


def interest_days_label(until: date, since: date | None = None) -> str:
    """The days of the exit's month its jasa is for: "1–15" for an exit on the 16th;
    "10–15" when the days before the 10th were credited already (``since``)."""
    start = since.day if since else 1
    end = until.day - 1
    return f"{start}" if end <= start else f"{start}–{end}"


def interest_exit_month_apply(
    *,
    credits: Sequence[InterestCredit],
    accounts: dict[int, SavingsAccount],
    by,
    early_withdrawal: bool = False,
    payout: bool = False,
) -> tuple[list[LineSpec], list[SavingsTransaction]]:
    """Write ``interest_exit_month_due``'s credits on the locked ``accounts``, dated the
    exit date: per account the interest and the PPh movements (the ``interest`` movement
    is the month's record up to that day: the run skips an account holding one, or —
    still open, paid out in full at maturity — counts it from that day). Posts nothing:
    returns the lines for the caller's entry (the exit settlement's own; an early
    withdrawal's, ``early_withdrawal``, or a full payout's at maturity, ``payout``: the
    memo says so) — Dr savings interest expense / Cr each product's control account per
    member (net) / Cr tax payable — and the movements to link to it."""
    groups: dict[int, dict[int, tuple[Decimal, Decimal]]] = {}
    for c in credits:
        groups.setdefault(c.product_id, {})[c.account_id] = (c.interest, c.tax)
    txns: list[SavingsTransaction] = []
    lines: list[LineSpec] = []
    gross = tax = ZERO
    for pid in sorted(groups):
        amounts = groups[pid]
        accs = {aid: accounts[aid] for aid in amounts}
        first = next(c for c in credits if c.product_id == pid)
        until = first.until
        if payout:
            memo = _("Jasa simpanan %(m)02d/%(y)s, tanggal %(d)s (pencairan)")
        elif early_withdrawal:
            memo = _("Jasa simpanan %(m)02d/%(y)s, tanggal %(d)s (pencairan dini)")
        else:
            memo = _("Jasa simpanan %(m)02d/%(y)s, tanggal %(d)s (penyelesaian keluar)")
        t, ln, g, x, _n = _interest_write(
            product=next(iter(accs.values())).product,
            accounts=accs,
            amounts=amounts,
            on=until,
            memo=memo
            % {
                "m": until.month,
                "y": until.year,
                "d": interest_days_label(until, first.since),
            },
            by=by,
        )
        txns += t
        lines += ln
        gross += g
        tax += x
    if gross <= 0:
        return [], txns
    return _interest_lines(lines, gross, tax), txns


@transaction.atomic
def savings_interest_accrue(*, product: SavingsProduct, year: int, month: int, by):
    """Monthly jasa simpanan for every open account of an interest-bearing product:
    credits the net interest to each account (interest and tax as two movements) and posts
    ONE entry: Dr savings interest expense / Cr control account per member / Cr tax
    payable. Once per product and month (unique run + the ledger's source reference).
    The product row is locked first: a second run of the month started at the same
    moment waits, then finds the first one and is refused as done (FOR NO KEY UPDATE:
    accounts of the product opened meanwhile, which hold it FOR KEY SHARE, neither wait
    for the run nor make it wait)."""
    product = SavingsProduct.objects.select_for_update(no_key=True).get(pk=product.pk)
    if not product.interest_enabled or product.interest_rate_annual <= 0:
        raise ApplicationError(
            SavingsErrors.BAD_PERIOD, _("Produk %(p)s tidak berbunga.") % {"p": product.name}
        )
    if not (1 <= month <= 12):
        raise ApplicationError(SavingsErrors.BAD_PERIOD, _("Bulan tidak valid."))
    if date(year, month, calendar.monthrange(year, month)[1]) >= timezone.localdate():
        raise ApplicationError(
            SavingsErrors.BAD_PERIOD,
            _("Bulan %(m)s belum selesai; jasa dihitung setelah akhir bulan.")
            % {"m": _month_label((year, month))},
        )
    done = InterestRun.objects.filter(product=product, year=year, month=month)
    if done.filter(reversed_at__isnull=True).exists():
        raise ApplicationError(
            SavingsErrors.INTEREST_DONE,
            _("Jasa %(p)s bulan %(m)s sudah dihitung.")
            % {"p": product.name, "m": _month_label((year, month))},
        )
    # a month of closed books takes no jasa: said as the ledger says it, before the order
    # rule below (which would send the treasurer to reverse later months, closed too)
    closed = books_closed_until()
    if closed is not None and date(year, month, calendar.monthrange(year, month)[1]) <= closed:
        raise ApplicationError(
            LedgerErrors.PERIOD_CLOSED,
            _("Buku sudah ditutup sampai %(c)s; jasa %(p)s bulan %(m)s tidak dapat dihitung lagi.")
            % {"c": format_tanggal(closed), "p": product.name, "m": _month_label((year, month))},
            fields={"month": [_("Periode sudah ditutup.")]},
        )
    # a later month was paid on balances without this month's jasa (its opening lacks
    # it): this month run now would leave that month short for good
    latest = _latest_run(product.pk)
    if latest is not None and latest > (year, month):
        raise ApplicationError(
            SavingsErrors.BAD_PERIOD,
            _(
                "Jasa %(p)s bulan %(l)s sudah dihitung; bulan %(m)s yang lebih awal tidak "
                "dapat dihitung sesudahnya (jasanya ikut dasar bulan-bulan berikutnya). "
                "Batalkan dulu jasa bulan-bulan sesudahnya, lalu hitung berurutan."
            )
            % {"p": product.name, "l": _month_label(latest), "m": _month_label((year, month))},
        )
    # an earlier month never run: this month run now would leave it unpaid for good
    interest_month_skipped_check(product=product, year=year, month=month)
    first, last = month_bounds(year, month)
    ids = SavingsAccount.objects.filter(product=product, status="open", opened_on__lte=last)
    # an account whose jasa of the month was already credited (by an exit settlement that
    # was reversed after this month's run could no longer pay it) is not paid twice
    # (an account credited for the days before a full payout at maturity in the month
    # is paid from that day: ``interest_month_compute``)
    ids = ids.exclude(pk__in=_credited_in_month(last, last))
    accounts = savings_accounts_lock(ids.values_list("pk", flat=True))
    # read again once locked: an exit settlement that held an account meanwhile has
    # credited its month and closed it
    credited = set(
        _credited_in_month(last, last)
        .filter(account_id__in=list(accounts))
        .values_list("account_id", flat=True)
    )
    accounts = {
        pk: a
        for pk, a in accounts.items()
        if a.status == SavingsAccount.Status.OPEN and pk not in credited
    }
    amounts = interest_month_compute(product=product, accounts=accounts, year=year, month=month)
    entry, gross_total, tax_total, n = interest_month_post(
        product=product,
        year=year,
        month=month,
        accounts=accounts,
        amounts=amounts,
        by=by,
        description=_("Jasa simpanan %(p)s %(m)02d/%(y)s")
        % {"p": product.name, "m": month, "y": year},
        # a month run again after its reversal: its own reference (:r1, :r2, ...)
        source_ref=f"interest:{product.pk}:{year}-{month:02d}"
        + (f":r{again}" if (again := done.count()) else ""),
    )
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
        action=SavingsAudit.INTEREST_ACCRUE,
        target=product,
        data={"period": f"{year}-{month:02d}", "gross": str(gross_total), "tax": str(tax_total)},
    )
    return run


def savings_interest_auto_run(*, on: date) -> dict:
    """The month before ``on``'s jasa simpanan for every active product with interest and
    ``interest_auto``, each product in its own transaction; a month already accrued (by
    hand or by an earlier run) is skipped. A refusal (a closed period, an account not
    mapped) changes nothing for that product, is logged at ERROR and written to the audit
    log, and the other products go on."""
    previous = on.replace(day=1) - timedelta(days=1)
    year, month = previous.year, previous.month
    results = []
    for product in SavingsProduct.objects.filter(
        is_active=True, interest_enabled=True, interest_auto=True, interest_rate_annual__gt=0
    ).order_by("pk"):
        if InterestRun.objects.filter(product=product, year=year, month=month).exists():
            continue
        try:
            run = savings_interest_accrue(product=product, year=year, month=month, by="system")
        except ApplicationError as e:
            log.error(
                "Savings interest %s %04d-%02d refused in %s: %s",
                product.code,
                year,
                month,
                connection.schema_name,
                e.message,
                extra={"tenant": connection.schema_name, "alert": "savings_interest"},
            )
            with transaction.atomic():
                audit_log(
                    actor="system",
                    action=SavingsAudit.INTEREST_AUTO_FAILED,
                    target=product,
                    reason=str(e.message),
                    data={"period": f"{year}-{month:02d}", "code": str(e.code)},
                )
            results.append({"product": product.code, "error": str(e.code)})
        else:
            results.append(
                {
                    "product": product.code,
                    "accounts": run.accounts,
                    "gross": f"{run.gross_interest:.2f}",
                    "tax": f"{run.tax:.2f}",
                }
            )
    return {"period": f"{year}-{month:02d}", "runs": results}
