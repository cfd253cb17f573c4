"""Hidden rows of an uploaded trial balance or loans file (Excel hides them; they are read
all the same): like the member import, the treasurer is told which rows they are, and the
step is refused (nothing written) until the upload says they were checked."""

import io
import re

from django.contrib.messages import get_messages
from django.test import Client
from openpyxl import Workbook

from core.ledger.models import JournalEntry
from core.loans.models import Loan
from core.onboarding.files import COLUMN_TITLES
from core.onboarding.services import trial_balance_post

from .helpers import loan_row, tb_rows

HOST = "alpha.localhost"


def _login(user):
    c = Client(HTTP_HOST=HOST)
    c.force_login(user)
    return c


def _xlsx(header, rows, hidden: set[int], name: str):
    """``hidden``: the sheet row numbers (the header is row 1) Excel hides."""
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    for n in hidden:
        ws.row_dimensions[n].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    f = io.BytesIO(buf.getvalue())
    f.name = name
    return f


def _tb_file():
    rows = [["1101", "100", ""], ["1102", "50", ""], ["3103", "", "150"]]
    return _xlsx(["akun", "debit", "kredit"], rows, {3}, "neraca.xlsx")


def test_wizard_trial_balance_with_a_hidden_row_is_refused_until_checked(move_in, by):
    c = _login(by)
    r = c.post("/pindah/", {"action": "trial_balance", "file": _tb_file()})
    assert r.status_code == 200
    page = r.content.decode()
    assert "1 baris tersembunyi di Excel ikut dibaca (baris 3)" in page
    assert 'name="hidden_rows_ok"' in page
    assert not JournalEntry.objects.filter(source="opening").exists()
    move_in.refresh_from_db()
    assert move_in.trial_balance_step == "pending"

    r = c.post("/pindah/", {"action": "trial_balance", "file": _tb_file(), "hidden_rows_ok": "on"})
    page = r.content.decode()
    assert "(termasuk 1 baris tersembunyi (baris 3))" in page  # said on the preview
    assert not JournalEntry.objects.filter(source="opening").exists()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    r = c.post("/pindah/", {"action": "trial_balance_confirm", "token": token})
    assert r.status_code == 302
    entry = JournalEntry.objects.get(source="opening")
    assert sum(ln.debit for ln in entry.lines.all()) == 150  # the hidden row is in it
    said = [str(m) for m in get_messages(r.wsgi_request)]
    assert any("termasuk 1 baris tersembunyi (baris 3)" in m for m in said), said


def test_api_loans_file_with_a_hidden_row_is_refused_until_checked(
    move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    fields = [k for k in loan_row(members[0], cutover) if k != "row"]
    header = [COLUMN_TITLES[k] for k in fields]
    data = loan_row(members[0], cutover)

    def upload():
        return _xlsx(header, [[data[k] for k in fields]], {2}, "pinjaman.xlsx")

    c = _login(by)
    r = c.post("/api/v1/onboarding/loans/", {"file": upload()})
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "onboarding_hidden_rows"
    assert "baris 2" in err["message"]
    assert [e["row"] for e in err["fields"]["rows"]] == [2]
    assert not Loan.objects.exists()

    r = c.post("/api/v1/onboarding/loans/", {"file": upload(), "hidden_rows_ok": "true"})
    assert r.status_code == 201, r.content
    assert r.json()["loans"] == ["LAMA-002"] and r.json()["hidden_rows"] == [2]
