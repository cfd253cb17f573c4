"""Restructuring must not launder a bad loan (issue 17 item 1): a rescheduled loan keeps
its grade and PPAP until it has paid the set number of instalments on time in a row, then
improves one grade at a time; its capitalised overdue jasa is deferred income (a
liability), recognised as income only as it is paid. Every step: the ledger balances and
the loans sub-ledger (principal, PPAP, deferred jasa) equals its control accounts."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.common.dates import format_tanggal
from core.ledger.models import JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import fiscal_year_ensure
from core.loans import schedules as S
from core.loans.arrears import loans_arrears_update
from core.loans.models import Loan, Repayment
from core.loans.reports import report_arrears
from core.loans.services import (
    loan_apply,
    loan_approve,
    loan_disburse,
    loan_payoff,
    loan_repay,
    loan_reschedule,
    loan_settings_update,
    loan_verify,
    member_loans_settle_apply,
)
from tests.loans.conftest import approval_backdate, assert_reconciled, docs


def _role_total(entry, role):
    acc = account_for_role(role)
    return sum(
        (ln.credit - ln.debit for ln in JournalLine.objects.filter(entry=entry, account=acc)), D(0)
    )


def _bad_loan(staff, member, product, restructure_on):
    """Rp 10,000,000 flat 1% a month over 10 months, nothing paid: on ``restructure_on``
    eight instalments are due (800,000 of jasa), the oldest about 214 days ago."""
    first_due = S.add_months(restructure_on, -7)
    start = first_due - timedelta(days=30)
    # open the years before the books one by one, as an admin would: in January a loan
    # restructured 130 days back was paid out two years back
    for year in range(restructure_on.year, start.year - 1, -1):
        fiscal_year_ensure(year=year)
    loan = loan_apply(
        member=member,
        product=product,
        principal=D(10_000_000),
        tenor=10,
        by=staff["petugas"],
        on=start,
        documents=docs(),
    )
    loan_verify(loan=loan, by=staff["bendahara"])
    loan_approve(loan=loan, by=staff["ketua"])
    approval_backdate(loan, start)  # approved on the day it is paid out
    loan_disburse(loan=loan, by=staff["bendahara"], on=start, first_due_date=first_due)
    loans_arrears_update(on=restructure_on)
    loan.refresh_from_db()
    assert loan.days_past_due == (restructure_on - first_due).days  # 212-215 days
    assert (loan.kolektibilitas, loan.ppap_amount) == ("diragukan", D(5_000_000))
    return loan


def test_reschedule_keeps_grade_and_ppap_and_defers_capitalised_jasa(staff, member, product, today):
    on = today - timedelta(days=100)
    loan = _bad_loan(staff, member, product, on)
    income_before = account_balance(account=account_for_role("loan_interest_income"))
    rs = loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    assert rs.capitalised_jasa == D(800_000)
    # today's code: Cr 4101 jasa income 800,000 (SHU inflated by jasa never received)
    assert _role_total(rs.entry, "loan_interest_income") == 0
    assert _role_total(rs.entry, "deferred_jasa_income") == D(800_000)
    assert account_balance(account=account_for_role("loan_interest_income")) == income_before
    loan.refresh_from_db()
    assert loan.principal_outstanding == D(10_800_000) and loan.deferred_jasa == D(800_000)
    assert loan.is_restructured and loan.restructured_grade == "diragukan"
    assert rs.grade_before == "diragukan"
    assert_reconciled()

    # today's code: Lancar, PPAP 54,000 (0.5% of 10,800,000) the moment it is rescheduled
    loans_arrears_update(on=on)
    loan.refresh_from_db()
    assert loan.days_past_due == 0
    assert (loan.kolektibilitas, loan.ppap_amount) == ("diragukan", D(5_000_000))
    assert_reconciled()

    rows = list(loan.instalments.filter(is_current=True, version=2).order_by("number"))
    assert rows[0].total == D(1_008_000)  # 900,000 principal + 108,000 jasa
    # the first payment: its principal earns 900,000 / 10,800,000 of the deferred jasa
    rep = loan_repay(loan=loan, amount=rows[0].total, by=staff["petugas"], on=rows[0].due_date)
    assert rep.deferred_jasa_recognised == D(66_667)
    assert _role_total(rep.entry, "loan_interest_income") == D(108_000) + D(66_667)
    assert _role_total(rep.entry, "deferred_jasa_income") == -D(66_667)
    loan.refresh_from_db()
    assert loan.deferred_jasa == D(800_000) - D(66_667)
    assert_reconciled()
    loan_repay(loan=loan, amount=rows[1].total, by=staff["petugas"], on=rows[1].due_date)
    loans_arrears_update(on=rows[1].due_date + timedelta(days=1))
    loan.refresh_from_db()
    assert loan.days_past_due == 0 and loan.kolektibilitas == "diragukan"  # 2 of 3 paid
    assert loan.ppap_amount == S.rupiah(
        (loan.principal_outstanding - loan.deferred_jasa) * D("0.5")
    )
    assert_reconciled()

    # the third on-time instalment: one grade better (not straight to Lancar)
    loan_repay(loan=loan, amount=rows[2].total, by=staff["petugas"], on=rows[2].due_date)
    loans_arrears_update(on=today)
    loan.refresh_from_db()
    assert loan.kolektibilitas == "kurang_lancar"
    assert loan.ppap_amount == S.rupiah(
        (loan.principal_outstanding - loan.deferred_jasa) * D("0.10")
    )
    assert_reconciled()

    # paying off recognises the rest of the deferred jasa
    pay = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    loan.refresh_from_db()
    assert loan.deferred_jasa == 0 and loan.status == Loan.Status.CLOSED
    recognised = sum(
        Repayment.objects.filter(loan=loan).values_list("deferred_jasa_recognised", flat=True), D(0)
    )
    assert recognised == D(800_000)
    assert _role_total(pay.entry, "deferred_jasa_income") < 0
    assert_reconciled()


def test_a_late_instalment_restarts_the_count(staff, member, product, today):
    on = today - timedelta(days=130)
    loan = _bad_loan(staff, member, product, on)
    loan_settings_update(by=staff["admin"], restructure_probation_instalments=2)
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    rows = list(loan.instalments.filter(is_current=True, version=2).order_by("number"))
    loan_repay(loan=loan, amount=rows[0].total, by=staff["petugas"], on=rows[0].due_date)
    late = rows[1].due_date + timedelta(days=3)
    loan_repay(loan=loan, amount=rows[1].total, by=staff["petugas"], on=late)
    loan_repay(loan=loan, amount=rows[2].total, by=staff["petugas"], on=rows[2].due_date)
    loans_arrears_update(on=rows[2].due_date)
    loan.refresh_from_db()
    assert loan.kolektibilitas == "diragukan"  # 1 on time, 1 late, 1 on time: no run of 2
    assert_reconciled()


def test_restructured_loans_are_listed_apart_in_the_arrears_report(
    staff, member, product, today, client_a
):
    on = today - timedelta(days=10)
    loan = _bad_loan(staff, member, product, on)
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    rep = report_arrears(on=today)
    assert loan.number not in [r["number"] for r in rep.rows]
    apart = next(s for s in rep.sections if s.kind == "restructured")
    row = next(r for r in apart.rows if r["number"] == loan.number)
    assert row["grade_before"] == "Diragukan" and row["deferred"] == D(800_000)
    client_a.force_login(staff["pengawas"])
    html = client_a.get("/pinjaman/laporan/arrears/").content.decode()
    assert "Pinjaman direstrukturisasi" in html and loan.number in html
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert "Direstrukturisasi" in page and "Riwayat syarat pinjaman" in page


def test_reschedule_over_the_api_shows_the_loan_restructured_with_its_terms(
    staff, member, product, today, client_a
):
    on = today - timedelta(days=5)
    loan = _bad_loan(staff, member, product, on)
    client_a.force_login(staff["ketua"])
    r = client_a.post(
        f"/api/v1/loans/{loan.pk}/reschedule/",
        {"tenor": 12, "reason": "Gaji turun", "on": on.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["restructured"] is True and body["restructured_grade"] == "diragukan"
    assert D(body["deferred_jasa"]) == D(800_000)
    (terms,) = body["reschedules"]
    assert (terms["old_tenor"], terms["new_tenor"], D(terms["capitalised_jasa"])) == (
        10,
        12,
        D(800_000),
    )
    assert terms["rate_period"] == "month" and terms["grade_before"] == "diragukan"
    assert_reconciled()


@pytest.mark.parametrize("waive", [False, True])
def test_exit_settlement_and_write_off_clear_the_deferred_jasa(
    staff, member, product, today, waive
):
    on = today - timedelta(days=5)
    loan = _bad_loan(staff, member, product, on)
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    loans_arrears_update(on=today)
    loan.refresh_from_db()
    lines = member_loans_settle_apply(
        member=member, on=today, by=staff["bendahara"], waive=waive, reason="Keluar"
    )
    # balance the settlement's credit lines as the savings payout would
    from core.ledger.services import LineSpec, journal_post

    total = sum((ln.credit - ln.debit for ln in lines), D(0))
    extra = [LineSpec(account_for_role("cash"), debit=total)] if total else []
    journal_post(
        on=today, description="uji", lines=[*extra, *lines], source="loan", source_ref="t", by="t"
    )
    loan.refresh_from_db()
    assert loan.deferred_jasa == 0 and loan.status == Loan.Status.CLOSED
    # a write-off is not an early payoff: the closed loan says which it was
    assert loan.closed_by == ("writeoff" if waive else Loan.ClosedBy.PAYOFF)
    if waive:  # the 800,000 never earned is not a loss: no PPAP expense for it
        expense = sum(
            (ln.debit for ln in lines if ln.account == account_for_role("ppap_expense")), D(0)
        )
        assert expense == D(10_800_000) - D(800_000) - D(5_000_000)
    loans_arrears_update(on=today)
    assert_reconciled()


def test_restructured_grade_pure_rule():
    from datetime import date

    due = [date(2026, m, 10) for m in range(1, 8)]
    on_time = [(d, d) for d in due]
    grades = S.KOLEK_GRADES[S.KolekScheme.FOUR]
    kw = {"grade_at_restructure": "macet", "dpd_grade": "lancar", "probation": 3, "grades": grades}
    assert S.restructured_grade(rows=on_time[:2], on=date(2026, 7, 1), **kw) == "macet"
    assert S.restructured_grade(rows=on_time[:3], on=date(2026, 7, 1), **kw) == "diragukan"
    assert S.restructured_grade(rows=on_time[:6], on=date(2026, 7, 1), **kw) == "kurang_lancar"
    late = [*on_time[:2], (due[2], due[2] + timedelta(days=1)), *on_time[3:5]]
    assert S.restructured_grade(rows=late, on=date(2026, 7, 1), **kw) == "macet"
    # never better than the days past due say
    kw["dpd_grade"] = "macet"
    assert S.restructured_grade(rows=on_time, on=date(2026, 8, 1), **kw) == "macet"


def test_payroll_batch_recognises_deferred_jasa_and_its_reversal_defers_it_again(
    staff, member, product, today
):
    from django.db import transaction

    from core.ledger.services import journal_reverse
    from core.loans.batch import loan_repayments_prepare_bulk
    from core.loans.services import loan_repayment_reverse_apply, loan_repayments_attach_entry
    from tests.ledger.helpers import post_bank_batch

    on = today - timedelta(days=40)
    loan = _bad_loan(staff, member, product, on)
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    row = loan.instalments.get(is_current=True, version=2, number=11)
    with transaction.atomic():
        drafts = loan_repayments_prepare_bulk(
            items=[(loan.pk, row.total)], on=row.due_date, channel="payroll", by=staff["bendahara"]
        )
        entry = post_bank_batch(
            lines=[ln for d in drafts for ln in d.lines],
            on=row.due_date,
            by=staff["bendahara"],
            ref="uji-batch",
        )
        loan_repayments_attach_entry(drafts=drafts, entry=entry)
    (rep,) = [d.repayment for d in drafts]
    rep.refresh_from_db()
    assert rep.deferred_jasa_recognised == D(66_667)
    assert _role_total(entry, "loan_interest_income") == D(108_000) + D(66_667)
    loan.refresh_from_db()
    assert loan.deferred_jasa == D(733_333)
    assert_reconciled()
    with transaction.atomic():
        loan_repayment_reverse_apply(repayment=rep, on=today, by=staff["bendahara"])
        # as the payroll module's own reversal does (deduction_import_reverse)
        journal_reverse(
            entry=entry, on=today, reason="file salah", by=staff["bendahara"], module=entry.source
        )
    loan.refresh_from_db()
    assert loan.deferred_jasa == D(800_000)
    assert loan.principal_outstanding == D(10_800_000)
    assert_reconciled()


def test_reschedule_dated_in_a_closed_month_is_refused(make_loan, staff):
    """Nothing is capitalised (no instalment due yet), so no entry is posted: the closed
    month must still refuse a new schedule dated in it (its arrears figures are final)."""
    from core.common.errors import ApplicationError
    from core.ledger.models import Period
    from core.loans.models import Instalment, Reschedule
    from tests.loans.conftest import month_close_as_treasurer

    loan = make_loan(days_ago=40)
    on = loan.disbursed_on
    month_close_as_treasurer(
        period=Period.objects.get(start_date=on.replace(day=1)), by=staff["bendahara"]
    )
    with pytest.raises(ApplicationError) as e:
        loan_reschedule(loan=loan, by=staff["ketua"], tenor=20, reason="gaji turun", on=on)
    assert e.value.code == "period_closed"
    assert format_tanggal(on) in e.value.message
    assert not Reschedule.objects.filter(loan=loan).exists()
    assert Instalment.objects.filter(loan=loan, is_current=True).count() == 10
    loan.refresh_from_db()
    assert loan.schedule_version == 1 and loan.tenor == 10


def test_reschedule_clears_the_days_past_due_at_once(staff, member, product, today):
    """The new schedule has nothing overdue: the loan page and the arrears report say 0
    days late right after the reschedule (as after a payment), not the old rows' 200-odd
    days until the next daily run; the grade is kept (restructuring launders nothing)."""
    loan = _bad_loan(staff, member, product, today)
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=today)
    loan.refresh_from_db()
    assert loan.days_past_due == 0
    assert (loan.kolektibilitas, loan.ppap_amount) == ("diragukan", D(5_000_000))
    apart = next(s for s in report_arrears(on=today).sections if s.kind == "restructured")
    row = next(r for r in apart.rows if r["number"] == loan.number)
    assert (row["dpd"], row["arrears"]) == (0, 0)
