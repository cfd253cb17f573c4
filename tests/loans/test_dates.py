"""Loan dates have bounds (issue 22, "Loan dates without bounds"): application,
disbursement, first due date, reschedule and repayment dates lie between the start of the
cooperative's books and today (a first due date within a few months of the disbursement
or reschedule). Refused with a clear error through the services, the API (JSON) and the
screens (Indonesian); nothing is written."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear, JournalEntry
from core.loans import schedules as S
from core.loans.models import Loan, Repayment, Reschedule
from core.loans.services import (
    loan_apply,
    loan_approve,
    loan_disburse,
    loan_repay,
    loan_reschedule,
)
from core.loans.services.common import FIRST_DUE_MAX_MONTHS, loan_date_floor
from tests.loans.conftest import assert_reconciled, docs


def _counts():
    return (Reschedule.objects.count(), Repayment.objects.count(), JournalEntry.objects.count())


def test_reschedule_on_year_one_is_refused_not_a_13_billion_penalty(make_loan, staff, today):
    loan = make_loan(days_ago=75)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_reschedule(loan=loan, by=staff["ketua"], tenor=20, reason="x", on=date(1, 1, 1))
    assert e.value.code == "loan_date_invalid" and "on" in e.value.fields
    assert "terlalu awal" in str(e.value.message)
    with pytest.raises(ApplicationError) as e:
        loan_reschedule(
            loan=loan, by=staff["ketua"], tenor=20, reason="x", on=today + timedelta(days=1)
        )
    assert e.value.code == "loan_date_invalid"
    # before the loan was paid out
    with pytest.raises(ApplicationError):
        loan_reschedule(
            loan=loan, by=staff["ketua"], tenor=20, reason="x", on=loan.disbursed_on - timedelta(1)
        )
    assert _counts() == before
    loan.refresh_from_db()
    assert loan.schedule_version == 1


def test_reschedule_first_due_date_within_three_months(make_loan, staff, today):
    loan = make_loan(days_ago=75)
    with pytest.raises(ApplicationError) as e:
        loan_reschedule(
            loan=loan,
            by=staff["ketua"],
            tenor=20,
            reason="x",
            on=today,
            first_due_date=date(9999, 1, 1),
        )
    assert e.value.code == "loan_date_invalid" and "first_due_date" in e.value.fields
    rs = loan_reschedule(
        loan=loan,
        by=staff["ketua"],
        tenor=20,
        reason="x",
        on=today,
        first_due_date=S.add_months(today, FIRST_DUE_MAX_MONTHS),
    )
    assert rs.first_due_date == S.add_months(today, FIRST_DUE_MAX_MONTHS)
    assert_reconciled()


def test_api_refuses_unbounded_dates_with_json_errors(make_loan, staff, today, client_a):
    approved = make_loan(until="approved")
    running = make_loan(days_ago=75, principal=D(2_000_000))
    before = _counts()
    client_a.force_login(staff["bendahara"])
    r = client_a.post(
        f"/api/v1/loans/{approved.pk}/disburse/",
        {"first_due_date": "9999-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "loan_date_invalid" and "first_due_date" in err["fields"]
    approved.refresh_from_db()
    assert approved.status == Loan.Status.APPROVED
    r = client_a.post(
        f"/api/v1/loans/{running.pk}/repay/",
        {"amount": "100000", "on": "9999-12-31"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "loan_date_invalid"
    r = client_a.post(
        f"/api/v1/loans/{running.pk}/repay/",
        {"amount": "100000", "on": "0001-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "on" in r.json()["error"]["fields"]
    client_a.force_login(staff["ketua"])
    r = client_a.post(
        f"/api/v1/loans/{running.pk}/reschedule/",
        {"tenor": 20, "reason": "x", "on": "0001-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "loan_date_invalid"
    assert _counts() == before


def test_application_and_payment_before_the_books_start_are_refused(
    make_loan, staff, member, product, today
):
    floor = loan_date_floor()
    assert floor == FiscalYear.objects.order_by("year").first().start_date
    with pytest.raises(ApplicationError) as e:
        loan_apply(
            member=member,
            product=product,
            principal=D(2_000_000),
            tenor=10,
            by=staff["petugas"],
            on=floor - timedelta(days=1),
            documents=docs(),
        )
    assert e.value.code == "loan_date_invalid"
    with pytest.raises(ApplicationError):
        loan_apply(
            member=member,
            product=product,
            principal=D(2_000_000),
            tenor=10,
            by=staff["petugas"],
            on=today + timedelta(days=1),
            documents=docs(),
        )
    loan = make_loan(days_ago=10)
    # in the first ten days of January the loan is paid out last year, whose books
    # make_loan opens first: the books then start a year earlier
    floor = loan_date_floor()
    with pytest.raises(ApplicationError):
        loan_repay(loan=loan, amount=D(100_000), by=staff["petugas"], on=floor - timedelta(1))


def test_reschedule_screen_shows_the_date_error_in_indonesian(make_loan, staff, client_a):
    loan = make_loan(days_ago=75)
    client_a.force_login(staff["ketua"])
    before = _counts()
    r = client_a.post(
        f"/pinjaman/{loan.pk}/reschedule/",
        {"tenor": "20", "reason": "Gaji turun", "on": "0001-01-01"},
        follow=True,
    )
    html = r.content.decode()
    assert "Tanggal penjadwalan ulang 1 Januari 1 terlalu awal" in html  # the pages' long date
    r = client_a.post(
        f"/pinjaman/{loan.pk}/reschedule/",
        {"tenor": "20", "reason": "Gaji turun", "on": "kemarin"},
        follow=True,
    )
    assert "bukan tanggal yang valid" in r.content.decode()  # not silently today
    assert _counts() == before


def _approved_today_applied(days_ago, make_loan, staff):
    """Applied and verified ``days_ago`` days ago; the chair approves it today."""
    loan = make_loan(days_ago=days_ago, until="verified")
    return loan_approve(loan=loan, by=staff["ketua"])


def test_disbursement_dated_before_the_chairs_approval_is_refused(make_loan, staff, today):
    loan = _approved_today_applied(10, make_loan, staff)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_disburse(loan=loan, by=staff["bendahara"], on=today - timedelta(days=5))
    assert e.value.code == "loan_date_invalid" and "on" in e.value.fields
    assert "sebelum persetujuan ketua" in str(e.value.message)
    assert format_tanggal(today) in str(e.value.message)
    assert _counts() == before
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED and loan.disbursed_on is None
    # on the day of the approval it is paid out
    loan_disburse(loan=loan, by=staff["bendahara"], on=today)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED and loan.disbursed_on == today


def test_disbursement_before_approval_refused_on_screen_and_api(make_loan, staff, today, client_a):
    loan = _approved_today_applied(10, make_loan, staff)
    before = _counts()
    client_a.force_login(staff["bendahara"])
    earlier = (today - timedelta(days=3)).isoformat()
    r = client_a.post(
        f"/api/v1/loans/{loan.pk}/disburse/", {"on": earlier}, content_type="application/json"
    )
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "loan_date_invalid" and "on" in err["fields"]
    assert "sebelum persetujuan ketua" in err["message"]
    r = client_a.post(
        f"/pinjaman/{loan.pk}/disburse/",
        {"on": earlier, "via": "cash", "confirmed": "1"},
        follow=True,
    )
    assert "sebelum persetujuan ketua" in r.content.decode()
    # said at once, not after a confirmation of figures for a date that cannot be
    r = client_a.post(f"/pinjaman/{loan.pk}/disburse/", {"on": earlier, "via": "cash"}, follow=True)
    html = r.content.decode()
    assert "sebelum persetujuan ketua" in html and 'name="confirmed"' not in html
    assert _counts() == before
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED


def test_make_loan_history_is_in_order(make_loan):
    """The test helper dates the approval on the back-dated day, not today."""
    loan = make_loan(days_ago=40)
    assert loan.applied_on <= loan.verified_on <= loan.approved_on <= loan.disbursed_on
