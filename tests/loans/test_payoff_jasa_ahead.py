"""An early payoff waives the jasa of instalments not yet due; the jasa a member had paid
ahead on them (a repayment's amount beyond what was due goes to the next instalment's
jasa first) is counted toward the principal owed, so paying ahead never costs more in
all. The correction is a movement of the payoff's own entry (jasa income debited, the
receivable credited in full), and the payoff's reversal restores it exactly. The same
holds for a top-up and an exit settlement, which settle the loan by the same quote.

The loan: 10,000,000 flat at 1 % a month over 10 months (1,100,000 an instalment: 100,000
jasa), disbursed 5 days ago, so nothing is due yet; early-payoff fee 1 % of the principal
not yet due."""

import re
from datetime import timedelta
from decimal import Decimal as D

from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role
from core.loans.models import Instalment, Loan, Repayment
from core.loans.reports import _repayment_rows
from core.loans.selectors import loan_disbursement_preview, member_loans_outstanding
from core.loans.services import (
    loan_disburse,
    loan_payoff,
    loan_payoff_quote,
    loan_repay,
    loan_repayment_reverse,
    member_loans_settle_apply,
)
from tests.loans.conftest import assert_reconciled
from tests.loans.test_money_review import _role_total, _topup


def _rows(loan):
    return list(
        Instalment.objects.filter(loan=loan, is_current=True)
        .order_by("number")
        .values_list("number", "jasa_paid", "jasa_waived", "principal_paid", "settled")
    )


def _loan_jasa_income(loan):
    """Jasa income (credit less debit) posted for the loan's member, all entries."""
    acc = account_for_role("loan_interest_income")
    return sum(
        (
            ln.credit - ln.debit
            for ln in JournalLine.objects.filter(account=acc, member_id=loan.member_id)
        ),
        D(0),
    )


def test_payoff_quote_counts_jasa_paid_ahead_toward_the_principal(make_loan, staff, today):
    loan = make_loan(days_ago=5)
    loan_repay(loan=loan, amount=D(50_000), by=staff["petugas"], on=today)
    q = loan_payoff_quote(loan=loan, on=today)
    assert (q["penalty"], q["jasa"], q["principal"]) == (D(0), D(0), D(10_000_000))
    assert q["early_payoff_fee"] == D(100_000)
    assert q["jasa_paid_ahead"] == D(50_000)
    assert q["total"] == D(10_050_000)


def test_payoff_journal_takes_the_jasa_paid_ahead_back_from_income(make_loan, staff, today):
    loan = make_loan(days_ago=5)
    loan_repay(loan=loan, amount=D(50_000), by=staff["petugas"], on=today)
    assert _loan_jasa_income(loan) == D(50_000)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert rep.amount == D(10_050_000) and rep.jasa_ahead_credited == D(50_000)
    assert (rep.penalty, rep.jasa, rep.principal, rep.early_payoff_fee) == (
        D(0),
        D(0),
        D(10_000_000),
        D(100_000),
    )
    entry = rep.entry
    assert _role_total(entry, "cash") == D(-10_050_000)  # the cash received
    assert _role_total(entry, "loan_interest_income") == D(-50_000)  # debited
    assert _role_total(entry, "loan_receivable") == D(10_000_000)  # the whole principal
    assert _role_total(entry, "penalty_income") == D(100_000)  # the early-payoff fee
    # the jasa of every instalment is waived, the one paid ahead included: no jasa income
    assert _loan_jasa_income(loan) == 0
    row1 = loan.instalments.get(is_current=True, number=1)
    assert (row1.jasa_paid, row1.jasa_waived, row1.settled) == (D(0), D(100_000), True)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.principal_outstanding == 0
    # the statement's row: its parts add up to the amount received
    row = _repayment_rows([rep], [])[0]
    assert (row["jasa"], row["principal"], row["penalty"]) == (
        D(-50_000),
        D(10_000_000),
        D(100_000),
    )
    assert row["penalty"] + row["jasa"] + row["principal"] == row["amount"] == D(10_050_000)
    assert_reconciled()


