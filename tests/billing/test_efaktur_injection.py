"""Spreadsheet formula injection in the e-Faktur data (CSV and XLSX): the buyer's name and
address are typed by the cooperative; text that starts like a formula stays text."""

import csv
import io

from django.utils import timezone
from openpyxl import load_workbook

from billing import services
from billing.efaktur import efaktur_csv, efaktur_xlsx
from billing.models import Invoice, Plan, Subscription
from tests.core.test_exports import EVIL


def _invoice_with_evil_buyer(tenant) -> Invoice:
    sub = Subscription.objects.get(cooperative=tenant)
    Subscription.objects.filter(pk=sub.pk).update(npwp="023456789012000")
    sub.refresh_from_db()
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="year", by="t"
    )
    Invoice.objects.filter(pk=inv.pk).update(buyer_name=EVIL, buyer_address="-1+2 Jl. Merdeka")
    return inv


def test_efaktur_xlsx_keeps_a_formula_like_buyer_name_as_text(tenant_a):
    inv = _invoice_with_evil_buyer(tenant_a)
    today = timezone.localdate()
    ws = load_workbook(io.BytesIO(efaktur_xlsx(year=today.year, month=today.month))).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert [c.value for c in cells if c.data_type == "f"] == []
    [row] = [r for r in ws.iter_rows(values_only=True) if r[11] == inv.number]
    assert (row[6], row[7]) == ("'" + EVIL, "'-1+2 Jl. Merdeka")
    assert row[8] == int(inv.dpp)  # amounts stay numbers


def test_efaktur_csv_keeps_a_formula_like_buyer_name_as_text(tenant_a):
    inv = _invoice_with_evil_buyer(tenant_a)
    today = timezone.localdate()
    rows = list(csv.reader(io.StringIO(efaktur_csv(year=today.year, month=today.month).decode())))
    [row] = [r for r in rows[1:] if r[11] == inv.number]
    assert (row[6], row[7]) == ("'" + EVIL, "'-1+2 Jl. Merdeka")
    assert int(row[8]) == inv.dpp
