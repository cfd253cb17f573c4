"""The loan's kolektibilitas says which arrears run set it: the grade waits for the next
daily run after a payment, and the loan page showed it without a date, so a treasurer or
auditor could not tell it might be stale."""

import re
from datetime import timedelta
from decimal import Decimal as D
from unittest import mock

from django.db import connection
from django.utils import timezone

from core.common.dates import format_tanggal
from core.loans.arrears import loans_arrears_update
from core.loans.models import ArrearsRun
from core.loans.selectors import loan_grade_date
from core.loans.services import loan_repay
from tests.members import factories as f

NOT_YET = "belum dinilai (proses tunggakan berikutnya)"
PAID_SINCE = "pembayaran sesudah tanggal itu belum dinilai ulang"


def _grade_line(html: str) -> str:
    m = re.search(r'<p class="muted" id="grade-date">(.*?)</p>', html, re.S)
    assert m, "the loan page has no line saying when the grade was set"
    return re.sub(r"\s+", " ", m.group(1)).strip()


def test_loan_page_says_the_run_date_that_set_the_grade(login, staff, make_loan, today):
    loan = make_loan(days_ago=40)
    loans_arrears_update(on=today - timedelta(days=2))
    loans_arrears_update(on=today - timedelta(days=1))
    html = login(staff["bendahara"]).get(f"/pinjaman/{loan.pk}/").content.decode()
    line = _grade_line(html)
    assert line == f"Kolektibilitas per {format_tanggal(today - timedelta(days=1))}"
    assert PAID_SINCE not in line


def test_as_of_run_does_not_date_the_loans_grade(make_loan, today):
    # an as-of run writes snapshots, not the loan's columns: the date is the daily run's
    loan = make_loan(days_ago=40)
    loans_arrears_update(on=today - timedelta(days=3))
    ArrearsRun.objects.create(
        on=today - timedelta(days=1),
        kind=ArrearsRun.Kind.AS_OF,
        ppap_before=D(0),
        ppap_after=D(0),
    )
    g = loan_grade_date(loan)
    assert g.graded_on == today - timedelta(days=3)


def test_loan_disbursed_after_the_latest_run_is_not_graded_yet(login, staff, make_loan, today):
    loans_arrears_update(on=today - timedelta(days=1))
    loan = make_loan()  # disbursed today, after yesterday's run
    assert loan_grade_date(loan).graded_on is None
    html = login(staff["bendahara"]).get(f"/pinjaman/{loan.pk}/").content.decode()
    assert _grade_line(html) == f"Kolektibilitas {NOT_YET}"


def test_loan_disbursed_after_the_days_run_is_not_graded_by_it(make_loan, today):
    # the daily run of today was made before the disbursement (same date, earlier time)
    loan = make_loan()
    run = loans_arrears_update(on=today)
    ArrearsRun.objects.filter(pk=run.pk).update(
        created_at=loan.disbursement_entry.created_at - timedelta(hours=1)
    )
    assert loan_grade_date(loan).graded_on is None


def test_no_run_ever_is_not_graded_yet(make_loan):
    loan = make_loan(days_ago=10)
    assert loan_grade_date(loan).graded_on is None


def test_payment_after_the_run_is_said_not_regraded(login, staff, make_loan, today):
    loan = make_loan(days_ago=40)
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=loan, amount=D(500_000), by=staff["petugas"], on=today)
    html = login(staff["bendahara"]).get(f"/pinjaman/{loan.pk}/").content.decode()
    line = _grade_line(html)
    assert line.startswith(f"Kolektibilitas per {format_tanggal(today - timedelta(days=1))}")
    assert PAID_SINCE in line
    # the next run grades the payment: the note goes
    loans_arrears_update(on=today)
    html = login(staff["bendahara"]).get(f"/pinjaman/{loan.pk}/").content.decode()
    assert _grade_line(html) == f"Kolektibilitas per {format_tanggal(today)}"


def test_api_loan_says_graded_on(login, staff, make_loan, today):
    loan = make_loan(days_ago=40)
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=loan, amount=D(500_000), by=staff["petugas"], on=today)
    body = login(staff["bendahara"]).get(f"/api/v1/loans/{loan.pk}/").json()
    assert body["graded_on"] == (today - timedelta(days=1)).isoformat()
    assert body["paid_since_graded"] is True
    fresh = make_loan(who=f.member(take_home_pay=D(9_000_000)), principal=D(2_000_000))
    body = login(staff["bendahara"]).get(f"/api/v1/loans/{fresh.pk}/").json()
    assert body["graded_on"] is None and body["paid_since_graded"] is False


def test_the_run_is_stamped_by_the_databases_clock_as_journal_entries_are(make_loan, today):
    # The run's time is compared with journal entries' times (a disbursement or payment
    # after the run): both must come from one clock. An entry's is PostgreSQL's (the
    # transaction's start); the run's was the app server's, so an app server whose clock
    # ran ahead hid a payment made after the run ("grade counts it").
    loan = make_loan(days_ago=40)
    ahead = timezone.now() + timedelta(minutes=10)
    with mock.patch("django.utils.timezone.now", return_value=ahead):
        run = loans_arrears_update(on=today)
    with connection.cursor() as cur:
        cur.execute("SELECT CURRENT_TIMESTAMP")
        db_now = cur.fetchone()[0]
    assert run.created_at == db_now
    run.refresh_from_db()
    assert run.created_at == db_now
    assert loan.disbursement_entry.created_at == db_now  # the same clock


def test_disbursement_before_the_days_run_is_graded_whatever_the_app_servers_clock(
    login, staff, make_loan, today
):
    # an app server's clock behind the database's made a loan disbursed before the run
    # look disbursed after it: "not graded yet" on a loan the run had graded
    loan = make_loan()
    behind = timezone.now() - timedelta(minutes=10)
    with mock.patch("django.utils.timezone.now", return_value=behind):
        loans_arrears_update(on=today)
    assert loan_grade_date(loan).graded_on == today
    html = login(staff["bendahara"]).get(f"/pinjaman/{loan.pk}/").content.decode()
    assert _grade_line(html) == f"Kolektibilitas per {format_tanggal(today)}"
