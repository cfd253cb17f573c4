"""What the member portal shows, read through the feature apps' selectors (portal sits
above members, savings, loans and deductions in the dependency order, so it imports them
directly; an error in any of them is an error, never an empty section)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.deductions.selectors import (
    PayrollBatch,
    member_deduction_history,
    member_last_deduction,
    payroll_batches_by_entry,
)
from core.loans import selectors as loan_selectors
from core.loans.services import loan_simulate as _loan_simulate
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


# The memos a batch writes on a savings movement that say no more than its month (the
# batch's own name replaces them); any other (an excess, a redirect) is still shown.
PLAIN_PAYROLL_MEMOS = ("Potong gaji %(m)s", "Pembatalan potong gaji %(m)s")


def _payroll_note(memo: str, batch: PayrollBatch) -> str:
    """What a batch's memo says beyond its month: nothing for the plain one; any other
    with the batch's code (``03/2026``) written as the month (``Maret 2026``)."""
    label = f"{batch.period:%m/%Y}"
    plain = {m % {"m": label} for m in PLAIN_PAYROLL_MEMOS}
    plain |= {_(m) % {"m": label} for m in PLAIN_PAYROLL_MEMOS}
    return "" if memo in plain else memo.replace(label, date_format(batch.period, "F Y"))


def payroll_description(batch: PayrollBatch, note: str = "") -> str:
    """A payroll-deduction movement as the member knows it, the one wording of the
    portal's pages and of its kartu simpanan PDF: "Potong gaji Maret 2026 – <instansi> ·
    ref. JU-…" (a reversed batch: "Pembatalan potong gaji …"), then what its memo says
    beyond that (``note``)."""
    values = {"month": date_format(batch.period, "F Y"), "agency": batch.agency}
    if batch.reversal:
        label = _("Pembatalan potong gaji %(month)s – %(agency)s") % values
    else:
        label = _("Potong gaji %(month)s – %(agency)s") % values
    parts = [label, _("ref. %(ref)s") % {"ref": batch.reference}]
    return " · ".join(parts + ([note] if note else []))


def payroll_lines_name(*, savings_rows=(), repayments=()) -> None:
    """Name each payroll-deduction movement by its batch, as the member knows it: the
    month, the agency and the batch's reference (``payroll``, None for any other row;
    ``payroll_description``, the words shown, on the page and in the PDF alike); a
    savings row keeps a memo that says more than that (``payroll_note``). One query for
    all the rows."""
    savings_rows, repayments = list(savings_rows), list(repayments)
    batches = payroll_batches_by_entry(
        entry_ids=[t.journal_entry_id for t in savings_rows] + [p.entry_id for p in repayments]
    )
    for t in savings_rows:
        t.payroll = batches.get(t.journal_entry_id)
        t.payroll_note = _payroll_note(t.memo, t.payroll) if t.payroll else t.memo
        t.payroll_description = payroll_description(t.payroll, t.payroll_note) if t.payroll else ""
    for p in repayments:
        p.payroll = batches.get(p.entry_id) if p.channel == p.Channel.PAYROLL else None
        p.payroll_description = payroll_description(p.payroll) if p.payroll else ""


def savings_statement(member, date_from: dt.date, date_to: dt.date) -> list:
    statement = _savings_statement(member=member, date_from=date_from, date_to=date_to)
    payroll_lines_name(savings_rows=[t for s in statement for t in s.rows])
    return statement


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
    one with its ``reversal`` (``core.loans.selectors.loan_repayments``); a payroll one
    named by its batch (``payroll_lines_name``), a top-up's settlement by the new loan and
    what it took over (``topup``: ``core.loans.selectors.topup_settlements``)."""
    payments = loan_selectors.loan_repayments(loan)
    payroll_lines_name(repayments=payments)
    # a top-up's settlement issues no receipt: it is named by the loan that settled it
    settled = loan_selectors.topup_settlements(payments)
    for p in payments:
        p.topup = settled.get(p.pk)
    return payments


def loan_reschedules(loan) -> list:
    """The loan's changes of terms, oldest first (``core.loans.selectors.loan_reschedules``)."""
    return list(loan_selectors.loan_reschedules(loan))


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
