"""Reads of savings: balances, statements (kartu simpanan), teller summaries and the
reconciliation of the sub-ledger with the ledger control accounts."""

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, F, Max, Q, QuerySet, RowRange, Sum, When, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.dates import format_bulan
from core.common.said import Said
from core.ledger.models import JournalLine
from core.ledger.payroll_batches import (
    payroll_batches_by_entry,
    payroll_description,
    payroll_note,
)
from core.ledger.reconciliation import SubledgerRow
from core.ledger.selectors import account_balance
from core.members.models import Member
from core.members.services import grade_group

from .models import (
    CapitalBalanceBroughtIn,
    SavingsAccount,
    SavingsProduct,
    SavingsTransaction,
)
from .statement_names import statement_rows_name

ZERO = Decimal("0")


# --- reconciliation ---------------------------------------------------------------------


@dataclass
class ReconciliationRow:
    account_code: str
    account_name: str
    products: list[str]
    subledger_total: Decimal
    ledger_balance: Decimal
    account_id: int | None = None  # the control account, for the link to its buku besar

    @property
    def difference(self) -> Decimal:
        return self.subledger_total - self.ledger_balance

    @property
    def ok(self) -> bool:
        return self.difference == 0


@dataclass
class Reconciliation:
    rows: list[ReconciliationRow] = field(default_factory=list)
    # savings accounts whose balance differs from the sum of their transactions
    account_mismatches: list[int] = field(default_factory=list)
    # (member_id, ledger account code, subledger, ledger) where a member's share differs
    member_mismatches: list[tuple] = field(default_factory=list)
    # the buku besar period whose closing balance is each row's ledger balance: 1 January
    # to today, or to the latest line of these accounts when one is dated later
    date_from: date | None = None
    date_to: date | None = None

    @property
    def ok(self) -> bool:
        return (
            all(r.ok for r in self.rows)
            and not self.account_mismatches
            and not self.member_mismatches
        )


def savings_reconciliation(*, by_member: bool = True) -> Reconciliation:
    """Compare the savings sub-ledger with the ledger: per control account (sum of the
    balances of every product mapped to it = the account's ledger balance), per savings
    account (balance = sum of its transactions) and, with ``by_member``, per member and
    control account (the member-tagged ledger lines)."""
    out = Reconciliation()
    products = SavingsProduct.objects.select_related("account").order_by("account__code", "id")
    by_account: dict[int, list[SavingsProduct]] = {}
    for p in products:
        by_account.setdefault(p.account_id, []).append(p)
    sub_totals = dict(
        SavingsAccount.objects.values_list("product__account_id")
        .annotate(s=Sum("balance"))
        .values_list("product__account_id", "s")
    )
    for acc_id, prods in by_account.items():
        acc = prods[0].account
        out.rows.append(
            ReconciliationRow(
                account_code=acc.code,
                account_name=acc.name,
                products=[p.name for p in prods],
                subledger_total=sub_totals.get(acc_id) or ZERO,
                ledger_balance=account_balance(account=acc),
                account_id=acc.pk,
            )
        )
    if by_account:
        latest = JournalLine.objects.filter(account_id__in=list(by_account)).aggregate(
            d=Max("date")
        )["d"]
        today = timezone.localdate()
        out.date_to = max(today, latest) if latest else today
        out.date_from = date(out.date_to.year, 1, 1)
    out.account_mismatches = list(
        SavingsAccount.objects.annotate(s=Sum("transactions__delta", default=ZERO))
        .exclude(s=F("balance"))
        .values_list("pk", flat=True)
    )
    if by_member and by_account:
        sub = {
            (m, a): s
            for m, a, s in SavingsAccount.objects.values_list("member_id", "product__account_id")
            .annotate(s=Sum("balance"))
            .values_list("member_id", "product__account_id", "s")
        }
        led = {}
        for m, a, d, c, side in (
            JournalLine.objects.filter(account_id__in=list(by_account), member_id__isnull=False)
            .values_list("member_id", "account_id")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .values_list("member_id", "account_id", "d", "c", "account__normal_side")
        ):
            led[(m, a)] = (c - d) if side == "credit" else (d - c)
        codes = {a: prods[0].account.code for a, prods in by_account.items()}
        for key in set(sub) | set(led):
            s, g = sub.get(key) or ZERO, led.get(key) or ZERO
            if s != g:
                out.member_mismatches.append((key[0], codes.get(key[1], key[1]), s, g))
    return out


