"""What the member portal shows, read through the feature apps' selectors (portal sits
above members, savings, loans and deductions in the dependency order, so it imports them
directly; an error in any of them is an error, never an empty section)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from core.deductions.selectors import member_deduction_history, member_last_deduction
from core.loans import selectors as loan_selectors
from core.loans.services import loan_payoff_quote as _loan_payoff_quote
from core.loans.services import loan_simulate as _loan_simulate
from core.loans.services import write_off_summary
from core.members.selectors import member_for_user, member_memberships
from core.savings.pdf import statement_pdf
from core.savings.selectors import member_savings_summary, member_savings_total
from core.savings.selectors import savings_statement as _savings_statement

ZERO = Decimal("0")


def member_of(user):
    """The Member linked to this login (``Member.user``), or None."""
    return member_for_user(user)


def earlier_memberships(member) -> list:
    """The person's earlier memberships (they left and joined again, the login moved to
    ``member``), newest first: their history is the person's too (read-only)."""
    return member_memberships(member)[1:]


def savings_accounts(member) -> list:
    return list(member_savings_summary(member=member))


def savings_total(member) -> Decimal:
    return member_savings_total(member=member)


def savings_statement(member, date_from: dt.date, date_to: dt.date) -> list:
    """The kartu simpanan as the staff read it: a payroll batch's movement named as the
    member knows it (``core.savings.selectors.payroll_rows_name``), a loan paid from
    sukarela by the loan and its receipt in the member's language
    (``core.loans.selectors.sukarela_payments_name``, registered with
    ``core.savings.statement_names``)."""
    return _savings_statement(member=member, date_from=date_from, date_to=date_to)


def savings_statement_pdf(member, statement: list, date_from: dt.date, date_to: dt.date) -> bytes:
    """The kartu simpanan as the staff print it (``core.savings.pdf.statement_pdf``)."""
    return statement_pdf(member=member, statement=statement, date_from=date_from, date_to=date_to)


def loans(member) -> list:
    """The member's loans, newest first (``core.loans.selectors.loan_list``)."""
    return list(loan_selectors.loan_list(member=member))


def loans_with_earlier(member) -> list:
    """The person's loans: this membership's, then each earlier membership's, each
    newest first (a loan's ``member`` says which)."""
    out = loans(member)
    for m in earlier_memberships(member):
        out += loans(m)
    return out


def loans_due(member, on: dt.date) -> dict | None:
    """What the member owes on their running loans: arrears with the late penalty and the
    next instalment, by the staff loan page's rule (``core.loans.selectors.member_loans_due``)."""
    return loan_selectors.member_loans_due(member=member, on=on)


def loan_due(loan, on: dt.date) -> dict | None:
    """One running loan's arrears and next instalment as the staff loan page shows them
    (``core.loans.selectors.loan_dues_summary``); None for a loan not running."""
    return loan_selectors.loan_dues_summary(loan, on) if loan.is_running else None


def loan_payoff_quote(loan, on: dt.date) -> dict | None:
    """What paying a running loan off on ``on`` takes — penalty, jasa due, the principal
    left, the early-payoff fee, the jasa paid ahead counted — as the staff loan page
    quotes it (``core.loans.services.loan_payoff_quote``; reads only); None for a loan
    not running."""
    return _loan_payoff_quote(loan=loan, on=on) if loan.is_running else None


def last_deduction(member) -> dict | None:
    """The latest payroll deduction (``core.deductions.selectors.member_last_deduction``)."""
    return member_last_deduction(member=member)


def loan_for_member(member, pk: int):
    """One of the person's own loans, of this or an earlier membership (None when it
    is not theirs)."""
    return next((ln for ln in loans_with_earlier(member) if ln.pk == pk), None)


def loan_schedule(loan, on: dt.date) -> list[dict]:
    """The current instalment schedule with each row's total (principal + jasa); a row
    not settled whose due date is before ``on`` is ``overdue`` (the staff page's
    "Tertunggak" badge)."""
    return [
        {
            "number": i.number,
            "due_date": i.due_date,
            "principal": i.principal,
            "jasa": i.jasa,
            "total": i.principal + i.jasa,
            "paid": i.principal_paid + i.jasa_paid,
            "settled": i.settled,
            "overdue": not i.settled and i.due_date < on,
        }
        for i in loan_selectors.loan_schedule(loan)
    ]


def loan_payments(loan) -> list:
    """The loan's payments as the staff loan page lists them, newest first, a reversed
    one with its ``reversal``, one that issued no receipt named by what it was, in the
    staff page's words (``core.loans.selectors.loan_repayments``)."""
    return loan_selectors.loan_repayments(loan)


def loan_reschedules(loan) -> list:
    """The loan's changes of terms, oldest first (``core.loans.selectors.loan_reschedules``)."""
    return list(loan_selectors.loan_reschedules(loan))


def loan_write_off(loan) -> dict | None:
    """A loan written off by the board's decision: the amount written off, what was
    received on it since (recoveries not reversed) and what remains
    (``core.loans.services.write_off_summary``); None otherwise."""
    if loan.closed_by != loan.ClosedBy.WRITEOFF:
        return None
    return write_off_summary(loan)


def loan_topped_up_by(loan):
    """The top-up loan that settled ``loan``, if any."""
    return loan_selectors.loan_topped_up_by(loan)


def deduction_history(member) -> list:
    """The person's payroll deductions per month, newest first: this membership's, then
    each earlier membership's (``membership`` names it on those rows)."""
    rows = list(member_deduction_history(member=member))
    for m in earlier_memberships(member):
        rows += [r | {"membership": m} for r in member_deduction_history(member=m)]
    return rows


def loan_products() -> list:
    return list(loan_selectors.loan_products(active_only=True))


def loan_simulate(*, product, principal, tenor, on):
    """The would-be loan's schedule and fees (``core.loans.services.loan_simulate``;
    writes nothing)."""
    return _loan_simulate(product=product, principal=principal, tenor=tenor, on=on)


def simulation_url() -> str:
    return reverse("portal:simulate")
