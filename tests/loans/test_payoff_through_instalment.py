"""A payment that clears a loan's remaining principal before its last instalment is due
(the excess to principal, *Pelunasan sebagian pokok*) is an early payoff: when the
product charges an early-payoff penalty, it is refused at the counter, over the API and
in the loans batch, naming the *Pelunasan dipercepat* amount; with no penalty the loan
closes as repaid, as before. Paying the next instalment ahead (the last one included)
is not a payoff; a payroll deduction's excess goes to sukarela and never pays a loan
off early."""

from decimal import Decimal as D

import pytest
from django.db import transaction

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.ledger.models import JournalEntry
from core.loans.batch import loan_repayments_prepare_bulk
from core.loans.models import Instalment, Loan, Repayment
from core.loans.services import (
    loan_dues,
    loan_payoff,
    loan_payoff_quote,
    loan_repay,
    loan_repayments_attach_entry,
)
from tests.ledger.helpers import post_bank_batch
from tests.loans.conftest import assert_reconciled

CODE = "loan_payoff_required"


def _counts():
    return (
        Repayment.objects.count(),
        JournalEntry.objects.count(),
        AuditEvent.objects.count(),
        Instalment.objects.count(),
    )


def _clearing_amount(loan, on):
    """What an instalment payment with the excess to principal needs to clear the loan on
    ``on``: the late penalty, the rows due and the next instalment in full, and every
    later row's principal (their jasa is never charged)."""
    rows = list(loan.instalments.filter(is_current=True, settled=False).order_by("number"))
    penalty = loan_dues(loan, on, rows).penalty
    due = [r for r in rows if r.due_date <= on]
    nxt = next(r for r in rows if r.due_date > on)
    later = [r for r in rows if r.due_date > nxt.due_date]
    return (
        penalty
        + sum((r.jasa_left + r.principal_left for r in [*due, nxt]), D(0))
        + sum((r.principal_left for r in later), D(0))
    )


def test_excess_to_principal_clearing_the_loan_refused_naming_the_payoff(make_loan, staff, today):
    loan = make_loan(days_ago=10)  # 10,000,000 over 10 months, 1% penalty on payoff
    amount = _clearing_amount(loan, today)
    assert amount == D(10_100_000)
    q = loan_payoff_quote(loan=loan, on=today)
    assert q["early_payoff_fee"] == D(100_000) and q["total"] == D(10_100_000)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_repay(loan=loan, amount=amount, by=staff["petugas"], on=today, excess_to="principal")
    assert e.value.code == CODE
    msg = str(e.value.message)
    assert "Pelunasan dipercepat" in msg
    assert format_rupiah(q["total"]) in msg and format_rupiah(q["early_payoff_fee"]) in msg
    assert _counts() == before
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED and loan.principal_outstanding == D(10_000_000)
    # the payoff itself takes the penalty and closes the loan
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert rep.early_payoff_fee == D(100_000) and rep.amount == q["total"]
    loan.refresh_from_db()
    assert loan.closed_by == Loan.ClosedBy.PAYOFF
    assert_reconciled()


def test_refusal_names_arrears_jasa_and_late_penalty_in_the_payoff(make_loan, staff, today):
    """A loan in arrears: the payoff named is principal + jasa due + late penalty + the
    early-payoff penalty, the total of the *Pelunasan dipercepat* quote."""
    loan = make_loan(principal=D(6_000_000), tenor=12, days_ago=95)
    q = loan_payoff_quote(loan=loan, on=today)
    assert q["penalty"] > 0 and q["jasa"] > 0 and q["early_payoff_fee"] > 0
    with pytest.raises(ApplicationError) as e:
        loan_repay(
            loan=loan,
            amount=_clearing_amount(loan, today),
            by=staff["petugas"],
            on=today,
            excess_to="principal",
        )
    assert e.value.code == CODE
    assert format_rupiah(q["total"]) in str(e.value.message)


def test_excess_to_principal_clearing_the_loan_closes_repaid_without_payoff_penalty(
    make_loan, staff, product, today
):
    product.early_payoff_value = D(0)
    product.save(update_fields=["early_payoff_value"])
    loan = make_loan(days_ago=10)
    rep = loan_repay(
        loan=loan,
        amount=_clearing_amount(loan, today),
        by=staff["petugas"],
        on=today,
        excess_to="principal",
    )
    assert rep.principal + rep.excess == D(10_000_000) and rep.early_payoff_fee == 0
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.closed_by == Loan.ClosedBy.REPAID
    assert loan.principal_outstanding == 0
    assert_reconciled()