def savings_subledger_check() -> list:
    """The savings check of the daily sub-ledger reconciliation
    (``settings.LEDGER_SUBLEDGER_CHECKS``): one row per control account (sum of the
    product accounts' balances vs the ledger), plus the number of savings accounts whose
    balance differs from their transactions and of members whose share differs."""
    rec = savings_reconciliation()
    rows = [
        SubledgerRow(f"{r.account_code} {r.account_name}", r.subledger_total, r.ledger_balance)
        for r in rec.rows
    ]
    accounts, members = len(rec.account_mismatches), len(rec.member_mismatches)
    rows.append(SubledgerRow(Said("subledger.accounts_differing"), Decimal(accounts), ZERO))
    rows.append(SubledgerRow(Said("subledger.members_differing"), Decimal(members), ZERO))
    return rows


# --- balances and statements ------------------------------------------------------------


def member_savings_summary(*, member: Member) -> list[SavingsAccount]:
    return list(
        SavingsAccount.objects.filter(member=member)
        .select_related("product")
        .order_by("product_id", "opened_on")
    )


def member_savings_total(*, member: Member) -> Decimal:
    return SavingsAccount.objects.filter(member=member, status="open").aggregate(
        s=Sum("balance", default=ZERO)
    )["s"]


@dataclass
class StatementAccount:
    account: SavingsAccount
    opening: Decimal
    rows: list[SavingsTransaction]
    total_in: Decimal
    total_out: Decimal
    closing: Decimal


def running_balances(rows: list[SavingsTransaction], opening: Decimal) -> None:
    """Set ``running_balance`` on each row (already in (date, id) order): the opening plus
    the credits minus the debits up to and including that row. ``balance_after`` is the
    balance when the row was *posted*, which differs from this once a back-dated movement
    is posted after a later one: statements show this, in the order they list the rows."""
    bal = opening
    for r in rows:
        bal += r.delta
        r.running_balance = bal


def savings_statement(*, member: Member, date_from: date, date_to: date) -> list[StatementAccount]:
    """Kartu simpanan: per account, the balance before ``date_from``, the movements in
    the period (ordered by date, then posting sequence) each with its running balance in
    that same order, and the closing balance. A payroll batch's movement is named as the
    member knows it (``payroll_rows_name``); a movement an app above savings posted, by
    that app's namer (``core.savings.statement_names``: a loan paid from sukarela)."""
    out = []
    statement_rows: list[list[SavingsTransaction]] = []
    for acc in member_savings_summary(member=member):
        opening = acc.transactions.filter(on__lt=date_from).aggregate(s=Sum("delta", default=ZERO))[
            "s"
        ]
        rows = list(
            acc.transactions.filter(on__gte=date_from, on__lte=date_to).order_by("on", "id")
        )
        running_balances(rows, opening)
        statement_rows.append(rows)
        t_in = sum((r.amount for r in rows if r.delta > 0), ZERO)
        t_out = sum((r.amount for r in rows if r.delta < 0), ZERO)
        out.append(
            StatementAccount(
                account=acc,
                opening=opening,
                rows=rows,
                total_in=t_in,
                total_out=t_out,
                closing=opening + t_in - t_out,
            )
        )
    all_rows = [t for rows in statement_rows for t in rows]
    payroll_rows_name(all_rows)
    statement_rows_name(all_rows)
    return out


def payroll_rows_name(rows: list[SavingsTransaction]) -> None:
    """Name each movement a payroll batch posted by its batch (``payroll``, None for any
    other row): ``payroll_description``, the words the kartu simpanan shows, on the page
    and in the PDF alike, the portal's and the staff's ("Potong gaji Maret 2026 –
    <instansi> · ref. JU-…"), with what the memo says beyond the month
    (``payroll_note``; a row of no batch keeps its memo there). One query for all."""
    batches = payroll_batches_by_entry(entry_ids=[t.journal_entry_id for t in rows])
    for t in rows:
        t.payroll = batches.get(t.journal_entry_id)
        t.payroll_note = payroll_note(t.memo, t.payroll) if t.payroll else t.memo
        t.payroll_description = payroll_description(t.payroll, t.payroll_note) if t.payroll else ""


