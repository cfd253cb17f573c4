"""Bulk import of members and opening balances from XLSX or CSV.

1. ``import_parse`` reads the file (UTF-8 CSV with ``,`` or ``;``, or XLSX) into rows,
   refusing wrong columns or a wrong encoding outright; a CSV that is not UTF-8 is read
   as Windows-1252 and the preview says so, listing its non-ASCII text to check.
2. ``import_validate`` checks every row (NIP/NIK format, duplicates in the file and in the
   database, unknown agency, bad amounts, dates, phone, e-mail, grade) and returns a
   per-row error report.
3. ``member_import_run`` imports all or nothing: members, savings accounts, opening
   transactions and ONE opening journal entry (Dr opening balance equity / Cr each
   product's control account per member).

Opening balances: ``saldo_pokok``, ``saldo_wajib``, ``saldo_sukarela`` (the active product
of each kind) and a column per active berjangka product (``saldo_<code>``, e.g.
``saldo_shr``; see ``member_import_berjangka``), whose accounts open with the product's
monthly amount and payout date as ``savings_account_open`` opens them.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Prefetch
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError, CommonErrors
from core.common.exports import workbook_bytes
from core.common.money import format_rupiah
from core.common.permissions import TREASURY
from core.common.said import Said, said_kept
from core.common.spreadsheet import (
    MAX_SCAN,
    WINDOWS_1252,
    Book,
    CellProblem,
    Sheet,
    SheetError,
    cell_date,
    cell_plain_text,
    cell_rupiah,
    cell_text,
    find_header,
    nik_cell,
    nip_cell,
    norm_header,
    read_workbook,
    split_rows,
    split_rows_message,
    totals_label,
)
from core.common.text import control_characters_removed
from core.common.uploads import upload_file_name
from core.ledger.close_guards import close_lock
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, books_closed_until, journal_post
from core.members.models import Agency, Heir, Member, MemberImport
from core.members.selectors import heir_label, previous_membership_note
from core.members.services import (
    MAX_TAKE_HOME_PAY,
    member_numbers_reserve_each,
    member_rejoin_carry,
    normalize_golongan,
)
from core.members.validators import nip_nik_match, normalize_phone, parse_nik, parse_nip
from core.savings.audit import SavingsAudit

from .member_import_berjangka import (
    BerjangkaColumns,
    berjangka_columns,
    berjangka_example,
    berjangka_help,
    term_total,
)
from .member_import_messages import cell_refused, nip_nik_refused
from .models import SavingsProduct

ZERO = Decimal("0")


class ImportErrors(StrEnum):
    FORMAT = "import_bad_format"
    ENCODING = "import_bad_encoding"
    COLUMNS = "import_bad_columns"
    EMPTY = "import_empty"
    ROWS = "import_invalid_rows"
    TOO_MANY = "import_too_many_rows"
    SHEETS = "import_many_sheets"
    ALREADY = "import_already_done"
    CLOSED = "import_period_closed"  # opening balances dated in a closed month


# (column, required, description for the template, in the reader's language: the column
# names are the file's keys and stay as they are)
COLUMNS: list[tuple[str, bool, Promise | str]] = [
    ("nomor_anggota", False, gettext_lazy("Kosongkan untuk nomor otomatis")),
    ("nama_lengkap", True, gettext_lazy("Nama sesuai SK")),
    ("nip", True, gettext_lazy("18 digit")),
    ("nik", True, gettext_lazy("16 digit")),
    ("golongan", False, gettext_lazy("mis. III/a atau PPPK IX")),
    ("kode_instansi", True, gettext_lazy("Kode instansi yang sudah terdaftar")),
    ("tanggal_masuk", True, gettext_lazy("TTTT-BB-HH atau HH/BB/TTTT")),
    ("jabatan", False, ""),
    ("alamat", False, ""),
    ("telepon", False, gettext_lazy("08xx atau +62")),
    ("email", False, ""),
    ("nama_bank", False, ""),
    ("nomor_rekening", False, ""),
    ("gaji_bersih", False, gettext_lazy("Rupiah utuh")),
    ("saldo_pokok", False, gettext_lazy("Saldo awal simpanan pokok")),
    ("saldo_wajib", False, gettext_lazy("Saldo awal simpanan wajib")),
    ("saldo_sukarela", False, gettext_lazy("Saldo awal simpanan sukarela")),
]
COLUMN_NAMES = [c for c, _r, _d in COLUMNS]
# headers of an old system's status / exit columns (compared as ``norm_header``): the
# import registers active members only; a member leaves by the exit settlement
EXIT_HEADERS = {
    "status",
    "statusanggota",
    "statuskeanggotaan",
    "keluar",
    "tanggalkeluar",
    "tglkeluar",
    "alasankeluar",
}
REQUIRED = [c for c, r, _d in COLUMNS if r]
# a column the template leaves out but an old system's member list has: read and checked
# (a birth date that is not the NIP's is the row's error), never stored — the member's
# birth date is the NIP's
CHECKED_COLUMNS = ("tanggal_lahir",)
# the names old systems and treasurers' own lists give the template's columns (compared
# as ``norm_header``; docs/onboarding.md, *Column names read*). Only unambiguous ones: a
# list's "Simpanan Pokok" may be the monthly amount or the balance, so the balances are
# read under their template names only.
ALIASES: dict[str, tuple[str, ...]] = {
    "nomor_anggota": ("noanggota", "noagt", "nomoragt"),
    "nama_lengkap": ("nama", "namaanggota"),
    "nik": ("noktp", "nomorktp"),
    "golongan": ("gol", "golruang", "golonganruang"),
    "kode_instansi": ("instansi", "unitkerja", "dinas", "satuankerja", "satker"),
    "tanggal_masuk": ("tglmasuk", "tanggalmasukanggota", "tglmasukanggota"),
    "telepon": ("telp", "notelp", "notelepon", "nohp", "nomorhp", "hp"),
    "nomor_rekening": ("norekening", "norek"),
    "tanggal_lahir": ("tgllahir",),
}
# a list's running number ("No", "No. Urut"): not read. Only beside a member number
# column: alone it could be the member number, and the file is refused saying so
RUNNING_NUMBER = ("no", "nourut", "nomorurut")
# header (``norm_header``) -> the template's column
_BY_NAME = {
    **{norm_header(c): c for c in (*COLUMN_NAMES, *CHECKED_COLUMNS)},
    **{a: c for c, names in ALIASES.items() for a in names},
}


def _column(header: Any) -> str:
    """A header cell as the template's column it names (``No. Agt`` → ``nomor_anggota``,
    ``Tgl Masuk`` → ``tanggal_masuk``), else as before (``_norm_header``: a berjangka
    balance column, or an unknown one the import refuses)."""
    return _BY_NAME.get(norm_header(header)) or _norm_header(header)


BALANCE_COLUMNS = {"saldo_pokok": "pokok", "saldo_wajib": "wajib", "saldo_sukarela": "sukarela"}
MAX_ROWS = 20000
# an opening savings balance above this is a typo or an identifier in the wrong column
MAX_OPENING_BALANCE = Decimal("10000000000")
MAX_CHANGES_SHOWN = 500


@dataclass
class RowError:
    row: int
    column: str
    # a ``Said`` (kept with its code and params: ``member_import_messages``) or a text
    # as written
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, **said_kept(self.message)}


@dataclass
class ValidatedImport:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)
    # rows of former members joining again: who they were, what comes over
    rejoins: list[dict[str, Any]] = field(default_factory=list)
    # balance key -> how the preview names it: the kind (pokok, wajib, sukarela) or, for a
    # berjangka product (keyed by its code), the product's name
    labels: dict[str, str] = field(default_factory=lambda: {k: k for k in BALANCE_COLUMNS.values()})
    # balance key -> the file's column that holds it (``saldo_pokok``, ``saldo_shr``…)
    columns: dict[str, str] = field(
        default_factory=lambda: {v: k for k, v in BALANCE_COLUMNS.items()}
    )

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict:
        totals = dict.fromkeys(self.labels, ZERO)
        accounts = dict.fromkeys(self.labels, 0)
        for r in self.rows:
            for key, amount in r["balances"].items():
                totals[key] += amount
                accounts[key] += 1
        return {
            "rows": len(self.rows),
            "totals": {k: str(v) for k, v in totals.items()},
            "balance_totals": [
                {
                    "key": k,
                    "label": label,
                    "column": self.columns.get(k, ""),
                    "amount": str(totals[k]),
                    "accounts": accounts[k],
                }
                for k, label in self.labels.items()
            ],
            "errors": len(self.errors),
            "hidden_rows": self.hidden_rows,
            "changes": self.changes[:MAX_CHANGES_SHOWN],
            "changes_count": len(self.changes),
            "rejoins": self.rejoins[:MAX_CHANGES_SHOWN],
            "rejoins_count": len(self.rejoins),
        }


# --- parsing ----------------------------------------------------------------------------


def _norm_header(h: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(h or "").strip().lower())


_SHEET_ERRORS = {
    "format": ImportErrors.FORMAT,
    "encoding": ImportErrors.ENCODING,
    "empty": ImportErrors.EMPTY,
}
_REQUIRED_SET = set(REQUIRED)


def _is_header(cells: list[str]) -> bool:
    """``find_header``'s test: the row (``norm_header`` cells) names every required
    column, under the template's name or another one (``ALIASES``)."""
    return {_BY_NAME.get(c) for c in cells} >= _REQUIRED_SET


