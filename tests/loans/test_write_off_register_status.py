"""The write-off register says each write-off's route and status, and every way of
reading it says the same: the page, its XLSX and CSV, and the API
(``/api/v1/loans/write-offs/``). A write-off in force is *Berlaku*; one reversed is
listed apart (a section of the same columns; in the CSV, rows of the same list) as
*Dibatalkan <tanggal>* with nothing remaining, and stays out of the totals."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from core.common.dates import format_tanggal
from core.loans.arrears import loans_arrears_update
from core.loans.reports import report_write_offs
from core.loans.services import loan_write_off, loan_write_off_reverse
from core.members.models import Member

D = Decimal
URL = "/pinjaman/laporan/write-offs/"


@pytest.fixture
def one_standing_one_reversed(make_loan, member, staff, today):
    """Two Macet loans of 10,000,000 (allowance 100%) written off yesterday by the board
    (SK-1, SK-2); SK-2 reversed today."""
    Member.objects.filter(pk=member.pk).update(take_home_pay=D("60000000"))
    member.refresh_from_db()
    a = make_loan(days_ago=320)
    b = make_loan(days_ago=320)
    loans_arrears_update(on=today)
    yesterday = today - timedelta(days=1)
    ketua = staff["ketua"]
    loan_write_off(loan=a, by=ketua, on=yesterday, reason="Tidak tertagih", decision_ref="SK-1")
    wb = loan_write_off(
        loan=b, by=ketua, on=yesterday, reason="Tidak tertagih", decision_ref="SK-2"
    )
    loan_write_off_reverse(write_off=wb, by=ketua, reason="Keliru", on=today)
    return a, b


def test_register_says_route_and_status_and_lists_the_reversed_apart(
    one_standing_one_reversed, today
):
    a, b = one_standing_one_reversed
    report = report_write_offs(on=today)
    (row,) = report.rows
    assert (row["number"], row["route"], row["status"], row["remaining"]) == (
        a.number,
        "Keputusan pengurus",
        "Berlaku",
        D("10000000"),
    )
    (sec,) = report.sections
    assert [c.key for c in sec.columns] == [c.key for c in report.columns]
    (rev,) = sec.rows
    assert (rev["number"], rev["route"], rev["status"], rev["amount"], rev["remaining"]) == (
        b.number,
        "Keputusan pengurus",
        f"Dibatalkan {format_tanggal(today)}",
        D("10000000"),
        D("0"),
    )
    # the totals are the write-offs in force only
    assert report.totals["amount"] == D("10000000")


def test_csv_xlsx_and_api_say_the_same_route_and_status(
    one_standing_one_reversed, staff, client_a, today
):
    a, b = one_standing_one_reversed
    client_a.force_login(staff["pengawas"])
    html = client_a.get(URL).content.decode()
    assert "Hapus buku yang dibatalkan" in html and f"Dibatalkan {format_tanggal(today)}" in html

    body = client_a.get(URL + "?format=csv").content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    head = lines[0]
    route, status, number = head.index("Jalur"), head.index("Status"), head.index("No. pinjaman")
    by_number = {ln[number]: (ln[route], ln[status]) for ln in lines[1:] if ln[number]}
    assert by_number == {
        a.number: ("Keputusan pengurus", "Berlaku"),
        b.number: ("Keputusan pengurus", f"Dibatalkan {format_tanggal(today)}"),
    }
    assert lines[-1][0] == "Jumlah"  # the totals last

    wb = load_workbook(BytesIO(client_a.get(URL + "?format=xlsx").content))
    cells = [[c.value for c in row] for row in wb.active.iter_rows()]
    xl = {r[1]: (r[3], r[5]) for r in cells if r[1] in (a.number, b.number)}
    assert xl == by_number

    r = client_a.get("/api/v1/loans/write-offs/")
    assert r.status_code == 200, r.content
    api = {
        x["loan_number"]: (x["route_label"], x["status_label"], x["route"], x["status"])
        for x in r.json()["results"]
    }
    assert api == {
        a.number: (*by_number[a.number], "board", "in_force"),
        b.number: (*by_number[b.number], "board", "reversed"),
    }


def test_members_do_not_read_the_register_api(one_standing_one_reversed, client_a):
    from tests.members import factories as f

    client_a.force_login(f.user("anggota"))
    assert client_a.get("/api/v1/loans/write-offs/").status_code == 403


def test_register_api_filters_by_write_off_date(one_standing_one_reversed, staff, client_a, today):
    a, b = one_standing_one_reversed
    client_a.force_login(staff["pengawas"])
    url = "/api/v1/loans/write-offs/"
    day = str(today - timedelta(days=1))
    assert {x["loan_number"] for x in client_a.get(url, {"date_to": day}).json()["results"]} == {
        a.number,
        b.number,
    }
    assert client_a.get(url, {"date_from": str(today)}).json()["results"] == []
    r = client_a.get(url, {"date_from": "kemarin"})
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["date_from"]
