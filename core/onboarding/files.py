"""The move-in's spreadsheets: reading an uploaded trial balance or loans file with the
shared reader (``core.common.spreadsheet``) into the rows the services check, and the
XLSX templates (instructions in Indonesian and example rows)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from core.common.errors import ApplicationError
from core.common.exports import workbook_bytes
from core.common.money import RupiahError, format_rupiah, parse_rupiah
from core.common.spreadsheet import (
    MAX_SCAN,
    WINDOWS_1252,
    Book,
    CellProblem,
    Sheet,
    SheetError,
    find_header,
    norm_header,
    read_workbook,
    split_rows,
    split_rows_message,
    totals_label,
)
from core.common.text import control_characters_error, control_characters_removed

from .common import DATE_1904, E, row_error

ZERO = Decimal("0")

# header (``column_key``) -> field; the first name of each field is the template's, the
# others the names old systems and treasurers' own lists use (docs/onboarding.md,
# *Column names read*). A name belongs to one field only (tested): a header that could
# mean two things is left out of these lists, and ``AMBIGUOUS`` says why when a file
# has it.
MEMBER_NUMBER = ("noanggota", "nomoranggota", "membernumber", "noagt", "nomoragt")
TB_COLUMNS = {
    "account": ("akun", "kodeakun", "kode", "namaakun", "account", "accountcode"),
    "debit": ("debit", "debet"),
    "credit": ("kredit", "credit"),
}
LOAN_COLUMNS = {
    "member_number": MEMBER_NUMBER,
    "nip": ("nip", "nipanggota"),
    "product_code": ("kodeproduk", "produk", "productcode"),
    "loan_number": ("nopinjaman", "nomorpinjaman", "loannumber", "nokontrak", "nomorkontrak"),
    "principal": (
        "pokokawal",
        "pokokpinjaman",
        "principal",
        "plafon",
        "plafond",
        "plafonpinjaman",
        "plafondpinjaman",
        "pinjamanpokok",
    ),
    "disbursed_on": (
        "tanggalcair",
        "tanggalpencairan",
        "disbursedon",
        "tglcair",
        "tglpencairan",
        "tanggalrealisasi",
        "tglrealisasi",
    ),
    "first_due_date": ("jatuhtempopertama", "firstduedate", "tgljatuhtempopertama"),
    "tenor": ("tenor", "tenorbulan", "jangkawaktu", "jangkawaktubulan", "lama", "lamapinjaman"),
    # the template's "jasa" is a rate in percent: "Bunga" alone may be the rate or the
    # jasa of an instalment in rupiah, so only "Bunga (%)" and "Suku Bunga" are read
    "rate": ("jasa", "jasapersen", "rate", "bungapersen", "sukubunga", "sukubungapersen"),
    "rate_period": ("periodejasa", "rateperiod"),
    "method": ("metode", "method"),
    "outstanding": (
        "sisapokok",
        "outstanding",
        "sisapinjaman",
        "saldopinjaman",
        "sisapokokpinjaman",
        "bakidebet",
    ),
    "instalments_paid": ("angsurandibayar", "jumlahangsurandibayar", "instalmentspaid"),
    "arrears_jasa": ("tunggakanjasa", "arrearsjasa", "tunggakanbunga"),
    "arrears_principal": ("tunggakanpokok", "arrearsprincipal"),
    "days_past_due": ("haritunggakan", "dayspastdue"),
}
# each member's jasa pinjaman paid in the cut-over's year in the old books (the name is
# there for the treasurer to read; it is not checked)
SHU_COLUMNS = {
    "member_number": MEMBER_NUMBER,
    "member_name": ("nama", "namaanggota", "name"),
    "jasa": ("jasadibayar", "jasapinjaman", "jasapinjamandibayar", "jasa", "jasapaid"),
}
# each member's capital savings at the month-ends before the cut-over in the old books
# (sukarela only where the cooperative counts it as capital)
CAPITAL_COLUMNS = {
    "member_number": MEMBER_NUMBER,
    "member_name": ("nama", "namaanggota", "name"),
    "month": ("bulan", "akhirbulan", "bulantahun", "periode", "month"),
    "pokok": ("pokok", "simpananpokok", "saldopokok"),
    "wajib": ("wajib", "simpananwajib", "saldowajib"),
    "sukarela": ("sukarela", "simpanansukarela", "saldosukarela", "manasuka"),
}
TB_REQUIRED = ("account", "debit", "credit")
# the cells of a kind read whole, text or not, and echoed (previews, the mapping of unknown
# accounts, row errors): one holding a control character is that row's error
# (``CellProblem`` "control", never echoed); a line break or tab is read as before. The
# loans import checks the text it keeps itself (``cell_plain_text``).
CONTROL_CHECKED = {"trial_balance": ("account", "debit", "credit")}
CAPITAL_REQUIRED = ("member_number", "month", "pokok", "wajib")
SHU_REQUIRED = ("member_number", "jasa")
LOAN_REQUIRED = ("product_code", "principal", "outstanding")
# a loans file names its members by member number or, when it has none, by NIP (a KPRI's
# lists are often kept by NIP): one of these columns is required
LOAN_MEMBER = ("member_number", "nip")
# the cells that say what a row is about: a row where they are empty (or hold the label
# itself) and another cell reads JUMLAH / TOTAL is the totals row under the list
IDENTIFIERS = {
    "trial_balance": ("account",),
    "loans": ("member_number", "nip"),
    "shu_contributions": ("member_number",),
    "capital_balances": ("member_number",),
}
# the columns an old file's totals row is checked against (the rows above it, or since
# the subtotal before it): a file that lost a row is refused, naming the totals row
TOTALS_CHECKED = {
    "trial_balance": ("debit", "credit"),
    "shu_contributions": ("jasa",),
    "loans": ("principal", "outstanding", "arrears_jasa", "arrears_principal"),
    "capital_balances": ("pokok", "wajib", "sukarela"),
}
# a name is there for reading: a line that has only a name (a signature) is no data
READ_ONLY_FIELDS = ("member_name",)


# headers old systems use that could mean two things (``column_key``): not read, and
# named with the reason when the file's header lacks a column (``_header_refusal``)
_PRODUCT_OR_NAME = gettext_lazy(
    "bisa kode produk atau nama jenis pinjaman; beri judul kode produk dengan kode produk Lumbung"
)
AMBIGUOUS = {
    "loans": {
        "bunga": gettext_lazy(
            "bisa persen jasa atau jasa per angsuran dalam rupiah; bila persen, beri judul jasa"
        ),
        "angsuranke": gettext_lazy(
            "bisa angsuran yang sudah dibayar atau angsuran berikutnya; beri judul angsuran "
            "dibayar dengan jumlah angsuran yang sudah dibayar"
        ),
        "jenis": _PRODUCT_OR_NAME,
        "jenispinjaman": _PRODUCT_OR_NAME,
    },
}

# a unit in brackets after a title says nothing of the column: "Plafon (Rp)", "Jangka
# Waktu (bulan)"; a percent sign does ("Bunga (%)" is a rate)
_UNIT = re.compile(r"\(\s*(?:rp\.?|rupiah|bulan|bln|kali|x)\s*\)")
_RUPIAH = re.compile(r"\(\s*(?:rp\.?|rupiah)\s*\)")


def column_key(value) -> str:
    """A header cell as compared with the columns' names: ``norm_header`` after a unit
    in brackets is dropped and ``%`` read as ``persen`` (``Plafon (Rp)`` → ``plafon``,
    ``Bunga (%)`` → ``bungapersen``), except that a rate's name in rupiah stays
    unmatched (``Jasa (Rp)`` → ``jasarupiah``)."""
    raw = str(value if value is not None else "").lower()
    key = norm_header(_UNIT.sub(" ", raw).replace("%", " persen "))
    if _RUPIAH.search(raw) and key in LOAN_COLUMNS["rate"]:
        # "Jasa (Rp)" is an amount, not the rate the template's "jasa" is: not read
        return key + "rupiah"
    return key


def _columns(headers: list[str], spec: dict) -> dict[str, int]:
    """field -> the index of the first header naming it."""
    out: dict[str, int] = {}
    for i, h in enumerate(headers):
        for field, names in spec.items():
            if h and h in names and field not in out:
                out[field] = i
    return out


# fields a file may name in several columns, the first one read: a trial balance's
# account by ``Kode Akun`` beside ``Nama Akun``; a member's name (read by no step)
SEVERAL_COLUMNS = {"trial_balance": ("account",)}


def _column_clashes(cells: list, spec: dict, kind: str) -> list[str]:
    """What makes a found header unreadable, as messages: a title that names two fields
    (the names of two fields overlap), or two columns of the file naming one field
    (``No Anggota`` and ``No. Agt``; ``Sisa Pokok`` and ``Sisa Pinjaman``), except the
    fields of ``SEVERAL_COLUMNS`` and the names (``READ_ONLY_FIELDS``)."""
    several = (*SEVERAL_COLUMNS.get(kind, ()), *READ_ONLY_FIELDS)
    out = []
    by_field: dict[str, list[str]] = {}
    for cell in cells:
        h = column_key(cell)
        fields = [f for f, names in spec.items() if h and h in names]
        shown = " ".join(str(cell).split())
        if len(fields) > 1:
            out.append(
                _("kolom %(h)s cocok untuk dua kolom templat: %(a)s dan %(b)s")
                % {
                    "h": shown,
                    "a": COLUMN_TITLES.get(fields[0], fields[0]),
                    "b": COLUMN_TITLES.get(fields[1], fields[1]),
                }
            )
        for f in fields:
            by_field.setdefault(f, []).append(shown)
    for f, shown in by_field.items():
        if len(shown) > 1 and f not in several:
            out.append(
                _("kolom %(a)s dan %(b)s sama-sama dibaca sebagai %(f)s")
                % {"a": shown[0], "b": shown[1], "f": COLUMN_TITLES.get(f, f)}
            )
    return out


# what Excel writes in a cell it could not compute (a failed VLOOKUP is #N/A): data, not
# a note, even when a CSV gives it as text
EXCEL_ERROR = re.compile(
    r"#(NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|SPILL!|CALC!|GETTING_DATA|FIELD!|"
    r"BLOCKED!|UNKNOWN!|CONNECT!|BUSY!)",
    re.IGNORECASE,
)


def _is_note(first) -> bool:
    """A row whose first cell is text starting with ``#`` (the templates' instructions
    and examples); an Excel error such as ``#N/A`` is no note."""
    if not isinstance(first, str):
        return False
    text = first.strip()
    return text.startswith("#") and not EXCEL_ERROR.fullmatch(text)