def import_parse(*, content: bytes, file_name: str) -> list[dict[str, Any]]:
    """Rows as dicts of column → cell value, plus ``_row`` (the sheet's own row number),
    ``_hidden`` (Excel hides the row) and ``_date1904`` (the workbook's dates are of
    Excel's 1904 system: a bare number in the date column is read with it). The header may sit below a title block or on
    another sheet. Raises ApplicationError for an unreadable file, a wrong encoding or
    wrong columns."""
    return import_read(content=content, file_name=file_name)[0]


def import_read(*, content: bytes, file_name: str) -> tuple[list[dict[str, Any]], str]:
    """``import_parse``'s rows and how a CSV's bytes were read: a CSV that is not UTF-8 is
    read as Windows-1252 (Excel on Indonesian Windows saves "CSV" so), which the preview
    says (``cp1252``), listing the cells with letters outside ASCII to check."""
    try:
        book = read_workbook(content=content, file_name=file_name, windows_1252=True)
    except SheetError as e:
        raise ApplicationError(_SHEET_ERRORS[e.code], e.message) from None
    found = find_header(book, _is_header)
    if found is None:
        # no sheet has the template's header: report the columns of the row most like it
        # (a title block above it is skipped), else of the first row with anything in it
        known = set(COLUMN_NAMES)
        candidates = [
            (len({_column(c) for c in row.cells} & known), -n, sheet, i)
            for n, sheet in enumerate(book.sheets)
            for i, row in enumerate(sheet.rows[:MAX_SCAN])
            if not row.blank
        ]
        if not candidates:
            raise ApplicationError(ImportErrors.EMPTY, _("Berkas kosong."))
        best = max(candidates, key=lambda t: (t[0], t[1], -t[3]))
        if best[0] == 0:
            best = candidates[0]
        sheet, header_at = best[2], best[3]
    else:
        sheet, header_at = found
        others = [s for s in book.sheets if s is not sheet and _has_members(book, s)]
        if others:
            raise ApplicationError(
                ImportErrors.SHEETS,
                _(
                    "Data anggota ada di lebih dari satu lembar (%(s)s), padahal hanya satu "
                    "lembar yang dibaca. Gabungkan semuanya ke satu lembar, atau unggah tiap "
                    "lembar sebagai berkas sendiri."
                )
                % {"s": ", ".join(s.name for s in [sheet, *others])},
            )
    cells = sheet.rows[header_at].cells
    header = [_column(h) for h in cells]
    berjangka = berjangka_columns(fixed=BALANCE_COLUMNS)
    missing = [c for c in REQUIRED if c not in header]
    running = [" ".join(str(c).split()) for c in cells if norm_header(c) in RUNNING_NUMBER]
    if running and "nomor_anggota" in header:
        header = [
            "" if norm_header(c) in RUNNING_NUMBER else h
            for c, h in zip(cells, header, strict=True)
        ]
        running = []
    unknown = [
        h
        for h in header
        if h
        and norm_header(h) not in RUNNING_NUMBER
        and h not in COLUMN_NAMES
        and h not in CHECKED_COLUMNS
        and not berjangka.is_balance_header(h)
    ]
    # the old books' status / exit columns: said apart, with what to do instead
    leaving = [h for h in unknown if norm_header(h) in EXIT_HEADERS]
    unknown = [h for h in unknown if h not in leaving]
    dup = sorted({h for h in header if h and header.count(h) > 1})
    same_product: dict[int, list[str]] = {}
    for h in dict.fromkeys(header):
        product = berjangka.product_for(h) if h and h not in COLUMN_NAMES else None
        if product is not None:
            same_product.setdefault(product.pk, []).append(h)
    twice = [hs for hs in same_product.values() if len(hs) > 1]
    if missing or unknown or dup or twice or leaving or running:
        parts = []
        if running:
            parts.append(
                _(
                    "kolom %(c)s bisa nomor urut atau nomor anggota: bila nomor anggota, beri "
                    "judul nomor_anggota; bila nomor urut, tambahkan kolom nomor_anggota "
                    "(boleh kosong untuk nomor otomatis)"
                )
                % {"c": ", ".join(running)}
            )
        if missing:
            parts.append(_("kolom wajib tidak ada: %(c)s") % {"c": ", ".join(missing)})
        if leaving:
            parts.append(
                _(
                    "kolom %(c)s tidak dipakai: impor hanya mendaftarkan anggota aktif. "
                    "Anggota yang sudah keluar dan simpanannya sudah dibayarkan tidak "
                    "diimpor; yang simpanannya belum dibayarkan diimpor sebagai anggota "
                    "aktif dengan saldonya, lalu diselesaikan melalui penyelesaian keluar "
                    "(halaman anggota → Keluar / pensiun / meninggal)"
                )
                % {"c": ", ".join(leaving)}
            )
        if unknown:
            parts.append(_("kolom tidak dikenal: %(c)s") % {"c": ", ".join(unknown)})
        for c in dup:
            # the file's own titles: "Nama" and "Nama Lengkap" are both nama_lengkap
            shown = [" ".join(str(x).split()) for x, h in zip(cells, header, strict=True) if h == c]
            parts.append(
                _("kolom ganda: %(h)s sama-sama dibaca sebagai %(c)s")
                % {"h": ", ".join(shown), "c": c}
            )
        for hs in twice:
            parts.append(
                _("kolom untuk produk yang sama (%(p)s): %(c)s")
                % {"p": berjangka.product_for(hs[0]).name, "c": ", ".join(hs)}
            )
        raise ApplicationError(
            ImportErrors.COLUMNS,
            _(
                "Kolom berkas tidak sesuai templat (%(p)s). Unduh templat dan gunakan judul kolomnya."
            )
            % {"p": "; ".join(parts)},
            fields={"columns": parts},
        )
    split = split_rows(book, sheet, header_at)
    if split:
        raise ApplicationError(
            ImportErrors.COLUMNS,
            split_rows_message(split),
            fields={
                "rows": [
                    RowError(n, "", _("Kolom lebih banyak dari judul.")).as_dict() for n in split
                ]
            },
        )
    rows = []
    for raw in sheet.rows[header_at + 1 :]:
        if raw.blank:
            continue
        row: dict[str, Any] = {h: raw.get(i) for i, h in enumerate(header) if h}
        for k, v in row.items():
            if v is None:
                row[k] = ""
        row["_row"] = raw.number
        if raw.hidden:
            row["_hidden"] = True
        if sheet.date1904:  # kept with the rows: a bare number in a date column is read so
            row["_date1904"] = True
        rows.append(row)
    if not rows:
        raise ApplicationError(ImportErrors.EMPTY, _("Berkas tidak berisi baris data."))
    if len(rows) > MAX_ROWS:
        raise ApplicationError(
            ImportErrors.TOO_MANY,
            _("Terlalu banyak baris (%(n)s); maksimum %(m)s per berkas.")
            % {"n": len(rows), "m": MAX_ROWS},
        )
    return rows, book.encoding


