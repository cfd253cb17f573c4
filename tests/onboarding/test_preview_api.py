"""The move-in API's previews answer a reference: a script checks its rows (or file) with
``preview: true`` and saves them with ``{"reference": …}`` instead of sending them
again; the reference is the screen's (``core.onboarding.preview``): the same two hours,
bound to the user, the step and the cooperative, used once. Sending the rows again
still works."""

from datetime import timedelta
from decimal import Decimal as D
from unittest import mock

import pytest
from django.core import signing
from django.db import connection
from django.utils import timezone

from core.ledger.models import Account, JournalEntry
from core.loans.models import JasaPaidBroughtIn, Loan
from core.onboarding.models import UploadPreview
from core.onboarding.preview import SALT
from core.onboarding.services import move_in_start, trial_balance_post
from core.savings.models import CapitalBalanceBroughtIn

from .helpers import arrears_row, loan_row, tb_rows
from .test_api import login
from .test_preview import CUTOVER, LOAN_FIELDS, loans_csv
from .test_screens import csv_file

API = "/api/v1/onboarding/"
TB = API + "trial-balance/"
LOANS = API + "loans/"
JASA = API + "shu-contributions/"
CAPITAL = API + "capital-balances/"


def preview(c, url, body) -> str:
    r = c.post(url, {**body, "preview": True}, "application/json")
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["preview"] is True and got["reference_expires_in"] == 7200
    assert len(got["reference"]) < 300  # a reference, not the rows
    return got["reference"]


def save(c, url, reference):
    return c.post(url, {"reference": reference}, "application/json")


def refused(r, code: str) -> str:
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == code, error
    return error["message"]


def jasa_rows(members, amount="1.250.000"):
    return [{"row": 2, "member_number": members[0].number, "jasa": amount}]


def test_trial_balance_saved_by_reference_with_the_previewed_mapping(staff, move_in, by):
    c = login(by)
    rows = [*tb_rows(), {"row": 10, "account": "Gedung Serbaguna", "debit": "1.000.000"}]
    rows[-2] = {**rows[-2], "credit": "59.980.000"}  # 3103 takes the building's side too
    creations = {"Gedung Serbaguna": {"code": "1299", "name": "Gedung Serbaguna", "parent": "12"}}
    ref = preview(c, TB, {"rows": rows, "creations": creations})
    kept = UploadPreview.objects.get(move_in=move_in, kind="trial_balance")
    assert kept.created_by == by and kept.options["creations"] == creations
    assert not JournalEntry.objects.filter(source="opening").exists()
    r = save(c, TB, ref)
    assert r.status_code == 201, r.content
    entry = JournalEntry.objects.get(source="opening", pk=r.json()["entry"])
    assert sum(ln.debit for ln in entry.lines.all()) == D("63240000")
    assert Account.objects.get(code="1299").name == "Gedung Serbaguna"  # the creation kept
    assert not UploadPreview.objects.filter(move_in=move_in).exists()


