"""XLSX of the Dinas table and of the ministry's yearly figures (column layout in
docs/dinas.md). Money cells are exact numbers (whole rupiah format); text cells (a
cooperative's name, regency, legal number: typed by the cooperative) go through
``safe_cell``, so one typed like a formula stays text."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.common.exports import safe_cell

from .models import Indicator, YearFigures

RUPIAH = "#,##0;-#,##0"
# a ratio in percent (NPL): its 2 decimals, not whole rupiah
PERCENT_COLUMNS = frozenset({"NPL (%)"})
PERCENT = "0.00"

TABLE_COLUMNS = [
    ("name", "Nama koperasi"),
    ("regency", "Kabupaten/kota"),
    ("kind", "Jenis"),
    ("members_active", "Anggota aktif"),
    ("members_joined", "Anggota masuk (bulan ini)"),
    ("members_left", "Anggota keluar (bulan ini)"),
    ("total_assets", "Total aset"),
    ("own_capital", "Modal sendiri"),
    ("savings", "Simpanan"),
    ("loans_outstanding", "Pinjaman beredar"),
    ("npl_outstanding", "Pinjaman bermasalah (NPL)"),
    ("npl_ratio", "NPL (%)"),
    ("health_band_label", "Tingkat kesehatan"),
    ("shu_last_year", "SHU tahun buku terakhir"),
    ("shu_year", "Tahun SHU"),
    ("last_rat_date", "RAT terakhir"),
    ("last_rat_year", "Tahun buku RAT terakhir"),
    ("last_activity", "Aktivitas terakhir"),
    ("figures_at", "Waktu angka"),
]

# The ministry's yearly layout: (column key, header). Documented in docs/dinas.md.
MINISTRY_COLUMNS = [
    ("year", "Tahun buku"),
    ("province", "Provinsi"),
    ("regency", "Kabupaten/Kota"),
    ("name", "Nama Koperasi"),
    ("kind", "Jenis Koperasi"),
    ("legal_number", "Nomor Badan Hukum"),
    ("nik_koperasi", "NIK Koperasi"),
    ("members", "Jumlah Anggota"),
    ("own_capital", "Modal Sendiri"),
    ("outside_capital", "Modal Luar"),
    ("business_volume", "Volume Usaha"),
    ("total_assets", "Aset"),
    ("shu", "SHU"),
    ("rat_held", "RAT Dilaksanakan"),
    ("rat_date", "Tanggal RAT"),
    ("staff", "Jumlah Karyawan"),
    ("complete", "Tahun Buku Selesai"),
    ("figures_at", "Waktu Angka"),
]
MINISTRY_SUMS = (
    "members",
    "own_capital",
    "outside_capital",
    "business_volume",
    "total_assets",
    "shu",
    "staff",
)


def _cell(value):
    if isinstance(value, bool):
        return _("Ya") if value else _("Tidak")
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return safe_cell(value)


def _sheet(ws, headers: list[str], rows: Iterable[list]) -> None:
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    # Row numbers counted here: openpyxl's ws.max_row scans every cell (quadratic).
    for r, row in enumerate(rows, start=2):
        values = [_cell(v) for v in row]
        ws.append(values)
        for c, value in enumerate(values, start=1):
            if isinstance(value, Decimal):
                percent = headers[c - 1] in PERCENT_COLUMNS
                ws.cell(row=r, column=c).number_format = PERCENT if percent else RUPIAH
            elif isinstance(value, datetime):
                ws.cell(row=r, column=c).number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                ws.cell(row=r, column=c).number_format = "yyyy-mm-dd"
    for i, _h in enumerate(headers):
        ws.column_dimensions[ws.cell(row=1, column=i + 1).column_letter].width = 18
    ws.freeze_panes = "A2"


def _book_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def indicators_xlsx(*, rows: Iterable[Indicator], totals: dict, area: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Indikator"

    def line(ind: Indicator) -> list:
        c = ind.cooperative
        values = {"name": c.name, "regency": c.regency, "kind": c.get_kind_display()}
        return [values[k] if k in values else getattr(ind, k) for k, _h in TABLE_COLUMNS]

    body = [line(i) for i in rows]
    total = [_("Jumlah wilayah %(area)s") % {"area": area}, "", ""] + [
        totals.get(k, "") if k in totals else "" for k, _h in TABLE_COLUMNS[3:]
    ]
    _sheet(ws, [h for _k, h in TABLE_COLUMNS], [*body, total])
    return _book_bytes(wb)


def _ministry_row(yf: YearFigures) -> list:
    c = yf.cooperative
    own = {
        "province": c.province,
        "regency": c.regency,
        "name": c.name,
        "kind": c.get_kind_display(),
        "legal_number": c.legal_number,
        "nik_koperasi": c.nik_koperasi,
    }
    return [own[k] if k in own else getattr(yf, k) for k, _h in MINISTRY_COLUMNS]


def ministry_xlsx(*, figures: list[YearFigures], year: int, area: str) -> bytes:
    """Sheet "Koperasi": one row per cooperative; sheet "Wilayah": the sums per regency
    and for the whole area (same money columns)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Koperasi"
    _sheet(ws, [h for _k, h in MINISTRY_COLUMNS], [_ministry_row(f) for f in figures])

    per: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: Decimal(0)))
    counts: dict[str, int] = defaultdict(int)
    rat: dict[str, int] = defaultdict(int)
    for f in figures:
        for key in (f.cooperative.regency or "-", "__all__"):
            counts[key] += 1
            rat[key] += int(f.rat_held)
            for k in MINISTRY_SUMS:
                per[key][k] += getattr(f, k)
    ws2 = wb.create_sheet("Wilayah")
    headers = ["Tahun buku", "Wilayah", "Jumlah Koperasi", "Koperasi dengan RAT"] + [
        h for k, h in MINISTRY_COLUMNS if k in MINISTRY_SUMS
    ]

    def agg_row(key: str, label: str) -> list:
        sums = [
            int(per[key][k]) if k in ("members", "staff") else per[key][k]
            for k, _h in MINISTRY_COLUMNS
            if k in MINISTRY_SUMS
        ]
        return [year, label, counts[key], rat[key], *sums]

    rows = [agg_row(r, r) for r in sorted(k for k in per if k != "__all__")]
    rows.append(agg_row("__all__", area))
    _sheet(ws2, headers, rows)
    return _book_bytes(wb)