def _has_members(book: Book, sheet: Sheet) -> bool:
    """The sheet has the template's header with a row below it."""
    found = find_header(Book(kind=book.kind, sheets=[sheet]), _is_header)
    return found is not None and any(not r.blank for r in sheet.rows[found[1] + 1 :])


def _encoding_summary(rows: list[dict[str, Any]], encoding: str) -> dict[str, Any]:
    """What the preview shows of a file read as Windows-1252: that it was, and every text
    cell with a letter outside ASCII (a name like "Sitì"), to check it reads right."""
    if encoding != WINDOWS_1252:
        return {}
    cells = [
        # without its control characters: a cell refused for one is listed all the same
        {"row": r.get("_row"), "column": k, "text": control_characters_removed(v, multiline=True)}
        for r in rows
        for k, v in r.items()
        if not k.startswith("_") and isinstance(v, str) and not v.isascii()
    ]
    return {"encoding": "windows-1252", "non_ascii": cells[:MAX_CHANGES_SHOWN]}


# --- validation -------------------------------------------------------------------------


def _text(v: Any) -> str:
    return cell_text(v) if not isinstance(v, CellProblem) else ""


def _shown(v: Any) -> str:
    """How a cell looked in the file (for the preview of changed values)."""
    if isinstance(v, CellProblem):
        return v.raw or v.kind
    return " ".join(str(v).split()) if v is not None else ""


def _balance_products() -> dict[str, Any]:
    """The active product per savings kind that opening balances go to."""

    out = {}
    for kind in BALANCE_COLUMNS.values():
        p = (
            SavingsProduct.objects.filter(kind=kind, is_active=True)
            .select_related("account")
            .order_by("id")
            .first()
        )
        if p is not None:
            out[kind] = p
    return out


def _berjangka_balances(
    raw: dict[str, Any],
    r: dict[str, Any],
    berjangka: BerjangkaColumns,
    headers: list[str],
    *,
    bad,
    note,
) -> None:
    """The row's berjangka opening balances into ``r["balances"]`` (keyed by product
    code), or its errors (``bad(column, message)``)."""
    for col in headers:
        v = raw.get(col)
        if not _shown(v):
            continue
        try:
            product, amt = berjangka.read(col, v, max_value=MAX_OPENING_BALANCE)
        except ValidationError as e:
            bad(col, e.messages[0])
            continue
        if isinstance(v, str):
            note(col, v, amt)
        if amt > 0:
            r["balances"][product.code] = amt


def _totals_label(raw: dict[str, Any]) -> str:
    """The label of a totals row under the list (``JUMLAH``, ``Total saldo``: no NIP, no
    NIK, the label in the name or member-number column), else ""."""
    if _shown(raw.get("nip")) or _shown(raw.get("nik")):
        return ""
    for col in ("nama_lengkap", "nomor_anggota"):
        text = _text(raw.get(col))
        if totals_label(text):
            return text
    return ""


