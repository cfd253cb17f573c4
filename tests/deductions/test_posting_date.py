"""Issue 17 item 4: a payroll batch is dated on the day the agency's money was received
(asked at posting on the screen and in the API; default the run's payday), not the
cut-off date, so the bank account in the ledger matches the bank statement; the date is
checked (not in the future, not before the run's month, in an open period); a month can
be closed while a later month's file is still out."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.deductions.models import DeductionImport
from core.ledger.models import JournalEntry, JournalLine, Period
from core.ledger.selectors import account_for_role

from .conftest import assert_reconciled, csv_bytes, make_run

HOST = "alpha.localhost"


def _upload(coop, run, member, amount, agency=0):
    return svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][agency],
        content=csv_bytes([(member.nip, amount)]),
        file_name=f"r{agency}.csv",
        by=coop["by"],
    )


def _bank_dates():
    bank = account_for_role("bank")
    return sorted(
        JournalLine.objects.filter(account=bank, entry__source="deduction").values_list(
            "entry__date", flat=True
        )
    )


def test_batch_is_dated_on_the_day_the_money_came_default_the_payday(coop, cutoffs):
    prev, _this = cutoffs
    run = make_run(on=prev, by=coop["by"])
    today = timezone.localdate()
    assert run.payday > run.cutoff_date
    imp = svc.deduction_import_post(imp=_upload(coop, run, coop["m"][0], 500000), by=coop["by"])
    # today's code dated it on the cut-off
    assert imp.entry.date == min(run.payday, today) != run.cutoff_date
    received = max(run.cutoff_date + timedelta(days=3), run.month_start)
    received = min(received, today)
    imp_b = svc.deduction_import_post(
        imp=_upload(coop, run, coop["m"][3], 100000, agency=1), by=coop["by"], on=received
    )
    assert imp_b.entry.date == received
    assert _bank_dates() == sorted([imp.entry.date, received])
    assert_reconciled()


@pytest.mark.parametrize("case", ["future", "before_month", "closed", "garbage"])
def test_posting_date_is_checked_and_nothing_is_written(coop, cutoffs, case):
    prev, _this = cutoffs
    run = make_run(on=prev, by=coop["by"])
    imp = _upload(coop, run, coop["m"][0], 500000)
    today = timezone.localdate()
    on = {
        "future": today + timedelta(days=1),
        "before_month": run.month_start - timedelta(days=1),
        "closed": prev,
        "garbage": "31-02-2026",
    }[case]
    if case == "closed":
        Period.objects.filter(start_date__lte=prev, end_date__gte=prev).update(status="closed")
    before = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        svc.deduction_import_post(imp=imp, by=coop["by"], on=on)
    assert e.value.code == ("deduction_period_closed" if case == "closed" else "deduction_bad_date")
    assert "on" in e.value.fields
    assert JournalEntry.objects.count() == before
    assert DeductionImport.objects.get(pk=imp.pk).status == "valid"


def test_month_closed_while_its_file_is_still_out(coop, cutoffs):
    """The run's month is closed; the late agency's file is uploaded and posted on the
    day its money came (today's code refused the upload: "Periode sudah ditutup")."""
    prev, _this = cutoffs
    run = make_run(on=prev, by=coop["by"])
    Period.objects.filter(start_date__lte=prev, end_date__gte=prev).update(status="closed")
    if (
        not Period.objects.filter(
            start_date__lte=timezone.localdate(), end_date__gte=timezone.localdate(), status="open"
        ).exists()
        and Period.objects.filter(
            start_date__lte=timezone.localdate(), end_date__gte=timezone.localdate()
        ).exists()
    ):
        pytest.skip("today's period is not open")
    if run.payday.month == prev.month:
        pytest.skip("payday in the closed month")
    imp = _upload(coop, run, coop["m"][3], 100000, agency=1)
    imp = svc.deduction_import_post(imp=imp, by=coop["by"], on=run.payday)
    assert imp.entry.date == run.payday
    assert_reconciled()


def test_api_and_screen_ask_the_date_received(coop, cutoffs):
    prev, _this = cutoffs
    run = make_run(on=prev, by=coop["by"])
    c = Client(HTTP_HOST=HOST)
    c.force_login(coop["by"])
    today = timezone.localdate()
    imp = _upload(coop, run, coop["m"][0], 500000)
    page = c.get(f"/potong-gaji/impor/{imp.pk}/").content.decode()
    assert 'name="on"' in page and min(run.payday, today).isoformat() in page
    r = c.post(
        f"/api/v1/deductions/imports/{imp.pk}/post/",
        {"on": (today + timedelta(days=2)).isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "deduction_bad_date"
    r = c.post(
        f"/api/v1/deductions/imports/{imp.pk}/post/",
        {"on": run.month_start.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["posted_on"] == run.month_start.isoformat()
    # the screen: post agency B on a date typed by the bendahara
    imp_b = _upload(coop, run, coop["m"][3], 100000, agency=1)
    on = min(run.month_start + timedelta(days=1), today)
    r = c.post(
        f"/potong-gaji/impor/{imp_b.pk}/",
        {"action": "post", "on": on.isoformat(), "confirmed": "1"},
    )
    assert r.status_code == 302
    imp_b.refresh_from_db()
    assert imp_b.status == "posted" and imp_b.entry.date == on
    assert_reconciled()


def test_batch_dated_before_a_loans_reschedule_is_refused_naming_it(coop, cutoffs):
    """The chair rescheduled m1's loan yesterday; the agency's money is entered as
    received the day before. Before, the batch paid the rescheduled rows as if the
    reschedule had come first (a payment on a schedule that did not exist on its date).
    Now the posting is refused naming the loan and the reschedule date, nothing of the
    batch is written (not even the other members' deposits); dated the reschedule's day,
    it posts (the row the earlier date flagged is cleared)."""
    from core.common.dates import format_tanggal
    from core.loans.models import Repayment
    from core.loans.services import loan_reschedule
    from core.savings.models import SavingsTransaction

    prev, _this = cutoffs
    run = make_run(on=prev, by=coop["by"])
    loan = coop["loans"]["m1"]
    resched_on = timezone.localdate() - timedelta(days=1)
    loan_reschedule(
        loan=loan, by=coop["staff"]["ketua"], tenor=12, reason="gaji turun", on=resched_on
    )
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(coop["m"][0].nip, 600000), (coop["m"][2].nip, 100000)]),
        file_name="r.csv",
        by=coop["by"],
    )
    counts = (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        SavingsTransaction.objects.count(),
    )
    with pytest.raises(ApplicationError) as e:
        svc.deduction_import_post(imp=imp, by=coop["by"], on=resched_on - timedelta(days=1))
    # refused by row (test_preview_loan_floor.py), before the loans batch would refuse it
    assert e.value.code == "deduction_loan_date"
    msg = str(e.value.message)
    assert loan.number in msg and format_tanggal(resched_on) in msg, msg
    assert "penjadwalan ulang" in msg
    imp.refresh_from_db()
    assert imp.status != DeductionImport.Status.POSTED and imp.entry_id is None
    assert (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        SavingsTransaction.objects.count(),
    ) == counts
    imp = svc.deduction_import_post(imp=imp, by=coop["by"], on=resched_on)
    assert imp.entry.date == resched_on
    rep = Repayment.objects.get(loan=loan)
    assert rep.paid_on == resched_on
    assert_reconciled()
