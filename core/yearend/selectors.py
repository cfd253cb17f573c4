"""Reads for the year end: the SHU settings of a year, the close checklist, each member's
inputs (capital, jasa paid) and the SHU preview."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db import connection
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from core.common.dates import format_date
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.common.said import Said
from core.deductions.models import DeductionImport, DeductionLine, DeductionRun
from core.ledger.models import Account, FiscalYear, JournalEntry, JournalLine, Period
from core.ledger.reconciliation import SubledgerRow
from core.ledger.selectors import (
    account_for_role,
    signed_balance,
    totals_between,
)
from core.ledger.services import manual_requests_refusal, manual_requests_reject_only_note
from core.loans.models import ArrearsRun, LoanSettings
from core.loans.selectors import jasa_paid_brought_in, repayments_in_force
from core.members.models import Member
from core.members.selectors import member_memberships
from core.savings.models import InterestRun, SavingsAccount, SavingsProduct, SavingsTransaction
from core.savings.selectors import capital_balances_brought_in

from . import allocation as alloc
from .errors import YearEndErrors as E
from .models import MemberShare, RatReport, ShuPayout, ShuSettings, YearEnd

ZERO = Decimal("0")


MIN_YEAR, MAX_YEAR = 1990, 2100


def year_check(year: int) -> int:
    """A fiscal year a request may name; anything else is "not found"."""
    if not (MIN_YEAR <= int(year) <= MAX_YEAR):
        raise ApplicationError(
            E.NO_YEAR, _("Tahun buku %(y)s tidak dikenal.") % {"y": year}, status=404
        )
    return int(year)


# ---------------------------------------------------------------------------- settings


def shu_settings_for(*, year: int) -> ShuSettings:
    """The settings a year uses: the latest row effective at or before it; the domain
    defaults (unsaved) when there is none."""
    row = ShuSettings.objects.filter(effective_year__lte=year).order_by("-effective_year").first()
    return row or ShuSettings(effective_year=year)


def shu_settings_snapshot(s: ShuSettings) -> dict:
    return {
        "effective_year": s.effective_year,
        "percentages": {k: str(v) for k, v in s.percentages().items()},
        "capital_includes_sukarela": s.capital_includes_sukarela,
        "capital_basis": s.capital_basis,
        "rounding_unit": s.rounding_unit,
        "leavers": s.leavers,
        "payout_method": s.payout_method,
        "tax_rule": s.tax_rule,
        "tax_rate": str(s.tax_rate),
    }


# --------------------------------------------------------------------------- checklist


@dataclass
class ChecklistItem:
    key: str
    label: str
    ok: bool
    detail: str
    fix_url: str


def _url(name: str) -> str:
    return reverse(name)


def close_checklist(*, year: int) -> list[ChecklistItem]:
    """What must be true before ``year`` closes; each item checked from the data."""
    items: list[ChecklistItem] = []
    year_end = date(year, 12, 31)
    fy = FiscalYear.objects.filter(year=year).first()
    open_months = (
        list(
            Period.objects.filter(fiscal_year=fy)
            .exclude(status=Period.Status.CLOSED)
            .values_list("month", flat=True)
        )
        if fy
        else list(range(1, 13))
    )
    items.append(
        ChecklistItem(
            "months_closed",
            _("Semua bulan tahun %(y)s sudah ditutup") % {"y": year},
            not open_months,
            _("Bulan masih terbuka: %(m)s") % {"m": ", ".join(str(m) for m in open_months)}
            if open_months
            else _("12 bulan ditutup."),
            _url("ledger:periods"),
        )
    )
    runs = DeductionRun.objects.filter(year=year)
    # A run is posted when every agency with lines in it has its realized file posted.
    with_lines = set(
        DeductionLine.objects.filter(run__year=year)
        .values_list("run__month", "agency_id")
        .distinct()
    )
    posted = set(
        DeductionImport.objects.filter(run__year=year, status=DeductionImport.Status.POSTED)
        .values_list("run__month", "agency_id")
        .distinct()
    )
    unposted = sorted({month for month, _agency in with_lines - posted})
    used = runs.exists()
    december = runs.filter(month=12).first()
    ok = (not used) or (december is not None and not unposted)
    if not used:
        detail = _("Potong gaji tidak dipakai tahun ini.")
    elif december is None:
        detail = _("Potong gaji Desember belum dibuat.")
    elif unposted:
        detail = _("Potong gaji belum diposting untuk bulan: %(m)s") % {
            "m": ", ".join(str(m) for m in unposted)
        }
    else:
        detail = _("Potong gaji Desember sudah diposting.")
    items.append(
        ChecklistItem(
            "payroll_posted",
            _("Potong gaji Desember sudah diposting"),
            ok,
            detail,
            _url("deductions:runs"),
        )
    )
    products = (
        SavingsProduct.objects.filter(interest_enabled=True, interest_rate_annual__gt=0)
        .filter(Q(is_active=True) | Q(accounts__isnull=False))
        .distinct()
    )
    accrued = set(
        InterestRun.objects.filter(year=year, month=12).values_list("product_id", flat=True)
    )
    missing = [p.name for p in products if p.pk not in accrued]
    items.append(
        ChecklistItem(
            "interest_accrued",
            _("Jasa simpanan Desember sudah dihitung"),
            not missing,
            _("Belum dihitung: %(p)s") % {"p": ", ".join(missing)}
            if missing
            else _("Semua produk berjasa sudah dihitung."),
            # the screen that runs a month's jasa (the products' list cannot)
            _url("savings:reconciliation"),
        )
    )
    last_run = LoanSettings.objects.filter(pk=1).values_list("last_arrears_run", flat=True).first()
    # a run dated 31 December itself: it stores the grades the RAT pack reports
    arrears_ok = ArrearsRun.objects.filter(on=year_end).exists()
    items.append(
        ChecklistItem(
            "arrears_run",
            _("Perhitungan tunggakan dan PPAP per 31 Desember sudah dijalankan"),
            arrears_ok,
            _("Dijalankan per %(d)s.") % {"d": format_date(year_end)}
            if arrears_ok
            else _("Belum ada perhitungan per %(d)s (terakhir dijalankan %(last)s).")
            % {"d": format_date(year_end), "last": format_date(last_run) if last_run else "-"},
            _url("loans:arrears_run"),
        )
    )
    # one dated in the books closed already (old data) can only be rejected: said in the
    # closes' own words (their refusal names it apart)
    waiting = _("%(n)s jurnal menunggu persetujuan.")
    refusal = manual_requests_refusal(
        up_to=year_end,
        code=E.MANUAL_PENDING,
        approvable=waiting,
        reject_only=waiting + " " + manual_requests_reject_only_note(),
        params={},
    )
    items.append(
        ChecklistItem(
            "manual_pending",
            _("Tidak ada jurnal manual yang menunggu persetujuan"),
            refusal is None,
            str(refusal.message) if refusal else _("Tidak ada."),
            _url("ledger:journal"),
        )
    )
    return items


# --------------------------------------------------------------------- year's result


@dataclass
class YearResult:
    shu_before_tax: Decimal
    turnover: Decimal


def year_result(*, year: int) -> YearResult:
    """The year's SHU before the cooperative's income tax (income − expense, the tax
    expense left out) and its gross turnover (income credits)."""
    totals = totals_between(date(year, 1, 1), date(year, 12, 31))
    try:
        tax_acc_id = account_for_role("income_tax_expense").pk
    except ApplicationError:
        tax_acc_id = None
    shu = ZERO
    turnover = ZERO
    types = dict(
        Account.objects.filter(type__in=[Account.Type.INCOME, Account.Type.EXPENSE]).values_list(
            "pk", "type"
        )
    )
    for acc_id, (d, c) in totals.items():
        t = types.get(acc_id)
        if t is None or acc_id == tax_acc_id:
            continue
        shu += c - d
        if t == Account.Type.INCOME:
            turnover += c - d
    return YearResult(shu_before_tax=shu, turnover=turnover)


# ------------------------------------------------------------------ members' inputs


def _capital_kinds(s: ShuSettings) -> list[str]:
    kinds = [SavingsProduct.Kind.POKOK, SavingsProduct.Kind.WAJIB]
    if s.capital_includes_sukarela:
        kinds.append(SavingsProduct.Kind.SUKARELA)
    return kinds


def _month_ends(year: int) -> list[date]:
    out = []
    for m in range(1, 13):
        nxt = date(year + (m == 12), m % 12 + 1, 1)
        out.append(nxt - timedelta(days=1))
    return out


def capital_brought_in(*, year: int, member_ids: list[int], kinds: list[str]) -> dict:
    """Per member whose capital savings were brought into Lumbung during ``year`` by
    opening balances (the member import of a move-in, dated its cut-over, after 1
    January): ``(date, {kind: amount})``, the first such date in the year and the capital
    brought in on it per savings kind. Before that date the member's savings were in the
    old books."""
    rows = (
        SavingsTransaction.objects.filter(
            account__member_id__in=member_ids,
            account__product__kind__in=kinds,
            kind=SavingsTransaction.Kind.OPENING,
            on__gt=date(year, 1, 1),
            on__lte=date(year, 12, 31),
        )
        .values("account__member_id", "on", "account__product__kind")
        .annotate(s=Sum("delta"))
        .order_by("account__member_id", "on")
        .values_list("account__member_id", "on", "account__product__kind", "s")
    )
    out: dict[int, tuple[date, dict[str, Decimal]]] = {}
    for mid, on, kind, amount in rows:
        first, per_kind = out.setdefault(mid, (on, {}))
        if on == first:  # the first date (ordered)
            per_kind[kind] = per_kind.get(kind, ZERO) + amount
    return out


def _estimated_month_ends(*, year: int, cutover: date, join_date: date | None) -> list[date]:
    """The month-ends of ``year`` before ``cutover`` at which the member belonged (joined
    on or before it): they take the capital brought in at the cut-over. (A member who
    left before the cut-over was not brought in; one who leaves after it counts zero
    from the exit on, as any leaver.)"""
    return [e for e in _month_ends(year) if e < cutover and (join_date is None or join_date <= e)]


# where a month-end before a cut-over in the year took its capital from
OLD_BOOKS = "old_books"  # the old books' balance, uploaded at the move-in
ESTIMATED = "estimated"  # the capital brought in at the cut-over
SUKARELA_ESTIMATED = "sukarela_estimated"  # pokok and wajib from the old books, sukarela not


@dataclass
class CapitalBeforeCutover:
    """A member's month-ends of the year before a cut-over: per month-end, the capital
    added to Lumbung's balance (none there yet) and where it came from."""

    cutover: date
    months: dict[date, tuple[Decimal, str]]