# why a row under the header was not read as data (``FileRows.left_out``, the previews)
LEFT_OUT_TOTALS_CHECKED = "totals_checked"
LEFT_OUT_TOTALS = "totals"
LEFT_OUT_SUBTOTAL = "subtotal"
LEFT_OUT_NO_DATA = "no_data"
LEFT_OUT_SIGNATURE = "signature"
LEFT_OUT_TEXT_MAX = 80


def left_out_message(reason: str) -> str:
    """Why a row was left out, in the treasurer's words."""
    return {
        LEFT_OUT_TOTALS_CHECKED: _("baris jumlah, cocok dengan baris di atasnya"),
        LEFT_OUT_TOTALS: _("baris jumlah, tidak diperiksa (angkanya kosong atau tidak terbaca)"),
        LEFT_OUT_SUBTOTAL: _(
            "baris jumlah antara (subtotal); yang diperiksa hanya baris jumlah terakhir"
        ),
        LEFT_OUT_NO_DATA: _("baris tanpa isi di kolom yang dibaca"),
        LEFT_OUT_SIGNATURE: _("bagian tanda tangan di bawah daftar"),
    }[reason]


@dataclass(frozen=True)
class FileRows:
    """An uploaded file as read: the data rows (``rows_from_file``), the sheet numbers of
    its hidden ones, how a CSV's bytes were read, and the rows under the header left out
    as no data — a totals row, a line with nothing in the columns the step reads — each
    ``{row, reason, text, message}`` (``text``: what the row shows, to recognise it), for
    the preview to say nothing was dropped silently. Blank rows and ``#`` notes are not
    listed."""

    rows: list[dict]
    hidden: list[int]
    encoding: str
    left_out: list[dict]
    # the header's columns the step does not read, each ``{column, reason, message}``
    # (``ignored_columns``): a title that could mean two things, a second column for a
    # field read from another, a title that is no column of the template
    ignored_columns: list[dict] = dataclass_field(default_factory=list)


