"""The chair enters the approval date (and the treasurer the verification date): a loan
approved on paper last week and recorded today can be paid out with last week's dates.
Default today; never in the future, never before the step before it; the disbursement is
checked against the approval date entered, not the click time (kept for the audit)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.loans.models import Loan
from core.loans.services import loan_approve, loan_disburse, loan_verify


def test_loan_approved_on_paper_last_week_is_paid_out_with_last_weeks_date(make_loan, staff, today):
    loan = make_loan(days_ago=10, until="applied")
    loan = loan_verify(loan=loan, by=staff["bendahara"], on=today - timedelta(days=9))
    loan = loan_approve(loan=loan, by=staff["ketua"], on=today - timedelta(days=7))
    loan.refresh_from_db()
    assert loan.verified_on == today - timedelta(days=9)
    assert loan.approved_on == today - timedelta(days=7)
    # the click time stays for the audit
    assert timezone.localtime(loan.approved_at).date() == today
    event = AuditEvent.objects.filter(action="loan.approve", target_id=str(loan.pk)).get()
    assert event.data["on"] == (today - timedelta(days=7)).isoformat()

    entry = loan_disburse(loan=loan, by=staff["bendahara"], on=today - timedelta(days=6))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    assert entry.date == today - timedelta(days=6)


def test_approval_date_defaults_to_today(make_loan, staff, today):
    loan = make_loan(days_ago=3, until="verified")
    loan = loan_approve(loan=loan, by=staff["ketua"])
    assert loan.approved_on == today
    with pytest.raises(ApplicationError) as e:
        loan_disburse(loan=loan, by=staff["bendahara"], on=today - timedelta(days=1))
    assert "sebelum persetujuan ketua" in str(e.value.message)


def test_approval_in_the_future_is_refused_and_nothing_changes(make_loan, staff, today):
    loan = make_loan(days_ago=3, until="verified")
    with pytest.raises(ApplicationError) as e:
        loan_approve(loan=loan, by=staff["ketua"], on=today + timedelta(days=1))
    assert e.value.code == "loan_date_invalid" and "on" in e.value.fields
    assert "Tanggal persetujuan" in str(e.value.message)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.VERIFIED and loan.approved_on is None


def test_approval_before_the_verification_is_refused_with_both_dates(make_loan, staff, today):
    loan = make_loan(days_ago=10, until="applied")
    loan = loan_verify(loan=loan, by=staff["bendahara"], on=today - timedelta(days=5))
    with pytest.raises(ApplicationError) as e:
        loan_approve(loan=loan, by=staff["ketua"], on=today - timedelta(days=8))
    msg = str(e.value.message)
    assert e.value.code == "loan_date_invalid"
    assert "sebelum verifikasi bendahara" in msg
    assert format_tanggal(today - timedelta(days=8)) in msg
    assert format_tanggal(today - timedelta(days=5)) in msg
    loan.refresh_from_db()
    assert loan.status == Loan.Status.VERIFIED and loan.approved_on is None


def test_verification_before_the_application_is_refused(make_loan, staff, today):
    loan = make_loan(days_ago=4, until="applied")
    with pytest.raises(ApplicationError) as e:
        loan_verify(loan=loan, by=staff["bendahara"], on=today - timedelta(days=5))
    assert "sebelum tanggal pengajuan" in str(e.value.message)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPLIED and loan.verified_on is None


def test_workflow_dates_out_of_order_are_refused_by_the_database(make_loan, today):
    loan = make_loan(days_ago=5)
    for change in (
        {"verified_on": today - timedelta(days=6)},  # before the application
        {"approved_on": today - timedelta(days=6)},  # before the verification
        {"approved_on": today},  # after the disbursement
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Loan.objects.filter(pk=loan.pk).update(**change)


def test_api_takes_the_approval_date_and_answers_json_for_bad_ones(
    make_loan, staff, today, client_a
):
    loan = make_loan(days_ago=10, until="verified")
    client_a.force_login(staff["ketua"])
    url = f"/api/v1/loans/{loan.pk}/approve/"
    for bad, code in (
        ("05-12-2026", "validation_error"),
        ("2026-02-30", "validation_error"),
        ((today + timedelta(days=1)).isoformat(), "loan_date_invalid"),
        ((today - timedelta(days=11)).isoformat(), "loan_date_invalid"),
    ):
        r = client_a.post(url, {"on": bad}, content_type="application/json")
        assert r.status_code == 400, (bad, r.content)
        err = r.json()["error"]
        assert "on" in err["fields"], (bad, err)
        if code != "validation_error":
            assert err["code"] == code
    loan.refresh_from_db()
    assert loan.status == Loan.Status.VERIFIED
    on = today - timedelta(days=8)
    r = client_a.post(url, {"on": on.isoformat(), "note": "rapat"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["approved_on"] == on.isoformat()
    assert r.json()["verified_on"] == (today - timedelta(days=10)).isoformat()


def test_screen_approval_with_a_date_and_a_refused_one(make_loan, staff, today, client_a):
    loan = make_loan(days_ago=10, until="verified")
    client_a.force_login(staff["ketua"])
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert "Tanggal persetujuan" in page and 'name="on"' in page
    entries = JournalEntry.objects.count()
    future = (today + timedelta(days=2)).isoformat()
    r = client_a.post(f"/pinjaman/{loan.pk}/approve/", {"on": future}, follow=True)
    assert "Tanggal persetujuan" in r.content.decode()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.VERIFIED
    on = today - timedelta(days=4)
    client_a.post(f"/pinjaman/{loan.pk}/approve/", {"on": on.isoformat()}, follow=True)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED and loan.approved_on == on
    assert JournalEntry.objects.count() == entries


def test_screen_verification_with_a_date_and_the_dates_on_the_loan_page(
    make_loan, staff, today, client_a
):
    loan = make_loan(days_ago=10, until="applied")
    client_a.force_login(staff["bendahara"])
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert "Tanggal verifikasi" in page
    early = (today - timedelta(days=11)).isoformat()
    r = client_a.post(f"/pinjaman/{loan.pk}/verify/", {"on": early}, follow=True)
    assert "sebelum tanggal pengajuan" in r.content.decode()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPLIED
    on = today - timedelta(days=9)
    r = client_a.post(f"/pinjaman/{loan.pk}/verify/", {"on": on.isoformat()}, follow=True)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.VERIFIED and loan.verified_on == on
    html = r.content.decode()
    assert 'id="workflow-dates"' in html and "diverifikasi" in html