def capital_before_cutover(
    *, year: int, member_ids: list[int], kinds: list[str], join_dates: dict[int, date | None]
) -> dict[int, CapitalBeforeCutover]:
    """The average basis with a cut-over during ``year``: per member, each month-end
    before the cut-over from the month-end on or after they joined takes their balance in
    the old books where the move-in brought it in (``CapitalBalanceBroughtIn``), else the
    capital brought in at the cut-over (an estimate: the balance taken as flat). With
    sukarela counted and a month given without it, pokok and wajib are the old books' and
    sukarela is estimated."""
    brought = capital_brought_in(year=year, member_ids=member_ids, kinds=kinds)
    old = capital_balances_brought_in(year=year, member_ids=member_ids)
    sukarela = SavingsProduct.Kind.SUKARELA in kinds
    out: dict[int, CapitalBeforeCutover] = {}
    for mid in sorted(set(brought) | set(old)):
        joined = join_dates.get(mid)
        on, per_kind = brought.get(mid, (None, {}))
        estimated = (
            set(_estimated_month_ends(year=year, cutover=on, join_date=joined)) if on else set()
        )
        given = {e: r for e, r in old.get(mid, {}).items() if joined is None or joined <= e}
        if not estimated and not given:
            continue
        months: dict[date, tuple[Decimal, str]] = {}
        for e in sorted(estimated | set(given)):
            r = given.get(e)
            if r is None:
                months[e] = (sum(per_kind.values(), ZERO), ESTIMATED)
            elif not sukarela:
                months[e] = (r.pokok + r.wajib, OLD_BOOKS)
            elif r.sukarela is None:
                est = per_kind.get(SavingsProduct.Kind.SUKARELA, ZERO)
                months[e] = (r.pokok + r.wajib + est, SUKARELA_ESTIMATED)
            else:
                months[e] = (r.pokok + r.wajib + r.sukarela, OLD_BOOKS)
        cutover = on or min(r.cutover for r in given.values())
        out[mid] = CapitalBeforeCutover(cutover=cutover, months=months)
    return out