def import_validate(rows: list[dict[str, Any]]) -> ValidatedImport:
    """Check every row with every rule the import applies, so that "valid" means the
    import will go through; collect every error (does not stop at the first). Rows that
    were read differently from how they were written (spaces in a NIP, "Rp 250.000,-",
    "2 Januari 2015", hidden rows) are listed in ``changes`` for the preview."""
    out = ValidatedImport()
    agencies = {a.code.upper(): a for a in Agency.objects.all()}
    # an old system's "Unit Kerja" / "Instansi" column holds the agency's name: read by
    # name (case and spaces ignored) when no code matches and one agency has it
    by_name: dict[str, list[Agency]] = {}
    for a in agencies.values():
        by_name.setdefault(" ".join(a.name.split()).upper(), []).append(a)
    products = _balance_products()
    berjangka = berjangka_columns(fixed=BALANCE_COLUMNS)
    # the berjangka columns of the file (stored rows keep the file's headers), in order
    berjangka_headers = [
        h
        for h in dict.fromkeys(k for raw in rows for k in raw)
        if not h.startswith("_") and h not in COLUMN_NAMES and berjangka.is_balance_header(h)
    ]
    for h in berjangka_headers:
        p = berjangka.product_for(h)
        if p is not None and p.kind == SavingsProduct.Kind.BERJANGKA:
            out.labels.setdefault(p.code, p.name)
            out.columns.setdefault(p.code, h)
    seen_nip: dict[str, int] = {}
    seen_nik: dict[str, int] = {}
    seen_no: dict[str, int] = {}
    parsed = []
    today = timezone.localdate()
    for i, raw in enumerate(rows, start=2):  # without a sheet row number: row 1 is the header
        i = int(raw.get("_row") or i)
        errs: list[RowError] = []
        changed: list[dict[str, str]] = []

        def bad(col, msg, i=i, errs=errs):
            errs.append(RowError(i, col, msg if isinstance(msg, Said) else str(msg)))

        def text(col, label, raw=raw, bad=bad) -> str | None:
            """A text column kept on the member; None (the row's error said) when a
            control character is in it."""
            v = raw.get(col)
            if isinstance(v, CellProblem):
                return ""
            try:
                return cell_plain_text(v, label=label)
            except ValidationError as e:
                bad(col, cell_refused(col, raw, e))
                return None

        def note(col, was, now, changed=changed):
            if _shown(was) != str(now):
                changed.append({"column": col, "was": _shown(was)[:60], "now": str(now)})

        total = _totals_label(raw)
        if total:
            out.errors.append(
                RowError(i, "nama_lengkap", Said("member_import.totals_row", {"t": total[:40]}))
            )
            continue
        r: dict[str, Any] = {"row": i, "balances": {}}
        name = text("nama_lengkap", _("Nama lengkap"))
        if name == "":
            bad("nama_lengkap", Said("member_import.name_required"))
        r["full_name"] = (name or "")[:200]
        nip = nik = ""
        try:
            nip = nip_cell(raw.get("nip"))
            info = parse_nip(nip)
            r["gender"], r["birth_date"] = info.gender, info.birth_date
            note("nip", raw.get("nip"), nip)
        except ValidationError as e:
            bad("nip", cell_refused("nip", raw, e))
        r["nip"] = nip
        nik_ok = False
        try:
            nik = nik_cell(raw.get("nik"))
            parse_nik(nik)
            note("nik", raw.get("nik"), nik)
            nik_ok = True
        except ValidationError as e:
            bad("nik", cell_refused("nik", raw, e))
        r["nik"] = nik
        if nik_ok and r.get("birth_date") is not None:
            try:
                nip_nik_match(nip, nik)
            except ValidationError as e:
                bad("nik", nip_nik_refused(nip, nik, e))
        born = raw.get("tanggal_lahir")
        if _shown(born) and r.get("birth_date") is not None:
            try:
                bd = cell_date(born, label=_("Tanggal lahir"), date1904=bool(raw.get("_date1904")))
            except ValidationError as e:
                bad("tanggal_lahir", cell_refused("tanggal_lahir", raw, e))
            else:
                if bd != r["birth_date"]:
                    bad(
                        "tanggal_lahir",
                        Said(
                            "member_import.birth_date_mismatch",
                            {"t": bd.isoformat(), "n": r["birth_date"].isoformat()},
                        ),
                    )
        number = ""
        try:
            number = cell_plain_text(raw.get("nomor_anggota"), label=_("Nomor anggota"))
        except ValidationError as e:
            bad("nomor_anggota", cell_refused("nomor_anggota", raw, e))
        r["number"] = number
        # a member number is the same in any case (``kp-001`` is ``KP-001``), as at
        # registration; NIP and NIK are digits
        for col, val, seen in (
            ("nip", nip, seen_nip),
            ("nik", nik, seen_nik),
            ("nomor_anggota", number.upper(), seen_no),
        ):
            if val:
                if val in seen:
                    bad(col, Said("member_import.duplicate", {"r": seen[val]}))
                else:
                    seen[val] = i
        code = " ".join(_text(raw.get("kode_instansi")).split()).upper()
        agency = agencies.get(code)
        named = by_name.get(code, []) if agency is None else []
        if len(named) == 1:
            agency = named[0]
        if not code:
            bad("kode_instansi", Said("member_import.agency_required"))
        elif len(named) > 1:
            k = ", ".join(sorted(a.code for a in named))
            bad(
                "kode_instansi",
                Said("member_import.agency_name_ambiguous", {"c": code, "n": len(named), "k": k}),
            )
        elif agency is None:
            bad("kode_instansi", Said("member_import.agency_unknown", {"c": code}))
        elif not agency.is_active:
            bad("kode_instansi", Said("member_import.agency_inactive", {"c": code}))
        r["agency"] = agency
        try:
            jd = cell_date(
                raw.get("tanggal_masuk"),
                label=_("Tanggal masuk"),
                date1904=bool(raw.get("_date1904")),
            )
        except ValidationError as e:
            bad("tanggal_masuk", cell_refused("tanggal_masuk", raw, e))
        else:
            born_nip = r.get("birth_date")
            if jd > today:
                bad("tanggal_masuk", Said("member_import.join_future"))
            elif jd.year < 1950:
                bad("tanggal_masuk", Said("member_import.join_implausible", {"d": jd.isoformat()}))
            elif born_nip is not None and jd < born_nip:
                bad(
                    "tanggal_masuk",
                    Said(
                        "member_import.join_before_birth",
                        {"j": jd.isoformat(), "b": born_nip.isoformat()},
                    ),
                )
            else:
                r["join_date"] = jd
                if not isinstance(raw.get("tanggal_masuk"), date):  # text, or an Excel serial
                    note("tanggal_masuk", raw.get("tanggal_masuk"), jd.isoformat())
        try:
            r["golongan"] = normalize_golongan(_text(raw.get("golongan")))
        except ValidationError as e:
            bad("golongan", cell_refused("golongan", raw, e))
        try:
            r["phone"] = normalize_phone(_text(raw.get("telepon")))
        except ValidationError as e:
            bad("telepon", cell_refused("telepon", raw, e))
        email = _text(raw.get("email"))
        if email:
            try:
                validate_email(email)
            except ValidationError:
                bad("email", Said("member_import.email_invalid"))
        r["email"] = email
        r["position"] = (text("jabatan", _("Jabatan")) or "")[:200]
        r["address"] = text("alamat", _("Alamat")) or ""
        r["bank_name"] = (text("nama_bank", _("Nama bank")) or "")[:100]
        try:
            r["bank_account_number"] = cell_plain_text(
                raw.get("nomor_rekening"), label=_("Nomor rekening")
            )[:40]
        except ValidationError as e:
            bad("nomor_rekening", cell_refused("nomor_rekening", raw, e))
        thp = raw.get("gaji_bersih")
        r["take_home_pay"] = None
        if _shown(thp):
            try:
                r["take_home_pay"] = cell_rupiah(
                    thp, label=_("Gaji bersih"), max_value=MAX_TAKE_HOME_PAY
                )
                if isinstance(thp, str):
                    note("gaji_bersih", thp, r["take_home_pay"])
            except ValidationError as e:
                bad("gaji_bersih", cell_refused("gaji_bersih", raw, e, max_value=MAX_TAKE_HOME_PAY))
        for col, kind in BALANCE_COLUMNS.items():
            v = raw.get(col)
            if not _shown(v):
                continue
            label = col.replace("_", " ").capitalize()
            try:
                amt = cell_rupiah(v, label=label, max_value=MAX_OPENING_BALANCE)
            except ValidationError as e:
                bad(col, cell_refused(col, raw, e, max_value=MAX_OPENING_BALANCE))
                continue
            if isinstance(v, str):
                note(col, v, amt)
            if amt <= 0:
                continue
            product = products.get(kind)
            if product is None:
                bad(col, Said("member_import.no_opening_product", {"k": kind}))
            elif kind == "pokok" and product.amount > 0 and amt > product.amount:
                bad(
                    col,
                    Said(
                        "member_import.pokok_over_product",
                        {"v": str(amt), "a": str(product.amount)},
                    ),
                )
            else:
                r["balances"][kind] = amt
        _berjangka_balances(raw, r, berjangka, berjangka_headers, bad=bad, note=note)
        if raw.get("_hidden"):
            changed.append(
                {"column": "", "was": _("baris tersembunyi di Excel"), "now": _("ikut diimpor")}
            )
        if changed:
            out.changes.append(
                {
                    "row": i,
                    "name": r["full_name"],
                    "nip": nip,
                    "balances": {k: str(v) for k, v in r["balances"].items()},
                    "changes": changed,
                }
            )
        out.errors.extend(errs)
        parsed.append(r)
    # duplicates in the database (one query per identifier kind)
    for col, attr, seen in (
        ("nip", "nip", seen_nip),
        ("nik", "nik", seen_nik),
        ("nomor_anggota", "number", seen_no),
    ):
        if not seen:
            continue
        members = Member.objects.all()
        if attr == "number":  # ``seen_no`` holds the numbers in upper case
            members = members.annotate(n_upper=Upper("number"))
            existing = set(members.filter(n_upper__in=list(seen)).values_list("n_upper", flat=True))
        else:
            existing = _identifiers_taken(attr, seen, parsed, out)
        for val in sorted(existing, key=lambda v: seen[v]):
            out.errors.append(
                RowError(seen[val], col, Said("member_import.registered", {"v": val}))
            )
    out.errors.sort(
        key=lambda e: (e.row, COLUMN_NAMES.index(e.column) if e.column in COLUMN_NAMES else 99)
    )
    out.rows = parsed
    out.hidden_rows = [int(r["_row"]) for r in rows if r.get("_hidden") and r.get("_row")]
    out.rejoins = _rejoins_preview(parsed)
    return out