def test_payoff_reversal_restores_the_jasa_paid_ahead_exactly(make_loan, staff, today):
    loan = make_loan(days_ago=5)
    loan_repay(loan=loan, amount=D(50_000), by=staff["petugas"], on=today)
    before = _rows(loan)
    assert before[0] == (1, D(50_000), D(0), D(0), False)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert rep.jasa_ahead_rows == [[loan.instalments.get(number=1, is_current=True).pk, "50000.00"]]
    loan_repayment_reverse(repayment=rep, by=staff["admin"], reason="pelunasan batal")
    assert _rows(loan) == before
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED and loan.principal_outstanding == D(10_000_000)
    assert _loan_jasa_income(loan) == D(50_000)  # the jasa paid ahead is income again
    assert loan_payoff_quote(loan=loan, on=today)["total"] == D(10_050_000)
    assert_reconciled()


def test_payoff_after_a_whole_instalment_paid_ahead_counts_its_jasa(make_loan, staff, today):
    """Instalment 1 paid in full before it is due (settled): its 100,000 jasa is waived
    too. Principal 9,000,000 + fee 90,000 - 100,000 = 8,990,000."""
    loan = make_loan(days_ago=5)
    loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=today)
    loan_repay(loan=loan, amount=D(30_000), by=staff["petugas"], on=today)  # row 2's jasa
    before = _rows(loan)
    q = loan_payoff_quote(loan=loan, on=today)
    assert q["jasa_paid_ahead"] == D(130_000)
    assert q["principal"] == D(9_000_000) and q["early_payoff_fee"] == D(90_000)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert rep.amount == q["total"] == D(8_960_000)
    assert _role_total(rep.entry, "loan_interest_income") == D(-130_000)
    assert _loan_jasa_income(loan) == 0
    rows = _rows(loan)
    assert rows[0] == (1, D(0), D(100_000), D(1_000_000), True)
    assert rows[1] == (2, D(0), D(100_000), D(1_000_000), True)
    loan_repayment_reverse(repayment=rep, by=staff["admin"], reason="pelunasan batal")
    assert _rows(loan) == before
    assert _loan_jasa_income(loan) == D(130_000)
    assert_reconciled()


def test_payoff_keeps_jasa_paid_on_instalments_already_due(make_loan, staff, today):
    """Jasa of an instalment due by the payoff date is earned: only rows not yet due
    count. Row 1 (due) paid in full on its date, row 2 (not yet due) 40,000 ahead."""
    loan = make_loan(days_ago=40)
    r1 = loan.instalments.get(number=1)
    loan_repay(loan=loan, amount=D(1_140_000), by=staff["petugas"], on=r1.due_date)
    q = loan_payoff_quote(loan=loan, on=today)
    assert q["jasa_paid_ahead"] == D(40_000)
    assert q["total"] == D(9_000_000) + D(90_000) - D(40_000)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert _loan_jasa_income(loan) == D(100_000)  # row 1's jasa stays earned
    assert rep.amount == D(9_050_000)


def test_topup_counts_the_old_loans_jasa_paid_ahead(make_loan, staff, member, product, today):
    old = make_loan(days_ago=5)
    loan_repay(loan=old, amount=D(50_000), by=staff["petugas"], on=today)
    new = _topup(staff, member, product, old, D(20_000_000), today)
    preview = loan_disbursement_preview(new, on=today)
    assert preview["settlement"] == D(9_950_000)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=today)
    new.refresh_from_db()
    assert new.topup_settlement == D(9_950_000)
    assert _role_total(entry, "loan_interest_income") == D(-50_000)
    assert _role_total(entry, "loan_receivable") == D(10_000_000) - D(20_000_000)
    rep = old.repayments.get(channel=Repayment.Channel.TOPUP)
    assert rep.amount == D(9_950_000) and rep.jasa_ahead_credited == D(50_000)
    assert _loan_jasa_income(old) == 0
    assert_reconciled()