def capital_estimates(*, year: int, settings: ShuSettings, member_ids: list[int]) -> list[dict]:
    """Where ``member_inputs`` took the month-ends before a cut-over for ``member_ids``
    (the preview's note): per cut-over date, ``{"cutover", "month_ends", "members",
    "old_books_month_ends", "old_books_members", "months"}``: the month-ends estimated
    from the capital brought in (wholly, or the sukarela part) and for how many members;
    those taken from the old books and for how many; and per month-end ``{"month_end",
    "old_books", "estimated", "sukarela_estimated"}``, the members of each kind. Nothing
    with the year-end basis."""
    if settings.capital_basis != ShuSettings.CapitalBasis.AVERAGE:
        return []
    dates = dict(Member.objects.filter(pk__in=member_ids).values_list("pk", "join_date"))
    before = capital_before_cutover(
        year=year, member_ids=member_ids, kinds=_capital_kinds(settings), join_dates=dates
    )
    by_cutover: dict[date, dict] = {}
    for c in before.values():
        x = by_cutover.setdefault(
            c.cutover, {"estimated": set(), "old_books": set(), "n_est": 0, "n_old": 0, "per": {}}
        )
        kinds_seen = set()
        for e, (_amount, source) in c.months.items():
            x["per"].setdefault(e, {OLD_BOOKS: 0, ESTIMATED: 0, SUKARELA_ESTIMATED: 0})
            x["per"][e][source] += 1
            kinds_seen.add(source)
            if source in (ESTIMATED, SUKARELA_ESTIMATED):
                x["estimated"].add(e)
            if source in (OLD_BOOKS, SUKARELA_ESTIMATED):
                x["old_books"].add(e)
        x["n_est"] += bool(kinds_seen & {ESTIMATED, SUKARELA_ESTIMATED})
        x["n_old"] += bool(kinds_seen & {OLD_BOOKS, SUKARELA_ESTIMATED})
    return [
        {
            "cutover": on,
            "month_ends": sorted(x["estimated"]),
            "members": x["n_est"],
            "old_books_month_ends": sorted(x["old_books"]),
            "old_books_members": x["n_old"],
            "months": [{"month_end": e, **counts} for e, counts in sorted(x["per"].items())],
        }
        for on, x in sorted(by_cutover.items())
    ]


