"""The wizard screen: cut-over first, upload with the per-row error report, steps shown;
admin and bendahara only."""

import io

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
    assert r.status_code == 302
    page = c.get("/pindah/").content.decode()
    assert "3 baris diposting" in page
    assert c.get("/pindah/templat/loans.xlsx").status_code == 200


@pytest.mark.parametrize("role", ["petugas", "pengawas", "ketua"])
def test_wizard_only_admin_and_bendahara(staff, role, in_tenant_a):
    from tests.members import factories as f

    user = staff.get(role) or f.user(role)
    assert login(user).get("/pindah/").status_code == 403