def _rejoins_preview(parsed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows that bring a former member in again, for the preview: who they were
    (number, exit date) and what the new membership takes over (heirs, portal login),
    as the registration form says it before saving."""
    prev_ids = {r["previous_member_id"] for r in parsed if r.get("previous_member_id")}
    if not prev_ids:
        return []
    olds = {
        m.pk: m
        for m in Member.objects.filter(pk__in=prev_ids).prefetch_related(
            Prefetch("heirs", queryset=Heir.objects.filter(is_active=True).order_by("pk"))
        )
    }
    out = []
    for r in parsed:
        old = olds.get(r.get("previous_member_id"))
        if old is None:
            continue
        out.append(
            {
                "row": r["row"],
                "name": r["full_name"],
                "nip": r["nip"],
                "note": previous_membership_note(old),
                "heirs": [heir_label(h) for h in old.heirs.all()],
                "login": old.user_id is not None,
            }
        )
    return out


def _identifiers_taken(
    attr: str, seen: dict[str, int], parsed: list[dict[str, Any]], out: ValidatedImport
) -> set[str]:
    """Of the file's NIPs (or NIKs) ``seen``, those a member who has not left holds (the
    caller refuses them); a deceased member's is refused here, naming them. A value only
    members who LEFT hold makes the row a new membership of that person, linked to the
    latest of those records (``previous_member_id``), as at registration."""
    by_row = {r["row"]: r for r in parsed}
    taken: set[str] = set()
    holders = (
        Member.objects.filter(**{f"{attr}__in": list(seen)})
        .order_by(attr, "-exit_date", "-pk")
        .values_list(attr, "pk", "status", "number", "full_name", "exit_date")
    )
    first: dict[str, tuple] = {}
    for value, pk, status, number, name, exit_date in holders:
        if status == Member.Status.ACTIVE:
            taken.add(value)
        elif status == Member.Status.DECEASED and value not in taken:
            first[value] = ("deceased", number, name, exit_date)
        first.setdefault(value, ("left", pk))
    label = "NIP" if attr == "nip" else "NIK"
    for value, found in first.items():
        if value in taken:
            continue
        row = by_row[seen[value]]
        if found[0] == "deceased":
            _kind, number, name, exit_date = found
            out.errors.append(
                RowError(
                    seen[value],
                    attr,
                    Said(
                        "member_import.deceased",
                        {
                            "f": label,
                            "v": value,
                            "no": number,
                            "name": name,
                            "d": exit_date.isoformat() if exit_date else None,
                        },
                    ),
                )
            )
            continue
        prev = row.get("previous_member_id")
        if prev is not None and prev != found[1]:
            out.errors.append(RowError(seen[value], attr, Said("member_import.two_old_members")))
            continue
        row["previous_member_id"] = found[1]
    return taken


# --- services ---------------------------------------------------------------------------


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, datetime):
            v = v.date().isoformat()
        elif isinstance(v, date):
            v = v.isoformat()
        elif v is not None and not isinstance(v, str | int | float | bool):
            v = str(v)
        out[k] = v
    return out


def may_import_balances(user) -> bool:
    """Opening balances post a journal entry with no cash behind it: bendahara and admin
    only; a petugas imports members without them."""
    return getattr(user, "role", None) in TREASURY


def balances_refusal() -> str:
    return _(
        "Saldo awal simpanan hanya dapat diimpor oleh bendahara atau admin. "
        "Kosongkan kolom saldo untuk mengimpor anggotanya saja."
    )


def import_balance_columns(summary: dict) -> list[dict[str, Any]]:
    """The file's columns that hold opening balances, from an upload's stored summary:
    ``{"column", "label", "amount", "accounts"}`` (an older summary without the column
    names its kind's ``saldo_<kind>``)."""
    totals = summary.get("balance_totals")
    if totals is None:
        totals = [
            {"key": k, "label": k, "amount": v, "accounts": None}
            for k, v in (summary.get("totals") or {}).items()
        ]
    return [
        {**t, "column": t.get("column") or f"saldo_{t['key']}"}
        for t in totals
        if Decimal(t["amount"]) > 0
    ]


@transaction.atomic
def member_import_upload(*, content: bytes, file_name: str, by) -> MemberImport:
    """Store the file and its validation report (nothing imported yet). A file that cannot
    be read at all raises ApplicationError and is not stored."""
    rows, encoding = import_read(content=content, file_name=file_name)
    checked = import_validate(rows)
    batch = MemberImport.objects.create(
        file_name=upload_file_name(file_name, default="anggota"),
        content=content,
        rows=[_json_row(r) for r in rows] if checked.ok else [],
        status=MemberImport.Status.VALID if checked.ok else MemberImport.Status.INVALID,
        row_count=len(rows),
        errors=[e.as_dict() for e in checked.errors],
        summary={**checked.summary(), **_encoding_summary(rows, encoding)},
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    return batch


@transaction.atomic
def member_import_run(*, batch: MemberImport, opening_date: date, by) -> MemberImport:
    """Import a validated file, all or nothing: re-validates (the database may have
    changed since the upload), then writes members, accounts, opening transactions and
    one opening journal entry.

    Takes the close lock first (``core.ledger.close_guards.close_lock``, before the
    batch's row: the order of the move-in's undo, which locks the batches after it):
    its opening balances come in at a move-in's cut-over, whose months the go-live (or
    a close) may be closing at the same moment; the second waits for the first's commit
    and reads it (the import a closed month, the go-live the import's savings), instead
    of each deciding on what it read before the other's write."""
    close_lock()
    batch = MemberImport.objects.select_for_update().get(pk=batch.pk)
    if batch.status == MemberImport.Status.IMPORTED:
        raise ApplicationError(ImportErrors.ALREADY, _("Berkas ini sudah diimpor."))
    if batch.status == MemberImport.Status.UNDONE:
        raise ApplicationError(
            ImportErrors.ALREADY,
            _(
                "Impor ini sudah dibatalkan bersama pindah ke Lumbung. Unggah berkasnya lagi "
                "untuk mengimpor ulang."
            ),
        )
    rows = batch.rows or import_parse(content=bytes(batch.content), file_name=batch.file_name)
    checked = import_validate(rows)
    if not checked.ok:
        raise ApplicationError(
            ImportErrors.ROWS,
            _("%(n)s kesalahan di berkas; tidak ada yang diimpor. Perbaiki lalu unggah lagi.")
            % {"n": len(checked.errors)},
            fields={"rows": [e.as_dict() for e in checked.errors[:200]]},
        )
    if not may_import_balances(by) and any(r["balances"] for r in checked.rows):
        # opening balances post a journal entry with no cash behind it: a posting, the
        # bendahara's (as the move-in's opening balances); data entry brings members only
        raise ApplicationError(CommonErrors.PERMISSION_DENIED, balances_refusal(), status=403)
    if any(r["balances"] for r in checked.rows):
        _opening_date_open(opening_date)
    result = members_import_apply(rows=checked.rows, opening_date=opening_date, by=by)
    batch.status = MemberImport.Status.IMPORTED
    batch.opening_date = opening_date
    batch.journal_entry_id = result["entry_id"]
    batch.imported_at = timezone.now()
    read_as = {k: batch.summary[k] for k in ("encoding", "non_ascii") if k in batch.summary}
    batch.summary = {**checked.summary(), **read_as, "members": result["members"]}
    batch.save()
    audit_log(
        actor=by,
        action=SavingsAudit.MEMBER_IMPORT,
        target=batch,
        data={"rows": len(checked.rows), "entry_id": result["entry_id"]},
    )
    return batch


def _opening_date_open(opening_date: date) -> None:
    """Refuse opening balances dated in a closed month before anything is written (the
    ledger would refuse their entry too, after thousands of rows), saying which year and
    what to do: the opening date of a move-in is its cut-over, which a year end closed
    after the move-in started."""
    closed_until = books_closed_until()
    if closed_until is None or opening_date > closed_until:
        return
    raise ApplicationError(
        ImportErrors.CLOSED,
        _(
            "Tanggal saldo awal %(d)s jatuh di periode yang sudah ditutup: buku tahun %(y)s "
            "ditutup sampai %(c)s; tidak ada yang diimpor. Pakai tanggal saldo awal sesudah "
            "%(c)s; bila tanggal itu tanggal pindah ke Lumbung, minta admin membuka kembali "
            "periodenya, atau batalkan pindah ke Lumbung lalu mulai lagi dengan tanggal "
            "pindah sesudah %(c)s."
        )
        % {
            "d": format_tanggal(opening_date),
            "y": opening_date.year,
            "c": format_tanggal(closed_until),
        },
        fields={"opening_date": [_("Periode sudah ditutup.")]},
    )


def _ids(table: str, n: int) -> list[int]:
    """Reserve ``n`` primary keys from the table's sequence (for COPY with known ids)."""
    if n == 0:
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, n],
        )
        return [r[0] for r in cur.fetchall()]


