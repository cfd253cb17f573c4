"""The move-in with input its columns cannot hold: the undo's reason that is not text
(API and screen) and an old system's loan number longer than Lumbung's (30): a specific
error, nothing written, never a 500."""

import json

import pytest
from django.test import Client

from core.common.errors import ApplicationError
from core.loans.models import Loan
from core.onboarding.loans_import import loans_import
from core.onboarding.models import MoveIn
from core.onboarding.services import trial_balance_post

from .helpers import loan_row, tb_rows

HOST = "alpha.localhost"
LONG_NUMBER = "KSP/PINJ/2023/IV/000123-REK-0001"  # 32 characters


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def client(staff):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(staff["bendahara"])
    return c


# (a number is read as its text, as every text field of the API does)
@pytest.mark.parametrize("reason", [["salah"], {"a": 1}, "a\x00b", "x" * 301])
def test_undo_by_api_refuses_a_reason_that_is_not_text(move_in, client, reason):
    r = client.post("/api/v1/onboarding/undo/", json.dumps({"reason": reason}), "application/json")
    assert r.status_code == 400, (r.status_code, r.content[:300])
    assert list(r.json()["error"]["fields"]) == ["reason"]
    assert MoveIn.objects.get(pk=move_in.pk).status != MoveIn.Status.UNDONE


def test_undo_by_api_without_a_reason_asks_for_one(move_in, client):
    r = client.post("/api/v1/onboarding/undo/", json.dumps({}), "application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "onboarding_undo_refused"
    assert r.json()["error"]["message"] == "Alasan pembatalan wajib diisi."


def test_undo_on_the_screen_refuses_a_reason_with_a_nul(move_in, client):
    r = client.post("/pindah/", {"action": "undo", "reason": "a\x00b"}, follow=True)
    assert r.status_code == 200
    page = r.content.decode()
    assert "Alasan pembatalan: " in page and "Tanggal tidak valid" not in page
    assert MoveIn.objects.get(pk=move_in.pk).status != MoveIn.Status.UNDONE


def _long_number_row(members, cutover):
    return loan_row(members[0], cutover, loan_number=LONG_NUMBER)


def test_brought_in_loan_number_longer_than_30_is_a_row_error(
    move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    ok = loan_row(members[1], cutover, row=3, loan_number="X" * 30)
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=move_in, rows=[_long_number_row(members, cutover), ok], by=by)
    assert e.value.fields["rows"] == [
        {
            "row": 2,
            "field": "loan_number",
            "message": f"Nomor pinjaman {LONG_NUMBER} terlalu panjang: paling banyak 30 "
            "karakter (ini 32). Persingkat, atau kosongkan agar Lumbung memberi nomor.",
        }
    ]
    assert not Loan.objects.exists()


def test_brought_in_loan_number_longer_than_30_by_api_is_a_row_error(
    move_in, by, client, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    body = {"rows": [_long_number_row(members, cutover)]}
    r = client.post("/api/v1/onboarding/loans/", json.dumps(body), "application/json")
    assert r.status_code == 400, (r.status_code, r.content[:300])
    [row] = r.json()["error"]["fields"]["rows"]
    assert (row["row"], row["field"]) == (2, "loan_number") and "30" in row["message"]
    assert not Loan.objects.exists()