def rows_from_file(*, content: bytes, file_name: str, kind: str) -> list[dict]:
    """The data rows of an uploaded file as dicts keyed by field, each with its sheet row
    number (``row``) and, from a workbook in Excel's 1904 date system, ``date1904``
    (``DATE_1904``: the checks read a bare number in a date column with that system). ``kind``: ``trial_balance`` or ``loans``. A file that cannot be
    read, or has no header row with the required columns, is refused as a whole."""
    return read_rows(content=content, file_name=file_name, kind=kind)[0]


def rows_checked_for_hidden(
    *, content: bytes, file_name: str, kind: str, hidden_rows_ok: bool
) -> tuple[list[dict], list[int], str]:
    """``rows_from_file``, the sheet numbers of its hidden rows (Excel hides them; they
    are read all the same) and how a CSV's bytes were read (``cp1252`` for Windows-1252,
    which the result message says). Refused, listing the hidden rows, unless the
    treasurer says they were checked (``hidden_rows_ok``), as the member import's preview
    warns of them."""
    read = file_checked_for_hidden(
        content=content, file_name=file_name, kind=kind, hidden_rows_ok=hidden_rows_ok
    )
    return read.rows, read.hidden, read.encoding


def file_checked_for_hidden(
    *, content: bytes, file_name: str, kind: str, hidden_rows_ok: bool
) -> FileRows:
    """``rows_checked_for_hidden`` with the rows left out (``FileRows``)."""
    read = read_file(content=content, file_name=file_name, kind=kind)
    hidden = read.hidden
    if hidden and not hidden_rows_ok:
        raise ApplicationError(
            E.HIDDEN_ROWS,
            _(
                "%(n)s baris tersembunyi di Excel ikut dibaca (baris %(rows)s). Periksa "
                "bahwa baris itu memang harus dibawa, lalu unggah lagi dengan tanda "
                '"baris tersembunyi sudah diperiksa".'
            )
            % {"n": len(hidden), "rows": ", ".join(str(n) for n in hidden)},
            fields={"rows": [row_error(n, "", _("Baris tersembunyi di Excel.")) for n in hidden]},
        )
    return read


def read_rows(*, content: bytes, file_name: str, kind: str) -> tuple[list[dict], list[int], str]:
    """The rows of ``rows_from_file``, the sheet numbers of the hidden ones and the CSV's
    encoding (``read_file``)."""
    read = read_file(content=content, file_name=file_name, kind=kind)
    return read.rows, read.hidden, read.encoding