def account_transactions(*, account: SavingsAccount) -> QuerySet[SavingsTransaction]:
    """Newest first, each with ``running_balance``: the sum of the account's movements up
    to it in (date, id) order (a window over the whole account, so pages agree)."""
    return (
        account.transactions.select_related("created_by", "journal_entry")
        .annotate(
            running_balance=Window(
                Sum("delta"), order_by=[F("on").asc(), F("id").asc()], frame=RowRange(end=0)
            )
        )
        .order_by("-on", "-id")
    )


# --- teller -----------------------------------------------------------------------------


@dataclass
class TellerSummaryRow:
    user_id: int | None
    user_label: str
    channel: str
    deposits: Decimal
    withdrawals: Decimal
    count: int
    # cancellations made this day of teller transactions (of this day or earlier), signed
    # as the cash moved: a cancelled deposit gives the money back (negative)
    cancelled: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.deposits - self.withdrawals + self.cancelled


def _by_teller(field: str) -> Case:
    """``field`` of the original receipt's movement for a cancellation, else its own."""
    return Case(
        When(kind=SavingsTransaction.Kind.REVERSAL, then=F(f"reverses__{field}")),
        default=F(field),
    )


def _teller_movements(*, on: date, user=None) -> QuerySet[SavingsTransaction]:
    """The day's teller cash/bank movements: the receipted deposits and withdrawals made
    on ``on`` and the cancellations (``teller_reverse``) made on ``on`` — a cancellation
    counts on the day it was made, when its money moved, whatever the original's day.
    Each is the teller's of the original receipt (``teller``): a cancellation corrects
    that teller's drawer, whoever (bendahara, admin) keyed it."""
    qs = (
        SavingsTransaction.objects.filter(on=on, channel__in=["cash", "bank"])
        .filter(
            Q(receipt_number__isnull=False)
            | Q(kind=SavingsTransaction.Kind.REVERSAL, reverses__receipt_number__isnull=False)
        )
        .annotate(
            teller=_by_teller("created_by"),
            teller_name=_by_teller("created_by__full_name"),
            teller_username=_by_teller("created_by__username"),
        )
    )
    if user is not None:
        qs = qs.filter(teller=user.pk)
    return qs


def teller_daily_summary(*, on: date, user=None) -> list[TellerSummaryRow]:
    """Per teller and channel (cash/bank): deposits, withdrawals, cancellations, count and
    net for a day — the cash the teller must hand over."""
    receipted = Q(receipt_number__isnull=False)
    rows = (
        _teller_movements(on=on, user=user)
        .values("teller", "teller_name", "teller_username", "channel")
        .annotate(
            dep=Sum("amount", filter=receipted & Q(delta__gt=0), default=ZERO),
            wd=Sum("amount", filter=receipted & Q(delta__lt=0), default=ZERO),
            cancelled=Sum("delta", filter=~receipted, default=ZERO),
            n=Count("id"),
        )
        .order_by("teller_username", "channel")
    )
    return [
        TellerSummaryRow(
            user_id=r["teller"],
            user_label=r["teller_name"] or r["teller_username"] or "-",
            channel=r["channel"],
            deposits=r["dep"],
            withdrawals=r["wd"],
            count=r["n"],
            cancelled=r["cancelled"],
        )
        for r in rows
    ]


def teller_transactions(*, on: date, user=None) -> QuerySet[SavingsTransaction]:
    """The day's teller movements (:func:`_teller_movements`), newest first; a
    cancellation is a ``reversal`` row whose ``reverses`` is the receipt it cancels."""
    return (
        _teller_movements(on=on, user=user)
        .select_related("account__member", "account__product", "created_by", "reverses")
        .order_by("-id")
    )


def wajib_amount_for(*, member: Member, product: SavingsProduct, on: date) -> Decimal:
    """Monthly simpanan wajib due from ``member`` on ``on``: by grade group when the product
    says so (the latest rate effective on that date), else the fixed amount. Zero before the
    product's effective date."""
    if product.effective_from and on < product.effective_from:
        return ZERO
    if product.amount_by_grade:
        rate = (
            product.rates.filter(grade=grade_group(member.golongan), effective_from__lte=on)
            .order_by("-effective_from")
            .first()
        )
        if rate is not None:
            return rate.amount
    return product.amount


def product_for_kind(kind: str) -> SavingsProduct | None:
    return SavingsProduct.objects.filter(kind=kind, is_active=True).order_by("id").first()