def _copy(table: str, columns: list[str], rows: list[tuple], *, not_null: list[str]) -> None:
    """COPY rows into ``table`` (much faster than INSERT for thousands of rows). Columns in
    ``not_null`` read an empty field as an empty string; others as NULL."""
    buf = io.StringIO()
    w = csv.writer(buf)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    buf.seek(0)
    force = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
    with connection.cursor() as cur:
        cur.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force})", buf
        )


def members_import_apply(*, rows: list[dict[str, Any]], opening_date: date, by) -> dict:
    """Write validated rows (inside the caller's transaction): members, savings accounts,
    ONE opening journal entry, then the opening transactions linked to it. Thousands of
    rows go in with COPY; the database constraints and triggers still check every row
    (formats, uniqueness, balance = transactions at commit)."""
    _member_numbers_assign(rows)
    products = _opening_products(rows)
    _pokok_within_product(rows, products)
    _payout_dates_ahead(products, opening_date=opening_date)
    now = timezone.now().isoformat()
    member_ids = _members_copy(rows, now=now)
    # a former member joining again takes over their heirs and portal login, as at
    # registration (the same service)
    member_rejoin_carry(
        joins=[
            (r["previous_member_id"], mid)
            for mid, r in zip(member_ids, rows, strict=True)
            if r.get("previous_member_id")
        ],
        by=by,
    )
    planned, account_ids = _savings_accounts_copy(
        rows, member_ids, products, opening_date=opening_date, now=now
    )
    entry_id = None
    if planned:
        entry_id = _opening_entry_post(rows, planned, account_ids, opening_date=opening_date, by=by)
        _opening_transactions_copy(
            planned, account_ids, entry_id=entry_id, opening_date=opening_date, by=by, now=now
        )
    return {"members": len(rows), "accounts": len(planned), "entry_id": entry_id}


