"""A loan reversal's reason of 1,000 characters (what the screen and the API accept) is
kept whole: in the reversal, in its journal entry's description and in the audit. One
longer is refused with its own message before anything changes (before the
confirmation page on the screens), never a 500 and never cut."""

from decimal import Decimal as D

import pytest

from core.audit.models import AuditEvent
from core.ledger.models import JournalEntry
from core.loans.models import Loan, LoanReversal
from core.loans.services import loan_repay

REASON = "Salah input kasir. " + "x" * 980 + "Z"
assert len(REASON) == 1000


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def repaid(make_loan, staff):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    return loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)


def _kept_whole(reversal_entry, action):
    reversal_entry.refresh_from_db()
    assert reversal_entry.description.endswith(f": {REASON}"), reversal_entry.description
    assert AuditEvent.objects.get(action=action).reason == REASON


def test_api_repayment_reversal_keeps_a_1000_character_reason(repaid, staff, client_a):
    client_a.force_login(staff["bendahara"])
    r = client_a.post(
        f"/api/v1/loans/repayments/{repaid.pk}/reverse/",
        {"reason": REASON},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    rev = LoanReversal.objects.get(repayment=repaid)
    assert rev.reason == REASON
    _kept_whole(rev.reversal_entry, "loan.repayment_reverse")


def test_api_disbursement_reversal_keeps_a_1000_character_reason(make_loan, staff, client_a):
    loan = make_loan(days_ago=2)
    client_a.force_login(staff["bendahara"])
    r = client_a.post(
        f"/api/v1/loans/{loan.pk}/reverse-disbursement/",
        {"reason": REASON},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    rev = LoanReversal.objects.get(loan=loan, repayment=None)
    assert rev.reason == REASON
    _kept_whole(rev.reversal_entry, "loan.disbursement_reverse")


def test_api_refuses_1001_characters_and_changes_nothing(repaid, staff, client_a):
    client_a.force_login(staff["bendahara"])
    entries = JournalEntry.objects.count()
    r = client_a.post(
        f"/api/v1/loans/repayments/{repaid.pk}/reverse/",
        {"reason": REASON + "!"},
        content_type="application/json",
    )
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"].get("reason")
    assert not LoanReversal.objects.exists() and JournalEntry.objects.count() == entries


def test_screen_repayment_reversal_keeps_a_1000_character_reason(repaid, staff, client_a):
    client_a.force_login(staff["bendahara"])
    url = f"/pinjaman/kuitansi/{repaid.pk}/batalkan/"
    first = client_a.post(url, {"reason": REASON})
    assert first.status_code == 200 and REASON in first.content.decode()
    r = client_a.post(url, {"reason": REASON, "confirmed": "1"})
    assert r.status_code == 302
    rev = LoanReversal.objects.get(repayment=repaid)
    assert rev.reason == REASON
    _kept_whole(rev.reversal_entry, "loan.repayment_reverse")


def test_screen_disbursement_reversal_keeps_a_1000_character_reason(make_loan, staff, client_a):
    loan = make_loan(days_ago=2)
    client_a.force_login(staff["bendahara"])
    url = f"/pinjaman/{loan.pk}/reverse-disbursement/"
    r = client_a.post(url, {"reason": REASON, "confirmed": "1"})
    assert r.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED
    rev = LoanReversal.objects.get(loan=loan, repayment=None)
    assert rev.reason == REASON
    _kept_whole(rev.reversal_entry, "loan.disbursement_reverse")


@pytest.mark.parametrize("confirmed", [False, True])
def test_screen_refuses_1001_characters_with_the_limit(repaid, staff, client_a, confirmed):
    client_a.force_login(staff["bendahara"])
    entries = JournalEntry.objects.count()
    data = {"reason": REASON + "!", **({"confirmed": "1"} if confirmed else {})}
    r = client_a.post(f"/pinjaman/kuitansi/{repaid.pk}/batalkan/", data, follow=True)
    assert r.status_code == 200
    msgs = [str(m) for m in r.context["messages"]]
    assert any("paling panjang 1000 karakter" in m for m in msgs), msgs
    assert 'name="confirmed"' not in r.content.decode()
    assert not LoanReversal.objects.exists() and JournalEntry.objects.count() == entries


@pytest.mark.parametrize("confirmed", [False, True])
def test_screen_disbursement_refuses_1001_characters(make_loan, staff, client_a, confirmed):
    loan = make_loan(days_ago=2)
    client_a.force_login(staff["bendahara"])
    entries = JournalEntry.objects.count()
    data = {"reason": REASON + "!", **({"confirmed": "1"} if confirmed else {})}
    r = client_a.post(f"/pinjaman/{loan.pk}/reverse-disbursement/", data, follow=True)
    assert r.status_code == 200
    msgs = [str(m) for m in r.context["messages"]]
    assert any("paling panjang 1000 karakter" in m for m in msgs), msgs
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    assert not LoanReversal.objects.exists() and JournalEntry.objects.count() == entries