def test_exit_settlement_counts_jasa_paid_ahead(make_loan, staff, member, today):
    from core.ledger.services import LineSpec, journal_post

    loan = make_loan(days_ago=5)
    loan_repay(loan=loan, amount=D(50_000), by=staff["petugas"], on=today)
    items = member_loans_outstanding(member, on=today)
    assert items[0]["outstanding"] == D(9_950_000)
    lines = member_loans_settle_apply(member=member, on=today, by=staff["bendahara"])
    assert sum((ln.credit - ln.debit for ln in lines), D(0)) == D(9_950_000)
    journal_post(
        on=today,
        description="Penyelesaian keluar (uji)",
        lines=[LineSpec(account_for_role("cash"), debit=D(9_950_000)), *lines],
        source="loan",
        source_ref="uji-exit-ahead",
        by=staff["bendahara"],
    )
    assert _loan_jasa_income(loan) == 0
    assert_reconciled()


def test_payoff_screen_and_api_show_the_jasa_paid_ahead(make_loan, staff, client_a, today):
    loan = make_loan(days_ago=5)
    loan_repay(loan=loan, amount=D(50_000), by=staff["petugas"], on=today)
    client_a.force_login(staff["bendahara"])
    r = client_a.get(f"/api/v1/loans/{loan.pk}/payoff-quote/")
    assert r.status_code == 200
    body = r.json()
    assert D(body["jasa_paid_ahead"]) == D(50_000) and D(body["total"]) == D(10_050_000)
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert "Jasa dibayar di muka diperhitungkan" in page and "Rp 10.050.000" in page
    r = client_a.post(f"/pinjaman/{loan.pk}/payoff/", {"channel": "counter"})
    box = r.content.decode().split('id="confirm"')[1]
    row = box.split("Jasa dibayar di muka diperhitungkan")[1].split("</tr>")[0]
    assert "-Rp 50.000" in row
    assert "Ya, lunasi Rp 10.050.000" in box
    r = client_a.post(f"/pinjaman/{loan.pk}/payoff/", {"channel": "counter", "confirmed": "1"})
    assert r.status_code == 302
    receipt = client_a.get(r["Location"]).content.decode()
    assert "Jasa dibayar di muka diperhitungkan" in receipt and "Rp 10.050.000" in receipt
    # the loan page's payments: the payoff's jasa column is -50.000, its parts add up
    rep = loan.repayments.get(kind=Repayment.Kind.PAYOFF)
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    row = page.split(f">{rep.receipt_number}<")[1].split("</tr>")[0]
    assert "-Rp 50.000" in row and "Rp 10.000.000" in row and "Rp 10.050.000" in row


def test_payoff_before_paying_ahead_quote_unchanged(make_loan, today):
    """No jasa paid ahead: the quote is as before (nothing counted)."""
    loan = make_loan(days_ago=5)
    q = loan_payoff_quote(loan=loan, on=today + timedelta(days=0))
    assert q["jasa_paid_ahead"] == 0 and q["total"] == D(10_100_000)


def _dear_product(product, **kw):
    """The test product at 2 % a month (200,000 jasa on 1,000,000 principal a month)."""
    from core.loans.models import LoanProduct

    fields = {
        f.name: getattr(product, f.name)
        for f in LoanProduct._meta.concrete_fields
        if f.name not in ("id", "code", "name")
    }
    return LoanProduct.objects.create(
        **(fields | {"code": "MHL", "name": "Mahal", "rate": D("2")} | kw)
    )


def test_jasa_paid_ahead_counts_up_to_the_principal_left(make_loan, staff, product, today):
    """Nine instalments of 1,200,000 and row 10's jasa paid ahead: 2,000,000 jasa ahead,
    1,000,000 principal left. The payoff counts 1,000,000 of it (rows 10 to 6, the newest
    first), never a refund: it receives the fee, 10,000; rows 1-5 keep their jasa."""
    loan = make_loan(days_ago=5, prod=_dear_product(product))
    for _i in range(9):
        loan_repay(loan=loan, amount=D(1_200_000), by=staff["petugas"], on=today)
    loan_repay(loan=loan, amount=D(200_000), by=staff["petugas"], on=today)
    before = _rows(loan)
    q = loan_payoff_quote(loan=loan, on=today)
    assert q["principal"] == D(1_000_000) and q["jasa_paid_ahead"] == D(1_000_000)
    assert q["total"] == D(10_000)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert rep.amount == D(10_000) and rep.jasa_ahead_credited == D(1_000_000)
    assert _role_total(rep.entry, "loan_interest_income") == D(-1_000_000)
    assert _loan_jasa_income(loan) == D(1_000_000)  # rows 1-5: 5 x 200,000 kept
    rows = _rows(loan)
    assert [r[1] for r in rows] == [D(200_000)] * 5 + [D(0)] * 5
    assert [r[2] for r in rows] == [D(0)] * 5 + [D(200_000)] * 5
    loan_repayment_reverse(repayment=rep, by=staff["admin"], reason="pelunasan batal")
    assert _rows(loan) == before
    assert_reconciled()


