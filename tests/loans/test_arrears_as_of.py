"""The arrears/PPAP run made from the screen (``loans_arrears_run``, page
``loans:arrears_run``): as of today, or as of a past month's last day whose month is open
("per 31 Desember" made in January), graded as the loans stood that day; the allowance
posted as of that day and turned back today; refusals that change nothing."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.test import Client

from core.audit.models import AuditEvent
from core.ledger.models import JournalEntry, Period
from core.ledger.selectors import account_for_role, totals_as_of
from core.ledger.services import period_close
from core.loans.arrears import loans_arrears_update
from core.loans.arrears_asof import loans_arrears_run
from core.loans.models import ArrearsRun, Loan, LoanGradeSnapshot
from core.loans.services import loan_payoff, loan_repay, loan_repayment_reverse
from core.users.models import User
from tests.members import factories as f


class _Undo(Exception):
    pass


def _month_end_before(today):
    """The last day of the month before today's (31 December when today is in January)."""
    return today.replace(day=1) - timedelta(days=1)


def _allowance(on) -> D:
    acc = account_for_role("ppap_allowance")
    debit, credit = totals_as_of(on, account_ids=[acc.pk]).get(acc.pk, (D(0), D(0)))
    return credit - debit


def _snapshots(on) -> dict:
    return {
        s.loan_id: (s.kolektibilitas, s.days_past_due, s.principal_outstanding, s.ppap_amount)
        for s in LoanGradeSnapshot.objects.filter(on=on)
    }


@pytest.fixture
def book(make_loan, today):
    """Three loans running on D (one very late, one late, one due but current), and one
    disbursed after D."""
    d = _month_end_before(today)
    # counted back from D, not from today: on a day late in the month the late loan was
    # not yet 90 days past due on D (lancar)
    very_late = make_loan(
        principal=D(4_000_000),
        tenor=20,
        days_ago=(today - d).days + 314,
        who=f.member(take_home_pay=D(9_000_000)),
    )
    late = make_loan(
        principal=D(3_000_000),
        tenor=10,
        days_ago=(today - d).days + 124,
        who=f.member(take_home_pay=D(9_000_000)),
    )
    current = make_loan(
        principal=D(2_000_000),
        tenor=10,
        days_ago=(today - d).days + 40,
        who=f.member(take_home_pay=D(9_000_000)),
    )
    return d, very_late, late, current


def test_as_of_run_after_a_later_payment_grades_as_a_run_made_on_the_day(
    book, make_loan, staff, today
):
    d, very_late, late, current = book
    # the run as the daily job would have made it on D itself (then undone)
    try:
        with transaction.atomic():
            on_the_day = loans_arrears_update(on=d)
            expected = _snapshots(d)
            expected_ppap = on_the_day.ppap_after
            raise _Undo
    except _Undo:
        pass
    assert len(expected) == 3 and expected_ppap > 0
    assert expected[late.pk][0] != "lancar" and expected[very_late.pk][0] == "macet"

    # the job did not run on D; after D the late loan is paid off, the very late one paid
    # in part, a new loan disbursed, and today's daily run grades today's state
    loan_payoff(loan=late, by=staff["petugas"], on=today)
    loan_repay(loan=very_late, amount=D(500_000), by=staff["petugas"], on=today)
    new = make_loan(principal=D(1_000_000), tenor=10, who=f.member(take_home_pay=D(9_000_000)))
    loans_arrears_update(on=today)
    columns = {
        ln.pk: (ln.kolektibilitas, ln.days_past_due, ln.ppap_amount) for ln in Loan.objects.all()
    }
    ppap_today = sum(ln.ppap_amount for ln in Loan.objects.filter(status="disbursed"))
    assert _allowance(d) == 0

    result = loans_arrears_run(on=d, by=staff["bendahara"])

    assert _snapshots(d) == expected  # the same grades, days, outstanding and PPAP
    assert new.pk not in _snapshots(d)
    assert result.run.on == d and result.run.loans == 3
    assert result.ppap_after == expected_ppap and result.ppap_before == 0
    # the allowance as of D is the PPAP of D; from today on it is the loans' PPAP again
    assert _allowance(d) == expected_ppap
    assert _allowance(today) == ppap_today
    assert [(e.date, e.source) for e in result.entries] == [(d, "loan"), (today, "loan")]
    at_d, back = result.entries
    assert sum(ln.debit for ln in at_d.lines.all()) == expected_ppap
    assert "Penyisihan PPAP per" in at_d.description
    assert sum(ln.debit for ln in back.lines.all()) == expected_ppap
    # the loans' own columns stay today's
    assert {
        ln.pk: (ln.kolektibilitas, ln.days_past_due, ln.ppap_amount) for ln in Loan.objects.all()
    } == columns
    event = AuditEvent.objects.filter(action="loan.arrears.run").latest("pk")
    assert event.data["on"] == d.isoformat() and D(event.data["ppap_on"]) == expected_ppap

    # made again: the allowance on D already agrees, nothing more is posted
    n = JournalEntry.objects.count()
    again = loans_arrears_run(on=d, by=staff["bendahara"])
    assert again.entries == [] and JournalEntry.objects.count() == n
    assert _snapshots(d) == expected


