"""A report file an auditor takes away (XLSX, PDF) says whose it is, what period it
covers and when it was printed, besides the figures of the screen."""

import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from openpyxl import load_workbook

from core.common.dates import format_tanggal
from core.ledger.models import Account
from core.ledger.services import LineSpec, journal_post


@pytest.fixture
def posted(bendahara, today):
    journal_post(
        on=today,
        description="Setoran modal",
        by=bendahara,
        source="other",
        lines=[LineSpec("1101", debit=D("750000")), LineSpec("3101", credit=D("750000"))],
    )


def _texts(content: bytes) -> list[str]:
    ws = load_workbook(io.BytesIO(content)).active
    return [str(c) for r in ws.iter_rows(values_only=True) for c in r if c is not None]


@pytest.mark.parametrize("kind", ["neraca-saldo", "neraca", "phu", "perubahan-ekuitas", "arus-kas"])
def test_statement_xlsx_names_cooperative_period_and_print_time(login, posted, today, kind):
    start = date(today.year, 1, 1)
    resp = login("pengawas").get(
        f"/buku-besar/laporan/{kind}/?date_from={start}&date_to={today}&format=xlsx"
    )
    assert resp.status_code == 200
    texts = _texts(resp.content)
    assert connection.tenant.name in texts
    assert any(t.startswith("Dicetak ") and format_tanggal(today) in t for t in texts), texts[:6]


def test_buku_besar_xlsx_names_cooperative_period_and_print_time(login, posted, today):
    cash = Account.objects.get(code="1101")
    resp = login("pengawas").get(
        f"/buku-besar/akun/{cash.pk}/buku-besar/?date_from={today}&date_to={today}&format=xlsx"
    )
    assert resp.status_code == 200
    texts = _texts(resp.content)
    assert connection.tenant.name in texts
    assert any("Periode" in t for t in texts)
    assert any(t.startswith("Dicetak ") for t in texts)
