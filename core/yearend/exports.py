"""The SHU preview per member as XLSX (openpyxl); amounts stay exact numbers, text goes
through ``safe_cell`` (a member named "=HYPERLINK(...)" stays text)."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.common.exports import safe_cell, safe_row, workbook_bytes

from .rat import (
    capital_estimate_notes,
    capital_month_notes,
    remainder_notes,
    rounding_notes,
    to_reserve_notes,
)
from .selectors import Preview, preview_rows

MONEY_FORMAT = '"Rp" #,##0;-"Rp" #,##0'


def preview_xlsx(preview: Preview, *, sort: str = "number") -> bytes:
    wb = Workbook()
    ws = wb.active
    year = preview.year_end.year
    ws.title = f"SHU {year}"
    ws.append([safe_cell(getattr(connection.tenant, "name", ""))])
    ws.append([_("Perhitungan SHU anggota tahun buku %(y)s") % {"y": year}])
    ws["A1"].font = ws["A2"].font = Font(bold=True, size=12)
    ws.append([safe_cell(preview.basis)])
    ws.append(
        [
            _("SHU setelah pajak"),
            preview.year_end.shu_after_tax,
            _("Pool jasa modal"),
            preview.funds["jasa_modal"],
            _("Pool jasa anggota"),
            preview.funds["jasa_anggota"],
        ]
    )
    for cell in ws[ws.max_row][1::2]:
        cell.number_format = MONEY_FORMAT
    for note in (
        rounding_notes(preview.split)
        + to_reserve_notes(preview.to_reserve)
        # where the leftover units of a members' pool went (only where there were any)
        + list(
            remainder_notes(
                rows=[(r.capital, r.contribution, r.jma, r.jua) for r in preview.allocation.shares],
                unit=preview.split.unit,
            ).values()
        )
        + capital_estimate_notes(preview.capital_estimates)
        + capital_month_notes(preview.capital_estimates)
    ):
        ws.append([safe_cell(note)])
    ws.append([])
    ws.append(
        [
            _("No. anggota"),
            _("Nama"),
            _("Modal"),
            _("Jasa pinjaman dibayar"),
            _("Jasa modal (JMA)"),
            _("Jasa anggota (JUA)"),
            _("SHU anggota"),
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in preview_rows(preview, sort=sort):
        ws.append(
            safe_row(
                [
                    r.number,
                    preview.names.get(r.member_id, ""),
                    r.capital,
                    r.contribution,
                    r.jma,
                    r.jua,
                    r.total,
                ]
            )
        )
        for cell in ws[ws.max_row][2:]:
            cell.number_format = MONEY_FORMAT
    ws.append(
        [
            _("Jumlah"),
            "",
            preview.allocation.total_capital,
            preview.allocation.total_contribution,
            sum((r.jma for r in preview.allocation.shares), 0),
            sum((r.jua for r in preview.allocation.shares), 0),
            sum((r.total for r in preview.allocation.shares), 0),
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for cell in ws[ws.max_row][2:]:
        cell.number_format = MONEY_FORMAT
    for col, w in zip("ABCDEFG", [14, 36, 18, 20, 18, 18, 18], strict=True):
        ws.column_dimensions[col].width = w
    return workbook_bytes(wb)


def old_books_template_xlsx(*, year: int, members: list[tuple[str, str]]) -> bytes:
    """The template of the old books' SHU list of ``year`` (the year page's upload):
    a title, ``#`` lines saying how to fill it (the reader skips them), the titled
    columns and a row per member (number, name) with the two amounts left empty — a
    member left empty has no SHU of that year and is skipped."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"SHU {year}"
    ws.append([_("Daftar SHU tahun buku %(y)s yang belum dibayar (pembukuan lama)") % {"y": year}])
    ws["A1"].font = Font(bold=True, size=12)
    for line in (
        _("Isi jasa modal dan jasa usaha yang belum dibayar per anggota, rupiah utuh."),
        _("Anggota yang kedua jumlahnya kosong tidak dibawa; baris berawalan # dilewati."),
    ):
        ws.append([f"# {line}"])
    ws.append([])
    ws.append([_("Nomor anggota"), _("Nama"), _("Jasa modal"), _("Jasa usaha")])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for number, name in members:
        ws.append(safe_row([number, name, None, None]))
    for col, width in zip("ABCD", (18, 36, 16, 16), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=ws.max_row - len(members) + 1, min_col=3, max_col=4):
        for cell in row:
            cell.number_format = "#,##0"
    return workbook_bytes(wb)
