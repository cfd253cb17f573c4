"""A member import's row errors, kept as a stable ``code`` with its ``params`` and said
in the reader's language when shown (``core.common.said``): a file uploaded with the
Indonesian UI leaves errors the treasurer reads in English on the import page.

Stored on ``MemberImport.errors``, a row error is ``{"row", "column", "message", "code",
"params"}``; ``message`` is the text as written at upload (what an import kept before
codes shows: no ``code``). ``params`` are plain JSON: dates ISO, money a string of
rupiah, formatted at render. A message a cell's own check gives (an unreadable NIP, a
date, an amount, a control character; ``CELL_CHECKS``) is kept as ``member_import.cell``
with the column and the cell (``cell_param``) and said again by checking the cell kept
(the text stored when it reads now). A berjangka balance's refusal
(``member_import_berjangka``) is kept as written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.common.dates import format_tanggal
from core.common.money import format_rupiah
from core.common.said import Said, said_register, said_shown
from core.common.spreadsheet import (
    CellProblem,
    cell_date,
    cell_param,
    cell_plain_text,
    cell_rupiah,
    cell_text,
    cell_value,
    nik_cell,
    nip_cell,
)
from core.members.services import normalize_golongan
from core.members.validators import nip_nik_match, normalize_phone, parse_nik, parse_nip


def _text(v: Any) -> str:
    return cell_text(v) if not isinstance(v, CellProblem) else ""


def _day(iso: str | None) -> str:
    return format_tanggal(date.fromisoformat(iso) if iso else None)


def _plain(label: Callable[[], str]) -> Callable[[Any, dict], object]:
    return lambda v, p: cell_plain_text(v, label=label())


def _dated(label: Callable[[], str]) -> Callable[[Any, dict], object]:
    return lambda v, p: cell_date(v, label=label(), date1904=bool(p.get("date1904")))


def _rupiah(label: Callable[[], str]) -> Callable[[Any, dict], object]:
    return lambda v, p: cell_rupiah(v, label=label(), max_value=Decimal(p["max"]))


# the check ``import_validate`` runs on a column's cell, run again to say its refusal
CELL_CHECKS: dict[str, Callable[[Any, dict], object]] = {
    "nama_lengkap": _plain(lambda: _("Nama lengkap")),
    "nip": lambda v, p: parse_nip(nip_cell(v)),
    "nik": lambda v, p: parse_nik(nik_cell(v)),
    "tanggal_lahir": _dated(lambda: _("Tanggal lahir")),
    "nomor_anggota": _plain(lambda: _("Nomor anggota")),
    "tanggal_masuk": _dated(lambda: _("Tanggal masuk")),
    "golongan": lambda v, p: normalize_golongan(_text(v)),
    "telepon": lambda v, p: normalize_phone(_text(v)),
    "jabatan": _plain(lambda: _("Jabatan")),
    "alamat": _plain(lambda: _("Alamat")),
    "nama_bank": _plain(lambda: _("Nama bank")),
    "nomor_rekening": _plain(lambda: _("Nomor rekening")),
    "gaji_bersih": _rupiah(lambda: _("Gaji bersih")),
    # the label as the import words it (``saldo_pokok`` → "Saldo pokok")
    **{
        col: _rupiah(lambda col=col: col.replace("_", " ").capitalize())
        for col in ("saldo_pokok", "saldo_wajib", "saldo_sukarela")
    },
}


def cell_refused(
    column: str, raw: dict[str, Any], error: ValidationError, *, max_value=None
) -> Said:
    """``error``, the refusal of ``raw``'s cell in ``column`` by its check
    (``CELL_CHECKS``), kept to be said again; ``max_value``: an amount column's cap."""
    params: dict[str, Any] = {"column": column, "cell": cell_param(raw.get(column))}
    if raw.get("_date1904"):
        params["date1904"] = True
    if max_value is not None:
        params["max"] = str(max_value)
    return Said("member_import.cell", params, text=error.messages[0])


