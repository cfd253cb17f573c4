"""Spreadsheet formula injection (issue 22) in the ledger (buku besar) export."""

import io
from decimal import Decimal as D

from openpyxl import load_workbook

from tests.core.test_exports import EVIL


def _cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_journal_description_in_the_ledger_xlsx_is_text(in_tenant_a, tenant_a):
    from django.test import Client
    from django.utils import timezone

    from core.ledger.models import Account
    from core.ledger.services import LineSpec, journal_post
    from tenants.services import tenant_host
    from tests.webapp.conftest import make_user

    bendahara = make_user("bendahara", email="bend-x@webapp.test")
    journal_post(
        on=timezone.localdate(),
        description=EVIL,
        by=bendahara,
        lines=[LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("1000"))],
    )
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(bendahara)
    acc = Account.objects.get(code="1101")
    r = c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/?format=xlsx")
    assert r.status_code == 200
    cells = _cells(r.content)
    assert not [c.value for c in cells if c.data_type == "f"]
    assert any(isinstance(c.value, str) and c.value.startswith("'=HYPERLINK") for c in cells)
