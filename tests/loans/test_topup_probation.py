"""A top-up of a restructured loan still in its probation is a restructuring too (domain:
Loans, Restructuring: a restructured loan keeps its grade until it has paid the set number
of instalments on time in a row; restructuring must not make a bad loan look good), even
with nothing overdue: the new loan carries the old loan's grade (its probation restarting
on the new schedule) and its deferred jasa and penalty, which the settlement does not earn
(they are paid by the new loan's principal, new credit, not cash). A top-up of a loan
whose probation has ended is an ordinary top-up."""

from datetime import timedelta
from decimal import Decimal as D

from core.common.money import format_rupiah
from core.ledger.selectors import account_balance, account_for_role, balances_check
from core.loans import schedules as S
from core.loans.arrears import loans_arrears_update
from core.loans.models import Loan, Repayment
from core.loans.reports import report_restructured
from core.loans.selectors import loans_reconciliation
from core.loans.services import (
    loan_disburse,
    loan_payoff_quote,
    loan_repay,
    loan_reschedule,
    loan_settings_update,
)
from tests.loans.conftest import assert_reconciled
from tests.loans.test_money_review import _role_total, _topup
from tests.loans.test_restructuring import _bad_loan


def _pay_on_time(staff, loan, upto):
    """Pay each of ``loan``'s current rows due on or before ``upto`` on its due date, the
    daily run graded after each."""
    for row in loan.instalments.filter(is_current=True, due_date__lte=upto).order_by("number"):
        loan_repay(loan=loan, amount=row.principal + row.jasa, by=staff["petugas"], on=row.due_date)
        loans_arrears_update(on=row.due_date)
    loan.refresh_from_db()


def _rescheduled_on_probation(staff, member, product, at):
    """Diragukan when rescheduled 100 days before ``at`` (800,000 of jasa deferred); its
    three rows due since paid on time: one grade better (Kurang Lancar), still on
    probation (Lancar after three more), nothing overdue on ``at``."""
    on = at - timedelta(days=100)
    old = _bad_loan(staff, member, product, on)
    loan_reschedule(loan=old, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    _pay_on_time(staff, old, at - timedelta(days=1))
    assert old.days_past_due == 0 and old.restructured_grade == "diragukan"
    assert old.kolektibilitas == "kurang_lancar"
    assert D(0) < old.deferred_jasa < D(800_000)
    return old


def test_topup_of_a_loan_on_probation_keeps_its_grade_and_carries_its_deferred_jasa(
    staff, member, product, today
):
    today = today - timedelta(days=100)  # the new loan's first three rows due by today
    old = _rescheduled_on_probation(staff, member, product, today)
    deferred = old.deferred_jasa
    q = loan_payoff_quote(loan=old, on=today)
    income_before = account_balance(account=account_for_role("loan_interest_income"))
    deferred_before = account_balance(account=account_for_role("deferred_jasa_income"))
    new = _topup(staff, member, product, old, D(20_000_000), today)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=today)
    # the old loan's deferred jasa is not earned: the settlement does not touch 2xxx
    # deferred income, and jasa income takes only the quote's jasa (none is overdue)
    assert _role_total(entry, "deferred_jasa_income") == 0
    assert _role_total(entry, "loan_interest_income") == q["jasa"]
    assert _role_total(entry, "penalty_income") == q["penalty"] == 0
    assert (
        account_balance(account=account_for_role("loan_interest_income"))
        == income_before + q["jasa"]
    )
    assert account_balance(account=account_for_role("deferred_jasa_income")) == deferred_before
    new.refresh_from_db()
    old.refresh_from_db()
    assert old.status == Loan.Status.CLOSED and old.deferred_jasa == 0
    assert old.repayments.get(channel=Repayment.Channel.TOPUP).deferred_jasa_recognised == 0
    assert (new.deferred_jasa, new.deferred_penalty) == (deferred, D(0))
    # it keeps the grade the old loan had (Kurang Lancar), restructured on the top-up day
    assert (new.restructured_grade, new.kolektibilitas) == ("kurang_lancar", "kurang_lancar")
    assert new.restructured_on == today and new.is_restructured
    assert new.grade_inherited_on == today
    assert balances_check() == []
    assert_reconciled()
    rec = loans_reconciliation()
    assert rec["deferred_jasa_subledger"] == rec["deferred_jasa_ledger"], rec
    # the daily run: Kurang Lancar with its PPAP (10 %) of the principal net of the
    # deferred jasa, though nothing is past due; reported apart as restructured
    loans_arrears_update(on=today)
    new.refresh_from_db()
    assert new.days_past_due == 0
    net = new.principal_outstanding - new.deferred_jasa
    assert (new.kolektibilitas, new.ppap_amount) == ("kurang_lancar", S.rupiah(net * D("0.10")))
    listed = [r["number"] for r in report_restructured(on=today).rows]
    assert new.number in listed
    # the probation restarts on the new schedule: three on time, then Lancar
    rows = list(new.instalments.filter(is_current=True).order_by("number"))
    for i, row in enumerate(rows[:3], start=1):
        rep = loan_repay(
            loan=new, amount=row.principal + row.jasa, by=staff["petugas"], on=row.due_date
        )
        # each repayment recognises its share of the carried jasa, as today's rules do
        assert rep.deferred_jasa_recognised > 0
        loans_arrears_update(on=row.due_date)
        new.refresh_from_db()
        assert new.kolektibilitas == ("kurang_lancar" if i < 3 else "lancar"), i
    assert_reconciled()