def read_file(*, content: bytes, file_name: str, kind: str) -> FileRows:
    """The file's rows as ``FileRows``. A CSV that is not UTF-8 is read as Windows-1252
    (what Excel on Indonesian Windows saves as "CSV"); digits are the same bytes in both,
    so no amount changes. A totals row whose figure differs from its rows' is refused
    (``_totals_check``)."""
    spec, required, one_of = {
        "trial_balance": (TB_COLUMNS, TB_REQUIRED, ()),
        "shu_contributions": (SHU_COLUMNS, SHU_REQUIRED, ()),
        "capital_balances": (CAPITAL_COLUMNS, CAPITAL_REQUIRED, ()),
    }.get(kind, (LOAN_COLUMNS, LOAN_REQUIRED, LOAN_MEMBER))
    try:
        book = read_workbook(content=content, file_name=file_name, windows_1252=True)
    except SheetError as exc:
        raise ApplicationError(E.FILE_INVALID, exc.message) from exc

    def matches(headers: list[str]) -> bool:
        cols = _columns(headers, spec)
        return all(f in cols for f in required) and (not one_of or any(f in cols for f in one_of))

    found = find_header(book, matches, key=column_key)
    header_cells = None
    if found is None:
        # an old system's report: "Saldo" merged over "Debet" and "Kredit" below it
        found = _two_row_header(book, matches)
        if found is not None:
            header_cells = _two_row_cells(found[0], found[1] - 1)
    if found is None:
        raise _header_refusal(book, kind, spec, required, one_of)
    sheet, at = found
    if header_cells is None:
        header_cells = sheet.rows[at].cells
    clashes = _column_clashes(header_cells, spec, kind)
    if clashes:
        raise ApplicationError(
            E.FILE_INVALID,
            _(
                "Judul kolom berkas tidak dapat dibaca dengan pasti (%(p)s). Ganti judul "
                "salah satunya (nama kolom templat), lalu unggah lagi."
            )
            % {"p": "; ".join(clashes)},
            fields={"columns": clashes},
        )
    split = split_rows(book, sheet, at)
    if split:
        raise ApplicationError(
            E.ROWS_INVALID,
            split_rows_message(split),
            fields={"rows": [row_error(n, "", _("Kolom lebih banyak dari judul.")) for n in split]},
        )
    cols = _columns([column_key(c) for c in header_cells], spec)
    checked = [(f, _control_label(f)) for f in CONTROL_CHECKED.get(kind, ()) if f in cols]
    out, hidden, totals, no_data = [], [], [], []
    entries: list[tuple] = []  # the rows read as rows, before the footer is told apart
    for row in sheet.rows[at + 1 :]:
        if row.blank:
            continue
        if _is_note(row.get(0)):  # an instruction or example note
            continue
        # a cell Excel could not compute stays a CellProblem: the step refuses it with its
        # message, naming the row and column
        data: dict = {"row": row.number, **{field: row.get(i) for field, i in cols.items()}}
        if all(_empty(v) for f, v in data.items() if f != "row" and f not in READ_ONLY_FIELDS):
            # a signature or a note beside the list: nothing the step reads
            no_data.append(_left_out(row.number, LEFT_OUT_NO_DATA, row.cells))
            continue
        label = _totals_row_label(row.cells, data, kind)
        if label:
            totals.append((row.number, label, data, row.cells))
            continue
        entries.append((row, data))
    footer = _footer_start(entries, totals, kind)
    signed = {row.number for row, data in entries[footer:] if not _is_data(data, kind)}
    for row, data in entries:
        if row.number in signed:
            no_data.append(_left_out(row.number, LEFT_OUT_SIGNATURE, row.cells))
            continue
        for field, label in checked:
            if control_characters_error(data[field], label=label, multiline=True):
                data[field] = CellProblem("control", label=label)
        if sheet.date1904:  # a bare number in a date column is a serial of that system
            data[DATE_1904] = True
        out.append(data)
        if row.hidden or sheet.hidden:
            hidden.append(row.number)
    checked = _totals_check(out, totals, kind)
    left_out = no_data + [
        _left_out(
            number,
            LEFT_OUT_TOTALS_CHECKED
            if number == checked
            else LEFT_OUT_TOTALS
            if number == totals[-1][0]
            else LEFT_OUT_SUBTOTAL,
            cells,
        )
        for number, _label, _data, cells in totals
    ]
    left_out.sort(key=lambda x: x["row"])
    return FileRows(
        rows=out,
        hidden=hidden,
        encoding=book.encoding,
        left_out=left_out,
        ignored_columns=ignored_columns(header_cells, spec, kind),
    )


IGNORED_AMBIGUOUS = "ambiguous"
IGNORED_DUPLICATE = "duplicate"
IGNORED_UNKNOWN = "unknown"
# a member's name in a step that does not read it (the loans file): said as such
_NAME_KEYS = ("nama", "namaanggota", "namalengkap", "name")


