"""The wizard screen: cut-over first, upload with the per-row error report, steps shown;
admin and bendahara only."""

import io
import re

import pytest
from django.test import Client

from core.ledger.models import JournalEntry
from core.onboarding.models import MoveIn

HOST = "alpha.localhost"


def login(user):
    c = Client(HTTP_HOST=HOST)
    c.force_login(user)
    return c


def csv_file(text: str, name="neraca.csv"):
    f = io.BytesIO(text.encode())
    f.name = name
    return f


def test_wizard_steps_and_row_error_report(staff, cutover):
    c = login(staff["bendahara"])
    r = c.get("/pindah/")
    assert r.status_code == 200 and "Tanggal pindah" in r.content.decode()
    r = c.post("/pindah/", {"action": "start", "cutover_date": cutover.isoformat()})
    assert r.status_code == 302 and MoveIn.objects.get().cutover_date == cutover
    bad = "akun;debit;kredit\n1101;100;\n9999;;50\n11;;50\n"
    r = c.post("/pindah/", {"action": "trial_balance", "file": csv_file(bad)})
    page = r.content.decode()
    assert r.status_code == 200
    assert "Laporan kesalahan per baris" in page and "9999" in page and "kelompok" in page
    assert not JournalEntry.objects.filter(source="opening").exists()
    good = "akun;debit;kredit\n1101;100;\nKAS LAMA;50;\n3103;;150\n"
    r = c.post(
        "/pindah/",
        {"action": "trial_balance", "file": csv_file(good), "mapping": "KAS LAMA = 1102"},
    )
    # *Posting* first shows what it would post, with a confirm; nothing posted
    page = r.content.decode()
    assert r.status_code == 200 and "Posting neraca saldo awal ini" in page
    assert not JournalEntry.objects.filter(source="opening").exists()
    token = re.search(r'<input type="hidden" name="token" value="([^"]+)"', page).group(1)
    r = c.post("/pindah/", {"action": "trial_balance_confirm", "token": token})
    assert r.status_code == 302
    page = c.get("/pindah/").content.decode()
    assert "3 baris diposting" in page
    assert c.get("/pindah/templat/loans.xlsx").status_code == 200


@pytest.mark.parametrize("role", ["petugas", "pengawas", "ketua"])
def test_wizard_only_admin_and_bendahara(staff, role, in_tenant_a):
    from tests.members import factories as f

    user = staff.get(role) or f.user(role)
    assert login(user).get("/pindah/").status_code == 403


def test_trial_balance_typed_in_the_chart_of_accounts_grid(staff, cutover):
    from decimal import Decimal as D

    from core.ledger.models import Account
    from core.ledger.selectors import account_balance

    c = login(staff["bendahara"])
    c.post("/pindah/", {"action": "start", "cutover_date": cutover.isoformat()})
    page = c.get("/pindah/").content.decode()
    assert 'name="debit_1101"' in page and 'name="credit_3103"' in page
    assert 'name="debit_11"' not in page  # group accounts take no balance
    typed = {"debit_1101": "1.234.567", "debit_1102": "100.000", "credit_3103": "1.300.000"}
    # totals only: shown, nothing written
    r = c.post("/pindah/", {"action": "trial_balance_grid_total", **typed})
    page = r.content.decode()
    assert r.status_code == 200 and "1.334.567" in page and "selisih" in page
    assert 'value="1.234.567"' in page
    assert not JournalEntry.objects.filter(source="opening").exists()
    # unbalanced: refused, the values kept
    r = c.post("/pindah/", {"action": "trial_balance_grid", **typed})
    page = r.content.decode()
    assert r.status_code == 200 and "tidak seimbang" in page
    assert 'value="1.234.567"' in page and 'value="1.300.000"' in page
    assert not JournalEntry.objects.filter(source="opening").exists()
    # a bad amount: a specific error naming the account, values kept
    r = c.post("/pindah/", {"action": "trial_balance_grid", **typed, "debit_1102": "12,5,0"})
    page = r.content.decode()
    assert "Laporan kesalahan per baris" in page and "1102" in page
    assert 'value="12,5,0"' in page
    assert not JournalEntry.objects.filter(source="opening").exists()
    typed["credit_3103"] = "1.334.567"
    # balanced: *Posting* first shows what it would post, with a confirm; nothing posted
    r = c.post("/pindah/", {"action": "trial_balance_grid", **typed})
    page = r.content.decode()
    assert r.status_code == 200 and "Posting neraca saldo awal ini" in page
    assert not JournalEntry.objects.filter(source="opening").exists()
    token = re.search(r'<input type="hidden" name="token" value="([^"]+)"', page).group(1)
    r = c.post("/pindah/", {"action": "trial_balance_grid", "token": token, **typed})
    assert r.status_code == 302
    mi = MoveIn.objects.get()
    assert mi.trial_balance_step == "done" and len(mi.trial_balance_rows) == 3
    kas = Account.objects.get(code="1101")
    assert account_balance(account=kas, as_of=cutover) == D("1234567")


def test_navigation_entry_for_admin_and_bendahara_only(staff):
    from django.test import RequestFactory

    from lumbung.nav import nav_for

    def labels(user):
        request = RequestFactory().get("/")
        request.user = user
        return {str(i["label"]): i["url"] for i in nav_for(request)}

    for role in ("admin", "bendahara"):
        assert labels(staff[role])["Pindah ke Lumbung"] == "/pindah/"
    for role in ("petugas", "pengawas"):
        assert "Pindah ke Lumbung" not in labels(staff[role])


def test_wizard_reads_in_english(staff, cutover):
    """With English chosen (the language cookie), every step, the row error report and the
    refusals read in English, none of them in Indonesian."""
    c = login(staff["bendahara"])
    c.cookies["django_language"] = "en"
    page = c.get("/pindah/").content.decode()
    assert "<h1>Move to Lumbung</h1>" in page and "1. Cut-over date" in page
    assert "Usually the last day of the last audited month or financial year." in page
    assert ">Start</button>" in page
    assert "Tanggal pindah" not in page and "Mulai" not in page
    c.post("/pindah/", {"action": "start", "cutover_date": cutover.isoformat()})
    bad = "akun;debit;kredit\n1101;100;\n9999;;50\n11;;50\n"
    page = c.post("/pindah/", {"action": "trial_balance", "file": csv_file(bad)}).content.decode()
    assert "Error report by row" in page and "Column / account" in page
    assert "Account &#x27;9999&#x27; is not in the chart of accounts" in page
    assert "is a group account; enter the balance on its detail accounts." in page
    assert "Nothing was saved. Fix the file and upload it again." in page
    assert "tidak ada di bagan akun" not in page and "akun kelompok" not in page
    for english in (
        "2. Opening trial balance",
        "Download the XLSX template",
        "Mapping of unknown accounts (optional)",
        "3. Members and savings",
        "Import the members and their savings balances from the Membership menu",
        "4. Running loans",
        "Post the opening trial balance first.",
        "5. Reconciliation",
        # the go-live step: what blocks it (no button while anything does)
        "Cannot go live yet. First resolve:",
        "The opening trial balance is not posted yet.",
        "Open step 2: Opening trial balance",
        "Undo the move (delete everything)",
    ):
        assert english in page, english
    for indonesian in ("Neraca saldo awal", "Unduh templat", "Pinjaman berjalan", "Selesaikan"):
        assert indonesian not in page, indonesian
