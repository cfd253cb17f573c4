"""Deduction lists for agency treasurers: XLSX per agency (and one workbook with every
agency) and the PDF cover letter with totals (WeasyPrint)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.exports import XLSX_TYPE, safe_cell, safe_row, workbook_bytes
from core.common.money import format_rupiah
from core.common.pdf import html_to_pdf
from core.members.models import Agency

from .models import DeductionLine, DeductionRun
from .services import E, deduction_settings_get

ZERO = Decimal("0")
HEADERS = [
    "No",
    "No. Anggota",
    "NIP",
    "Nama",
    "Simpanan Wajib",
    "Jasa Pinjaman",
    "Pokok Pinjaman",
    "Simpanan Tujuan/Lainnya",
    "Jumlah Diminta",
    "Realisasi",
]
WIDTHS = [6, 14, 22, 32, 16, 16, 16, 16, 18, 18]
MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def month_name(run: DeductionRun) -> str:
    return f"{MONTHS[run.month - 1]} {run.year}"


def run_mark(run: DeductionRun, agency: Agency) -> str:
    """``LUMBUNG-RUN 12 2026-11 DINKES``: which list a returned file answers (read back by
    ``core.deductions.parsing.MARK``)."""
    return f"LUMBUNG-RUN {run.pk} {run.year:04d}-{run.month:02d} {agency.code}"


def _sheet_title(code: str) -> str:
    """An agency code as an Excel sheet name: without the characters a sheet name may not
    hold (``/ \\ : * ? [ ]``, an apostrophe at either end), at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "-", code).strip("'")[:31] or "Instansi"


def _file_part(code: str) -> str:
    """An agency code in a download's file name: letters, digits, ``.``, ``_``, ``-``."""
    return re.sub(r"[^0-9A-Za-z._-]+", "-", code).strip("-.") or "instansi"


def _coop_name() -> str:
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "name", "") or "Koperasi"


def agency_totals(run: DeductionRun) -> list[dict]:
    """Per agency: members, each component and the total asked."""
    rows = (
        DeductionLine.objects.filter(run=run)
        .values("agency_id")
        .annotate(
            members=Count("id"),
            wajib=Sum("wajib"),
            jasa=Sum("jasa"),
            principal=Sum("principal"),
            others=Sum("others"),
            total=Sum("total"),
        )
        .order_by("agency_id")
    )
    agencies = Agency.objects.in_bulk([r["agency_id"] for r in rows])
    out = []
    for r in rows:
        r["agency"] = agencies[r["agency_id"]]
        out.append(r)
    out.sort(key=lambda r: r["agency"].name)
    return out


def _sheet(wb, title: str, run: DeductionRun, agency: Agency, lines) -> None:
    ws = wb.create_sheet(title=title[:31])
    for i, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A7"
    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    fill_in = PatternFill("solid", fgColor="FFF2CC")
    money = "#,##0"

    def c(value, *, font=None, fmt=None, fill=None, border=None, align=None, formula=False):
        cell = WriteOnlyCell(ws, value=value if formula else safe_cell(value))
        if font:
            cell.font = font
        if fmt:
            cell.number_format = fmt
        if fill:
            cell.fill = fill
        if border:
            cell.border = border
        if align:
            cell.alignment = align
        return cell

    # the run's mark in a hidden column: a return file of another month or agency is
    # refused at upload (it survives "Save as CSV": Excel exports hidden columns)
    mark_col = get_column_letter(len(HEADERS) + 2)
    ws.column_dimensions[mark_col].hidden = True
    ws.append(
        [c(_coop_name(), font=Font(bold=True, size=13))]
        + [None] * len(HEADERS)
        + [c(run_mark(run, agency), font=Font(color="FFFFFF"))]
    )
    ws.append([c(f"Daftar Potong Gaji Bulan {month_name(run)}", font=Font(bold=True, size=12))])
    ws.append([c(f"Instansi: {agency.name} ({agency.code})")])
    with translation.override("id"):  # an Indonesian document, whoever downloads it
        cutoff = format_tanggal(run.cutoff_date)
    ws.append(
        [
            c(
                f"Cut-off: {cutoff}. Isi kolom Realisasi dengan jumlah yang "
                "benar-benar dipotong (0 bila tidak dipotong), lalu kirim kembali file ini."
            )
        ]
    )
    ws.append([])
    wrap = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.append([c(h, font=bold, fill=head_fill, border=box, align=wrap) for h in HEADERS])
    totals = [ZERO] * 5
    n = 0
    for n, ln in enumerate(lines, start=1):
        vals = [ln.wajib, ln.jasa, ln.principal, ln.others, ln.total]
        totals = [a + b for a, b in zip(totals, vals, strict=True)]
        ws.append(
            [
                c(n, border=box),
                c(ln.member_number, border=box),
                c(ln.nip, border=box, fmt="@"),  # text: 18 digits do not survive as a number
                c(ln.full_name, border=box),
                *[c(int(v), fmt=money, border=box) for v in vals],
                c(None, fmt=money, border=box, fill=fill_in),
            ]
        )
    first, last = 7, 6 + n
    ws.append(
        [
            c("TOTAL", font=bold, border=box),
            c(f"{n} anggota", font=bold, border=box),
            c(None, border=box),
            c(None, border=box),
            *[c(int(v), font=bold, fmt=money, border=box) for v in totals],
            c(
                f"=SUM(J{first}:J{last})" if n else 0,
                font=bold,
                fmt=money,
                border=box,
                formula=True,  # ours; every other cell is escaped text
            ),
        ]
    )