def ignored_columns(cells: list, spec: dict, kind: str) -> list[dict]:
    """The columns of a found header the step does not read, in the file's order, each
    ``{column, reason, message}``: ``ambiguous``, a title that could mean two things
    (``AMBIGUOUS``: *Bunga*, *Angsuran Ke*, *Jenis*; the message says what to title it);
    ``duplicate``, a second column of a field read from an earlier one (a trial
    balance's *Nama Akun* beside *Kode Akun*); ``unknown``, a title that is no column of
    the template. Empty titles are not listed. So the preview can say which columns were
    not used, which the treasurer would otherwise believe were."""
    cols = _columns([column_key(c) for c in cells], spec)
    read_at = {i: f for f, i in cols.items()}
    ambiguous = AMBIGUOUS.get(kind, {})
    out = []
    for i, cell in enumerate(cells):
        if i in read_at or _empty(cell) or isinstance(cell, CellProblem):
            continue
        shown = " ".join(str(cell).split())
        key = column_key(cell)
        fields = [f for f, names in spec.items() if key and key in names]
        if key in ambiguous:
            reason, message = IGNORED_AMBIGUOUS, str(ambiguous[key])
        elif fields and fields[0] in cols:
            first = " ".join(str(cells[cols[fields[0]]]).split())
            reason = IGNORED_DUPLICATE
            message = _("%(f)s sudah dibaca dari kolom %(c)s") % {
                "f": COLUMN_TITLES.get(fields[0], fields[0]),
                "c": first,
            }
        elif key in _NAME_KEYS:
            reason = IGNORED_UNKNOWN
            message = _("untuk dibaca saja; anggota dikenali dari nomor anggota atau NIP")
        else:
            reason, message = IGNORED_UNKNOWN, _("bukan kolom templat")
        out.append({"column": shown, "reason": reason, "message": message})
    return out


def ignored_columns_note(ignored: list[dict]) -> str:
    """One line naming the columns not read and why (a refusal's page adds it: *Angsuran
    dibayar wajib diisi* while the file has *Angsuran Ke*)."""
    if not ignored:
        return ""
    return _("Kolom yang tidak dibaca: %(c)s.") % {
        "c": "; ".join(f"{c['column']} ({c['message']})" for c in ignored)
    }


def _header_refusal(
    book: Book, kind: str, spec: dict, required: tuple, one_of: tuple
) -> ApplicationError:
    """No row holds the required columns: the refusal names, from the row most like a
    header (the most columns recognised; the first such), the columns it recognised (the
    file's title and the template's name), the required ones missing and the titles it
    has that could mean two things (``AMBIGUOUS``)."""
    best: tuple[int, list] | None = None
    for sheet in sorted(book.sheets, key=lambda s: s.hidden):
        for row in sheet.rows[:MAX_SCAN]:
            n = len(_columns([column_key(c) for c in row.cells], spec))
            if n and (best is None or n > best[0]):
                best = (n, row.cells)
    cells = best[1] if best else []
    cols = _columns([column_key(c) for c in cells], spec)
    missing = [COLUMN_TITLES[f] for f in required if f not in cols]
    if one_of and not any(f in cols for f in one_of):
        missing.insert(
            0,
            _("%(a)s atau %(b)s") % {"a": COLUMN_TITLES[one_of[0]], "b": COLUMN_TITLES[one_of[1]]},
        )
    found = [
        _("%(h)s (%(f)s)") % {"h": " ".join(str(cells[i]).split()), "f": COLUMN_TITLES.get(f, f)}
        for f, i in sorted(cols.items(), key=lambda x: x[1])
    ]
    ambiguous = AMBIGUOUS.get(kind, {})
    unclear = [
        _("%(h)s: %(why)s") % {"h": " ".join(str(c).split()), "why": str(ambiguous[column_key(c)])}
        for c in cells
        if column_key(c) in ambiguous
    ]
    parts = [_("kolom wajib yang tidak ada: %(c)s") % {"c": ", ".join(missing)}]
    if found:
        parts.append(_("kolom yang dikenali: %(c)s") % {"c": ", ".join(found)})
    if unclear:
        parts.append(_("tidak dibaca karena maknanya bisa dua: %(c)s") % {"c": "; ".join(unclear)})
    return ApplicationError(
        E.FILE_INVALID,
        _(
            "Baris judul kolom tidak ditemukan (%(p)s). Ganti judul kolomnya dengan nama "
            "di templat, atau pakai templatnya."
        )
        % {"p": "; ".join(parts)},
        fields={"columns": parts},
    )


def _left_out(number: int, reason: str, cells: list) -> dict:
    """A row left out, as the previews list it: what it shows (its cells with something
    in them, control characters removed, shortened) and why."""
    shown = " · ".join(_cell_text(c) for c in cells if not _empty(c))
    if len(shown) > LEFT_OUT_TEXT_MAX:
        shown = shown[: LEFT_OUT_TEXT_MAX - 1].rstrip() + "…"
    return {"row": number, "reason": reason, "text": shown, "message": left_out_message(reason)}


