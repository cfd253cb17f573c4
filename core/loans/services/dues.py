"""What a loan owes on a date: open rows, penalties, dues, the payoff quote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .. import schedules as S
from ..models import (
    Instalment,
    Loan,
)
from .common import ZERO

# --- dues ---------------------------------------------------------------------------


@dataclass
class RowState:
    row: Instalment
    penalty_due: Decimal


def _open_rows(loan: Loan) -> list[Instalment]:
    return list(
        Instalment.objects.select_for_update()
        .filter(loan=loan, is_current=True, settled=False)
        .order_by("number")
    )


def row_penalty_charge(loan: Loan, row: Instalment, on: date) -> S.PenaltyCharge:
    """The late penalty charged on a row through ``on`` (``schedules.row_penalty_charge``):
    what was charged up to the last payment applied to it, and the product's rate of
    what is unpaid of the instalment now for each day / started month beyond the grace
    days since; ``on`` before the row's last charge point (backdated): without the
    periods after ``on``, taken off at the rate of what is unpaid now."""
    p = loan.product
    return S.row_penalty_charge(
        due_date=row.due_date,
        on=on,
        unpaid=row.principal_left + row.jasa_left,
        periods=row.penalty_periods,
        charged=row.penalty_charged,
        penalty_paid=row.penalty_paid,
        rate_percent=p.late_penalty_rate,
        basis=p.late_penalty_basis,
        grace_days=p.late_penalty_grace_days,
    )


def row_penalty_after_payment(loan: Loan, row: Instalment, charge: S.PenaltyCharge):
    """The penalty state ``row`` keeps after a payment charged ``charge`` through its date
    was applied to it (``schedules.row_penalty_after_payment``): backdated, the periods
    after the payment's date charged again on what it left unpaid of the row."""
    return S.row_penalty_after_payment(
        charge,
        unpaid=row.principal_left + row.jasa_left,
        penalty_paid=row.penalty_paid,
        rate_percent=loan.product.late_penalty_rate,
    )


def row_penalty_due(loan: Loan, row: Instalment, on: date) -> Decimal:
    """Late penalty still owed on an unsettled row: what is charged on it through ``on``
    (each period late on what was unpaid of the instalment during it; never on the part
    already paid; a backdated ``on``: not the periods after it), less the penalty paid on
    it already."""
    if row.settled:
        return ZERO
    return row_penalty_charge(loan, row, on).owed(row.penalty_paid)


@dataclass
class Dues:
    """What a loan owes on a date: overdue/due rows (due on or before the date), and the
    next instalment (the one a repayment pays after the due ones)."""

    penalty: Decimal
    jasa: Decimal
    principal: Decimal
    next_jasa: Decimal
    next_principal: Decimal
    principal_outstanding: Decimal

    @property
    def due_total(self) -> Decimal:
        return self.penalty + self.jasa + self.principal

    @property
    def with_next(self) -> Decimal:
        return self.due_total + self.next_jasa + self.next_principal


def loan_dues(loan: Loan, on: date, rows: list[Instalment] | None = None) -> Dues:
    if rows is None:
        rows = list(loan.instalments.filter(is_current=True, settled=False).order_by("number"))
    due = [r for r in rows if r.due_date <= on]
    nxt = next((r for r in rows if r.due_date > on), None)
    return Dues(
        penalty=sum((row_penalty_due(loan, r, on) for r in due), ZERO),
        jasa=sum((r.jasa_left for r in due), ZERO),
        principal=sum((r.principal_left for r in due), ZERO),
        next_jasa=nxt.jasa_left if nxt else ZERO,
        next_principal=nxt.principal_left if nxt else ZERO,
        principal_outstanding=loan.principal_outstanding,
    )


def loan_payoff_quote(
    *, loan: Loan, on: date, rows: list[Instalment] | None = None
) -> dict[str, Decimal]:
    """Early payoff: penalty and jasa on instalments due up to the date, all remaining
    principal, and the product's early-payoff fee on the principal not yet due. Jasa of
    instalments not yet due is waived, so the jasa the member paid ahead on them
    (``jasa_paid_ahead``) is counted toward the principal: the total is the parts less
    it. ``rows``: the loan's current unsettled instalments by number, when the caller has
    them already (else read here)."""
    if rows is None:
        rows = list(loan.instalments.filter(is_current=True, settled=False).order_by("number"))
    d = loan_dues(loan, on, rows)
    principal = sum((r.principal_left for r in rows), ZERO)  # = principal_outstanding
    ahead = sum((j for _pk, j in jasa_paid_ahead(loan, on, principal=principal)), ZERO)
    not_yet_due = principal - d.principal
    fee = (
        S.fee_amount(
            base=not_yet_due,
            kind=loan.product.early_payoff_kind,
            value=loan.product.early_payoff_value,
        )
        if not_yet_due > 0
        else ZERO
    )
    return {
        "penalty": d.penalty,
        "jasa": d.jasa,
        "principal": principal,
        "early_payoff_fee": fee,
        "jasa_paid_ahead": ahead,
        "total": d.penalty + d.jasa + principal + fee - ahead,
    }


def jasa_paid_ahead(loan: Loan, on: date, *, principal: Decimal) -> list[tuple[int, Decimal]]:
    """The jasa paid on the loan's current rows not yet due on ``on`` (paid ahead: a
    repayment's amount beyond what was due goes to the next instalment's jasa first), as
    ``(row id, amount)`` by number. Settled rows count too (a whole instalment paid
    ahead). An early payoff waives the jasa of these rows: what was paid of it is counted
    toward the principal owed, up to ``principal`` (what the open rows have left; never a
    refund: beyond it, the oldest rows keep what was paid on them)."""
    paid = list(
        Instalment.objects.filter(loan=loan, is_current=True, due_date__gt=on, jasa_paid__gt=0)
        .order_by("-number")
        .values_list("pk", "jasa_paid")
    )
    room, out = principal, []
    for pk, amount in paid:  # newest first: the jasa furthest from being earned
        counted = min(amount, room)
        if counted > 0:
            out.append((pk, counted))
            room -= counted
    return out[::-1]
