"""The messages of a payroll-deduction import (its row errors, file errors and
warnings), kept as a stable ``code`` with its ``params`` and rendered in the reader's
language when shown: a treasurer who uploads with the English UI leaves errors the
chairman reads in Indonesian on the same page, and the API answers in the request's
language.

Stored, a row error is ``{"row", "column", "message", "code", "params"}`` (plus
``column_code`` when the column's name is the UI's, not the file's header: ``number``,
``date``, ``realized``); a file error or file warning ``{"code", "params", "message"}``.
``message`` is the text as written at upload, in the uploader's language: what an
import stored before codes existed (a row without ``code``, a file error that is a plain
string) shows, and what a code this version does not know shows. ``params`` are plain
JSON: money as a string of whole rupiah (``"250000"``), dates ISO, month as numbers, a
spreadsheet cell as ``core.common.spreadsheet.cell_param`` writes it; they are formatted
(``format_rupiah``, ``format_tanggal``) at render. A message a reader's check produces again (an unreadable
NIP or amount: ``nip_cell``, ``cell_rupiah``) is rendered by running that check again
on the cell kept.

The results of "post every ready agency" (``services.post_all``: why an agency was left
out, why its task could not post it) are kept the same way on the run
(``said_fields``: ``message`` with ``message_code`` and ``message_params``, since a
result's ``code`` is its agency's) and shown with ``results_shown``.

``Said``, ``said_kept`` and the rendering of a kept message (``message_shown``) are
``core.common.said``'s, which other modules' system-written texts use too; the codes
here are registered there (``RENDER``) without a prefix, as imports kept them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.common.dates import format_bulan, format_date, format_tanggal
from core.common.money import format_rupiah
from core.common.said import Said, _said_again, said_kept, said_register
from core.common.said import said_shown as message_shown
from core.common.spreadsheet import (
    cell_rupiah,
    cell_value,
    nip_cell,
    sheet_error_message,
    split_rows_message,
)
from core.common.text import control_characters_message
from core.loans.services import loan_event_date_refusal_text
from core.members.models import Member


def said_fields(said: str) -> dict:
    """A message as a result of "post every ready agency" keeps it: the text with its
    ``message_code`` and ``message_params`` (a result's ``code`` names its agency)."""
    kept = said_kept(said)
    return {
        "message": kept["message"],
        "message_code": kept["code"],
        "message_params": kept["params"],
    }


def results_shown(results: list[dict]) -> list[dict]:
    """Results of "post every ready agency" with their message in the active language
    (the text stored at the run for a result kept before codes)."""
    return [
        {
            **r,
            "message": message_shown(
                {
                    "code": r.get("message_code"),
                    "params": r.get("message_params") or {},
                    "message": r.get("message", ""),
                }
            ),
        }
        for r in results
    ]


def row_message(row: int, column: str, said: str, *, column_code: str = "", **extra) -> dict:
    """A row error or warning as the import keeps it: ``column`` as written now, and its
    ``column_code`` when the column's name is the UI's."""
    out = {"row": row, "column": column, **said_kept(said), **extra}
    if column_code:
        out["column_code"] = column_code
    return out


def column_shown(item: dict) -> str:
    """The column of a kept row error or warning: the UI's name in the active language,
    or the file's header as written."""
    label = COLUMNS.get(item.get("column_code") or "")
    return label() if label else item.get("column", "")


def rows_shown(items: list[dict]) -> list[dict]:
    """Kept row errors or warnings with their message and column in the active language
    (``code``: None for an item kept before codes)."""
    return [
        {**e, "code": e.get("code"), "message": message_shown(e), "column": column_shown(e)}
        for e in items
    ]


def texts_shown(items: list) -> list[str]:
    """Kept file errors or file warnings as text in the active language."""
    return [message_shown(x) for x in items]


def codes_of(items: list) -> list[str | None]:
    """The code of each kept file error or warning (None: kept before codes)."""
    return [x.get("code") if isinstance(x, dict) else None for x in items]


def _nip_refused(p: dict) -> str | None:
    """Why the NIP cell is unreadable, said again (None: it reads now)."""
    try:
        nip_cell(cell_value(p["cell"]))
    except ValidationError as e:
        return e.messages[0]
    return None


def _amount_refused(p: dict) -> str | None:
    """Why the amount cell is unreadable, said again (None: it reads now)."""
    try:
        cell_rupiah(cell_value(p["cell"]), label=_("Jumlah"), max_value=Decimal(p["max"]))
    except ValidationError as e:
        return e.messages[0]
    return None


def _nip_guessed(p: dict) -> str | None:
    why = _nip_refused(p)
    if why is None:
        return None
    return _("NIP tidak terbaca (%(e)s); anggota dicocokkan dari No. Anggota.") % {"e": why}


# --- the messages ---------------------------------------------------------------------


def date_label() -> str:
    """The posting date's name: the column of a row too early for its loans."""
    return _("Tanggal uang diterima")


def _member_label() -> str:
    return _("No. Anggota")


COLUMNS: dict[str, Callable[[], str]] = {
    "number": _member_label,
    "date": date_label,
    "realized": lambda: _("Realisasi"),
}
CELL_LABELS: dict[str, Callable[[], str]] = {
    "nip": lambda: "NIP",
    "number": _member_label,
    "amount": lambda: _("Jumlah"),
}


def _rp(v: str) -> str:
    return format_rupiah(Decimal(v))


def _month(year: int, month: int) -> str:
    return format_bulan(date(year, month, 1))


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _loan_date(p: dict) -> str:
    on = date.fromisoformat(p["on"])
    why = " ".join(
        loan_event_date_refusal_text(
            why=x["why"],
            label=date_label(),
            on=on,
            number=x["number"],
            floor=date.fromisoformat(x["floor"]),
        )
        for x in p["loans"]
    )
    return _(
        "%(why)s Posting dengan tanggal uang diterima %(f)s atau sesudahnya, atau "
        "kecualikan baris ini (dianggap tidak dipotong)."
    ) % {"why": why, "f": format_tanggal(date.fromisoformat(p["floor"]))}


def _totals(p: dict) -> str:
    total, members = Decimal(p["total"]), Decimal(p["members"])
    return _(
        "Baris total “%(label)s” (baris %(r)s) berjumlah %(t)s, tetapi jumlah baris "
        "anggota di atasnya %(s)s (selisih %(d)s). Berkas mungkin terpotong (baris "
        "hilang) atau ada jumlah yang diubah setelah total dihitung: periksa berkasnya "
        "terhadap daftar dari bendahara gaji, lalu unggah lagi."
    ) % {
        "label": p["label"],
        "r": p["row"],
        "t": format_rupiah(total),
        "s": format_rupiah(members),
        "d": format_rupiah(abs(total - members)),
    }


# --- post every ready agency (``services.post_all``, the posting's refusals) ----------


def _left_loan_date(p: dict) -> str:
    f = format_tanggal(date.fromisoformat(p["floor"]))
    return _(
        "Baris %(rows)s ditandai: tanggal uang diterima terlalu awal untuk pinjaman "
        "%(loans)s (paling awal %(f)s). Posting semua instansi tidak mengambil file "
        "ini; kecualikan baris itu, atau posting instansi ini di halamannya dengan "
        "tanggal uang diterima %(f)s atau sesudahnya."
    ) % {"rows": ", ".join(str(r) for r in p["rows"]), "loans": ", ".join(p["loans"]), "f": f}


def _left_row_errors(p: dict) -> str:
    n = int(p["n"])
    named = ", ".join(str(r) for r in p["rows"]) + (", …" if p.get("more") else "")
    return ngettext(
        "%(n)s baris salah (baris %(rows)s). Posting semua instansi tidak "
        "mengambil file ini; kecualikan baris yang salah di halamannya (dianggap "
        "tidak dipotong), atau perbaiki file lalu unggah lagi.",
        "%(n)s baris salah (baris %(rows)s). Posting semua instansi tidak "
        "mengambil file ini; kecualikan baris yang salah di halamannya (dianggap "
        "tidak dipotong), atau perbaiki file lalu unggah lagi.",
        n,
    ) % {"n": n, "rows": named}


def _loan_date_refused(p: dict) -> str:
    rows = [_("Baris %(r)s: %(m)s") % {"r": e["row"], "m": message_shown(e)} for e in p["rows"]]
    text = (
        _(
            "Tanggal uang diterima %(d)s terlalu awal untuk pinjaman di baris %(r)s; baris "
            "itu kini ditandai salah. %(list)s"
        )
        if p["marked"]
        else _("Tanggal uang diterima %(d)s terlalu awal untuk pinjaman di baris %(r)s. %(list)s")
    )
    return text % {
        "d": format_tanggal(date.fromisoformat(p["on"])),
        "r": ", ".join(str(e["row"]) for e in p["rows"]),
        "list": " ".join(rows),
    }


def _agency_posted(p: dict) -> str:
    return _("Potong gaji %(a)s bulan %(m)s sudah diposting.") % {
        "a": p["agency"],
        "m": _month(p["year"], p["month"]),
    }


RENDER: dict[str, Callable[[dict], str | None]] = {
    # the file (``parsing``)
    "sheet": lambda p: sheet_error_message(p["key"], p.get("params")),
    "no_id_column": lambda p: _(
        "Kolom salah: tidak ada kolom NIP atau No. Anggota di baris judul. "
        "Gunakan file ekspor (kolom 'Realisasi') atau dua kolom: NIP, Jumlah."
    ),
    "many_sheets": lambda p: (
        _(
            "Daftar potongan ada di lebih dari satu lembar (%(s)s), padahal hanya satu "
            "lembar yang dibaca. Gabungkan semuanya ke satu lembar, atau unggah tiap "
            "lembar sebagai berkas sendiri."
        )
        % {"s": p["sheets"]}
    ),
    "no_amount_column": lambda p: (
        _("Kolom salah: kolom jumlah (Realisasi/Jumlah) tidak ditemukan. Kolom yang ada: %(c)s.")
        % {"c": p["columns"]}
    ),
    "split_rows": lambda p: split_rows_message(p["rows"]),
    "too_many_rows": lambda p: (
        _(
            "Berkas berisi %(n)s baris data; paling banyak %(max)s baris. Unggah "
            "realisasi anggota koperasi dari satu instansi saja."
        )
        % {"n": _thousands(p["n"]), "max": _thousands(p["max"])}
    ),
    "no_rows": lambda p: _("File tidak berisi baris data."),
    "totals_mismatch": _totals,
    # a row's cells (``parsing``)
    "cell_control": lambda p: control_characters_message(CELL_LABELS[p["column"]]()),
    "nip_unreadable": _nip_refused,
    "id_empty": lambda p: _("NIP / No. Anggota kosong."),
    "amount_empty": lambda p: _("Jumlah kosong; isi 0 bila anggota tidak dipotong."),
    "amount_unreadable": _amount_refused,
    # the rows against the run (``services.imports``)
    "ids_two_members": lambda p: (
        _(
            "NIP %(nip)s milik %(a)s, tetapi No. Anggota %(no)s milik %(b)s; "
            "periksa baris ini (NIP atau nomor tertukar?)."
        )
        % p
    ),
    "member_unknown": lambda p: _("Anggota %(w)s tidak dikenal.") % {"w": p["who"]},
    "duplicate": lambda p: (
        _("Duplikat: anggota %(w)s sudah ada di baris %(r)s.")
        % {"w": p["who"], "r": p["first_row"]}
    ),
    "not_in_list": lambda p: (
        _("Anggota %(w)s tidak ada dalam daftar potong gaji bulan ini.") % {"w": p["who"]}
    ),
    "other_agency": lambda p: (
        _("Anggota %(w)s terdaftar di instansi %(a)s, bukan %(b)s.")
        % {"w": p["who"], "a": p["agency"], "b": p["expected"]}
    ),
    "member_inactive": lambda p: (
        _(
            "Anggota %(w)s sudah tidak aktif (%(s)s) sejak daftar dibuat; potongan %(a)s "
            "tidak dapat dibukukan. Kecualikan baris ini (dianggap tidak dipotong) dan "
            "kembalikan potongannya kepada anggota, atau perbaiki file."
        )
        % {"w": p["who"], "s": Member.Status(p["status"]).label, "a": _rp(p["amount"])}
    ),
    "loan_date": _loan_date,
    "other_run": lambda p: (
        _(
            "Berkas ini adalah daftar potong gaji %(m)s untuk instansi %(a)s, bukan "
            "%(rm)s untuk %(ra)s. Unggah berkas bulan dan instansi yang benar."
        )
        % {
            "m": _month(p["year"], p["month"]),
            "a": p["agency"],
            "rm": _month(p["run_year"], p["run_month"]),
            "ra": p["run_agency"],
        }
    ),
    "title_month": lambda p: (
        _("Judul berkas menyebut bulan %(m)s, bukan %(rm)s. Unggah berkas bulan yang benar.")
        % {"m": _month(p["year"], p["month"]), "rm": _month(p["run_year"], p["run_month"])}
    ),
    # warnings
    "row_hidden": lambda p: _("Baris ini tersembunyi di Excel; tetap dibaca dan diimpor."),
    "zeros_lost": lambda p: (
        _("No. Anggota %(n)s tertulis tanpa nol di depan; dicocokkan dengan %(m)s.") % p
    ),
    "nip_unreadable_matched": _nip_guessed,
    "nip_unknown_matched": lambda p: (
        _("NIP %(n)s tidak dikenal; anggota dicocokkan dari No. Anggota.") % p
    ),
    "number_unknown_matched": lambda p: (
        _("No. Anggota %(n)s tidak dikenal; anggota dicocokkan dari NIP.") % p
    ),
    "over_asked": lambda p: (
        _("Jumlah %(a)s melebihi yang diminta %(t)s; kelebihan %(x)s masuk simpanan sukarela.")
        % {
            "a": _rp(p["amount"]),
            "t": _rp(p["asked"]),
            "x": format_rupiah(Decimal(p["amount"]) - Decimal(p["asked"])),
        }
    ),
    "unmarked_file": lambda p: (
        _(
            "PERHATIAN: berkas ini bukan hasil ekspor daftar %(rm)s (tanda ekspor tidak ada), "
            "jadi bulan dan instansinya tidak dapat dipastikan. %(same)s dari %(n)s baris sama "
            "dengan yang diminta; total berkas %(t)s, total diminta %(a)s. Pastikan ini "
            "realisasi %(ra)s bulan %(rm)s sebelum memposting."
        )
        % {
            "rm": _month(p["run_year"], p["run_month"]),
            "ra": p["agency"],
            "same": p["same"],
            "n": p["n"],
            "t": _rp(p["total"]),
            "a": _rp(p["asked"]),
        }
    ),
    # why "post every ready agency" left an agency out (``services.post_all``)
    "left_two_files": lambda p: (
        _("%(n)s file siap diposting; buang yang tidak dipakai dulu.") % {"n": p["n"]}
    ),
    "left_loan_date": _left_loan_date,
    "left_file_invalid": lambda p: (
        _(
            "File ditolak: %(e)s Posting semua instansi tidak mengambil file ini; "
            "perbaiki file lalu unggah lagi."
        )
        % {"e": message_shown(p["error"])}
    ),
    "left_row_errors": _left_row_errors,
    # why a batch is not posted (``services.posting``: the post-all tasks keep them)
    "post_system_error": lambda p: _("Kesalahan sistem; batch ini tidak diposting."),
    # why a run's list could not be made (``services.runs``: ``DeductionRun.error_said``)
    "run_system_error": lambda p: _(
        "Daftar potongan gagal dibuat karena kesalahan sistem; tim kami sudah diberi tahu. "
        "Coba lagi."
    ),
    "post_already_posted": lambda p: _("Impor ini sudah diposting."),
    "post_agency_posted": _agency_posted,
    "post_file_has_errors": lambda p: _(
        "File masih punya kesalahan; perbaiki atau kecualikan baris yang salah dulu."
    ),
    "post_members_inactive": lambda p: (
        _(
            "Baris %(r)s: anggota sudah tidak aktif sejak file diunggah; baris itu kini "
            "ditandai salah. Kecualikan baris itu (dianggap tidak dipotong) lalu posting lagi."
        )
        % {"r": ", ".join(str(r) for r in p["rows"])}
    ),
    "post_loan_date": _loan_date_refused,
    "post_nothing_realized": lambda p: _(
        "Tidak ada potongan yang terealisasi. Jika instansi memang tidak memotong "
        'apa pun bulan ini, konfirmasi "tidak ada potongan": tidak ada uang yang '
        "dibukukan, semua tagihan dicatat kurang dan ditagih lagi di daftar berikutnya."
    ),
    "post_period_closed": lambda p: (
        _("Periode tanggal %(d)s sudah ditutup; pilih tanggal terima di periode yang terbuka.")
        % {"d": format_date(date.fromisoformat(p["on"]))}
    ),
    "post_before_books": lambda p: (
        _("Tanggal %(d)s sebelum awal pembukuan koperasi (%(s)s).")
        % {
            "d": format_tanggal(date.fromisoformat(p["on"])),
            "s": format_tanggal(date.fromisoformat(p["start"])),
        }
    ),
}

said_register(RENDER)

# ``Said`` (``core.common.said``) is imported from here by the import's modules; a Said
# pickled before it moved names ``_said_again`` of this module
__all__ = ["Said", "_said_again", "message_shown", "said_kept"]