def _cell_text(value) -> str:
    if isinstance(value, CellProblem):
        return value.raw or "?"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(control_characters_removed(str(value)).split())


def _two_row_header(book: Book, matches) -> tuple[Sheet, int] | None:
    """A header written over two rows (``Kode Akun | Nama Akun | Saldo`` with ``Debet |
    Kredit`` under ``Saldo``, merged as old systems print a trial balance): the first
    pair of rows whose cells, the lower row's where it has one, satisfy ``matches``.
    Returns the sheet and the index of the lower row (the data starts below it)."""
    for sheet in sorted(book.sheets, key=lambda s: s.hidden):
        for i in range(min(MAX_SCAN, len(sheet.rows) - 1)):
            if sheet.rows[i].blank or sheet.rows[i + 1].blank:
                continue
            if matches([column_key(c) for c in _two_row_cells(sheet, i)]):
                return sheet, i + 1
    return None


def _two_row_cells(sheet: Sheet, i: int) -> list:
    upper, lower = sheet.rows[i], sheet.rows[i + 1]
    width = max(len(upper.cells), len(lower.cells))
    return [lower.get(j) if not _empty(lower.get(j)) else upper.get(j) for j in range(width)]


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# the columns that make a row data with its identifier (an amount; a capital list's
# month, whose amounts may all be empty): a row with both is never a footer
DATA_FIELDS = {**TOTALS_CHECKED, "capital_balances": (*TOTALS_CHECKED["capital_balances"], "month")}
# a line that starts the signature block under a list: who signs, or the place and date
_SIGNATURE = re.compile(
    r"^\s*(mengetahui|menyetujui|disetujui|diperiksa|dibuat|ketua|wakil ketua|bendahara|"
    r"sekretaris|pengurus|pengawas|manajer|manager|kepala|ttd|tanda tangan)\b",
    re.IGNORECASE,
)
_PLACE_DATE = re.compile(r"^[^\d,]{2,40},\s*\d{1,2}\s+[a-z]+\s+\d{4}\s*$", re.IGNORECASE)


# what an amount cell holds: digits with separators, a sign or brackets, ``Rp``, or ``-``
_AMOUNT_LIKE = re.compile(r"[\s()+\-]*(rp\.?)?[\s\d.,()+\-]*", re.IGNORECASE)


def _figure_like(value, *, month: bool = False) -> bool:
    """Whether a cell of an amount (or a month) column holds what could be one — a
    number, a date, a cell Excel could not compute, digits with separators (``1,250,000``
    too, which the step then refuses) or ``-`` — rather than words (the place and date,
    *Bendahara,*, a name, ``NIP. 1965…`` printed in that column under the list)."""
    if _empty(value):
        return False
    if not isinstance(value, str):
        return True
    text = value.strip()
    if _SIGNATURE.match(text) or _PLACE_DATE.match(" ".join(text.split())):
        return False
    if _AMOUNT_LIKE.fullmatch(text):
        return True
    # a capital list's month in words (``Maret``, ``Maret 2025``, ``Mar-25``)
    return month and not any(ch in text for ch in ",:.") and len(text.split()) <= 2


def _is_data(data: dict, kind: str) -> bool:
    """A row with an identifier (account; member number or NIP) and an amount (what could
    be one: ``_figure_like``): data, wherever it stands."""
    ids = IDENTIFIERS.get(kind, ())
    return any(not _empty(data.get(f)) for f in ids) and any(
        _figure_like(data.get(f), month=f == "month") for f in DATA_FIELDS.get(kind, ())
    )


def _signs(cells: list) -> bool:
    """Whether a line starts a signature block: a cell naming who signs (*Mengetahui,*,
    *Ketua*, *Bendahara,*) or the place and date (*Palangka Raya, 31 Oktober 2026*)."""
    return any(
        isinstance(c, str) and (_SIGNATURE.match(c) or _PLACE_DATE.match(" ".join(c.split())))
        for c in cells
    )


def _footer_start(entries: list[tuple], totals: list[tuple], kind: str) -> int:
    """The index in ``entries`` (the rows read as rows, in order) where the footer under
    the list starts — ``len(entries)`` when there is none. The footer is trailing: no
    data row (``_is_data``) at or after it. It starts at the first line after the last
    totals row, else at the first line that starts a signature (``_signs``) after the
    last data row. Its lines that are not data are left out as the signature block; a
    line before the last data row, or a trailing one that starts no signature, stays a
    row (refused as the bad row it is)."""
    last_data = max((i for i, (_row, d) in enumerate(entries) if _is_data(d, kind)), default=-1)
    last_total = totals[-1][0] if totals else None
    for i in range(last_data + 1, len(entries)):
        row = entries[i][0]
        if (last_total is not None and row.number > last_total) or _signs(row.cells):
            return i
    return len(entries)