def _lines(run: DeductionRun, agency: Agency):
    return (
        DeductionLine.objects.filter(run=run, agency=agency)
        .only("member_number", "nip", "full_name", "wajib", "jasa", "principal", "others", "total")
        .order_by("member_number")
    )


def agency_xlsx(*, run: DeductionRun, agency: Agency) -> bytes:
    wb = Workbook(write_only=True)
    _sheet(wb, _sheet_title(agency.code), run, agency, _lines(run, agency))
    return workbook_bytes(wb)


def all_agencies_xlsx(*, run: DeductionRun) -> bytes:
    """One workbook: a summary sheet, then one sheet per agency."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Ringkasan")
    bold = Font(bold=True)
    ws.append([WriteOnlyCell(ws, value=safe_cell(_coop_name()))])
    ws.append([WriteOnlyCell(ws, value=f"Rekap Potong Gaji Bulan {month_name(run)}")])
    ws.append([])
    head = ["Kode", "Instansi", "Anggota", "Wajib", "Jasa", "Pokok", "Lainnya", "Jumlah"]
    cells = []
    for h in head:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        cells.append(cell)
    ws.append(cells)
    totals = agency_totals(run)
    for t in totals:
        ws.append(
            safe_row(
                [
                    t["agency"].code,
                    t["agency"].name,
                    t["members"],
                    *[int(t[k]) for k in ("wajib", "jasa", "principal", "others", "total")],
                ]
            )
        )
    ws.append(
        [
            "TOTAL",
            "",
            sum(t["members"] for t in totals),
            *[
                int(sum((t[k] for t in totals), ZERO))
                for k in ("wajib", "jasa", "principal", "others", "total")
            ],
        ]
    )
    used = set()
    for t in totals:
        a = t["agency"]
        title = _sheet_title(a.code)[:28]
        while title in used:
            title = title[:26] + f"_{len(used)}"
        used.add(title)
        _sheet(wb, title, run, a, _lines(run, a))
    return workbook_bytes(wb)


def cover_letter_pdf(*, run: DeductionRun, agency: Agency | None = None) -> bytes:
    """The cover letter to the agency's payroll treasurer with the totals and the
    treasurer's (and chair's) sign-off block; without ``agency``, a recap of all."""
    totals = agency_totals(run)
    if agency is not None:
        totals = [t for t in totals if t["agency_id"] == agency.pk]
    grand = {
        k: sum((t[k] for t in totals), ZERO)
        for k in ("wajib", "jasa", "principal", "others", "total")
    }
    cfg = deduction_settings_get()
    with translation.override("id"):
        html = render_to_string(
            "deductions/cover_letter_pdf.html",
            {
                "cooperative": connection.tenant,
                "run": run,
                "month_name": month_name(run),
                "agency": agency,
                "totals": totals,
                "grand": grand,
                "members": sum(t["members"] for t in totals),
                "grand_words": format_rupiah(grand["total"]),
                "settings": cfg,
                "printed_at": timezone.localdate(),
            },
        )
    return html_to_pdf(html)


def run_export_file(
    *, run: DeductionRun, fmt: str, agency: Agency | None
) -> tuple[bytes, str, str]:
    """The file a treasurer downloads for a ready run: ``(body, content type, file name)``;
    PDF is the cover letter, XLSX one agency's list (or every agency's without one)."""
    if run.status != DeductionRun.Status.READY:
        raise ApplicationError(
            E.RUN_NOT_READY, _("Daftar potong gaji belum selesai dibuat."), status=409
        )
    suffix = _file_part(agency.code) if agency else "semua"
    if fmt == "pdf":
        body, ctype = cover_letter_pdf(run=run, agency=agency), "application/pdf"
    elif agency is not None:
        body, ctype = agency_xlsx(run=run, agency=agency), XLSX_TYPE
    else:
        body, ctype = all_agencies_xlsx(run=run), XLSX_TYPE
    return body, ctype, f"potong-gaji-{run.year}-{run.month:02d}-{suffix}.{fmt}"