def test_payoff_refused_when_jasa_paid_ahead_leaves_nothing_to_receive(
    make_loan, staff, product, today
):
    """No early-payoff fee, and the jasa paid ahead covers all the principal left: the
    payoff would receive 0; refused with the reason, nothing written."""
    import pytest

    from core.common.errors import ApplicationError

    loan = make_loan(days_ago=5, prod=_dear_product(product, early_payoff_value=D(0)))
    for _i in range(9):
        loan_repay(loan=loan, amount=D(1_200_000), by=staff["petugas"], on=today)
    loan_repay(loan=loan, amount=D(200_000), by=staff["petugas"], on=today)
    before = _rows(loan)
    with pytest.raises(ApplicationError) as e:
        loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert "menutup seluruh sisa pokok Rp 1.000.000" in e.value.message
    assert _rows(loan) == before
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED


def test_exit_settlement_when_jasa_paid_ahead_covers_the_principal_left(
    make_loan, staff, member, product, today
):
    """An exit settles the loan with nothing to pay from savings: the jasa paid ahead
    (1,000,000 counted of 2,000,000) covers the 1,000,000 left. The lines balance by
    themselves (Dr jasa income / Cr receivable); the settlement's receipt is of 0."""
    from core.ledger.services import journal_post

    loan = make_loan(days_ago=5, prod=_dear_product(product))
    for _i in range(9):
        loan_repay(loan=loan, amount=D(1_200_000), by=staff["petugas"], on=today)
    loan_repay(loan=loan, amount=D(200_000), by=staff["petugas"], on=today)
    assert member_loans_outstanding(member, on=today)[0]["outstanding"] == 0
    lines = member_loans_settle_apply(member=member, on=today, by=staff["bendahara"])
    assert sum((ln.debit for ln in lines), D(0)) == sum((ln.credit for ln in lines), D(0))
    assert sum((ln.credit for ln in lines), D(0)) == D(1_000_000)
    journal_post(
        on=today,
        description="Penyelesaian keluar (uji)",
        lines=lines,
        source="loan",
        source_ref="uji-exit-covered",
        by=staff["bendahara"],
    )
    rep = loan.repayments.get(channel=Repayment.Channel.SETTLEMENT)
    assert rep.amount == 0 and rep.jasa_ahead_credited == D(1_000_000)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.principal_outstanding == 0
    assert_reconciled()


def test_the_payoff_quote_writes_every_amount_as_the_rest_of_the_api(
    make_loan, staff, client_a, today
):
    """Every figure with its two decimals ("50000.00"), as loans, repayments and savings
    answer money: the quote mixed "0", "50000" and "5000000.00" (found walking the API)."""
    loan = make_loan(days_ago=5)
    loan_repay(loan=loan, amount=D(50_000), by=staff["petugas"], on=today)
    client_a.force_login(staff["bendahara"])
    body = client_a.get(f"/api/v1/loans/{loan.pk}/payoff-quote/").json()
    assert set(body) == {
        "penalty",
        "jasa",
        "principal",
        "early_payoff_fee",
        "jasa_paid_ahead",
        "total",
    }
    assert body["jasa_paid_ahead"] == "50000.00" and body["total"] == "10050000.00"
    assert body["penalty"] == "0.00"
    assert all(re.fullmatch(r"-?\d+\.\d\d", v) for v in body.values()), body