def test_run_as_of_today_is_the_daily_run(book, staff, today):
    result = loans_arrears_run(on=today, by=staff["admin"])
    assert result.run.on == today and not result.as_of_past
    late = book[2]
    late.refresh_from_db()
    assert late.kolektibilitas != "lancar" and late.ppap_amount > 0
    assert _allowance(today) == result.ppap_after


def _nothing_written():
    assert not ArrearsRun.objects.exists()
    assert not LoanGradeSnapshot.objects.exists()
    assert not JournalEntry.objects.filter(source="loan", source_ref__startswith="ppap:").exists()


def test_as_of_refuses_a_payment_on_the_day_reversed_after_it(book, staff, today):
    d, very_late, late, current = book
    rep = loan_repay(loan=late, amount=D(100_000), by=staff["petugas"], on=d)
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah input", on=today)
    with pytest.raises(Exception) as e:
        loans_arrears_run(on=d, by=staff["bendahara"])
    assert e.value.code == "loan_arrears_as_of_unreadable"
    msg = str(e.value.message)
    assert "dibatalkan sesudahnya" in msg and late.number in msg
    assert "Hubungi dukungan Lumbung" in msg and "Tidak ada yang ditulis" in msg
    _nothing_written()


def test_a_payment_made_and_reversed_after_the_day_counts_nothing(book, staff, today):
    d, very_late, late, current = book
    try:
        with transaction.atomic():
            loans_arrears_update(on=d)
            expected = _snapshots(d)
            raise _Undo
    except _Undo:
        pass
    rep = loan_repay(loan=late, amount=D(400_000), by=staff["petugas"], on=today)
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah input", on=today)
    loans_arrears_run(on=d, by=staff["bendahara"])
    assert _snapshots(d) == expected


@pytest.mark.parametrize("case", ["future", "not_month_end", "month_closed"])
def test_as_of_refuses_a_day_it_cannot_post(book, staff, today, case):
    d = book[0]
    if case == "future":
        on, code = today + timedelta(days=1), "loan_arrears_date_invalid"
    elif case == "not_month_end":
        on, code = d - timedelta(days=1), "loan_arrears_date_invalid"
    else:
        if d.month == 12:
            # December closes only after its year-end run (which this case is without):
            # in January the closed month is November
            d = d.replace(day=1) - timedelta(days=1)
        period_close(period=Period.objects.get(end_date=d), by=staff["bendahara"])
        on, code = d, "loan_arrears_period_closed"
    with pytest.raises(Exception) as e:
        loans_arrears_run(on=on, by=staff["bendahara"])
    assert e.value.code == code
    _nothing_written()


