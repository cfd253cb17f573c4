"""Step 4b of the move-in: each member's capital savings (pokok, wajib, and sukarela
where the cooperative counts it) at the month-ends of the cut-over's year before the
cut-over, as the old books give them. The year end's average capital basis takes those
month-ends from here (``core.savings.models.CapitalBalanceBroughtIn``); the month-ends
not uploaded it still estimates from the capital brought in at the cut-over."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_bulan, format_tanggal
from core.common.errors import ApplicationError
from core.common.money import RupiahError, parse_rupiah
from core.common.spreadsheet import MONTHS, CellProblem, cell_date, cell_text
from core.ledger.close_guards import close_lock
from core.ledger.models import FiscalYear
from core.members.models import Member
from core.savings.models import CapitalBalanceBroughtIn, SavingsProduct, SavingsTransaction

from .audit import OnboardingAudit
from .common import (
    E,
    member_number_text,
    members_by_number,
    raise_row_errors,
    require_role,
    row_date1904,
    row_error,
    row_number,
)
from .contributions import source_ref
from .models import MoveIn

ZERO = Decimal("0")
AMOUNTS = ("pokok", "wajib", "sukarela")
CAPITAL_KINDS = (
    SavingsProduct.Kind.POKOK,
    SavingsProduct.Kind.WAJIB,
    SavingsProduct.Kind.SUKARELA,
)


def month_ends_before(cutover: date) -> list[date]:
    """The month-ends of the cut-over's year before the cut-over: the months whose
    balances are in the old books only (from the cut-over on they are Lumbung's)."""
    out = []
    for m in range(1, 13):
        end = date(cutover.year + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
        if end < cutover:
            out.append(end)
    return out


def month_label(end: date) -> str:
    """``Maret 2025`` (the current language's month name)."""
    return date_format(end, "F Y")


def months_text(ends: list[date]) -> str:
    if not ends:
        return "-"
    if len(ends) == 1:
        return month_label(ends[0])
    return _("%(a)s sampai %(b)s") % {"a": month_label(ends[0]), "b": month_label(ends[-1])}


def capital_balances_check_open(mi: MoveIn) -> None:
    """Refuse when the move-in is undone, the cut-over's fiscal year is closed (the year
    end has read the figures), or no month-end of that year lies before the cut-over."""
    if mi.status == MoveIn.Status.UNDONE:
        raise ApplicationError(E.WRONG_STATE, _("Proses pindah ini sudah dibatalkan."), status=409)
    year = mi.cutover_date.year
    if FiscalYear.objects.filter(year=year, status=FiscalYear.Status.CLOSED).exists():
        raise ApplicationError(
            E.WRONG_STATE,
            _("Tahun buku %(y)s sudah ditutup; saldo modal tahun itu tidak dapat diubah lagi.")
            % {"y": year},
            status=409,
        )
    if not month_ends_before(mi.cutover_date):
        raise ApplicationError(
            E.WRONG_STATE,
            _(
                "Tanggal pindah %(d)s: tidak ada akhir bulan sebelumnya di tahun %(y)s, jadi "
                "tidak ada saldo bulanan pembukuan lama yang perlu diunggah."
            )
            % {"d": format_tanggal(mi.cutover_date), "y": year},
            status=409,
        )


_YEAR_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{4})")
_NAME_YEAR = re.compile(r"([a-z]+)\.?(?:[\s\-/]+(\d{4}|\d{2}))?")


def month_cell(value: Any, *, date1904: bool = False) -> tuple[int, int | None]:
    """``(month, year or None)`` of a month cell: ``3``, ``03``, ``Maret``, ``Mar``,
    ``Maret 2025``, ``Mar-25`` (a CSV of an Excel month cell), ``2025-03``,
    ``03/2025``, or a date (an Excel date cell, ``31/03/2025``, ``2025-03-31``): its
    month. ``date1904``: a date serial is of Excel's 1904 date system (the row's
    workbook says so). Raises ``ValidationError`` with the message."""
    bad = ValidationError(
        _("Bulan tidak valid: %(v)s (tulis 1 sampai 12, nama bulan seperti Maret, atau 2025-03).")
        % {"v": (cell_text(value) if not isinstance(value, str) else value.strip())[:40] or "-"}
    )
    if isinstance(value, datetime):
        return value.month, value.year
    if isinstance(value, date):
        return value.month, value.year
    if isinstance(value, bool) or value is None:
        raise bad
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if 1 <= value <= 12:
            return value, None
        try:
            d = cell_date(value, date1904=date1904)  # an Excel date serial
        except ValidationError:
            raise bad from None
        return d.month, d.year
    text = " ".join(str(value).split()).lower()
    if text.isdigit() and len(text) <= 2:
        if 1 <= int(text) <= 12:
            return int(text), None
        raise bad
    for pattern, order in ((_YEAR_MONTH, (2, 1)), (_MONTH_YEAR, (1, 2))):
        m = pattern.fullmatch(text)
        if m:
            month, year = int(m.group(order[0])), int(m.group(order[1]))
            if 1 <= month <= 12:
                return month, year
            raise bad
    m = _NAME_YEAR.fullmatch(text)
    if m and m.group(1) in MONTHS:
        year = m.group(2)
        if year is None:
            return MONTHS[m.group(1)], None
        return MONTHS[m.group(1)], int(year) + (2000 if len(year) == 2 else 0)
    try:
        d = cell_date(value, date1904=date1904)
    except ValidationError:
        raise bad from None
    return d.month, d.year


@dataclass
class CapitalLine:
    row: int
    member: Member
    month_end: date
    pokok: Decimal
    wajib: Decimal
    sukarela: Decimal | None


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _checked(mi: MoveIn, rows: list[dict[str, Any]]) -> tuple[list[CapitalLine], int]:
    """The rows as ``CapitalLine`` and the number of rows left out because every amount
    was empty (the month is estimated), or every row error at once (nothing saved)."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ApplicationError(E.ROWS_INVALID, _("Baris harus berupa daftar."))
    cutover, year = mi.cutover_date, mi.cutover_date.year
    allowed = month_ends_before(cutover)
    by_month = {e.month: e for e in allowed}
    members = members_by_number(r.get("member_number") for r in rows)
    errors: list[dict] = []
    seen: dict[tuple[int, date], int] = {}
    out: list[CapitalLine] = []
    skipped = 0
    for i, raw in enumerate(rows, start=1):
        n = row_number(raw.get("row"), i, errors)
        problems = [
            f for f in ("member_number", "month", *AMOUNTS) if isinstance(raw.get(f), CellProblem)
        ]
        for f in problems:  # a cell Excel could not compute (#N/A)
            errors.append(row_error(n, f, raw[f].message))
        if problems:
            continue
        given = [f for f in AMOUNTS if f in raw and not _empty(raw[f])]
        if not given:
            skipped += 1  # nothing known for that month: it stays estimated
            continue
        number = member_number_text(raw.get("member_number"))
        member = members.get(number.upper())
        if member is None:
            errors.append(
                row_error(
                    n,
                    "member_number",
                    _("Anggota %(m)s tidak ada.") % {"m": number}
                    if number
                    else _("Nomor anggota wajib diisi."),
                )
            )
            continue
        try:
            month, month_year = month_cell(raw.get("month"), date1904=row_date1904(raw))
        except ValidationError as exc:
            errors.append(row_error(n, "month", " ".join(exc.messages)))
            continue
        if month_year is not None and month_year != year:
            errors.append(
                row_error(
                    n,
                    "month",
                    _(
                        "Bulan %(m)s di luar tahun %(y)s (tahun tanggal pindah); hanya "
                        "akhir bulan sebelum tanggal pindah yang diunggah."
                    )
                    % {"m": format_bulan(date(month_year, month, 1)), "y": year},
                )
            )
            continue
        end = by_month.get(month)
        if end is None:
            errors.append(
                row_error(
                    n,
                    "month",
                    _(
                        "Akhir bulan %(m)s tidak sebelum tanggal pindah %(d)s; saldonya sudah "
                        "ada di Lumbung. Bulan yang boleh: %(a)s."
                    )
                    % {
                        "m": month_label(date(year, month, 1)),
                        "d": format_tanggal(cutover),
                        "a": months_text(allowed),
                    },
                )
            )
            continue
        if member.join_date and member.join_date > end:
            errors.append(
                row_error(
                    n,
                    "month",
                    _(
                        "Anggota %(m)s masuk %(j)s, sesudah akhir %(b)s; saat itu belum "
                        "menjadi anggota."
                    )
                    % {"m": number, "j": format_tanggal(member.join_date), "b": month_label(end)},
                )
            )
            continue
        if member.exit_date and member.exit_date <= end:
            errors.append(
                row_error(
                    n,
                    "month",
                    _(
                        "Anggota %(m)s keluar %(x)s, sebelum akhir %(b)s; modalnya tidak "
                        "dihitung lagi sejak keluar."
                    )
                    % {"m": number, "x": format_tanggal(member.exit_date), "b": month_label(end)},
                )
            )
            continue
        if (member.pk, end) in seen:
            errors.append(
                row_error(
                    n,
                    "month",
                    _("Anggota %(m)s bulan %(b)s sudah ada di baris %(r)s.")
                    % {"m": number, "b": month_label(end), "r": seen[(member.pk, end)]},
                )
            )
            continue
        seen[(member.pk, end)] = n
        amounts: dict[str, Decimal | None] = {}
        for f, label in (("pokok", _("Pokok")), ("wajib", _("Wajib")), ("sukarela", _("Sukarela"))):
            value = raw.get(f)
            if _empty(value):
                if f == "sukarela":  # not given: the year end estimates it if it counts
                    amounts[f] = None
                    continue
                errors.append(
                    row_error(
                        n,
                        f,
                        _(
                            "%(f)s kosong; tulis 0 bila tidak ada (atau kosongkan semua angka "
                            "baris ini agar bulannya diperkirakan)."
                        )
                        % {"f": label},
                    )
                )
                amounts[f] = None
                continue
            try:
                amounts[f] = parse_rupiah(value, field=label, allow_dash_zero=True)
            except RupiahError as exc:
                errors.append(row_error(n, f, exc.text))
                amounts[f] = None
        if amounts["pokok"] is None or amounts["wajib"] is None:
            continue
        if "sukarela" in raw and not _empty(raw.get("sukarela")) and amounts["sukarela"] is None:
            continue  # its error is listed
        out.append(
            CapitalLine(n, member, end, amounts["pokok"], amounts["wajib"], amounts["sukarela"])
        )
    raise_row_errors(
        errors, _("Daftar saldo modal akhir bulan berisi kesalahan; tidak ada yang disimpan.")
    )
    if not out:  # the template sent back unfilled would wipe what was saved
        raise ApplicationError(
            E.ROWS_INVALID,
            _("Tidak ada saldo yang diisi (%(n)s baris tanpa angka); tidak ada yang disimpan.")
            % {"n": skipped},
        )
    return out, skipped


def brought_in_members(mi: MoveIn) -> dict[int, tuple[date | None, date | None]]:
    """The members whose capital savings the move-in's member import brought in at the
    cut-over (opening balances dated it), with their join and exit dates: the year end
    estimates their month-ends that are not uploaded."""
    ids = (
        SavingsTransaction.objects.filter(
            kind=SavingsTransaction.Kind.OPENING,
            on=mi.cutover_date,
            account__product__kind__in=CAPITAL_KINDS,
        )
        .values_list("account__member_id", flat=True)
        .distinct()
    )
    return {
        pk: (joined, left)
        for pk, joined, left in Member.objects.filter(pk__in=ids).values_list(
            "pk", "join_date", "exit_date"
        )
    }


def capital_summary(mi: MoveIn, lines: list[dict], *, skipped: int = 0) -> dict:
    """What a list of month-end balances (``lines``: ``member_id``, ``month_end``, …)
    gives: members, rows, the totals of pokok, wajib and sukarela, and per month-end
    before the cut-over how many members' balance comes from the old books and how many
    the year end will estimate (brought in at the cut-over, a member then, not
    uploaded)."""
    brought = brought_in_members(mi)
    given: dict[date, set[int]] = {}
    for x in lines:
        given.setdefault(x["month_end"], set()).add(x["member_id"])
    months = []
    for end in month_ends_before(mi.cutover_date):
        belonging = {
            pk
            for pk, (joined, left) in brought.items()
            if (joined is None or joined <= end) and (left is None or left > end)
        }
        months.append(
            {
                "month_end": end,
                "old_books": len(given.get(end, set())),
                "estimated": len(belonging - given.get(end, set())),
            }
        )
    return {
        "year": mi.cutover_date.year,
        "cutover": mi.cutover_date,
        "members": len({x["member_id"] for x in lines}),
        "rows": len(lines),
        "skipped": skipped,
        "months": months,
        "lines": lines,
        # the rupiah of all the lines (the page lists the first 500), sukarela where given
        "totals": {
            f: sum((x[f] for x in lines if x[f] is not None), ZERO)
            for f in ("pokok", "wajib", "sukarela")
        },
    }


def _line(x: CapitalLine) -> dict:
    return {
        "row": x.row,
        "member_id": x.member.pk,
        "member_number": x.member.number,
        "name": x.member.full_name,
        "month_end": x.month_end,
        "pokok": x.pokok,
        "wajib": x.wajib,
        "sukarela": x.sukarela,
    }


def capital_balances_preview(*, move_in: MoveIn, rows: list[dict[str, Any]], by) -> dict:
    """What ``capital_balances_post`` would save for ``rows``, checked the same way,
    every row error at once; nothing is written."""
    require_role(by, _("mencatat saldo modal pembukuan lama"))
    mi = MoveIn.objects.get(pk=move_in.pk)
    capital_balances_check_open(mi)
    checked, skipped = _checked(mi, rows)
    lines = sorted((_line(x) for x in checked), key=lambda x: (x["member_number"], x["month_end"]))
    return capital_summary(mi, lines, skipped=skipped)


@transaction.atomic
def capital_balances_post(*, move_in: MoveIn, rows: list[dict[str, Any]], by) -> dict:
    """Save each member's capital savings at the month-ends before the cut-over as the
    old books give them (rows ``{"row", "member_number", "month", "pokok", "wajib"}``,
    ``"sukarela"`` optional), replacing what this move-in saved before. All rows or none:
    every row error at once (unknown member; a month that is no month, of another year,
    not before the cut-over, before the member joined or after they left; a member's
    month twice; an amount that is not whole non-negative rupiah). A row whose amounts
    are all empty is left out (its month stays estimated). Allowed while the move-in is
    not undone and the cut-over's fiscal year is open."""
    require_role(by, _("mencatat saldo modal pembukuan lama"))
    # the close lock before the move-in's row (the order of the go-live and the undo):
    # a year close running meanwhile commits first and is read closed here, or waits
    close_lock()
    mi = MoveIn.objects.select_for_update().get(pk=move_in.pk)
    capital_balances_check_open(mi)
    checked, blank = _checked(mi, rows)
    ref = source_ref(mi)
    CapitalBalanceBroughtIn.objects.filter(source_ref=ref).delete()
    CapitalBalanceBroughtIn.objects.bulk_create(
        [
            CapitalBalanceBroughtIn(
                member=x.member,
                month_end=x.month_end,
                cutover=mi.cutover_date,
                pokok=x.pokok,
                wajib=x.wajib,
                sukarela=x.sukarela,
                source_ref=ref,
                created_by=by,
            )
            for x in checked
        ],
        batch_size=2000,
    )
    lines = sorted((_line(x) for x in checked), key=lambda x: (x["member_number"], x["month_end"]))
    summary = capital_summary(mi, lines, skipped=blank)
    audit_log(
        actor=by,
        action=OnboardingAudit.CAPITAL_BALANCES,
        target=mi,
        data={
            "year": mi.cutover_date.year,
            "members": summary["members"],
            "rows": summary["rows"],
            "skipped": summary["skipped"],
            "with_sukarela": sum(1 for x in checked if x.sukarela is not None),
        },
    )
    return summary


def capital_balances_remove(mi: MoveIn) -> int:
    """The undo's part: the month-end balances this move-in brought in go with it."""
    return CapitalBalanceBroughtIn.objects.filter(source_ref=source_ref(mi)).delete()[0]
