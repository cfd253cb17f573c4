"""The grade's date in the loans list's files. /pinjaman/ heads its grade column with the
date of the daily arrears run that set it and notes a row not graded by it, but its
``export=xlsx|csv`` gave the grade alone: a treasurer filing the spreadsheet could not tell
today's "Lancar" from a loan paid out after the run (graded by nobody yet). The files now
carry, per row, the date the grade was set and the list's note."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from core.common.dates import format_tanggal
from core.loans.arrears import loans_arrears_update
from core.loans.services import loan_repay
from tests.loans.test_grade_date_lists import inherited  # noqa: F401 (fixture)
from tests.members import factories as f

GRADED_ON = "Kolektibilitas dinilai per"
NOTE = "Catatan kolektibilitas"


@pytest.fixture
def login_in(client_a, in_tenant_a):
    def as_user(user, lang=None):
        c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
        c.force_login(user)
        if lang:
            c.cookies["django_language"] = lang
        return c

    return as_user


def _xlsx(resp) -> dict[str, dict]:
    """The XLSX's rows by loan number, each a dict by column heading."""
    assert resp.status_code == 200, resp.status_code
    ws = load_workbook(io.BytesIO(resp.content)).active
    header, *body = [list(r) for r in ws.iter_rows(values_only=True)]
    return {r[0]: dict(zip(header, r, strict=True)) for r in body}


def _csv(resp) -> dict[str, dict]:
    assert resp.status_code == 200, resp.status_code
    header, *body = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    return {r[0]: dict(zip(header, r, strict=True)) for r in body}


def _day(d) -> datetime:
    return datetime(d.year, d.month, d.day)


def _other_member():
    return f.member(take_home_pay=D(9_000_000))


@pytest.fixture
def three(staff, make_loan, today):
    """A loan graded by yesterday's run, one paid after it, one paid out after it, and an
    application (not running: no grade)."""
    graded = make_loan(days_ago=20)  # nothing due yet
    paid = make_loan(who=_other_member(), days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=paid, amount=D(500_000), by=staff["petugas"], on=today)
    fresh = make_loan(who=_other_member(), principal=D(2_000_000))
    applied = make_loan(who=_other_member(), principal=D(1_000_000), until="applied")
    return graded, paid, fresh, applied


def test_xlsx_dates_each_grade_and_notes_the_rows_the_list_notes(login_in, staff, three, today):
    graded, paid, fresh, applied = three
    rows = _xlsx(login_in(staff["bendahara"]).get("/pinjaman/", {"export": "xlsx"}))
    run = _day(today - timedelta(days=1))
    got = {
        ln.number: (
            rows[ln.number]["Kolektibilitas"],
            rows[ln.number][GRADED_ON],
            rows[ln.number][NOTE],
        )
        for ln in three
    }
    assert got == {
        graded.number: ("Lancar", run, None),
        paid.number: ("Lancar", run, "dibayar sesudahnya, belum dinilai ulang"),
        fresh.number: ("Lancar", None, "belum dinilai"),
        applied.number: (None, None, None),
    }


def test_csv_gives_the_same_dates_and_notes(login_in, staff, three, today):
    graded, paid, fresh, applied = three
    rows = _csv(login_in(staff["bendahara"]).get("/pinjaman/", {"export": "csv"}))
    run = f"{today - timedelta(days=1):%d-%m-%Y}"
    got = {ln.number: (rows[ln.number][GRADED_ON], rows[ln.number][NOTE]) for ln in three}
    assert got == {
        graded.number: (run, ""),
        paid.number: (run, "dibayar sesudahnya, belum dinilai ulang"),
        fresh.number: ("", "belum dinilai"),
        applied.number: ("", ""),
    }


def test_export_honours_the_filter_with_the_dates(login_in, staff, three, today):
    graded, paid, fresh, applied = three
    rows = _csv(
        login_in(staff["bendahara"]).get("/pinjaman/", {"q": fresh.number, "export": "csv"})
    )
    assert list(rows) == [fresh.number]
    assert rows[fresh.number][NOTE] == "belum dinilai"


def test_export_says_a_topup_inherited_the_old_loans_grade(login_in, staff, inherited):  # noqa: F811
    old, new, on = inherited
    rows = _xlsx(login_in(staff["bendahara"]).get("/pinjaman/", {"export": "xlsx"}))
    row = rows[new.number]
    assert (row["Kolektibilitas"], row[GRADED_ON]) == ("Diragukan", None)
    assert row[NOTE] == f"mewarisi {old.number} per {format_tanggal(on)}"


def test_export_in_english(login_in, staff, three, today):
    graded, paid, fresh, applied = three
    rows = _xlsx(login_in(staff["bendahara"], "en").get("/pinjaman/", {"export": "xlsx"}))
    assert rows[fresh.number]["Graded as of"] is None
    assert rows[fresh.number]["Collectibility note"] == "not graded yet"
    assert rows[paid.number]["Graded as of"] == _day(today - timedelta(days=1))
    assert rows[paid.number]["Collectibility note"] == "paid since, not regraded yet"


def _queries(client, params) -> int:
    assert client.get("/pinjaman/", params).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/pinjaman/", params).status_code == 200
    return len(ctx)


def test_exports_cost_the_same_queries_with_more_loans(login_in, staff, make_loan, today):
    c = login_in(staff["bendahara"])
    formats = [{"export": "xlsx"}, {"export": "csv"}]
    make_loan(days_ago=40)
    loans_arrears_update(on=today - timedelta(days=1))
    make_loan(principal=D(2_000_000))
    few = [_queries(c, p) for p in formats]
    for i in range(4):
        # 31 days back or more: its first instalment (a month after) is due by today in any
        # month (30 days back from 31 March the first instalment falls on 1 April)
        loan = make_loan(principal=D(2_000_000), days_ago=31 + i)
        loan_repay(loan=loan, amount=D(300_000), by=staff["petugas"], on=today)
    loans_arrears_update(on=today)
    make_loan(principal=D(1_000_000))  # after today's run
    assert [_queries(c, p) for p in formats] == few
