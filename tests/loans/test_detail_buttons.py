"""The loan page's buttons say what they open: the loan card's PDF was a bare *PDF*
beside *Kartu pinjaman*, *Surat perjanjian (PDF)* and *Bukti pencairan (PDF)*."""

import re

import pytest
from django.test import Client


@pytest.fixture
def login(client_a, in_tenant_a):
    def as_user(user):
        c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
        c.force_login(user)
        return c

    return as_user


def test_loan_card_pdf_button_is_named(login, staff, make_loan):
    loan = make_loan()
    html = login(staff["petugas"]).get(f"/pinjaman/{loan.pk}/").content.decode()
    link = re.search(rf'<a [^>]*href="/pinjaman/{loan.pk}/kartu/\?format=pdf"[^>]*>(.*?)</a>', html)
    assert link and link.group(1) == "Kartu pinjaman (PDF)"
