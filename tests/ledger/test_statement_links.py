"""The auditor's path down from the period statements, as from the neraca saldo and the
neraca: each account of the income statement (LPHU) and of the equity statement opens
its buku besar over the statement's period."""

from datetime import date
from decimal import Decimal as D

from core.ledger.models import Account
from core.ledger.services import LineSpec, journal_post


def _href(code, start, end):
    pk = Account.objects.get(code=code).pk
    return (
        f'href="/buku-besar/akun/{pk}/buku-besar/'
        f'?date_from={start.isoformat()}&amp;date_to={end.isoformat()}"'
    )


def test_income_and_equity_statements_link_each_account_to_its_buku_besar(login, bendahara, today):
    start = date(today.year, 1, 1)
    for debit, credit in (("1101", "4301"), ("5302", "1101"), ("1101", "3104")):
        journal_post(
            on=today,
            description="x",
            by=bendahara,
            lines=[LineSpec(debit, debit=D("40000")), LineSpec(credit, credit=D("40000"))],
        )
    c = login("pengawas")
    q = f"?date_from={start}&date_to={today}"
    phu = c.get(f"/buku-besar/laporan/phu/{q}").content.decode()
    assert _href("4301", start, today) in phu and _href("5302", start, today) in phu
    eq = c.get(f"/buku-besar/laporan/perubahan-ekuitas/{q}").content.decode()
    assert _href("3104", start, today) in eq
