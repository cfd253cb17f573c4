"""The auditor's path down from the statements: an account on the neraca saldo and the
neraca opens its buku besar over the report's range (whose closing balance is the
figure clicked), and a line of the buku besar opens its journal entry. The files (PDF,
XLSX) carry no links, the same figures."""

from datetime import date
from decimal import Decimal as D

from core.ledger.models import Account
from core.ledger.services import LineSpec, journal_post


def _post(on, bendahara):
    return journal_post(
        on=on,
        description="Setoran modal",
        by=bendahara,
        source="other",
        lines=[LineSpec("1101", debit=D("750000")), LineSpec("3101", credit=D("750000"))],
    )


def test_trial_balance_and_neraca_link_each_account_to_its_buku_besar(login, bendahara, today):
    start = date(today.year, 1, 1)
    _post(today, bendahara)
    cash = Account.objects.get(code="1101")
    want = (
        f'href="/buku-besar/akun/{cash.pk}/buku-besar/'
        f'?date_from={start.isoformat()}&amp;date_to={today.isoformat()}"'
    )
    c = login("pengawas")
    for kind in ("neraca-saldo", "neraca"):
        html = c.get(
            f"/buku-besar/laporan/{kind}/?date_from={start}&date_to={today}"
        ).content.decode()
        assert want in html, kind
    # the buku besar it opens ends on the trial balance's figure
    ledger = c.get(
        f"/buku-besar/akun/{cash.pk}/buku-besar/?date_from={start}&date_to={today}"
    ).content.decode()
    assert "Rp 750.000" in ledger


def test_buku_besar_line_links_its_journal_entry(login, bendahara, today):
    entry = _post(today, bendahara)
    cash = Account.objects.get(code="1101")
    html = (
        login("pengawas")
        .get(f"/buku-besar/akun/{cash.pk}/buku-besar/?date_from={today}&date_to={today}")
        .content.decode()
    )
    assert f'<a href="/buku-besar/jurnal/{entry.pk}/">{entry}</a>' in html


def test_report_files_carry_the_figures_without_links(login, bendahara, today):
    import io

    from openpyxl import load_workbook

    _post(today, bendahara)
    resp = login("pengawas").get(f"/buku-besar/laporan/neraca-saldo/?date_to={today}&format=xlsx")
    ws = load_workbook(io.BytesIO(resp.content)).active
    values = [c for r in ws.iter_rows(values_only=True) for c in r if c is not None]
    assert "Kas" in values and 750000 in values
    assert not any("href" in str(v) for v in values)
