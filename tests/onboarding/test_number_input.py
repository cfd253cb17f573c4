"""Numbers typed into the move-in's imports: a jasa typed ``1%`` in Excel (kept as 0.01
with the format ``0%``) is 1 percent; a jasa of NaN, Infinity or with more decimals than
the rate column keeps, and a row number that is no number (``"2a"``, ``"A2"``, a list),
are a row error (400 through the API, the error report on the wizard), never a 500 and
nothing written."""

import io
from decimal import Decimal as D

import pytest
from django.test import Client
from openpyxl import Workbook

from core.loans.models import Instalment, Loan
from core.onboarding.files import rows_from_file
from core.onboarding.loans_import import loans_rows_check
from core.onboarding.models import MoveInLoan
from core.onboarding.services import trial_balance_post

from .helpers import loan_row

HOST = "alpha.localhost"
TB = [
    {"row": 2, "account": "1101", "debit": "50000000", "credit": ""},
    {"row": 3, "account": "1103", "debit": "12000000", "credit": ""},
    {"row": 4, "account": "1105", "debit": "240000", "credit": ""},
    {"row": 5, "account": "1104", "debit": "", "credit": "60000"},
    {"row": 6, "account": "3103", "debit": "", "credit": "62180000"},
]
HEADER = {
    "member_number": "no anggota",
    "product_code": "kode produk",
    "loan_number": "no pinjaman",
    "principal": "pokok awal",
    "disbursed_on": "tanggal cair",
    "tenor": "tenor",
    "rate": "jasa",
    "outstanding": "sisa pokok",
    "instalments_paid": "angsuran dibayar",
}


def login(user):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(user)
    return c


@pytest.fixture
def opened(move_in, by):
    trial_balance_post(move_in=move_in, rows=TB, by=by)
    move_in.refresh_from_db()
    return move_in


def loans_xlsx(row: dict, *, rate, rate_format: str) -> io.BytesIO:
    """The loans template as the treasurer fills it in Excel, the jasa cell formatted."""
    wb = Workbook()
    ws = wb.active
    ws.append(list(HEADER.values()))
    ws.append(
        [row["member_number"], "PINJ", row["loan_number"], 12000000, row["disbursed_on"]]
        + [12, rate, 5000000, 7]
    )
    ws["G2"].number_format = rate_format
    buf = io.BytesIO()
    wb.save(buf)
    f = io.BytesIO(buf.getvalue())
    f.name = "pinjaman.xlsx"
    return f


def loans_csv(row: dict) -> io.BytesIO:
    text = ";".join(HEADER.values()) + "\n" + ";".join(str(row[k]) for k in HEADER) + "\n"
    f = io.BytesIO(text.encode())
    f.name = "pinjaman.csv"
    return f


def test_xlsx_jasa_typed_as_one_percent_is_one_percent(opened, staff, members, product, cutover):
    row = loan_row(members[0], cutover)
    c = login(staff["bendahara"])
    r = c.post("/api/v1/onboarding/loans/", {"file": loans_xlsx(row, rate=0.01, rate_format="0%")})
    assert r.status_code == 201, r.content
    loan = Loan.objects.get(number=row["loan_number"])
    assert loan.rate == D("1")
    nxt = Instalment.objects.filter(loan=loan, settled=False).order_by("number").first()
    assert nxt.jasa == D("120000")  # 1 % of 12,000,000 a month, not Rp 1.200


@pytest.mark.parametrize(
    "rate,rate_format,expected",
    [
        (0.015, "0.00%", D("1.5")),  # built-in 10
        (0.0125, "0.000%", D("1.25")),  # a custom percent format
        (1.5, "0.0", D("1.5")),  # a plain number cell is the percent itself
    ],
)
def test_xlsx_jasa_cell_formats(opened, members, product, cutover, rate, rate_format, expected):
    row = loan_row(members[0], cutover)
    f = loans_xlsx(row, rate=rate, rate_format=rate_format)
    rows = rows_from_file(content=f.getvalue(), file_name=f.name, kind="loans")
    checked, errors = loans_rows_check(move_in=opened, rows=rows)
    assert errors == [], errors
    assert checked[0].rate == expected