def test_only_treasurer_or_admin_may_run(book, staff):
    with pytest.raises(Exception) as e:
        loans_arrears_run(on=book[0], by=staff["ketua"])
    assert e.value.code == "permission_denied"
    _nothing_written()


def _client(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_screen_makes_the_run_and_shows_its_result(book, staff, today, client_a):
    d = book[0]
    c = _client(client_a, staff["bendahara"])
    page = c.get("/pinjaman/laporan/tunggakan/proses/").content.decode()
    assert 'id="arrears-run-form"' in page
    assert f'value="{d.isoformat()}"' in page and f'value="{today.isoformat()}"' in page
    resp = c.post("/pinjaman/laporan/tunggakan/proses/", {"on": d.isoformat()})
    run = ArrearsRun.objects.get()
    assert resp.status_code == 302 and resp["Location"].endswith(f"?run={run.pk}")
    page = c.get(resp["Location"]).content.decode()
    assert 'id="run-result"' in page and 'id="run-entries"' in page
    assert "Balik PPAP per" in page and "Penyisihan PPAP per" in page
    assert run.on == d and run.loans == 3


def test_screen_says_why_a_run_is_refused(book, staff, today, client_a):
    c = _client(client_a, staff["bendahara"])
    on = book[0] - timedelta(days=1)
    resp = c.post("/pinjaman/laporan/tunggakan/proses/", {"on": on.isoformat()})
    assert resp.status_code == 200
    assert "bukan akhir bulan" in resp.content.decode()
    _nothing_written()


def test_pengawas_sees_the_runs_but_cannot_run(book, staff, client_a):
    c = _client(client_a, staff["pengawas"])
    page = c.get("/pinjaman/laporan/tunggakan/proses/")
    assert page.status_code == 200 and 'id="arrears-run-form"' not in page.content.decode()
    resp = c.post("/pinjaman/laporan/tunggakan/proses/", {"on": book[0].isoformat()})
    assert resp.status_code == 403
    _nothing_written()


def test_arrears_reports_link_to_the_run(book, staff, client_a):
    c = _client(client_a, staff["pengawas"])
    for path in ("/pinjaman/laporan/", "/pinjaman/laporan/arrears/"):
        page = c.get(path).content.decode()
        assert 'href="/pinjaman/laporan/tunggakan/proses/"' in page, path


def test_as_of_grades_a_restructured_loan_as_on_the_day(staff, member, product, today):
    from core.loans.services import loan_reschedule
    from tests.loans.test_restructuring import _bad_loan

    d = _month_end_before(today)
    on = today - timedelta(days=100)
    loan = _bad_loan(staff, member, product, on)
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    try:
        with transaction.atomic():
            loans_arrears_update(on=d)
            expected = _snapshots(d)
            raise _Undo
    except _Undo:
        pass
    assert expected[loan.pk][0] == "diragukan"  # the grade it kept
    loan.refresh_from_db()
    loan_repay(loan=loan, amount=D(2_000_000), by=staff["petugas"], on=today)
    loans_arrears_update(on=today)
    loans_arrears_run(on=d, by=staff["bendahara"])
    assert _snapshots(d) == expected
    assert LoanGradeSnapshot.objects.get(on=d, loan=loan).restructured


def test_as_of_refuses_a_reschedule_after_the_day(staff, member, product, today):
    from core.loans.services import loan_reschedule
    from tests.loans.test_restructuring import _bad_loan

    d = _month_end_before(today)
    loan = _bad_loan(staff, member, product, today)
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=today)
    n = JournalEntry.objects.count()
    with pytest.raises(Exception) as e:
        loans_arrears_run(on=d, by=staff["bendahara"])
    assert e.value.code == "loan_arrears_as_of_unreadable"
    assert "penjadwalan ulang atau restrukturisasi sesudah" in str(e.value.message)
    assert loan.number in str(e.value.message)
    assert JournalEntry.objects.count() == n and not LoanGradeSnapshot.objects.filter(on=d).exists()
