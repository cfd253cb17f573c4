"""The move-in's API: each step by script (JSON rows or an uploaded file), errors as the
one JSON shape with per-row fields, admin and bendahara only; the templates."""

import io

import pytest
from django.test import Client
from openpyxl import Workbook

from core.common.spreadsheet import read_workbook
from core.loans.models import Loan
from core.onboarding.files import rows_from_file, template_xlsx

from .helpers import loan_row

HOST = "alpha.localhost"


def login(user):
    c = Client(HTTP_HOST=HOST)
    c.force_login(user)
    return c


def xlsx(header, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Neraca saldo per 31 Oktober"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_whole_move_in_by_api_with_files(staff, members, product, cutover):
    c = login(staff["bendahara"])
    r = c.post("/api/v1/onboarding/", {"cutover_date": cutover.isoformat()}, "application/json")
    assert r.status_code == 201, r.content
    tb = xlsx(
        ["Kode Akun", "Debit", "Kredit"],
        [
            ["1101", 50000000, None],
            ["1103", 5000000, None],
            ["1104", None, 25000],
            ["3103", None, "54.975.000"],
        ],
    )
    f = io.BytesIO(tb)
    f.name = "neraca.xlsx"
    r = c.post("/api/v1/onboarding/trial-balance/", {"file": f})
    assert r.status_code == 201, r.content
    row = loan_row(members[0], cutover)
    header = list(row)[1:]
    buf = io.StringIO()
    buf.write(
        ";".join(
            {
                "member_number": "no anggota",
                "product_code": "kode produk",
                "loan_number": "no pinjaman",
                "principal": "pokok awal",
                "disbursed_on": "tanggal cair",
                "tenor": "tenor",
                "outstanding": "sisa pokok",
                "instalments_paid": "angsuran dibayar",
            }[h]
            for h in header
        )
        + "\n"
    )
    buf.write(";".join(str(row[h]) for h in header) + "\n")
    f = io.BytesIO(buf.getvalue().encode())
    f.name = "pinjaman.csv"
    r = c.post("/api/v1/onboarding/loans/", {"file": f})
    assert r.status_code == 201, r.content
    assert r.json()["loans"] == ["LAMA-002"]
    r = c.get("/api/v1/onboarding/reconciliation/")
    assert r.status_code == 200 and r.json()["agrees"], r.json()
    r = c.post("/api/v1/onboarding/go-live/")
    assert r.status_code == 200 and r.json()["move_in"]["status"] == "live"
    r = c.post("/api/v1/onboarding/undo/", {"reason": ""}, "application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "onboarding_undo_refused"


def test_row_errors_as_json_and_nothing_written(staff, members, product, cutover):
    c = login(staff["admin"])
    c.post("/api/v1/onboarding/", {"cutover_date": cutover.isoformat()}, "application/json")
    r = c.post(
        "/api/v1/onboarding/trial-balance/",
        {"rows": [{"account": "1101", "debit": "10"}, {"account": "3103", "credit": "9"}]},
        "application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "onboarding_unbalanced"
    r = c.post(
        "/api/v1/onboarding/trial-balance/",
        {"rows": [{"account": "1101", "debit": "10"}, {"account": "3103", "credit": "10"}]},
        "application/json",
    )
    assert r.status_code == 201
    r = c.post(
        "/api/v1/onboarding/loans/",
        {"rows": [loan_row(members[0], cutover, member_number="X-1")]},
        "application/json",
    )
    body = r.json()["error"]
    assert r.status_code == 400 and body["code"] == "onboarding_rows_invalid"
    assert body["fields"]["rows"][0]["row"] == 2
    assert body["fields"]["rows"][0]["field"] == "member_number"
    assert not Loan.objects.exists()


@pytest.mark.parametrize("role", ["petugas", "pengawas"])
def test_only_admin_and_bendahara(staff, cutover, role):
    c = login(staff[role])
    assert c.get("/api/v1/onboarding/reconciliation/").status_code == 403
    r = c.post("/api/v1/onboarding/", {"cutover_date": cutover.isoformat()}, "application/json")
    assert r.status_code == 403


@pytest.mark.parametrize("kind,fields", [("trial_balance", 3), ("loans", 16)])
def test_templates_read_back_with_their_example_rows(staff, kind, fields):
    content = template_xlsx(kind)
    assert (
        read_workbook(content=content, file_name="t.xlsx")
        .sheets[0]
        .rows[1]
        .cells[0]
        .startswith("#")
    )
    rows = rows_from_file(content=content, file_name="t.xlsx", kind=kind)
    assert len(rows) == 3 if kind == "trial_balance" else 1
    assert len(rows[0]) == fields + 1  # + the sheet row number
    r = login(staff["bendahara"]).get(f"/api/v1/onboarding/templates/{kind}.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