def savings_by_product() -> list[dict]:
    """Per product: name, total balance of open accounts, number of open accounts."""
    rows = (
        SavingsAccount.objects.filter(status="open")
        .values("product_id", "product__name")
        .annotate(total=Sum("balance", default=ZERO), n=Count("id"))
        .order_by("product_id")
    )
    return [{"name": r["product__name"], "total": r["total"], "accounts": r["n"]} for r in rows]


# --- PPh on savings interest (bukti potong list) -----------------------------------------


@dataclass
class InterestTaxRow:
    member_id: int
    number: str
    full_name: str
    nip: str
    nik: str
    gross: Decimal
    tax: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


def interest_tax_report(*, year: int, month: int) -> list[InterestTaxRow]:
    """The month's PPh on savings interest per member (the bendahara's bukti potong list):
    gross interest credited on all their accounts, the final tax withheld, the net; only
    members with interest in the month, by member number. Movements of a reversed run
    are left out (they were taken back)."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    rows = (
        SavingsTransaction.objects.filter(
            on__gte=first,
            on__lte=last,
            kind__in=["interest", "tax"],
            # a reversed run's interest and tax were taken back: never the member's (as
            # the tax computation, ``services.interest._member_month_interest``)
            reversed_by__isnull=True,
        )
        .values(
            "account__member_id",
            "account__member__number",
            "account__member__full_name",
            "account__member__nip",
            "account__member__nik",
        )
        .annotate(
            g=Sum("amount", filter=Q(kind="interest"), default=ZERO),
            t=Sum("amount", filter=Q(kind="tax"), default=ZERO),
        )
        .order_by("account__member__number")
    )
    return [
        InterestTaxRow(
            member_id=r["account__member_id"],
            number=r["account__member__number"],
            full_name=r["account__member__full_name"],
            nip=r["account__member__nip"] or "",
            nik=r["account__member__nik"] or "",
            gross=r["g"],
            tax=r["t"],
        )
        for r in rows
        if r["g"] > 0 or r["t"] > 0
    ]


def interest_tax_table(*, year: int, month: int) -> dict:
    """The report as a table for the XLSX/PDF exporters of ``core.ledger.exports``."""
    rows = interest_tax_report(year=year, month=month)
    body = [
        {
            "cells": [i, r.number, r.full_name, r.nip, r.nik, r.gross, r.tax, r.net],
            "kind": "row",
        }
        for i, r in enumerate(rows, 1)
    ]
    gross = sum((r.gross for r in rows), ZERO)
    tax = sum((r.tax for r in rows), ZERO)
    body.append({"cells": ["", "", _("Jumlah"), "", "", gross, tax, gross - tax], "kind": "total"})
    return {
        "title": _("Daftar bukti potong PPh jasa simpanan %(m)s")
        % {"m": format_bulan(date(year, month, 1))},
        "subtitle": _(
            "PPh final 10% (PP 15/2009) atas jasa simpanan di atas Rp 240.000 per anggota per bulan"
        ),
        "columns": [
            _("No"),
            _("No. Anggota"),
            _("Nama"),
            _("NIP"),
            _("NIK"),
            _("Jasa bruto"),
            _("PPh dipotong"),
            _("Jasa neto"),
        ],
        "rows": body,
    }


# --- capital in the old books (Pindah ke Lumbung) ---------------------------------------


@dataclass(frozen=True)
class OldBooksCapital:
    """A member's capital savings at a month-end in the old books (``sukarela`` None:
    not given)."""

    cutover: date
    pokok: Decimal
    wajib: Decimal
    sukarela: Decimal | None


def capital_balances_brought_in(
    *, year: int, member_ids: list[int]
) -> dict[int, dict[date, OldBooksCapital]]:
    """Per member, the month-ends of ``year`` whose capital savings a move-in brought in
    from the old books (``CapitalBalanceBroughtIn``), by month-end."""
    out: dict[int, dict[date, OldBooksCapital]] = {}
    for mid, end, cutover, pokok, wajib, sukarela in CapitalBalanceBroughtIn.objects.filter(
        month_end__year=year, member_id__in=member_ids
    ).values_list("member_id", "month_end", "cutover", "pokok", "wajib", "sukarela"):
        out.setdefault(mid, {})[end] = OldBooksCapital(cutover, pokok, wajib, sukarela)
    return out