def _member_numbers_assign(rows: list[dict[str, Any]]) -> None:
    """Rows without a member number get the next ones of the cooperative's pattern, with
    each member's own join year for ``{year}`` (as at registration), under one lock of the
    settings row; numbers the file gives other rows (in any case) are skipped."""
    needs_numbers = [r for r in rows if not r["number"]]
    if not needs_numbers:
        return
    numbers = member_numbers_reserve_each(
        joins=[(r["join_date"], r["agency"].code) for r in needs_numbers],
        also_taken=[r["number"] for r in rows if r["number"]],
    )
    for r, n in zip(needs_numbers, numbers, strict=True):
        r["number"] = n


def _opening_products(rows: list[dict[str, Any]]) -> dict[str, SavingsProduct]:
    """The active savings product of each kind with an opening balance in the file, and
    each berjangka product (by code) that has one."""
    products = {}
    for kind in sorted({k for r in rows for k in r["balances"]}):
        if kind not in BALANCE_COLUMNS.values():
            p = (
                SavingsProduct.objects.filter(
                    code=kind, kind=SavingsProduct.Kind.BERJANGKA, is_active=True
                )
                .select_related("account")
                .first()
            )
            if p is None:
                raise ApplicationError(
                    ImportErrors.ROWS,
                    _("Produk simpanan berjangka %(c)s tidak ada atau tidak aktif.") % {"c": kind},
                )
            products[kind] = p
            continue
        p = (
            SavingsProduct.objects.filter(kind=kind, is_active=True)
            .select_related("account")
            .order_by("id")
            .first()
        )
        if p is None:
            raise ApplicationError(
                ImportErrors.ROWS,
                _("Tidak ada produk simpanan %(k)s yang aktif untuk saldo awal.") % {"k": kind},
            )
        products[kind] = p
    return products


def _payout_dates_ahead(products: dict, *, opening_date: date) -> None:
    """A berjangka product with balances brought in pays out after the opening date: a
    payout date already passed (last year's, not moved yet) would make every brought-in
    account due at once and keep it off the payroll lists. Refused, naming the product
    (``savings_account_open`` instead runs a new account's term from its opening: an
    account brought in has been saving for months, which the product's date tells)."""
    for key, p in products.items():
        if key in BALANCE_COLUMNS.values() or p.payout_date is None:
            continue
        if p.payout_date <= opening_date:
            raise ApplicationError(
                ImportErrors.ROWS,
                _(
                    "Tanggal pencairan produk %(p)s (%(d)s) tidak setelah tanggal saldo awal "
                    "(%(o)s): saldo yang dibawa akan langsung jatuh tempo. Ubah tanggal "
                    "pencairan produk itu ke pencairan berikutnya, lalu impor lagi."
                )
                % {
                    "p": p.name,
                    "d": format_tanggal(p.payout_date),
                    "o": format_tanggal(opening_date),
                },
            )


def _pokok_within_product(rows: list[dict[str, Any]], products: dict) -> None:
    """No opening pokok above the product's simpanan pokok, no berjangka balance above
    its product's term total."""
    for r in rows:
        pokok = r["balances"].get("pokok")
        if pokok and products["pokok"].amount > 0 and pokok > products["pokok"].amount:
            raise ApplicationError(
                ImportErrors.ROWS,
                _("Baris %(r)s: saldo pokok melebihi simpanan pokok produk (%(a)s).")
                % {"r": r["row"], "a": products["pokok"].amount},
            )
        for key, amount in r["balances"].items():
            cap = term_total(products[key]) if key not in BALANCE_COLUMNS.values() else None
            if cap is not None and amount > cap:
                raise ApplicationError(
                    ImportErrors.ROWS,
                    _("Baris %(r)s: saldo %(p)s melebihi totalnya (%(a)s).")
                    % {"r": r["row"], "p": products[key].name, "a": format_rupiah(cap)},
                )


def _members_copy(rows: list[dict[str, Any]], *, now: str) -> list[int]:
    """The members, written with COPY; returns their ids in row order."""
    member_ids = _ids("members_member", len(rows))
    _copy(
        "members_member",
        [
            "id",
            "number",
            "full_name",
            "nip",
            "nik",
            "gender",
            "birth_date",
            "golongan",
            "position",
            "agency_id",
            "join_date",
            "status",
            "exit_date",
            "exit_reason",
            "address",
            "phone",
            "email",
            "bank_name",
            "bank_account_number",
            "bank_account_holder",
            "take_home_pay",
            "user_id",
            "previous_member_id",
            "created_at",
            "updated_at",
        ],
        [
            (
                mid,
                r["number"],
                r["full_name"],
                r["nip"],
                r["nik"],
                r.get("gender", ""),
                r.get("birth_date"),
                r.get("golongan", ""),
                r["position"],
                r["agency"].pk,
                r["join_date"],
                Member.Status.ACTIVE,
                None,
                "",
                r["address"],
                r.get("phone", ""),
                r["email"],
                r["bank_name"],
                r["bank_account_number"],
                "",
                r["take_home_pay"],
                None,
                r.get("previous_member_id"),
                now,
                now,
            )
            for mid, r in zip(member_ids, rows, strict=True)
        ],
        not_null=[
            "number",
            "full_name",
            "nip",
            "nik",
            "gender",
            "golongan",
            "position",
            "status",
            "exit_reason",
            "address",
            "phone",
            "email",
            "bank_name",
            "bank_account_number",
            "bank_account_holder",
        ],
    )
    return member_ids