@pytest.mark.parametrize("typed,expected", [("1%", D("1")), ("1,5", D("1.5")), ("1.5", D("1.5"))])
def test_jasa_as_typed_in_csv_or_json(opened, members, product, cutover, typed, expected):
    row = loan_row(members[0], cutover, rate=typed)
    checked, errors = loans_rows_check(move_in=opened, rows=[row])
    assert not [e for e in errors if e["field"] == "rate"], errors
    assert checked and checked[0].rate == expected


@pytest.mark.parametrize("bad", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "1e3"])
def test_loans_api_jasa_not_a_number_is_a_row_error(opened, staff, members, product, cutover, bad):
    c = login(staff["bendahara"])
    row = loan_row(members[0], cutover, rate=bad)
    r = c.post("/api/v1/onboarding/loans/", {"rows": [row]}, "application/json")
    assert r.status_code == 400, (r.status_code, r.content[:300])
    body = r.json()["error"]
    assert body["code"] == "onboarding_rows_invalid"
    assert {"row": 2, "field": "rate", "message": f"Jasa tidak valid: {bad}"} in body["fields"][
        "rows"
    ]
    assert not Loan.objects.exists()


@pytest.mark.parametrize(
    "bad,words",
    [
        ("1,23456", "paling banyak 4 angka di belakang koma: 1,23456"),
        ("101", "antara 0 dan 100 persen"),
        ("-1", "antara 0 dan 100 persen"),
    ],
)
def test_jasa_out_of_range_or_too_precise_is_a_row_error(
    opened, members, product, cutover, bad, words
):
    row = loan_row(members[0], cutover, rate=bad)
    checked, errors = loans_rows_check(move_in=opened, rows=[row])
    assert checked == []
    [err] = [e for e in errors if e["field"] == "rate"]
    assert words in err["message"]


def test_wizard_upload_with_jasa_nan_shows_the_row_error(opened, staff, members, product, cutover):
    c = login(staff["bendahara"])
    row = loan_row(members[0], cutover, rate="NaN")
    r = c.post("/pindah/", {"action": "loans", "file": loans_csv(row)})
    assert r.status_code == 200, r.status_code
    assert "Jasa tidak valid: NaN" in r.content.decode()
    assert not Loan.objects.exists()


@pytest.mark.parametrize("bad", ["2a", "A2", "²", [2], {"n": 2}, True, -3, 2.5, 10**12])
def test_loans_api_row_number_not_a_number_is_a_400_naming_the_field(
    opened, staff, members, product, cutover, bad
):
    c = login(staff["bendahara"])
    row = loan_row(members[0], cutover)
    row["row"] = bad  # a script sending the sheet's row label
    r = c.post("/api/v1/onboarding/loans/", {"rows": [row]}, "application/json")
    assert r.status_code == 400, (r.status_code, r.content[:300])
    body = r.json()["error"]
    assert body["code"] == "onboarding_rows_invalid"
    [err] = body["fields"]["rows"]
    assert (err["row"], err["field"]) == (1, "row")  # the row's place in the list
    assert err["message"].startswith("Nomor baris tidak valid")
    assert not Loan.objects.exists()


def test_loans_api_row_number_as_digits_text_is_taken(opened, staff, members, product, cutover):
    c = login(staff["bendahara"])
    row = loan_row(members[0], cutover)
    row["row"] = " 7 "
    r = c.post("/api/v1/onboarding/loans/", {"rows": [row]}, "application/json")
    assert r.status_code == 201, r.content
    assert MoveInLoan.objects.get(loan=Loan.objects.get()).row == 7


@pytest.mark.parametrize("bad", ["A2", "2a", ["2"]])
def test_trial_balance_api_row_number_not_a_number_is_a_400(move_in, staff, bad):
    c = login(staff["bendahara"])
    rows = [{"row": bad, "account": "1101", "debit": "10"}, {"account": "3103", "credit": "10"}]
    r = c.post("/api/v1/onboarding/trial-balance/", {"rows": rows}, "application/json")
    assert r.status_code == 400, (r.status_code, r.content[:300])
    body = r.json()["error"]
    assert body["code"] == "onboarding_rows_invalid"
    assert [(e["row"], e["field"]) for e in body["fields"]["rows"]] == [(1, "row")]
    move_in.refresh_from_db()
    assert move_in.opening_entry_id is None