def member_inputs(*, year: int, settings: ShuSettings) -> list[alloc.MemberInput]:
    """Each member's capital and contribution (jasa paid in the year: in Lumbung, and in
    the old books before a move-in's cut-over in the year) for ``year`` under
    ``settings``: members who joined on or before 31 December and had not left before
    1 January; those who left during the year pro rata (or not at all, per the setting)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    members = list(
        Member.objects.filter(join_date__lte=end)
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gte=start))
        .values("id", "number", "join_date", "exit_date", "status")
        .order_by("number")
    )
    leavers = {
        m["id"]: m["exit_date"]
        for m in members
        if m["exit_date"] is not None and m["exit_date"] <= end and m["status"] != "active"
    }
    if settings.leavers == ShuSettings.Leavers.EXCLUDED:
        members = [m for m in members if m["id"] not in leavers]
    ids = [m["id"] for m in members]
    kinds = _capital_kinds(settings)
    # Balance before the year, then the movements per month of the year.
    txns = SavingsTransaction.objects.filter(
        account__member_id__in=ids, account__product__kind__in=kinds
    )
    opening = dict(
        txns.filter(on__lt=start)
        .values("account__member_id")
        .annotate(s=Sum("delta"))
        .values_list("account__member_id", "s")
    )
    monthly: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for mid, month, s in (
        txns.filter(on__gte=start, on__lte=end)
        .values("account__member_id", "on__month")
        .annotate(s=Sum("delta"))
        .values_list("account__member_id", "on__month", "s")
    ):
        monthly[mid][month] = s
    # Average basis, a cut-over during the year: the month-ends before it have no
    # savings in Lumbung; each takes the member's balance in the old books where the
    # move-in brought it in, else the capital they brought in at the cut-over (their
    # balance in the old books then), from the month-end after they joined
    before = (
        capital_before_cutover(
            year=year,
            member_ids=ids,
            kinds=kinds,
            join_dates={m["id"]: m["join_date"] for m in members},
        )
        if settings.capital_basis == ShuSettings.CapitalBasis.AVERAGE
        else {}
    )
    # Before-exit balance for leavers (year-end basis): movements dated before exit, for
    # every leaver in one query (each against their own exit date)
    before_exit: dict[int, Decimal] = {}
    kept = set(ids)
    leaving = [mid for mid in leavers if mid in kept]
    if leaving and settings.capital_basis == ShuSettings.CapitalBasis.YEAR_END:
        before_exit = dict(
            txns.filter(account__member_id__in=leaving, on__lt=F("account__member__exit_date"))
            .values("account__member_id")
            .annotate(s=Sum("delta"))
            .values_list("account__member_id", "s")
        )
    # reversals up to 31 December: one dated in January leaves the jasa in the year's
    # income (the SHU pool), so in the member's contribution too
    jasa = dict(
        repayments_in_force(as_of=end)
        .filter(paid_on__gte=start, paid_on__lte=end, loan__member_id__in=ids)
        .values("loan__member_id")
        # less the jasa paid ahead that an early payoff counted toward the principal (it
        # was taken back from jasa income) and the overdue jasa a top-up capitalised
        # (deferred, as a reschedule's capitalised jasa, which no repayment holds)
        .annotate(s=Sum(F("jasa") - F("jasa_ahead_credited") - F("jasa_deferred")))
        .values_list("loan__member_id", "s")
    )
    # jasa paid in the year in the old books, before a move-in's cut-over in the year
    for mid, amount in jasa_paid_brought_in(year=year, member_ids=ids).items():
        jasa[mid] = (jasa.get(mid) or ZERO) + amount
    # Pro rata for leavers (the domain brief does not say by days or by months): with the
    # year-end basis, the balance before the exit × days of the year before the exit date
    # ÷ days in the year; with the average basis, the month-ends before the exit date
    # (later ones count zero, even while the exit settlement has not paid the savings).
    days_in_year = (end - start).days + 1
    month_ends = _month_ends(year)
    out = []
    for m in members:
        mid = m["id"]
        bal = opening.get(mid) or ZERO
        ends = []
        for month in range(1, 13):
            bal += monthly[mid].get(month, ZERO) if mid in monthly else ZERO
            ends.append(bal)
        if settings.capital_basis == ShuSettings.CapitalBasis.AVERAGE:
            if mid in before:
                filled = before[mid].months
                ends = [
                    b + filled[e][0] if e in filled else b
                    for b, e in zip(ends, month_ends, strict=True)
                ]
            if mid in leavers:  # no longer a member's capital from the exit on
                ends = [
                    b if e < leavers[mid] else ZERO for b, e in zip(ends, month_ends, strict=True)
                ]
            capital = alloc.average_monthly(ends)
        elif mid in leavers:
            days = (leavers[mid] - start).days
            capital = (before_exit.get(mid, ZERO) * days / days_in_year).quantize(
                Decimal("0.01"), rounding=ROUND_FLOOR
            )
        else:
            capital = ends[-1]
        out.append(
            alloc.MemberInput(
                member_id=mid,
                number=m["number"],
                capital=max(capital, ZERO),
                contribution=max(jasa.get(mid) or ZERO, ZERO),
            )
        )
    return out


# ---------------------------------------------------------------------------- preview


@dataclass
class Preview:
    """``split`` is the AD/ART split of the SHU after tax (the pools members' shares are
    computed from); ``funds`` is what is posted: a members' pool nobody has a claim on is
    0 there and in cadangan (``to_reserve`` says how much of each pool went there)."""

    year_end: YearEnd
    split: alloc.FundSplit
    allocation: alloc.Allocation
    percentages: dict[str, Decimal]
    names: dict[int, str] = field(default_factory=dict)
    funds: dict[str, Decimal] = field(default_factory=dict)
    to_reserve: dict[str, Decimal] = field(default_factory=dict)
    # the posted distribution (the saved shares and funds), not a calculation
    posted: bool = False
    # average capital basis: month-ends before a cut-over in the year taken from the old
    # books' balances or estimated from the capital brought in (``capital_estimates``)
    capital_estimates: list[dict] = field(default_factory=list)

    @property
    def basis(self) -> str:
        """What the figures are, in words: the posted distribution or a draft."""
        if self.posted:
            return _("diposting sesuai keputusan RAT %(d)s") % {"d": self.year_end.rat_decision}
        return _("rancangan, menunggu persetujuan RAT")


def closed_in_ledger(*, year: int) -> ApplicationError | None:
    """Why the year end cannot close, preview or report ``year``: the ledger's own year
    close closed it without the year end (existing data, from before that close went
    through here: no income tax, no SHU belum dibagi, no ``YearEnd`` row — or only one
    reopened). Its books are not rewritten here: the way out is an admin reopening
    December on the ledger's periods page, then closing the year here. None otherwise."""
    if not FiscalYear.objects.filter(year=year, status=FiscalYear.Status.CLOSED).exists():
        return None
    if YearEnd.objects.filter(year=year).exclude(status=YearEnd.Status.REOPENED).exists():
        return None
    periods = reverse("ledger:periods")
    return ApplicationError(
        E.CLOSED_IN_LEDGER,
        _(
            "Tahun buku %(y)s ditutup di buku besar tanpa tutup buku akhir tahun: tanpa "
            "pajak penghasilan dan tanpa SHU belum dibagi, jadi SHU-nya belum dapat "
            "dihitung dan dibagi. Admin membuka kembali Desember %(y)s di Periode akuntansi "
            "(%(url)s), lalu tahun buku ditutup di sini."
        )
        % {"y": year, "url": periods},
        fields={"reopen_page": periods},
        status=409,
    )


def reopened_in_ledger(*, year: int) -> ApplicationError | None:
    """Why the year end cannot close (again), preview or report ``year``: its ``YearEnd``
    is closed (or posted) but the ledger's year is open — reopened on the ledger's
    periods page before that reopen was refused for a year closed here (existing data:
    a year closed with an SHU after tax of zero had no move to SHU belum dibagi, which
    was all the old guard looked for). The ledger's reopen reversed its closing entry;
    the year end's income tax (and SHU move) stayed posted, so a new close would post
    them twice. The way out: ``yearend_reclose`` (the year closed again in the ledger,
    nothing of the year end posted again), or, when entries were posted into the year
    since, the year end's reopen (admin), then a close. None otherwise."""
    if not YearEnd.objects.filter(year=year).exclude(status=YearEnd.Status.REOPENED).exists():
        return None
    if not FiscalYear.objects.filter(year=year, status=FiscalYear.Status.OPEN).exists():
        return None
    return ApplicationError(
        E.REOPENED_IN_LEDGER,
        _(
            "Tahun buku %(y)s sudah ditutup di sini, tetapi dibuka kembali di buku besar "
            "(Periode akuntansi) sebelum hal itu ditolak: jurnal penutupnya dibalik dan "
            "tahunnya terbuka lagi, sedangkan pajak penghasilan dan SHU dari tutup buku "
            "ini tetap diposting. Jangan tutup tahun buku lagi: pajak penghasilan akan "
            "terposting dua kali. Tutup ulang di sini: tahun buku ditutup kembali di buku "
            "besar seperti saat tutup buku, tanpa memposting pajak atau SHU lagi. Bila "
            "sesudah tutup buku ada jurnal baru bertanggal tahun itu, tutup buku harus "
            "diulang: admin membuka kembali tutup buku di sini, lalu tahun buku ditutup lagi."
        )
        % {"y": year},
        fields={
            "reclose": reverse("api-yearend-reclose", args=[year]),
            "year_page": reverse("yearend:year", args=[year]),
        },
        status=409,
    )