def _totals_row_label(cells: list, data: dict, kind: str) -> str:
    """The label of a totals row under the list (``JUMLAH``, ``TOTAL``, ``Grand Total``:
    the rule of the member import, ``totals_label``) — a row whose identifying cells
    (account; member number, NIP) are empty or the label itself — else ""."""
    ids = [data.get(f) for f in IDENTIFIERS.get(kind, ()) if f in data]
    if not all(_empty(v) or totals_label(v) for v in ids):
        return ""
    label = next((c for c in cells if totals_label(c)), None)
    return " ".join(label.split()) if label else ""


def _figure(value) -> Decimal | None:
    try:
        return parse_rupiah(value, allow_dash_zero=True) if not _empty(value) else ZERO
    except (RupiahError, TypeError, ValueError):
        return None


def _totals_check(rows: list[dict], totals: list[tuple], kind: str) -> int | None:
    """The last totals row of a file must equal the rows above it (or, after a subtotal,
    the rows since it) in each column of ``TOTALS_CHECKED`` it has a figure in: else the
    file lost a row or one was typed over, and nothing is read. Not checked when a figure
    does not read as rupiah (that row's own error says so). Returns the totals row's
    number when it was checked (a figure compared, all equal), else None."""
    fields = TOTALS_CHECKED.get(kind, ())
    if not totals or not fields:
        return None
    number, label, data = totals[-1][:3]
    before = [r for r in rows if r["row"] < number]
    since = [r for r in before if len(totals) < 2 or r["row"] > totals[-2][0]]
    errors, compared = [], 0
    for column in fields:
        shown = data.get(column)
        if _empty(shown):
            continue
        figure = _figure(shown)
        values = [_figure(r.get(column)) for r in before]
        if figure is None or None in values:
            continue
        compared += 1
        whole = sum(values, ZERO)
        part = sum((_figure(r.get(column)) for r in since), ZERO)
        if figure in (whole, part):
            continue
        errors.append(
            row_error(
                number,
                column,
                _(
                    "Baris jumlah (%(t)s): %(f)s di berkas %(v)s, sedangkan jumlah baris di "
                    "atasnya %(s)s. Ada baris yang hilang atau salah ketik: periksa berkasnya "
                    "lalu unggah lagi."
                )
                % {
                    "t": label[:40],
                    "f": COLUMN_TITLES.get(column, column),
                    "v": format_rupiah(figure),
                    "s": format_rupiah(whole),
                },
            )
        )
    if errors:
        raise ApplicationError(
            E.ROWS_INVALID,
            _("Baris jumlah di berkas tidak sama dengan jumlah barisnya; tidak ada yang disimpan."),
            fields={"rows": errors},
        )
    return number if compared else None


def _control_label(field: str) -> str:
    """How a refused cell's message names its column."""
    return {"account": _("Akun"), "debit": _("Debit"), "credit": _("Kredit")}[field]


def encoding_note(encoding: str, rows: list[dict]) -> str:
    """What a result message adds for a file read as Windows-1252: that it was, and the
    first text cells with letters outside ASCII, to check they read right."""
    if encoding != WINDOWS_1252:
        return ""
    texts = [
        _("%(t)s (baris %(r)s)") % {"t": control_characters_removed(v), "r": r.get("row")}
        for r in rows
        for k, v in r.items()
        if k != "row" and isinstance(v, str) and not v.isascii()
    ]
    note = _("Berkas CSV dibaca sebagai Windows-1252 (bukan UTF-8); angka tidak terpengaruh.")
    if texts:
        note += " " + _("Periksa huruf khusus: %(t)s.") % {
            "t": "; ".join(texts[:10]) + ("; ..." if len(texts) > 10 else "")
        }
    return " " + note