def _cell_said(p: dict) -> str | None:
    """The cell's refusal said again (None: it reads now; the stored text is shown)."""
    try:
        CELL_CHECKS[p["column"]](cell_value(p["cell"]), p)
    except ValidationError as e:
        return e.messages[0]
    return None


def _nip_nik_said(p: dict) -> str | None:
    try:
        nip_nik_match(p["nip"], p["nik"])
    except ValidationError as e:
        return e.messages[0]
    return None


def _deceased(p: dict) -> str:
    return _(
        "%(f)s %(v)s milik anggota No. %(no)s (%(name)s) yang meninggal dunia "
        "pada %(d)s: %(f)s anggota yang meninggal tidak dapat didaftarkan lagi."
    ) % {**p, "d": _day(p["d"])}


ROW_ERRORS: dict[str, Callable[[dict], str | None]] = {
    "member_import.cell": _cell_said,
    "member_import.nip_nik": _nip_nik_said,
    "member_import.totals_row": lambda p: (
        _(
            "Baris jumlah (%(t)s) bukan data anggota: hapus baris ini dari "
            "berkas (total saldo ditampilkan di pratinjau)."
        )
        % p
    ),
    "member_import.name_required": lambda p: _("Nama lengkap wajib diisi."),
    "member_import.birth_date_mismatch": lambda p: (
        _(
            "Tanggal lahir %(t)s tidak sama dengan tanggal lahir menurut NIP "
            "(%(n)s): periksa NIP atau tanggal lahirnya."
        )
        % {"t": _day(p["t"]), "n": _day(p["n"])}
    ),
    "member_import.duplicate": lambda p: _("Duplikat dalam berkas: sama dengan baris %(r)s.") % p,
    "member_import.agency_required": lambda p: _("Kode instansi wajib diisi."),
    "member_import.agency_name_ambiguous": lambda p: (
        _("Nama instansi %(c)s dipakai %(n)s instansi (%(k)s): tulis kodenya.") % p
    ),
    "member_import.agency_unknown": lambda p: _("Instansi dengan kode %(c)s tidak dikenal.") % p,
    "member_import.agency_inactive": lambda p: _("Instansi %(c)s tidak aktif.") % p,
    "member_import.join_future": lambda p: _("Tanggal masuk tidak boleh di masa depan."),
    "member_import.join_implausible": lambda p: (
        _("Tanggal masuk %(d)s tidak masuk akal.") % {"d": _day(p["d"])}
    ),
    "member_import.join_before_birth": lambda p: (
        _("Tanggal masuk (%(j)s) sebelum tanggal lahir anggota menurut NIP (%(b)s).")
        % {"j": _day(p["j"]), "b": _day(p["b"])}
    ),
    "member_import.email_invalid": lambda p: _("Alamat e-mail tidak valid."),
    "member_import.no_opening_product": lambda p: (
        _("Tidak ada produk simpanan %(k)s yang aktif untuk saldo awal.") % p
    ),
    "member_import.pokok_over_product": lambda p: (
        _("Saldo pokok %(v)s melebihi simpanan pokok produk (%(a)s).")
        % {"v": format_rupiah(Decimal(p["v"])), "a": format_rupiah(Decimal(p["a"]))}
    ),
    "member_import.registered": lambda p: _("Sudah terdaftar di database: %(v)s.") % p,
    "member_import.deceased": _deceased,
    "member_import.two_old_members": lambda p: _(
        "NIP dan NIK baris ini tercatat pada dua anggota lama yang berbeda."
    ),
}
said_register(ROW_ERRORS)


def nip_nik_refused(nip: str, nik: str, error: ValidationError) -> Said:
    """``nip_nik_match``'s refusal of the pair, kept to be said again."""
    return Said("member_import.nip_nik", {"nip": nip, "nik": nik}, text=error.messages[0])


def row_errors_shown(items: list[dict]) -> list[dict]:
    """Kept row errors with their message in the active language (the stored text for
    one kept before codes)."""
    return [{**e, "message": said_shown(e)} for e in items]
