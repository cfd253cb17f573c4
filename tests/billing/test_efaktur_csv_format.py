"""The e-Faktur CSV as bytes: UTF-8 with a BOM, and digit strings (NPWP with its leading
zero, the 16-digit NIK koperasi, the transaction code "01") written as Excel's text
formula ``="…"`` like every CSV export of the project, so Excel keeps them as written;
Lumbung's own reader takes the file back cell for cell."""

from django.utils import timezone

from billing import services
from billing.efaktur import COLUMNS, efaktur_csv, efaktur_rows
from billing.models import Invoice, Plan, Subscription
from core.common.spreadsheet import read_workbook


def _invoice(tenant) -> Invoice:
    sub = Subscription.objects.get(cooperative=tenant)
    Subscription.objects.filter(pk=sub.pk).update(npwp="02.345.678.9-012.000")
    sub.refresh_from_db()
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="year", by="t"
    )
    Invoice.objects.filter(pk=inv.pk).update(buyer_nik_koperasi="3201234567890123")
    inv.refresh_from_db()
    return inv


def test_efaktur_csv_has_a_bom_and_keeps_digit_strings_as_text_in_excel(tenant_a):
    inv = _invoice(tenant_a)
    today = timezone.localdate()
    body = efaktur_csv(year=today.year, month=today.month)
    assert body.startswith(b"\xef\xbb\xbfKD_JENIS_TRANSAKSI,FG_PENGGANTI,")
    [line] = [ln for ln in body.decode("utf-8-sig").splitlines()[1:] if inv.number in ln]
    assert line.startswith('"=""01""",0,')
    assert ',"=""023456789012000""",' in line
    assert ',"=""3201234567890123""",' in line
    assert f",{int(inv.dpp)},{int(inv.ppn)},0," in line  # amounts stay plain numbers


def test_efaktur_csv_reads_back_as_the_rows(tenant_a):
    inv = _invoice(tenant_a)
    today = timezone.localdate()
    book = read_workbook(
        content=efaktur_csv(year=today.year, month=today.month), file_name="efaktur.csv"
    )
    rows = [r.cells for r in book.sheets[0].rows]
    [expected] = efaktur_rows(year=today.year, month=today.month)
    assert expected[COLUMNS.index("REFERENSI")] == inv.number
    assert [str(c) for c in rows[0]] == COLUMNS
    assert [str(c) for c in rows[1]] == [str(c) for c in expected]
