"""The member page's change history is read by the board and the auditor in Bahasa
Indonesia: each row names the column as the forms do ("gaji bersih (take home pay)", not
``take_home_pay``), a status as its label ("Meninggal", not ``deceased``) and an amount
as rupiah."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.members.services import member_status_set, member_update
from tests.members import factories as f

HOST = "alpha.localhost"


@pytest.fixture
def page(in_tenant_a):
    def read(member):
        c = Client(HTTP_HOST=HOST)
        c.force_login(f.user("pengawas"))
        html = c.get(reverse("members:detail", args=[member.pk])).content.decode()
        return html[html.index('id="history"') :]

    return read


def test_history_names_columns_statuses_and_amounts_in_indonesian(page):
    m = f.member(take_home_pay=Decimal("5000000"))
    bendahara = f.user("bendahara")
    member_update(
        member=m,
        by=bendahara,
        reason="SK gaji baru",
        take_home_pay="5.750.000",
        bank_account_number="1234567890",
    )
    member_status_set(
        member=m, status="deceased", on=timezone.localdate(), reason="wafat", by=bendahara
    )
    html = page(m)
    for raw in ("take_home_pay", "bank_account_number", ">deceased<", ">active<"):
        assert raw not in html, raw
    assert "gaji bersih (take home pay)" in html
    assert "nomor rekening" in html
    assert "Rp 5.000.000" in html and "Rp 5.750.000" in html
    assert "Aktif" in html and "Meninggal" in html
    assert "SK gaji baru" in html
