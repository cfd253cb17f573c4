"""Exports of the staff lists (members, loans, journal, savings accounts, arrears) as
XLSX and CSV: the file holds what the list shows under its filters, with the right
figures, and a text cell that looks like a formula stays text."""

import csv
import io
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.ledger.models import JournalEntry
from core.savings.models import SavingsProduct
from core.savings.services import savings_account_open, teller_deposit
from tests.members import factories as f


def _xlsx(resp) -> list[list]:
    assert resp.status_code == 200, resp.status_code
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _csv(resp) -> list[list[str]]:
    assert resp.status_code == 200, resp.status_code
    assert resp["Content-Type"].startswith("text/csv")
    text = resp.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def staff(coop, client_for):
    return client_for(coop["by"])


def test_member_export_honours_agency_and_status_filters(coop, staff):
    ag_a, ag_b = coop["agencies"]
    evil = f.member(agency_obj=ag_b, full_name='=HYPERLINK("http://x","klik")')
    url = reverse("members:list")
    rows = _xlsx(staff.get(url, {"agency": ag_b.pk, "export": "xlsx"}))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Nomor", "Nama", "NIP", "NIK"]
    nips = {r[2] for r in body}
    assert nips == {coop["m"][3].nip, evil.nip}  # agency B only
    assert '\'=HYPERLINK("http://x","klik")' in {r[1] for r in body}  # stays text
    # the same filters as CSV; a search narrows it further
    rows = _csv(staff.get(url, {"agency": ag_b.pk, "q": evil.nip, "export": "csv"}))
    assert [r[2] for r in rows[1:]] == [f'="{evil.nip}"']  # Excel keeps it text
    assert rows[1][1].startswith("'=")
    # status filter: nobody has left
    assert len(_csv(staff.get(url, {"status": "left", "export": "csv"}))) == 1


def test_member_list_offers_the_exports_with_its_filters(coop, staff):
    ag_a = coop["agencies"][0]
    html = staff.get(reverse("members:list"), {"agency": ag_a.pk, "page": 1}).content.decode()
    assert f"?agency={ag_a.pk}&amp;export=xlsx" in html
    assert f"?agency={ag_a.pk}&amp;export=csv" in html
    assert "page=1&amp;export" not in html


def test_loan_export_honours_status_and_has_the_figures(coop, staff):
    loan = coop["loans"]["m1"]
    loan.refresh_from_db()
    rows = _xlsx(staff.get(reverse("loans:list"), {"status": "disbursed", "export": "xlsx"}))
    header, body = rows[0], rows[1:]
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert set(by_number) == {ln.number for ln in coop["loans"].values()}
    row = by_number[loan.number]
    assert row["Pokok"] == 10000000
    assert row["Sisa pokok"] == int(loan.principal_outstanding)
    assert row["NIP"] == loan.member.nip
    assert row["Kolektibilitas"] == "Lancar"
    assert len(_csv(staff.get(reverse("loans:list"), {"status": "applied", "export": "csv"}))) == 1


def test_journal_export_honours_source_and_dates_and_balances(coop, staff):
    url = reverse("ledger:journal")
    rows = _csv(staff.get(url, {"source": "loan", "export": "csv"}))
    header, body = rows[0], rows[1:]
    loan_entries = JournalEntry.objects.filter(source="loan")
    assert {r[0] for r in body} == {str(e) for e in loan_entries}
    debit, credit = header.index("Debit"), header.index("Kredit")
    assert sum(int(r[debit] or 0) for r in body) == sum(int(r[credit] or 0) for r in body) > 0
    # a range after everything posted: the header only
    tomorrow = coop["this"] + timedelta(days=1)
    assert len(_csv(staff.get(url, {"date_from": tomorrow.isoformat(), "export": "csv"}))) == 1
    # the range holding the first loan's disbursement only
    on = coop["loans"]["m1"].disbursed_on.isoformat()
    rows = _csv(staff.get(url, {"date_from": on, "date_to": on, "export": "csv"}))
    assert {r[0] for r in rows[1:]} == {
        str(e) for e in JournalEntry.objects.filter(date=coop["loans"]["m1"].disbursed_on)
    }
    rows = _xlsx(staff.get(url, {"source": "loan", "export": "xlsx"}))
    # the XLSX opens with its title lines (cooperative, title, period, filters, when
    # printed), then the CSV's header and the same rows
    first = next(i for i, r in enumerate(rows) if list(r[: len(header)]) == header)
    assert len(rows) - first == len(body) + 1


def test_savings_account_export_honours_product_filter_with_balances(coop, staff):
    m = coop["m"][2]
    sukarela = SavingsProduct.objects.get(kind="sukarela")
    acc = savings_account_open(member=m, product=sukarela, by=coop["by"], on=coop["this"])
    teller_deposit(account=acc, amount=D("750000"), channel="cash", by=coop["by"], on=coop["this"])
    rows = _xlsx(staff.get(reverse("savings:accounts"), {"product": sukarela.pk, "export": "xlsx"}))
    header, body = rows[0], rows[1:]
    assert [r[0] for r in body] == [acc.number]
    assert dict(zip(header, body[0], strict=True))["Saldo"] == 750000


def test_arrears_report_as_csv(coop, staff):
    r = staff.get(reverse("loans:report", args=["arrears"]), {"format": "csv"})
    rows = _csv(r)
    assert rows[0]  # the columns of the arrears list
    # named with the date of the arrears run it comes from ("Hari tunggak per …")
    assert any(h.startswith("Hari tunggak") for h in rows[0])


def test_members_cannot_export_lists(coop, client_for):
    c = client_for(f.user("anggota"))
    for name in ("members:list", "loans:list", "ledger:journal", "savings:accounts"):
        assert c.get(reverse(name), {"export": "csv"}).status_code == 403, name
