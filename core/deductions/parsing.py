"""Reading a realized-deductions file (XLSX or CSV) into plain rows, with per-file and
per-row errors in Indonesian. No database access.

Accepted layouts: the exported list with its "Realisasi" column filled (title rows above
the header are skipped), or a plain list with a NIP (or member number) column and an
amount column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

ID_HEADERS = {
    "nip": "nip",
    "noanggota": "number",
    "nomoranggota": "number",
    "nomor": "number",
    "noang": "number",
}
AMOUNT_HEADERS = (
    "realisasi",
    "terealisasi",
    "realisasipotongan",
    "jumlahdipotong",
    "dipotong",
    "jumlah",
    "nominal",
    "amount",
    "potongan",
)
MAX_HEADER_SCAN = 15


@dataclass
class ParsedRow:
    row: int
    nip: str = ""
    number: str = ""
    amount: Decimal | None = None
    error: str = ""
    column: str = ""


@dataclass
class ParsedFile:
    rows: list[ParsedRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)


def _norm(h: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(h or "").lower())


def _read_csv(content: bytes) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            _(
                "Pengodean file salah: file CSV harus UTF-8. Simpan ulang dari Excel sebagai "
                "'CSV UTF-8 (dipisahkan koma)'."
            )
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _read_xlsx(content: bytes) -> list[list[Any]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ValueError(_("File XLSX tidak dapat dibaca (rusak atau bukan XLSX).")) from None
    try:
        ws = wb.worksheets[0]
        return [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _id_text(v: Any, label: str) -> tuple[str, str]:
    """(digits/text, error)"""
    if v is None:
        return "", ""
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v)), ""
        return "", _(
            "%(c)s tertulis sebagai angka dan digit terakhirnya hilang; format sel sebagai teks."
        ) % {"c": label}
    if isinstance(v, int):
        return str(v), ""
    return str(v).strip().lstrip("'"), ""


_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")


def _amount(v: Any) -> tuple[Decimal | None, str]:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None, _("Jumlah kosong; isi 0 bila anggota tidak dipotong.")
    if isinstance(v, bool):
        return None, _("Jumlah bukan angka.")
    if isinstance(v, (int, float, Decimal)):
        d = Decimal(str(v))
    else:
        s = str(v).strip().replace("Rp", "").replace("rp", "").replace(" ", "")
        if _THOUSANDS.match(s):  # Indonesian format 1.250.000 or 1.250.000,00
            s = s.replace(".", "").replace(",", ".")
        elif s.count(",") == 1 and s.count(".") == 0:
            s = s.replace(",", ".")
        try:
            d = Decimal(s)
        except InvalidOperation:
            return None, _("Jumlah '%(v)s' bukan angka.") % {"v": str(v)[:40]}
    if not d.is_finite():
        return None, _("Jumlah bukan angka.")
    if d < 0:
        return None, _("Jumlah negatif (%(v)s) tidak diterima.") % {"v": d}
    if d != d.to_integral_value():
        return None, _("Jumlah harus rupiah utuh (tanpa sen).")
    if d > Decimal("999999999999"):
        return None, _("Jumlah terlalu besar.")
    return d.quantize(Decimal("1")), ""


def parse_realized(*, content: bytes, file_name: str) -> ParsedFile:
    out = ParsedFile()
    name = (file_name or "").lower()
    try:
        if name.endswith(".xlsx") or content[:2] == b"PK":
            table = _read_xlsx(content)
        elif name.endswith((".csv", ".txt")):
            table = _read_csv(content)
        else:
            out.file_errors.append(_("Jenis file tidak didukung; unggah XLSX atau CSV."))
            return out
    except ValueError as exc:
        out.file_errors.append(str(exc))
        return out
    header_at = id_col = amount_col = None
    id_kind = ""
    for i, row in enumerate(table[:MAX_HEADER_SCAN]):
        normed = [_norm(c) for c in row]
        ids = [(j, ID_HEADERS[h]) for j, h in enumerate(normed) if h in ID_HEADERS]
        if not ids:
            continue
        header_at = i
        # prefer NIP when both are present
        ids.sort(key=lambda t: t[1] != "nip")
        id_col, id_kind = ids[0]
        for wanted in AMOUNT_HEADERS:
            if wanted in normed:
                amount_col = normed.index(wanted)
                break
        break
    if header_at is None:
        out.file_errors.append(
            _(
                "Kolom salah: tidak ada kolom NIP atau No. Anggota di baris judul. "
                "Gunakan file ekspor (kolom 'Realisasi') atau dua kolom: NIP, Jumlah."
            )
        )
        return out
    if amount_col is None:
        found = ", ".join(str(c) for c in table[header_at] if c not in (None, ""))
        out.file_errors.append(
            _(
                "Kolom salah: kolom jumlah (Realisasi/Jumlah) tidak ditemukan. Kolom yang ada: %(c)s."
            )
            % {"c": found}
        )
        return out
    other_id = None
    normed = [_norm(c) for c in table[header_at]]
    for j, h in enumerate(normed):
        if h in ID_HEADERS and j != id_col:
            other_id = (j, ID_HEADERS[h])
    for i, row in enumerate(table[header_at + 1 :], start=header_at + 2):
        cells = list(row)
        if not any(c not in (None, "") for c in cells):
            continue
        first = _norm(cells[0]) if cells else ""
        if first in ("total", "jumlah", "jumlahtotal"):  # the export's total row
            continue

        def get(j, cells=cells):
            return cells[j] if j is not None and j < len(cells) else None

        pr = ParsedRow(row=i)
        label = "NIP" if id_kind == "nip" else _("No. Anggota")
        value, err = _id_text(get(id_col), label)
        if err:
            pr.error, pr.column = err, label
            out.rows.append(pr)
            continue
        setattr(pr, id_kind, value)
        if other_id is not None:
            v2, _e = _id_text(get(other_id[0]), "")
            if v2 and not getattr(pr, other_id[1]):
                setattr(pr, other_id[1], v2)
        if not pr.nip and not pr.number:
            pr.error, pr.column = _("NIP / No. Anggota kosong."), label
            out.rows.append(pr)
            continue
        amount, err = _amount(get(amount_col))
        if err:
            pr.error, pr.column = err, str(table[header_at][amount_col])
        pr.amount = amount
        out.rows.append(pr)
    if not out.rows:
        out.file_errors.append(_("File tidak berisi baris data."))
    return out
