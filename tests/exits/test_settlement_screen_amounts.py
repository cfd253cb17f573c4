# ruff: noqa: F811, F401
"""The exit settlement screen's result in words: a negative net (the loans are more than
the savings) is written as every amount is (``-Rp 780.000``, the money filter's rule)
and said for what it is: what the member still owes the cooperative, or what the
cooperative pays out."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.common.money import format_rupiah
from core.exits.services import exit_settlement_preview
from core.ledger.services import fiscal_year_ensure
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.loans.conftest import _media, make_loan, member, product, staff

D = Decimal


def _save(member, products, staff, on, sukarela):
    for kind, amount in (("pokok", "100000"), ("wajib", "2400000"), ("sukarela", sukarela)):
        acc = savings_account_get_or_open(member=member, product=products[kind], on=on)
        teller_deposit(account=acc, amount=D(amount), channel="bank", on=on, by=staff["petugas"])


def _page(client_a, user, member) -> str:
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(user)
    r = c.get(reverse("exits:settle", args=[member.pk]))
    assert r.status_code == 200
    return r.content.decode()


def _foot(html: str) -> str:
    return html.split("<tfoot>")[1].split("</tfoot>")[0]


def test_loans_above_savings_show_what_the_member_still_owes(
    client_a, products, member, staff, make_loan, today
):
    fiscal_year_ensure(year=(today - timedelta(days=40)).year)  # early in the year: last year
    _save(member, products, staff, today - timedelta(days=30), "100000")
    make_loan(principal=D("10000000"), days_ago=40)
    p = exit_settlement_preview(member=member, on=today)
    assert p.net_payable < 0
    html = _page(client_a, staff["bendahara"], member)
    foot = _foot(html)
    owed = format_rupiah(-p.net_payable)
    assert format_rupiah(p.net_payable) == f"-{owed}"  # the filter's rule for negatives
    assert format_rupiah(p.net_payable) in foot
    assert "Dibayarkan" not in foot
    assert f"Anggota masih harus membayar {owed} kepada koperasi" in html
    # the loans row is written with the same rule (not a typed "−" before the figure)
    assert f"{format_rupiah(-p.loans_outstanding)}</td>" in html
    assert "− Rp" not in html.split("<tfoot>")[0].split("SHU belum dibayar")[1]


def test_savings_above_loans_say_what_the_cooperative_pays(
    client_a, products, member, staff, make_loan, today
):
    fiscal_year_ensure(year=(today - timedelta(days=40)).year)  # early in the year: last year
    _save(member, products, staff, today - timedelta(days=30), "20000000")
    make_loan(principal=D("10000000"), days_ago=40)
    p = exit_settlement_preview(member=member, on=today)
    assert p.net_payable > 0
    html = _page(client_a, staff["bendahara"], member)
    assert f"Koperasi membayar {format_rupiah(p.net_payable)} kepada anggota" in html
    assert "masih harus membayar" not in html