def test_topup_of_a_topup_on_probation_carries_its_deferred_penalty(staff, member, product, today):
    """A top-up of a loan in arrears (deferred penalty carried), its first row paid on
    time, topped up again with nothing overdue: the second top-up carries the deferred
    jasa and penalty on, earning neither; its own repayments earn the penalty first."""
    on = today - timedelta(days=100)
    bad = _bad_loan(staff, member, product, on)
    first = _topup(staff, member, product, bad, D(15_000_000), on)
    loan_disburse(loan=first, by=staff["bendahara"], on=on)
    first.refresh_from_db()
    assert first.restructured_grade == "diragukan" and first.deferred_penalty > 0
    row1 = first.instalments.get(number=1, is_current=True)
    _pay_on_time(staff, first, row1.due_date)
    assert first.kolektibilitas == "diragukan" and first.days_past_due == 0
    carried, carried_penalty = first.deferred_jasa, first.deferred_penalty
    assert D(0) < carried_penalty < carried
    at = row1.due_date + timedelta(days=5)
    second = _topup(staff, member, product, first, D(30_000_000), at)
    entry = loan_disburse(loan=second, by=staff["bendahara"], on=at)
    assert _role_total(entry, "deferred_jasa_income") == 0
    assert _role_total(entry, "penalty_income") == 0
    second.refresh_from_db()
    assert (second.deferred_jasa, second.deferred_penalty) == (carried, carried_penalty)
    assert (second.restructured_grade, second.restructured_on) == ("diragukan", at)
    assert balances_check() == []
    assert_reconciled()
    r1 = second.instalments.get(number=1, is_current=True)
    rep = loan_repay(
        loan=second, amount=r1.principal + r1.jasa, by=staff["petugas"], on=r1.due_date
    )
    share = S.rupiah(carried * r1.principal / second.principal)
    assert rep.deferred_jasa_recognised == share
    assert _role_total(rep.entry, "penalty_income") == min(share, carried_penalty)
    assert_reconciled()


def test_topup_of_a_loan_whose_probation_has_ended_is_an_ordinary_topup(
    staff, member, product, today
):
    """Probation of one instalment: three paid on time take Diragukan back to Lancar
    (one grade per instalment); its top-up inherits nothing and earns the deferred jasa
    as an ordinary top-up does."""
    loan_settings_update(by=staff["admin"], restructure_probation_instalments=1)
    on = today - timedelta(days=100)
    old = _bad_loan(staff, member, product, on)
    loan_reschedule(loan=old, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    _pay_on_time(staff, old, today - timedelta(days=1))
    assert old.kolektibilitas == "lancar" and old.restructured_grade == "diragukan"
    deferred = old.deferred_jasa
    assert deferred > 0
    new = _topup(staff, member, product, old, D(20_000_000), today)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=today)
    assert _role_total(entry, "deferred_jasa_income") == -deferred
    new.refresh_from_db()
    assert new.restructured_grade == "" and new.restructured_on is None
    assert new.deferred_jasa == 0 and new.kolektibilitas == "lancar"
    assert new.grade_inherited_on is None
    assert_reconciled()


def test_topup_confirmation_of_a_loan_on_probation_says_it_is_a_restructuring(
    staff, member, product, client_a, today
):
    old = _rescheduled_on_probation(staff, member, product, today)
    new = _topup(staff, member, product, old, D(20_000_000), today)
    client_a.force_login(staff["bendahara"])
    r = client_a.post(f"/pinjaman/{new.pk}/disburse/", {"on": today.isoformat(), "via": "cash"})
    assert r.status_code == 200
    box = r.content.decode().split('id="confirm"')[1]
    notice = box.split('id="confirm-notice"')[1].split("</p>")[0]
    assert "restrukturisasi" in notice and old.number in notice
    assert "masa percobaan" in notice
    assert format_rupiah(old.deferred_jasa) in notice
    assert "Kurang Lancar" in notice and "3 angsuran tepat waktu" in notice
    assert "menunggak" not in notice
    r = client_a.post(
        f"/pinjaman/{new.pk}/disburse/",
        {"on": today.isoformat(), "via": "cash", "confirmed": "1"},
    )
    assert r.status_code == 302
    new.refresh_from_db()
    assert new.deferred_jasa == old.deferred_jasa
    assert new.restructured_grade == "kurang_lancar"
    page = client_a.get(f"/pinjaman/{new.pk}/").content.decode()
    assert f"Mewarisi kolektibilitas pinjaman lama {old.number}" in page