def test_loans_file_saved_by_reference(staff, move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = login(by)
    text = loans_csv([loan_row(members[0], cutover), arrears_row(members[1], cutover)])
    assert LOAN_FIELDS[0] in text
    r = c.post(LOANS, {"file": csv_file(text, "pinjaman.csv"), "preview": "true"})
    assert r.status_code == 200, r.content
    assert r.json()["loans"] == 2
    kept = UploadPreview.objects.get(move_in=move_in, kind="loans")
    assert (kept.file_name, bytes(kept.content)) == ("pinjaman.csv", text.encode())
    r = save(c, LOANS, r.json()["reference"])
    assert r.status_code == 201, r.content
    assert r.json()["loans"] == ["LAMA-002", "LAMA-003"]
    assert Loan.objects.filter(number__in=["LAMA-002", "LAMA-003"]).count() == 2


def test_jasa_reference_once_by_its_maker_and_rows_path_stays(staff, move_in, by, members):
    c = login(by)
    ref = preview(c, JASA, {"rows": jasa_rows(members)})
    message = refused(save(login(staff["admin"]), JASA, ref), "onboarding_preview_other_user")
    assert message == "Pratinjau ini dibuat oleh pengguna lain; periksa datanya sendiri."
    assert not JasaPaidBroughtIn.objects.exists()
    r = save(c, JASA, ref)
    assert r.status_code == 201, r.content
    assert r.json()["members"] == 1 and r.json()["total"] == "1250000"
    assert JasaPaidBroughtIn.objects.get().amount == D("1250000")
    message = refused(save(c, JASA, ref), "onboarding_preview_used")
    assert "sudah disimpan" in message
    # the rows sent again still save (and replace)
    r = c.post(JASA, {"rows": jasa_rows(members, "300.000")}, "application/json")
    assert r.status_code == 201, r.content
    assert JasaPaidBroughtIn.objects.get().amount == D("300000")


def test_capital_balances_saved_by_reference(staff, by, members):
    move_in_start(cutover_date=CUTOVER, by=by)  # month-ends January to November before it
    c = login(by)
    rows = [
        {"row": 2, "member_number": members[0].number, "month": 1, "pokok": "100.000"}
        | {"wajib": "1.000.000"}
    ]
    ref = preview(c, CAPITAL, {"rows": rows})
    r = save(c, CAPITAL, ref)
    assert r.status_code == 201, r.content
    assert r.json()["rows"] == 1
    assert CapitalBalanceBroughtIn.objects.filter(member=members[0]).count() == 1


def test_expired_reference_is_refused_kept_or_cleared(staff, move_in, by, members):
    c = login(by)
    ref = preview(c, JASA, {"rows": jasa_rows(members)})
    UploadPreview.objects.filter(move_in=move_in).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    message = refused(save(c, JASA, ref), "onboarding_preview_expired")
    assert message == "Pratinjau sudah kedaluwarsa (lebih dari 2 jam); periksa datanya lagi."
    # cleared meanwhile (the daily task): still said to be expired, not "saved"
    ref = preview(c, JASA, {"rows": jasa_rows(members)})
    UploadPreview.objects.filter(move_in=move_in).delete()
    later = mock.Mock()
    later.time.return_value = timezone.now().timestamp() + 2 * 3600 + 60
    with mock.patch("django.core.signing.time", later):
        refused(save(c, JASA, ref), "onboarding_preview_expired")
    assert not JasaPaidBroughtIn.objects.exists()


def test_reference_of_another_step_or_cooperative_or_altered_is_refused(
    staff, move_in, by, members
):
    c = login(by)
    ref = preview(c, TB, {"rows": tb_rows()})
    message = refused(save(c, JASA, ref), "onboarding_preview_other_step")
    assert message == "Pratinjau ini untuk langkah lain; periksa data langkah ini."
    refused(save(c, JASA, ref[:-2] + "xx"), "onboarding_preview_invalid")
    kept = UploadPreview.objects.get(move_in=move_in)
    other = signing.dumps(
        {"p": kept.pk, "k": "trial_balance", "t": "coop_other", "h": kept.sha256, "s": "rows"},
        salt=SALT,
    )
    assert connection.schema_name != "coop_other"
    refused(save(c, TB, other), "onboarding_preview_invalid")
    # the rows kept were altered meanwhile: the checksum the reference signed differs
    UploadPreview.objects.filter(pk=kept.pk).update(content=b"[]")
    refused(save(c, TB, ref), "onboarding_preview_invalid")
    assert not JournalEntry.objects.filter(source="opening").exists()


@pytest.mark.parametrize(
    "extra",
    [{"rows": []}, {"preview": True}, {"creations": {"X": {}}}],
    ids=["rows", "preview", "mapping"],
)
def test_reference_with_rows_or_preview_is_refused(staff, move_in, by, extra):
    c = login(by)
    ref = preview(c, TB, {"rows": tb_rows()})
    r = c.post(TB, {"reference": ref, **extra}, "application/json")
    refused(r, "onboarding_preview_invalid")
    assert "reference" in r.json()["error"]["fields"]
    r = c.post(TB, {"reference": 12}, "application/json")
    refused(r, "onboarding_preview_invalid")
    assert not JournalEntry.objects.filter(source="opening").exists()
    assert UploadPreview.objects.filter(move_in=move_in).count() == 1
