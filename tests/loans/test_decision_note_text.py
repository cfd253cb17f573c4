"""The note a treasurer's verification or a chair's approval may carry (audited with the
decision): the loan screen posts it straight to the service, so the service refuses a
control character in it, naming the field in Indonesian, and nothing changes; lines and
tabs are fine (a note is multi-line, as the API's ``note`` is). The API names the field
the same way (core.common.text)."""

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.loans.models import Loan
from core.loans.services import loan_approve, loan_verify

REFUSED = "Catatan tidak boleh berisi karakter kontrol (tak terlihat)."


@pytest.mark.parametrize("bad", ["berkas\x01lengkap", "\x0b", "lengkap\x7f", "a\x9fb"])
def test_verification_refuses_a_control_character_in_the_note(make_loan, staff, bad):
    loan = make_loan(days_ago=3, until="applied")
    with pytest.raises(ApplicationError) as e:
        loan_verify(loan=loan, by=staff["bendahara"], note=bad)
    assert e.value.code == "validation_error"
    assert e.value.fields == {"note": [REFUSED]}
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPLIED and loan.verified_by is None
    assert not AuditEvent.objects.filter(action="loan.verify").exists()


def test_approval_refuses_a_control_character_in_the_note(make_loan, staff):
    loan = make_loan(days_ago=3, until="verified")
    with pytest.raises(ApplicationError) as e:
        loan_approve(loan=loan, by=staff["ketua"], note="rapat\x1bpengurus")
    assert e.value.fields == {"note": [REFUSED]}
    loan.refresh_from_db()
    assert loan.status == Loan.Status.VERIFIED and loan.approved_by is None


def test_a_note_on_several_lines_is_kept(make_loan, staff):
    loan = make_loan(days_ago=3, until="applied")
    loan_verify(loan=loan, by=staff["bendahara"], note="berkas lengkap\r\n\tslip gaji ada")
    event = AuditEvent.objects.get(action="loan.verify", target_id=str(loan.pk))
    assert event.reason == "berkas lengkap\r\n\tslip gaji ada"


@pytest.mark.parametrize(
    "action,until,role", [("verify", "applied", "bendahara"), ("approve", "verified", "ketua")]
)
def test_screen_decision_refuses_a_control_character_in_the_note(
    make_loan, staff, client_a, action, until, role
):
    loan = make_loan(days_ago=3, until=until)
    client_a.force_login(staff[role])
    r = client_a.post(f"/pinjaman/{loan.pk}/{action}/", {"note": "catatan\x01"}, follow=True)
    assert r.status_code == 200
    assert REFUSED in r.content.decode()
    loan.refresh_from_db()
    assert loan.status == until


@pytest.mark.parametrize(
    "action,until,role", [("verify", "applied", "bendahara"), ("approve", "verified", "ketua")]
)
def test_api_decision_refuses_a_control_character_in_the_note(
    make_loan, staff, client_a, action, until, role
):
    loan = make_loan(days_ago=3, until=until)
    client_a.force_login(staff[role])
    r = client_a.post(
        f"/api/v1/loans/{loan.pk}/{action}/", {"note": "catatan\x01"}, "application/json"
    )
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error" and error["fields"] == {"note": [REFUSED]}
    loan.refresh_from_db()
    assert loan.status == until