TEMPLATES = {
    "trial_balance": {
        "title": "Neraca saldo awal (pindah ke Lumbung)",
        "headers": ["akun", "debit", "kredit"],
        "instructions": [
            "Satu baris per akun: kode akun Lumbung (atau namanya persis), saldo di kolom debit ATAU kredit.",
            "Saldo per tanggal pindah (cut-over). Jumlah debit harus sama dengan jumlah kredit.",
            "Akun yang tidak dikenal dilaporkan per baris: petakan ke akun yang ada atau buat akun baru.",
            "Akun simpanan, piutang pinjaman dan PPAP dicocokkan dengan data anggota dan pinjaman.",
            "Simpanan berjangka (mis. simpanan hari raya) di akun produknya; rinciannya per anggota dibawa lewat kolom saldo_<kode produk> impor anggota.",
            "Angka rupiah utuh: 1.250.000 atau 1250000. Baris yang diawali # diabaikan.",
        ],
        "examples": [["101", "25000000", ""], ["120", "150000000", ""], ["320", "", "175000000"]],
    },
    "loans": {
        "title": "Pinjaman berjalan (pindah ke Lumbung)",
        "headers": [
            "no anggota",
            "nip",
            "kode produk",
            "no pinjaman",
            "pokok awal",
            "tanggal cair",
            "jatuh tempo pertama",
            "tenor",
            "jasa",
            "periode jasa",
            "metode",
            "sisa pokok",
            "angsuran dibayar",
            "tunggakan jasa",
            "tunggakan pokok",
            "hari tunggakan",
        ],
        "instructions": [
            "Satu baris per pinjaman yang masih berjalan pada tanggal pindah.",
            "Anggota dikenali dari no anggota; bila kosong (atau kolomnya tidak ada), dari NIP (18 digit, format kolom sebagai Teks).",
            "Jasa, periode jasa (bulan/tahun) dan metode (flat, anuitas, efektif): kosongkan untuk memakai produknya.",
            "Jatuh tempo pertama kosong = satu bulan sesudah tanggal cair. Tanggal TTTT-BB-HH atau HH/BB/TTTT.",
            "Sisa pokok harus sama dengan jadwal setelah angsuran dibayar dan tunggakan pokok; baris yang tidak cocok ditolak dengan angka menurut jadwal.",
            "Tunggakan = angsuran jatuh tempo sampai tanggal pindah yang belum dibayar. Hari tunggakan boleh kosong.",
            "Baris yang diawali # diabaikan.",
        ],
        "examples": [
            [
                "A-0001",
                "",
                "PINJ",
                "LAMA-001",
                "12000000",
                "2025-01-15",
                "",
                "24",
                "1",
                "bulan",
                "flat",
                "6000000",
                "12",
                "0",
                "0",
                "0",
            ],
        ],
    },
    "shu_contributions": {
        "title": "Jasa pinjaman tahun berjalan di pembukuan lama (pindah ke Lumbung)",
        "headers": ["no anggota", "nama", "jasa dibayar"],
        "instructions": [
            "Satu baris per anggota: jasa pinjaman yang dibayarnya sejak 1 Januari tahun pindah sampai tanggal pindah, dari kertas kerja SHU pembukuan lama.",
            "Dipakai untuk membagi SHU jasa anggota tahun ini bersama jasa yang dibayar di Lumbung sesudah tanggal pindah.",
            "Nama hanya untuk dibaca (tidak diperiksa). Anggota yang masuk sesudah tanggal pindah tidak dicantumkan.",
            "Angka rupiah utuh: 1.250.000 atau 1250000; 0 bila tidak ada. Baris yang diawali # diabaikan.",
            "Mengunggah lagi menggantikan seluruh daftar sebelumnya.",
        ],
        "examples": [["A-0001", "Nama Anggota", "1200000"]],
    },
    "capital_balances": {
        "title": "Saldo modal akhir bulan di pembukuan lama (pindah ke Lumbung)",
        "headers": ["no anggota", "nama", "bulan", "pokok", "wajib", "sukarela"],
        "instructions": [
            "Satu baris per anggota per bulan: saldo simpanan pokok, wajib (dan sukarela) pada akhir bulan itu di pembukuan lama.",
            "Hanya bulan tahun pindah yang berakhir sebelum tanggal pindah; mulai tanggal pindah saldonya ada di Lumbung.",
            "Dipakai bila SHU jasa modal dihitung dari modal rata-rata bulanan: bulan yang tidak diunggah diperkirakan dari saldo awal saat pindah.",
            "Bulan: 1 sampai 12, nama bulan (Maret) atau 2025-03. Nama hanya untuk dibaca (tidak diperiksa).",
            "Sukarela: isi bila koperasi menghitung simpanan sukarela sebagai modal SHU; kosong = tidak diketahui (diperkirakan), 0 = saldonya nol. Kolomnya boleh dihapus.",
            "Angka rupiah utuh: 1.250.000 atau 1250000. Baris yang semua angkanya kosong dilewati (bulannya diperkirakan). Baris yang diawali # diabaikan.",
            "Mengunggah lagi menggantikan seluruh daftar sebelumnya.",
        ],
        "examples": [["A-0001", "Nama Anggota", "2025-01", "100000", "1200000", "500000"]],
    },
}


# field -> the column's title in the template (what the treasurer's file calls it)
COLUMN_TITLES = {
    **dict(zip(TB_COLUMNS, TEMPLATES["trial_balance"]["headers"], strict=True)),
    **dict(zip(LOAN_COLUMNS, TEMPLATES["loans"]["headers"], strict=True)),
    "jasa": TEMPLATES["shu_contributions"]["headers"][2],
    **{
        f: t
        for f, t in zip(CAPITAL_COLUMNS, TEMPLATES["capital_balances"]["headers"], strict=True)
        if f != "member_number"
    },
}


def template_xlsx(kind: str, rows: list[list] | None = None) -> bytes:
    """The template of ``kind``; ``rows`` (the members' list of the jasa template) are
    written as data rows in place of the example."""
    t = TEMPLATES[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append([t["title"]])
    ws["A1"].font = Font(bold=True)
    for line in t["instructions"]:
        ws.append([f"# {line}"])
    ws.append([])
    ws.append(t["headers"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    if rows:
        for r in rows:
            ws.append(r)
    else:
        for ex in t["examples"]:
            ws.append(["# contoh, hapus baris ini"])
            ws.append(ex)
    return workbook_bytes(wb)