def _savings_accounts_copy(
    rows: list[dict[str, Any]],
    member_ids: list[int],
    products: dict,
    *,
    opening_date: date,
    now: str,
) -> tuple[list[tuple], list[int]]:
    """One savings account per opening balance, written with COPY; returns the planned
    ``(member id, row, product, amount)`` and the account ids, in the same order."""
    planned = [
        (mid, r, products[kind], amount)
        for mid, r in zip(member_ids, rows, strict=True)
        for kind, amount in r["balances"].items()
    ]
    account_ids = _ids("savings_savingsaccount", len(planned))
    _copy(
        "savings_savingsaccount",
        [
            "id",
            "number",
            "member_id",
            "product_id",
            "status",
            "balance",
            "opened_on",
            "closed_on",
            "monthly_amount",
            "payout_date",
            "created_at",
            "updated_at",
        ],
        [
            (
                aid,
                f"{r['number']}-{p.code}",
                mid,
                p.pk,
                "open",
                amount,
                min(r["join_date"], opening_date),
                None,
                # a berjangka account: the product's monthly amount and payout date, as
                # ``savings_account_open`` gives it
                p.amount if p.kind == SavingsProduct.Kind.BERJANGKA else None,
                p.payout_date if p.kind == SavingsProduct.Kind.BERJANGKA else None,
                now,
                now,
            )
            for aid, (mid, r, p, amount) in zip(account_ids, planned, strict=True)
        ],
        not_null=["number", "status"],
    )
    return planned, account_ids


def _opening_entry_post(
    rows: list[dict[str, Any]],
    planned: list[tuple],
    account_ids: list[int],
    *,
    opening_date: date,
    by,
) -> int:
    """The one opening journal entry: Dr opening balance, Cr each member's savings."""
    total = sum((amount for _m, _r, _p, amount in planned), ZERO)
    lines = [
        LineSpec(
            account=account_for_role("opening_balance"),
            debit=total,
            memo=_("Saldo awal simpanan"),
        )
    ]
    lines += [
        LineSpec(account=p.account, credit=amount, member_id=mid, memo=f"{r['number']}-{p.code}")
        for mid, r, p, amount in planned
    ]
    entry = journal_post(
        on=opening_date,
        description=_("Saldo awal simpanan anggota (impor %(n)s anggota)") % {"n": len(rows)},
        lines=lines,
        source="opening",
        source_ref=f"member-import:{opening_date.isoformat()}:{account_ids[0]}",
        by=by,
    )
    return entry.pk


def _opening_transactions_copy(
    planned: list[tuple], account_ids: list[int], *, entry_id: int, opening_date: date, by, now: str
) -> None:
    """Each account's opening transaction, linked to the opening entry, with COPY."""
    user_id = by.pk if getattr(by, "is_authenticated", False) else None
    memo = _("Saldo awal (impor)")
    txn_ids = _ids("savings_savingstransaction", len(planned))
    _copy(
        "savings_savingstransaction",
        [
            "id",
            "account_id",
            '"on"',
            "kind",
            "channel",
            "amount",
            "delta",
            "balance_after",
            "receipt_number",
            "journal_entry_id",
            "memo",
            "created_by_id",
            "created_at",
        ],
        [
            (
                tid,
                aid,
                opening_date,
                "opening",
                "opening",
                amount,
                amount,
                amount,
                None,
                entry_id,
                memo,
                user_id,
                now,
            )
            for tid, aid, (_m, _r, _p, amount) in zip(txn_ids, account_ids, planned, strict=True)
        ],
        not_null=["kind", "channel", "memo"],
    )


def berjangka_import_columns() -> list[tuple[str, SavingsProduct]]:
    """The import's column of each active berjangka product: ``(header, product)``, in
    the template's order (for the screens that list them)."""
    return berjangka_columns(fixed=BALANCE_COLUMNS).active


def _template_columns() -> list[tuple[str, bool, str, str]]:
    """The template's columns: ``(header, required, description, example)``, the fixed
    ones then one per active berjangka product."""
    fixed = [(c, req, desc, ex) for (c, req, desc), ex in zip(COLUMNS, _EXAMPLE, strict=True)]
    berjangka = [
        (header, False, berjangka_help(p), berjangka_example(p))
        for header, p in berjangka_columns(fixed=BALANCE_COLUMNS).active
    ]
    return fixed + berjangka


_EXAMPLE = [
    "",
    "Contoh Nama, S.Pd.",
    "198503152010011001",
    "6271031503850001",
    "III/a",
    "DISDIK",
    "2015-01-02",
    "Guru",
    "Jl. Tjilik Riwut Km 2, Palangka Raya",
    "081234567890",
    "contoh@example.id",
    "Bank Kalteng",
    "0012345678",
    "4500000",
    "100000",
    "1200000",
    "500000",
]


def import_template_csv() -> bytes:
    columns = _template_columns()
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([c for c, _r, _d, _e in columns])
    w.writerow([e for _c, _r, _d, e in columns])
    return out.getvalue().encode("utf-8-sig")


def import_template_xlsx() -> bytes:
    columns = _template_columns()
    wb = Workbook()
    ws = wb.active
    ws.title = "anggota"
    ws.append([c for c, _r, _d, _e in columns])
    for c in ws[1]:
        c.font = Font(bold=True)
    ws.append([e for _c, _r, _d, e in columns])
    # identifiers as text so Excel does not turn them into floats
    for col in ("B", "C", "D", "K", "M"):
        ws.column_dimensions[col].width = 22
    for row in ws.iter_rows(min_row=2, max_row=500):
        for cell in row[:4] + row[9:13]:
            cell.number_format = "@"
    help_ws = wb.create_sheet("petunjuk")
    help_ws.append([_("Kolom"), _("Wajib diisi"), _("Keterangan")])
    for c, req, desc, _e in columns:
        help_ws.append([c, _("ya") if req else "", str(desc)])
    help_ws.column_dimensions["A"].width = 22
    help_ws.column_dimensions["C"].width = 90
    return workbook_bytes(wb)