@dataclass
class CloseEntries:
    """What the year end's close of a year posted: its own entries (income tax, the move
    to SHU belum dibagi) and the ledger's closing entry it made (reversed by the ledger's
    reopen, when the year was reopened there)."""

    own: list[JournalEntry]
    closing: JournalEntry | None


def close_entries(ye: YearEnd) -> CloseEntries:
    own = [e for e in (ye.tax_entry, ye.transfer_entry) if e is not None]
    # the latest closing entry of the year that is not itself a reversal: the one the
    # close made (a later close would have made a newer one)
    closing = (
        JournalEntry.objects.filter(
            source=JournalEntry.Source.CLOSING, fiscal_year=ye.year, reverses__isnull=True
        )
        .order_by("-pk")
        .first()
    )
    return CloseEntries(own=own, closing=closing)


def entries_posted_since_close(ye: YearEnd) -> list[JournalEntry]:
    """Entries dated in ``ye``'s year posted after its close (the ledger's own closing
    entries and their reversals aside): each changes the figures the close was made on.
    After the close's last entry by number; a close that posted none (no income or
    expense, no tax), after its time."""
    made = close_entries(ye)
    ids = [e.pk for e in made.own] + ([made.closing.pk] if made.closing else [])
    qs = JournalEntry.objects.filter(
        date__gte=date(ye.year, 1, 1), date__lte=date(ye.year, 12, 31)
    ).exclude(source=JournalEntry.Source.CLOSING)
    if ids:
        qs = qs.filter(pk__gt=max(ids))
    elif ye.closed_at is not None:
        qs = qs.filter(created_at__gt=ye.closed_at)
    return list(qs.order_by("pk"))


def closed_year_end(*, year: int) -> YearEnd:
    in_ledger = closed_in_ledger(year=year) or reopened_in_ledger(year=year)
    if in_ledger is not None:
        raise in_ledger
    ye = YearEnd.objects.filter(year=year).first()
    if ye is None or ye.status == YearEnd.Status.REOPENED:
        raise ApplicationError(
            E.NOT_CLOSED,
            _("Tahun buku %(y)s belum ditutup; SHU belum dapat dihitung.") % {"y": year},
        )
    return ye


def settings_at_close(ye: YearEnd) -> ShuSettings:
    """The SHU settings ``ye`` was closed with (its snapshot; the year's settings when
    it has none)."""
    snap = ye.settings_snapshot or {}
    if not snap:
        return shu_settings_for(year=ye.year)
    return ShuSettings(
        effective_year=snap["effective_year"],
        capital_includes_sukarela=snap["capital_includes_sukarela"],
        capital_basis=snap["capital_basis"],
        rounding_unit=snap["rounding_unit"],
        leavers=snap["leavers"],
        payout_method=snap["payout_method"],
        tax_rule=snap["tax_rule"],
        tax_rate=Decimal(snap["tax_rate"]),
        **{f"pct_{k}": Decimal(v) for k, v in snap["percentages"].items()},
    )


def year_fund_split(ye: YearEnd) -> alloc.FundSplit:
    """The AD/ART split of a closed year's SHU after tax (> 0) by the settings it was
    closed with: the members' pools, and what rounding left to cadangan."""
    s = settings_at_close(ye)
    return alloc.split_funds(
        amount=ye.shu_after_tax, percentages=s.percentages(), unit=s.rounding_unit
    )


def no_shu_note(ye: YearEnd) -> str:
    """What a year closed with a deficit (or nothing) shares out: nothing, and why (the
    RAT pack, the year's page, and the refusal of its preview and posting say it)."""
    if ye.shu_after_tax < 0:
        return _(
            "Tahun buku %(y)s ditutup dengan defisit %(a)s: tidak ada SHU yang dibagi kepada "
            "anggota maupun dana-dana. Defisit dicatat di SHU belum dibagi; penutupannya "
            "(misalnya dari cadangan) diputuskan RAT."
        ) % {"y": ye.year, "a": format_rupiah(-ye.shu_after_tax)}
    return _("Tahun buku %(y)s tidak menghasilkan SHU: tidak ada yang dibagi.") % {"y": ye.year}


def shu_preview(*, year: int) -> Preview:
    """The SHU split and each member's share for a closed year, from the settings kept
    at the close; for a year whose SHU is posted, the posted distribution (the saved
    shares and funds, ``posted``), not calculated again from today's data. Refused for
    a year that is not closed or ended in a deficit."""
    ye = closed_year_end(year=year)
    if ye.old_books:
        # brought in per member from the old books: no split of Lumbung's to show
        raise ApplicationError(
            E.OLD_BOOKS_YEAR,
            _(
                "SHU tahun %(y)s dibawa dari pembukuan lama: perhitungan dan pembagiannya ada "
                "di pembukuan lama; bagian tiap anggota yang belum dibayar ada di halaman "
                "tahun itu."
            )
            % {"y": year},
            status=409,
        )
    if ye.shu_after_tax <= 0:
        # a deficit named with its amount; a year of exactly zero is no deficit
        raise ApplicationError(E.DEFICIT, no_shu_note(ye))
    s = settings_at_close(ye)
    pct = s.percentages()
    split = alloc.split_funds(amount=ye.shu_after_tax, percentages=pct, unit=s.rounding_unit)
    if ye.status == YearEnd.Status.POSTED:
        preview = _posted_preview(ye, split=split, percentages=pct)
        preview.capital_estimates = capital_estimates(
            year=year, settings=s, member_ids=[r.member_id for r in preview.allocation.shares]
        )
        return preview
    inputs = member_inputs(year=year, settings=s)
    allocation = alloc.allocate_members(
        members=inputs,
        jma_pool=split.funds["jasa_modal"],
        jua_pool=split.funds["jasa_anggota"],
        unit=s.rounding_unit,
    )
    names = dict(
        Member.objects.filter(pk__in=[i.member_id for i in inputs]).values_list("pk", "full_name")
    )
    distribution = alloc.distribute(split=split, allocation=allocation)
    return Preview(
        year_end=ye,
        split=split,
        allocation=allocation,
        percentages=pct,
        names=names,
        funds=distribution.funds,
        to_reserve=distribution.to_reserve,
        capital_estimates=capital_estimates(
            year=year, settings=s, member_ids=[i.member_id for i in inputs]
        ),
    )


