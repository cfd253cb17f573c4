"""The data an e-Faktur needs, for the platform's accountant: one row per invoice issued
in a tax period (month), with the FK columns of the e-Faktur import (transaction code,
period, date, buyer's NPWP, name and address, DPP, PPN) and our invoice number as the
reference, then the month's credit notes (nota retur) and the cancellations of earlier
months' invoices voided in it as reductions (a month's rows never change once it is
over: see ``efaktur_rows``); after them the
buyer's legal number (badan hukum), NIK koperasi and e-mail. Every buyer column is the
copy made when the document was issued (buyer_*), never the cooperative as it is now:
a deleted cooperative's invoices and notes are kept (billing_records_purge) and their
rows stay the same. CSV or XLSX; the
accountant imports or keys them in. The buyer's name and address are typed by the
cooperative: both files write every row through ``safe_row`` (text starting with
``= + - @`` gets a leading apostrophe and stays text)."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.conf import settings
from openpyxl import Workbook

from core.common.exports import excel_text, safe_row

from .models import CreditNote, Invoice

COLUMNS = [
    "KD_JENIS_TRANSAKSI",
    "FG_PENGGANTI",
    "MASA_PAJAK",
    "TAHUN_PAJAK",
    "TANGGAL_FAKTUR",
    "NPWP",
    "NAMA",
    "ALAMAT_LENGKAP",
    "JUMLAH_DPP",
    "JUMLAH_PPN",
    "JUMLAH_PPNBM",
    "REFERENSI",
    "NOMOR_STRIPE",
    "STATUS",
    "NPWP_PENJUAL",
    "FAKTUR_ASAL",
    "NOMOR_BADAN_HUKUM",
    "NIK_KOPERASI",
    "EMAIL_PEMBELI",
]


def efaktur_rows(*, year: int, month: int) -> list[list]:
    """The month's rows, which never change once the month is over (tax data reported
    stays as reported):

    - invoices issued in the month, in number order, as issued: STATUS ``faktur``
      whatever happened to them since (paid or voided later); an invoice voided in its
      own month was never reported and is left out;
    - the credit notes (nota retur) issued in the month: DPP and PPN negative, STATUS
      ``nota_retur``, FAKTUR_ASAL the invoice they reduce;
    - the cancellations (pembatalan) of invoices of an earlier month voided in this one:
      dated the day of the void, DPP and PPN negative (the whole invoice), STATUS
      ``batal``, REFERENSI and FAKTUR_ASAL the invoice cancelled.

    FAKTUR_ASAL is empty on an invoice's row. The PPN column's sum is the month's net
    PPN."""
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    invoices = (
        Invoice.objects.filter(issued_on__gte=start, issued_on__lt=end, dpp__isnull=False)
        .exclude(voided_on__lt=end)
        .order_by("number")
    )
    rows = [
        _row(
            month,
            year,
            doc=inv,
            on=inv.issued_on,
            sign=1,
            provider_number=inv.provider_number,
            status="faktur",
            original="",
        )
        for inv in invoices
    ]
    for note in (
        CreditNote.objects.filter(issued_on__gte=start, issued_on__lt=end)
        .select_related("invoice")
        .order_by("pk")
    ):
        rows.append(
            _row(
                month,
                year,
                doc=note,
                on=note.issued_on,
                sign=-1,
                provider_number=note.invoice.provider_number,
                status="nota_retur",
                original=note.invoice.number,
            )
        )
    for inv in Invoice.objects.filter(
        voided_on__gte=start, voided_on__lt=end, issued_on__lt=start, dpp__isnull=False
    ).order_by("voided_on", "number"):
        rows.append(
            _row(
                month,
                year,
                doc=inv,
                on=inv.voided_on,
                sign=-1,
                provider_number=inv.provider_number,
                status="batal",
                original=inv.number,
            )
        )
    return rows


def _row(
    month: int,
    year: int,
    *,
    doc,
    on: date,
    sign: int,
    provider_number: str,
    status: str,
    original: str,
) -> list:
    """One e-Faktur row of an invoice (``sign`` 1), or of a credit note or a
    cancellation reducing one (-1), dated ``on``."""
    return [
        "01",
        "0",
        month,
        year,
        on.strftime("%d/%m/%Y"),
        "".join(ch for ch in doc.buyer_npwp if ch.isdigit()) or "000000000000000",
        doc.buyer_name,
        doc.buyer_address,
        sign * int(doc.dpp),
        sign * int(doc.ppn),
        0,
        doc.number,
        provider_number,
        status,
        settings.BILLING_SELLER_NPWP,
        original,
        doc.buyer_legal_number,
        doc.buyer_nik_koperasi,
        doc.buyer_email,
    ]


def efaktur_csv(*, year: int, month: int) -> bytes:
    """The rows as CSV, written like every CSV export of the project
    (``core.common.exports.export_csv``): UTF-8 with a BOM, comma-separated, CRLF, quoted
    only where needed. A text cell goes through ``safe_cell`` (formula-like text gets a
    leading apostrophe), then ``excel_text``: a digit string Excel would spoil (NPWP with
    its leading zero, the NIK koperasi's 16 digits, the code ``01``) is written as Excel's
    text formula ``="023456789012000"`` (CSV-quoted, its quotes doubled), shown
    by Excel and LibreOffice as written. A program reading the file strips the BOM
    (``utf-8-sig``) and takes ``="…"`` as the text inside, as Lumbung's own reader does
    (``core.common.spreadsheet``). Amounts, month and year are plain numbers."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in efaktur_rows(year=year, month=month):
        writer.writerow([excel_text(c) if isinstance(c, str) else c for c in safe_row(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def efaktur_xlsx(*, year: int, month: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}-{month:02d}"
    ws.append(COLUMNS)
    for row in efaktur_rows(year=year, month=month):
        ws.append(safe_row(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
