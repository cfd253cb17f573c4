"""Due dates keep the day of the month the loan was paid out (or rescheduled) on: a loan
paid out on 31 January is due on 28 February, then 31 March, 30 April, ... (the last day
of a shorter month), not on the 28th for the rest of its life. A first due date typed by
the user sets the day itself."""

import calendar
from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from core.loans import schedules as S
from core.loans.selectors import loan_dues_summary
from core.loans.services import loan_repay, loan_reschedule, loan_simulate

from .conftest import assert_reconciled


def _dates(loan):
    return [r.due_date for r in loan.instalments.filter(is_current=True).order_by("number")]


def test_due_dates_keep_the_day_given_after_a_short_month():
    assert S.due_dates(date(2026, 2, 28), 5, day=31) == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]
    # a leap February, then the 30th kept
    assert S.due_dates(date(2028, 2, 29), 3, day=30) == [
        date(2028, 2, 29),
        date(2028, 3, 30),
        date(2028, 4, 30),
    ]
    # no day: the first due date's own day (a typed 28 February stays on the 28th)
    assert S.due_dates(date(2026, 2, 28), 2) == [date(2026, 2, 28), date(2026, 3, 28)]


@settings(max_examples=300, deadline=None)
@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_monthly_due_dates_fall_on_the_start_day_or_the_months_last(start):
    first = S.add_months(start, 1)
    dates = S.build_schedule(
        method="flat", principal=D(1_200), rate=D(0), tenor=14, first_due=first, day=start.day
    ).rows
    for k, row in enumerate(dates, start=1):
        y, m = divmod(start.month - 1 + k, 12)
        last = calendar.monthrange(start.year + y, m + 1)[1]
        assert row.due_date == date(start.year + y, m + 1, min(start.day, last))


def test_loan_paid_out_on_the_31st_of_january_is_due_at_each_months_end(make_loan, staff, today):
    on = date(2026, 1, 31)
    loan = make_loan(principal=D(3_000_000), tenor=6, days_ago=(today - on).days)
    assert loan.disbursed_on == on
    assert _dates(loan) == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
    ]
    # February paid on time: on 30 March nothing is due yet (the March instalment falls
    # due on the 31st), so no arrears and no late penalty are shown
    loan_repay(loan=loan, amount=D(530_000), by=staff["petugas"], on=date(2026, 2, 28))
    loan.refresh_from_db()
    s = loan_dues_summary(loan, date(2026, 3, 30))
    assert (s["due_total"], s["overdue"], s["next_due"]) == (D(0), False, date(2026, 3, 31))
    assert_reconciled()


def test_typed_first_due_date_sets_the_day(make_loan, staff, today):
    from core.loans.services import loan_disburse

    on = date(2026, 1, 31)
    loan = make_loan(principal=D(3_000_000), tenor=3, days_ago=(today - on).days, until="approved")
    loan_disburse(loan=loan, by=staff["bendahara"], on=on, first_due_date=date(2026, 2, 25))
    loan.refresh_from_db()
    assert _dates(loan) == [date(2026, 2, 25), date(2026, 3, 25), date(2026, 4, 25)]


def test_reschedule_on_a_months_last_day_keeps_it(make_loan, staff, today):
    on = date(2026, 10, 31)
    loan = make_loan(principal=D(3_000_000), tenor=6, days_ago=(today - date(2026, 9, 30)).days)
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=5, reason="Gaji turun", on=on)
    loan.refresh_from_db()
    assert _dates(loan)[-5:] == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]
    assert_reconciled()


def test_simulation_dated_the_31st_shows_the_same_due_dates(product):
    sim = loan_simulate(product=product, principal=D(3_000_000), tenor=3, on=date(2026, 1, 31))
    assert [r.due_date for r in sim.schedule.rows] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