def _posted_preview(
    ye: YearEnd, *, split: alloc.FundSplit, percentages: dict[str, Decimal]
) -> Preview:
    """The posted distribution of ``ye``: each member's saved share (``MemberShare``)
    and the funds saved at the posting."""
    shares = list(
        MemberShare.objects.filter(year_end=ye)
        .select_related("member")
        .only(
            "member_id",
            "capital",
            "contribution",
            "jma",
            "jua",
            "member__number",
            "member__full_name",
        )
        .order_by("member__number")
    )
    saved = ye.funds or {}
    to_reserve = {p: Decimal(saved.get(f"{p}_to_cadangan", "0")) for p in alloc.MEMBER_POOLS}
    total_capital = sum((x.capital for x in shares), ZERO)
    total_contribution = sum((x.contribution for x in shares), ZERO)
    allocation = alloc.Allocation(
        shares=[
            alloc.MemberResult(
                member_id=x.member_id,
                number=x.member.number,
                capital=x.capital,
                contribution=x.contribution,
                jma=x.jma,
                jua=x.jua,
            )
            for x in shares
        ],
        jma_pool=split.funds["jasa_modal"],
        jua_pool=split.funds["jasa_anggota"],
        jma_unallocated=to_reserve["jasa_modal"],
        jua_unallocated=to_reserve["jasa_anggota"],
        total_capital=Decimal(saved.get("total_capital", total_capital)),
        total_contribution=Decimal(saved.get("total_contribution", total_contribution)),
    )
    return Preview(
        year_end=ye,
        split=split,
        allocation=allocation,
        percentages=percentages,
        names={x.member_id: x.member.full_name for x in shares},
        funds={k: Decimal(saved.get(k, "0")) for k in alloc.FUNDS},
        to_reserve=to_reserve,
        posted=True,
    )


PREVIEW_SORTS = {
    "number": lambda r: r.number,
    "capital": lambda r: r.capital,
    "contribution": lambda r: r.contribution,
    "jma": lambda r: r.jma,
    "jua": lambda r: r.jua,
    "total": lambda r: r.total,
}


def preview_rows(preview: Preview, *, sort: str = "number") -> list[alloc.MemberResult]:
    desc = sort.startswith("-")
    key = PREVIEW_SORTS.get(sort.lstrip("-"))
    if key is None:
        raise ApplicationError(
            E.INVALID,
            _("Urutan '%(s)s' tidak dikenal.") % {"s": sort},
            fields={"sort": [_("Pilih salah satu: %s") % ", ".join(PREVIEW_SORTS)]},
        )
    return sorted(preview.allocation.shares, key=lambda r: (key(r), r.number), reverse=desc)


def member_shares(*, member: Member, earlier_memberships: bool = False) -> list[MemberShare]:
    """A member's posted SHU per year (newest first), with its year end and member. With
    ``earlier_memberships``, also the shares of the person's earlier memberships (they
    left and joined again: ``Member.previous_member``), the current membership first
    within a year."""
    members = member_memberships(member) if earlier_memberships else [member]
    order = {m.pk: i for i, m in enumerate(members)}
    shares = list(
        MemberShare.objects.filter(member__in=members).select_related("year_end", "member")
    )
    return sorted(shares, key=lambda s: (-s.year_end.year, order[s.member_id]))


