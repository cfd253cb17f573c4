"""A whole year on a test cooperative: twelve payroll-deduction runs (wajib and loan
instalments cut from salaries and posted per agency), monthly interest on sukarela, the
December arrears run, every month closed, the year closed, the SHU computed, posted after
the RAT and paid (cash and sukarela). At the end the ledger balances (the balances table
equals the lines, every entry balanced) and the savings and loan sub-ledgers equal their
control accounts."""

from datetime import date
from decimal import Decimal

import pytest

from tests.deductions.conftest import csv_bytes, make_run
from tests.loans.conftest import approval_backdate, docs
from tests.members import factories as f
from tests.yearend.conftest import YEAR

D = Decimal


@pytest.mark.slow
def test_a_whole_year_ends_balanced_and_reconciled(in_tenant_a, staff):
    from django.db import connection

    from core.deductions.models import DeductionLine
    from core.deductions.services import (
        deduction_import_post,
        deduction_import_upload,
        deduction_settings_update,
    )
    from core.ledger.models import Period
    from core.ledger.selectors import account_balance, account_for_role, balances_check
    from core.ledger.services import fiscal_year_ensure, period_close
    from core.loans.arrears import loans_arrears_update
    from core.loans.models import LoanProduct
    from core.loans.selectors import loans_reconciliation
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify
    from core.savings.models import SavingsProduct
    from core.savings.selectors import savings_reconciliation
    from core.savings.services import (
        savings_account_get_or_open,
        savings_interest_accrue,
        teller_deposit,
    )
    from core.yearend.models import MemberShare
    from core.yearend.selectors import close_checklist
    from core.yearend.services import shu_payout, shu_post, yearend_close

    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    agency = f.agency("DISDIK", "Dinas Pendidikan")
    members = [f.member(agency_obj=agency, take_home_pay=D("15000000")) for _ in range(4)]
    sukarela = SavingsProduct.objects.filter(kind="sukarela", is_active=True).first()
    for i, m in enumerate(members):
        acc = savings_account_get_or_open(member=m, product=sukarela, on=date(YEAR, 1, 5), by=by)
        teller_deposit(
            account=acc, amount=D(1000000 * (i + 1)), channel="cash", on=date(YEAR, 1, 5), by=by
        )
    product = LoanProduct.objects.create(
        code="WY",
        name="Pinjaman setahun",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        late_penalty_rate=D("0"),
        max_instalment_share=D("50"),
        min_membership_months=0,
    )
    for m, principal in ((members[0], "12000000"), (members[1], "6000000")):
        ln = loan_apply(
            member=m,
            product=product,
            principal=D(principal),
            tenor=12,
            by=staff["petugas"],
            on=date(YEAR, 1, 10),
            documents=docs(),
        )
        loan_verify(loan=ln, by=by)
        loan_approve(loan=ln, by=staff["ketua"])
        approval_backdate(ln, date(YEAR, 1, 10))  # approved on the day it is paid out
        loan_disburse(loan=ln, by=by, on=date(YEAR, 1, 10), first_due_date=date(YEAR, 1, 20))

    for month in range(1, 13):
        on = date(YEAR, month, 20)
        run = make_run(on=on, by=by)
        assert run.status == "ready", run.status
        lines = DeductionLine.objects.filter(run=run).select_related("member")
        content = csv_bytes([(ln.member.nip, int(ln.total)) for ln in lines])
        imp = deduction_import_upload(
            run=run, agency=agency, content=content, file_name="realisasi.csv", by=by
        )
        assert imp.status == "valid", (imp.errors, imp.file_errors)
        if month == 12:  # generated but not posted: the checklist says so
            item = {i.key: i for i in close_checklist(year=YEAR)}["payroll_posted"]
            assert not item.ok and "12" in item.detail
        deduction_import_post(imp=imp, by=by)
        savings_interest_accrue(product=sukarela, year=YEAR, month=month, by=by)
    loans_arrears_update(on=date(YEAR, 12, 31), by=by)
    for period in Period.objects.filter(fiscal_year__year=YEAR):
        period_close(period=period, by=by)

    assert all(i.ok for i in close_checklist(year=YEAR))
    ye = yearend_close(year=YEAR, by=by)
    assert ye.shu_after_tax > 0
    ye = shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 10), rat_decision="01/RAT/2026", by=by)
    shares = list(MemberShare.objects.filter(year_end=ye).order_by("member__number"))
    assert len(shares) == 4
    assert sum(s.jma for s in shares) == D(ye.funds["jasa_modal"])
    assert sum(s.jua for s in shares) == D(ye.funds["jasa_anggota"])
    # only the two borrowers paid jasa: the others get no JUA
    by_member = {s.member_id: s for s in shares}
    assert by_member[members[2].pk].jua == by_member[members[3].pk].jua == 0
    assert by_member[members[0].pk].jua > by_member[members[1].pk].jua > 0
    on = date(YEAR + 1, 3, 11)
    shu_payout(
        year=YEAR, items=[(members[0].pk, None), (members[1].pk, None)], method="cash", by=by, on=on
    )
    shu_payout(year=YEAR, items=[(members[2].pk, None)], method="sukarela", by=by, on=on)
    unpaid = by_member[members[3].pk].total
    assert account_balance(account=account_for_role("shu_members_payable")) == unpaid

    with connection.cursor() as cur:  # the deferred DB rules hold now
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
    assert balances_check() == []
    s = savings_reconciliation()
    assert s.ok, (s.rows, s.account_mismatches, s.member_mismatches)
    rec = loans_reconciliation()
    assert rec["principal_subledger"] == rec["principal_ledger"], rec
    from core.ledger import reports

    tb = reports.trial_balance(as_of=on)
    assert tb["balanced"]
    bs = reports.balance_sheet(as_of=date(YEAR, 12, 31))
    assert bs["balanced"]