def test_excess_to_principal_leaving_principal_still_reamortises(make_loan, staff, today):
    loan = make_loan(days_ago=10)
    rep = loan_repay(
        loan=loan,
        amount=_clearing_amount(loan, today) - 1,
        by=staff["petugas"],
        on=today,
        excess_to="principal",
    )
    assert rep.excess == D(8_999_999)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED and loan.principal_outstanding == 1


def test_last_instalment_paid_before_its_due_date_closes_repaid(make_loan, staff, today):
    """Paying the next instalment ahead is the ordinary instalment: the last one paid a
    few days early closes the loan as repaid, no payoff penalty asked."""
    loan = make_loan(principal=D(2_000_000), tenor=2, days_ago=40)
    last = loan.instalments.get(number=2)
    assert last.due_date > today
    rep = loan_repay(loan=loan, amount=_clearing_amount(loan, today), by=staff["petugas"], on=today)
    assert rep.excess == 0
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.closed_by == Loan.ClosedBy.REPAID


def test_api_repay_clearing_the_loan_refused_with_json_error(client_a, make_loan, staff, today):
    from django.test import Client

    loan = make_loan(days_ago=10)
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(staff["petugas"])
    before = _counts()
    r = c.post(
        f"/api/v1/loans/{loan.pk}/repay/",
        {"amount": "10100000", "excess_to": "principal"},
        content_type="application/json",
    )
    assert r.status_code == 409, r.content
    err = r.json()["error"]
    assert err["code"] == CODE
    assert format_rupiah(D(10_100_000)) in err["message"]
    assert "Pelunasan dipercepat" in err["message"]
    assert _counts() == before


def test_counter_screen_clearing_the_loan_shows_the_payoff(client_a, make_loan, staff, today):
    from django.test import Client

    loan = make_loan(days_ago=10)
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(staff["petugas"])
    before = _counts()
    r = c.post(
        f"/pinjaman/{loan.pk}/repay/",
        {"amount": "10.100.000", "channel": "counter", "excess_to": "principal"},
        follow=True,
    )
    assert r.status_code == 200
    page = r.content.decode()
    assert "Pelunasan dipercepat" in page and format_rupiah(D(10_100_000)) in page
    assert _counts() == before


def test_bulk_clearing_a_loan_refused_like_single_nothing_written(make_loan, staff, today):
    loans = sorted(
        [make_loan(days_ago=10), make_loan(principal=D(3_000_000), tenor=10, days_ago=10)],
        key=lambda x: x.pk,
    )
    amounts = [D(400_000), _clearing_amount(loans[1], today)]
    before = _counts()
    with pytest.raises(ApplicationError) as e, transaction.atomic():
        loan_repayments_prepare_bulk(
            items=[(ln.pk, a) for ln, a in zip(loans, amounts, strict=True)],
            on=today,
            channel="bank",
            by=staff["bendahara"],
            excess_to="principal",
        )
    assert e.value.code == CODE and loans[1].number in str(e.value.message)
    assert _counts() == before


def test_payroll_excess_goes_to_sukarela_never_pays_off(make_loan, staff, member, today):
    """The payroll batch's excess goes to the member's sukarela: an amount enough to clear
    the loan pays the next instalment and the rest is savings; the loan runs on."""
    from core.savings.models import SavingsAccount

    loan = make_loan(days_ago=10)
    by = staff["bendahara"]
    with transaction.atomic():
        (draft,) = loan_repayments_prepare_bulk(
            items=[(loan.pk, D(10_100_000))],
            on=today,
            channel="payroll",
            by=by,
            excess_to="sukarela",
        )
        entry = post_bank_batch(lines=draft.lines, on=today, by=by, ref="uji-payroll-lunas")
        loan_repayments_attach_entry(drafts=[draft], entry=entry)
    assert (draft.repayment.principal, draft.repayment.excess) == (D(1_000_000), D(9_000_000))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED and loan.principal_outstanding == D(9_000_000)
    acc = SavingsAccount.objects.get(member=member, product__kind="sukarela")
    assert acc.balance == D(9_000_000)