def shu_subledger_check() -> list[SubledgerRow]:
    """The SHU check of the daily sub-ledger reconciliation
    (``settings.LEDGER_SUBLEDGER_CHECKS``): the posted shares' unpaid total
    (``MemberShare.total - paid``, every year) against *SHU Bagian Anggota Belum
    Dibayar*'s lines naming a member (the posting credits one per member; payouts, their
    reversals and the exit settlement debit or credit the member's), the number of
    members whose unpaid shares differ from their balance there, and what the account
    holds on lines naming no member, which no member is owed (``saldo tanpa nama
    anggota``, 0 when every rupiah is a member's). The account is a control account
    (ledger 0028: no manual journal lines); lines naming no member come from the old
    books — a move-in's opening trial balance brings their unpaid SHU in as one figure
    until *SHU belum dibayar dari pembukuan lama* (``old_books.shu_old_books_bring_in``)
    assigns it to the members — or from before the account was guarded."""
    payable = account_for_role("shu_members_payable")
    unpaid = dict(
        MemberShare.objects.filter(paid__lt=F("total"))
        .values("member_id")
        .annotate(u=Sum(F("total") - F("paid")))
        .values_list("member_id", "u")
    )
    owed = {}
    unnamed = ZERO
    for mid, d, c in (
        JournalLine.objects.filter(account=payable)
        .values("member_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("member_id", "d", "c")
    ):
        if mid is None:
            unnamed = signed_balance(payable, d or ZERO, c or ZERO)
        else:
            owed[mid] = signed_balance(payable, d or ZERO, c or ZERO)
    differing = sum(
        1 for mid in unpaid.keys() | owed.keys() if unpaid.get(mid, ZERO) != owed.get(mid, ZERO)
    )
    return [
        SubledgerRow(
            f"{payable.code} {payable.name}",
            sum(unpaid.values(), ZERO),
            sum(owed.values(), ZERO),
        ),
        SubledgerRow(Said("subledger.members_differing"), Decimal(differing), ZERO),
        SubledgerRow(Said("subledger.unnamed_balance"), ZERO, unnamed),
    ]


def leavers_sukarela_left_open(*, member_ids: list[int]) -> dict[int, SavingsAccount]:
    """Those of ``member_ids`` who left (not active) and still hold an open simpanan
    sukarela account of their own — marked as left outside the exit flow, which would
    have closed it — with that account. A member who left takes no credit on it
    (``sukarela_accounts_for_payout``): their SHU is paid as any leaver's, in cash or by
    transfer; the payout names the account left open."""
    out: dict[int, SavingsAccount] = {}
    for acc in (
        SavingsAccount.objects.filter(
            member_id__in=member_ids,
            product__kind="sukarela",
            status=SavingsAccount.Status.OPEN,
        )
        .exclude(member__status=Member.Status.ACTIVE)
        .order_by("id")
    ):
        out.setdefault(acc.member_id, acc)
    return out


def share_payouts(*, shares: list[MemberShare]) -> dict[int, list[ShuPayout]]:
    """The payouts of these shares, per share id, oldest first: each with its reversing
    entry (``reversal_entry``, its date) when it was taken back. One query."""
    out: dict[int, list[ShuPayout]] = {s.pk: [] for s in shares}
    for p in (
        ShuPayout.objects.filter(share__in=shares)
        .select_related("reversal_entry")
        .order_by("on", "id")
    ):
        out[p.share_id].append(p)
    return out


def sukarela_accounts_for_payout(*, member_ids: list[int]) -> dict[int, SavingsAccount]:
    """Where each of ``member_ids``'s SHU can be credited to sukarela: an active member's
    own open simpanan sukarela account; for a membership that ended and that the same person
    continued (they joined again: ``Member.previous_member``), the open sukarela account
    of their latest membership. Members with neither are left out."""
    out: dict[int, SavingsAccount] = {}
    active = set(
        Member.objects.filter(pk__in=member_ids, status=Member.Status.ACTIVE).values_list(
            "pk", flat=True
        )
    )
    for mid in member_ids:
        # a member who left takes no deposit, even on an account left open
        acc = savings_account_for(member_id=mid, kind="sukarela") if mid in active else None
        if acc is None and mid not in active:
            later = member_latest_membership(mid)
            if later is not None and later.is_active:
                acc = savings_account_for(member_id=later.pk, kind="sukarela")
        if acc is not None:
            out[mid] = acc
    return out


def member_latest_membership(member_id: int) -> Member | None:
    """The person's latest membership after ``member_id`` (the chain of memberships that
    continued it), or None when nobody continued it."""
    latest, seen = None, {member_id}
    nxt = Member.objects.filter(previous_member_id=member_id).first()
    while nxt is not None and nxt.pk not in seen:
        latest = nxt
        seen.add(nxt.pk)
        nxt = Member.objects.filter(previous_member_id=nxt.pk).first()
    return latest


def savings_account_for(*, member_id: int, kind: str) -> SavingsAccount | None:
    return (
        SavingsAccount.objects.filter(
            member_id=member_id, product__kind=kind, status=SavingsAccount.Status.OPEN
        )
        .order_by("id")
        .first()
    )


# ------------------------------------------------------------- statements (balance sheet)


# Per loan paid out on the date, the schedule in effect on it. A payout lasts from its
# disbursement until that disbursement's reversal, if any (``LoanReversal`` of kind
# disbursement: paid out on its entry's date, back to approved on its ``on``): a loan
# whose disbursement was reversed and made again has one span per payout, the last one
# from the loan's own ``disbursed_on``, and none on a day between a reversal and the
# next payout (the ledger's receivable holds nothing of it then). Each version of the
# schedule counts from the day it was made until the day it stopped: the rows a payout
# wrote (version 1 at the first payout, at each later one the version its reversal
# numbered next) for that payout's span; a reschedule's from its date; a
# re-amortisation's from the day of the principal prepayment that made it — the version
# its payment kept (``Repayment.schedule_before``), or for a payment made before it was
# kept, in order: the loan's versions above 1 that no reschedule or kept payment names,
# by number, pair with its payouts after the first and such payments, by date (on a
# shared day as their journal entries were posted) — until that payment's reversal, if
# it was reversed by the date: from then the rows it replaced are in effect again. Then
# the rows due after the horizon (a row of a version in effect, not replaced by a later
# version in effect with its number nor, unless it is still current, by a later
# reschedule in effect), and the principal outstanding on the date (principal + jasa
# capitalised by reschedules so far − principal repaid so far by repayments not reversed
# by then). With payments filling the oldest rows first, the non-current part is
# min(outstanding, rows due after horizon). One statement, set-based throughout (no
# per-row subquery over a CTE: at a few thousand loans those made it quadratic and its
# estimate crossed the JIT threshold; docs/ledger.md has the timings).
NON_CURRENT_SQL = """
WITH rev AS (
  SELECT r.id, r.loan_id, e.date AS valid_from, r."on" AS valid_to, r.entry_id
    FROM loans_loanreversal r JOIN ledger_journalentry e ON e.id = r.entry_id
   WHERE r.kind = 'disbursement'
),
l AS (
  SELECT id, principal FROM loans_loan
   WHERE disbursed_on <= %(d)s
      OR id IN (SELECT loan_id FROM rev WHERE valid_from <= %(d)s)
),
resch AS (
  SELECT r.loan_id, r.version_to AS version, r."on" AS valid_from, r.capitalised_jasa
    FROM loans_reschedule r JOIN l ON l.id = r.loan_id
),
prepay_all AS (
  SELECT p.loan_id, p.id, p.paid_on, p.entry_id, p.schedule_before,
         (SELECT min(e.date) FROM ledger_journalentry e
           WHERE e.reverses_id = p.entry_id) AS valid_to
    FROM loans_repayment p JOIN l ON l.id = p.loan_id
   WHERE p.excess_to = 'principal' AND p.excess > 0
),
prepay_kept AS (
  SELECT loan_id, (schedule_before->>'version_to')::int AS version, paid_on, valid_to
    FROM prepay_all
   WHERE schedule_before <> '{}'::jsonb AND schedule_before->>'version_to' IS NOT NULL
),
ev AS (
  SELECT loan_id, valid_from, valid_to,
         row_number() OVER (PARTITION BY loan_id
                            ORDER BY valid_from, entry_id NULLS FIRST, kind, id) AS rn
    FROM (SELECT rev.loan_id, rev.valid_from, rev.valid_to, 0 AS kind, rev.entry_id, rev.id
            FROM rev JOIN l ON l.id = rev.loan_id
          UNION ALL
          SELECT x.id, x.disbursed_on, NULL::date, 0, x.disbursement_entry_id, 0
            FROM loans_loan x JOIN l ON l.id = x.id
           WHERE x.disbursed_on IS NOT NULL
          UNION ALL
          SELECT loan_id, paid_on, valid_to, 1, entry_id, id
            FROM prepay_all WHERE schedule_before = '{}'::jsonb) e
),
other_v AS (
  SELECT v.loan_id, v.version,
         row_number() OVER (PARTITION BY v.loan_id ORDER BY v.version) AS rn
    FROM (SELECT DISTINCT i.loan_id, i.version FROM loans_instalment i JOIN l ON l.id = i.loan_id
           WHERE i.version > 1) v
   WHERE NOT EXISTS (SELECT 1 FROM resch r WHERE r.loan_id = v.loan_id AND r.version = v.version)
     AND NOT EXISTS (SELECT 1 FROM prepay_kept k
                      WHERE k.loan_id = v.loan_id AND k.version = v.version)
),
vd AS (
  SELECT loan_id, 1 AS version, valid_from, valid_to FROM ev WHERE rn = 1
  UNION ALL SELECT loan_id, version, valid_from, NULL FROM resch
  UNION ALL SELECT loan_id, version, paid_on, valid_to FROM prepay_kept
  UNION ALL SELECT o.loan_id, o.version, ev.valid_from, ev.valid_to
              FROM other_v o JOIN ev ON ev.loan_id = o.loan_id AND ev.rn = o.rn + 1
),
vok AS (
  SELECT DISTINCT loan_id, version FROM vd
   WHERE valid_from <= %(d)s AND (valid_to IS NULL OR valid_to > %(d)s)
),
eff AS (
  SELECT i.loan_id, i.version, i.due_date, i.principal, i.is_current,
         max(i.version) OVER (PARTITION BY i.loan_id, i.number) AS top
    FROM loans_instalment i JOIN vok ON vok.loan_id = i.loan_id AND vok.version = i.version
),
rv AS (
  SELECT r.loan_id, max(r.version) AS version
    FROM resch r JOIN vok w ON w.loan_id = r.loan_id AND w.version = r.version
   GROUP BY r.loan_id
),
later AS (
  SELECT e.loan_id, sum(e.principal) AS p
    FROM eff e LEFT JOIN rv ON rv.loan_id = e.loan_id
   WHERE e.due_date > %(h)s AND e.version = e.top
     AND (e.is_current OR rv.version IS NULL OR rv.version <= e.version)
   GROUP BY e.loan_id
),
paid AS (
  SELECT p.loan_id,
         sum(p.principal + CASE WHEN p.excess_to = 'principal' THEN p.excess ELSE 0 END) AS p
    FROM loans_repayment p JOIN l ON l.id = p.loan_id
   WHERE p.paid_on <= %(d)s
     AND NOT EXISTS (SELECT 1 FROM ledger_journalentry e
                      WHERE e.reverses_id = p.entry_id AND e.date <= %(d)s)
   GROUP BY p.loan_id
),
cap AS (SELECT loan_id, sum(capitalised_jasa) AS c FROM resch
         WHERE valid_from <= %(d)s GROUP BY loan_id)
SELECT coalesce(sum(LEAST(
         GREATEST(l.principal + coalesce(cap.c, 0) - coalesce(paid.p, 0), 0), later.p)), 0)
  FROM later JOIN loans_loan l ON l.id = later.loan_id
  LEFT JOIN paid ON paid.loan_id = l.id
  LEFT JOIN cap ON cap.loan_id = l.id
"""


def loans_principal_due_after_12_months(*, on: date) -> Decimal:
    """Principal of loans falling due more than twelve months after ``on`` (the
    non-current part of piutang pinjaman anggota on the neraca), as things stood on
    ``on``: the loans outstanding that day and the schedule in effect that day, not
    today's (a loan repaid since still counts; a loan whose disbursement was reversed
    counts its payout's schedule up to the reversal and, paid out again, the new payout's
    from then; see ``NON_CURRENT_SQL``). Named in
    ``settings.LEDGER_NON_CURRENT_PROVIDERS`` for the ledger's balance sheet."""
    try:
        horizon = on.replace(year=on.year + 1)
    except ValueError:  # 29 February
        horizon = on.replace(year=on.year + 1, day=28)
    with connection.cursor() as cur:
        cur.execute(NON_CURRENT_SQL, {"d": on, "h": horizon})
        return cur.fetchone()[0] or ZERO


# ---------------------------------------------------------------------------------- RAT


def rat_held_on(*, year: int) -> date | None:
    """The day the RAT of fiscal year ``year`` was held: the date the cooperative
    recorded (RAT screen), else the RAT date given when the year's SHU was posted."""
    held = RatReport.objects.filter(year=year, held_on__isnull=False).values_list(
        "held_on", flat=True
    )
    if held:
        return held[0]
    return (
        YearEnd.objects.filter(year=year, status=YearEnd.Status.POSTED)
        .values_list("rat_date", flat=True)
        .first()
    )


def last_rat(*, held_by: date | None = None) -> tuple[int, date] | None:
    """(fiscal year, day held) of the RAT of the latest fiscal year with a RAT recorded
    in either place (the RAT screen's date first, as ``rat_held_on``); with ``held_by``,
    among the RATs held by then. The latest *fiscal year*, not the latest date: a RAT of
    an older year recorded late (a catch-up) is not the cooperative's last RAT."""
    found: dict[int, date] = {}
    posted = YearEnd.objects.filter(status=YearEnd.Status.POSTED, rat_date__isnull=False)
    for y, d in posted.values_list("year", "rat_date"):
        found[y] = d
    for y, d in RatReport.objects.filter(held_on__isnull=False).values_list("year", "held_on"):
        found[y] = d  # the RAT screen's date wins, as in rat_held_on
    if held_by is not None:
        found = {y: d for y, d in found.items() if d <= held_by}
    if not found:
        return None
    year = max(found)
    return year, found[year]
