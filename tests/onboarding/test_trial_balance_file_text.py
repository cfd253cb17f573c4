"""Control characters (``\\x01``, DEL, the C1 range…) in the move-in's opening trial
balance file: an account, debit or credit cell holding one is that row's error (the row
and the column), whichever way the file comes (the service, the API); the cell is never
echoed (previews, the mapping of unknown accounts, the error list) and nothing is
written. The other rows are checked as before."""

import io
import json
import re

import pytest
from django.test import Client
from openpyxl import Workbook

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.onboarding.files import rows_from_file
from core.onboarding.models import UploadPreview
from core.onboarding.services import trial_balance_post

HOST = "alpha.localhost"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
ACCOUNT_REFUSED = "Akun tidak boleh berisi karakter kontrol (tak terlihat)."


def test_csv_cells_with_a_control_character_are_their_rows_errors_nothing_posted(move_in, by):
    text = (
        "akun;debit;kredit\n"
        "1101;1.500.000;\n"
        "11\x0101;500.000;\n"  # a code, looked up
        "Kas\x7fBesar;500.000;\n"  # a name, looked up (and echoed when unknown)
        "1101;1.000\x1f.000;\n"
        "3103;;x\x9b\n"
        "9999;;2.000.000\n"  # unknown: its error is as before
    )
    rows = rows_from_file(content=text.encode(), file_name="neraca.csv", kind="trial_balance")
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=rows, by=by)
    assert e.value.code == "onboarding_rows_invalid"
    got = {(x["row"], x["field"]): x["message"] for x in e.value.fields["rows"]}
    assert got == {
        (3, "account"): ACCOUNT_REFUSED,
        (4, "account"): ACCOUNT_REFUSED,
        (5, "debit"): "Debit tidak boleh berisi karakter kontrol (tak terlihat).",
        (6, "credit"): "Kredit tidak boleh berisi karakter kontrol (tak terlihat).",
        (7, "account"): (
            "Akun '9999' tidak ada di bagan akun: petakan ke akun yang ada atau buat akun "
            "baru di bawah akun induknya."
        ),
    }
    assert not JournalEntry.objects.exists()


def test_xlsx_by_api_account_with_a_control_character_is_a_row_error_not_echoed(by, move_in):
    wb = Workbook()
    ws = wb.active
    ws.append(["Kode Akun", "Debit", "Kredit"])
    ws.append(["1101", 1000000, None])
    ws.append(["3103\x85", None, 1000000])  # XML holds NEL; Excel keeps it
    buf = io.BytesIO()
    wb.save(buf)
    f = io.BytesIO(buf.getvalue())
    f.name = "neraca.xlsx"
    c = Client(HTTP_HOST=HOST)
    c.force_login(by)
    r = c.post("/api/v1/onboarding/trial-balance/", {"file": f})
    assert r.status_code == 400, r.content
    body = r.json()["error"]
    assert body["code"] == "onboarding_rows_invalid"
    assert body["fields"]["rows"] == [{"row": 3, "field": "account", "message": ACCOUNT_REFUSED}]
    assert not CONTROL.search(json.dumps(r.json(), ensure_ascii=False))
    assert not JournalEntry.objects.exists()


def test_file_name_kept_with_a_preview_has_no_control_characters(by, move_in):
    """The name of an HTTP upload reaches the move-in without them (Django's multipart
    parser drops non-printable characters; the preview keeps what it is given)."""
    f = io.BytesIO(b"akun;debit;kredit\n1101;1.000.000;\n3103;;1.000.000\n")
    f.name = "nera\x01ca\x7f.csv"
    c = Client(HTTP_HOST=HOST)
    c.force_login(by)
    r = c.post("/api/v1/onboarding/trial-balance/", {"file": f, "preview": "true"})
    assert r.status_code == 200, r.content
    assert UploadPreview.objects.get(move_in=move_in).file_name == "neraca.csv"
