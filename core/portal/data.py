"""What the member portal shows, read through the feature apps' selectors. Like the
dashboard (``lumbung.dashboard``), each section appears only when its app provides the
selector; nothing is invented."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from lumbung.dashboard import Missing, selector

log = logging.getLogger(__name__)
ZERO = Decimal("0")


def member_of(user):
    """The Member linked to this login (``Member.user``), or None."""
    try:
        fn = selector("core.members.selectors", "member_for_user")
    except Missing:
        return None
    return fn(user)


def savings_accounts(member) -> list | None:
    try:
        fn = selector("core.savings.selectors", "member_savings_summary", "member_savings_accounts")
    except Missing:
        return None
    return list(fn(member=member))


def savings_total(member) -> Decimal | None:
    try:
        fn = selector("core.savings.selectors", "member_savings_total")
    except Missing:
        return None
    return fn(member=member)


def savings_statement(member, date_from: dt.date, date_to: dt.date) -> list | None:
    try:
        fn = selector("core.savings.selectors", "savings_statement")
    except Missing:
        return None
    return fn(member=member, date_from=date_from, date_to=date_to)


def loans(member) -> list | None:
    """The member's loans, newest first (``core.loans.selectors.loan_list``)."""
    try:
        fn = selector("core.loans.selectors", "loan_list")
    except Missing:
        return None
    return list(fn(member=member))


def next_instalment(member) -> dict | None:
    """The next unpaid instalment (``core.loans.selectors.member_next_instalment``)."""
    try:
        fn = selector("core.loans.selectors", "member_next_instalment")
    except Missing:
        return None
    return fn(member=member)


def last_deduction(member) -> dict | None:
    """The latest payroll deduction (``core.deductions.selectors.member_last_deduction``)."""
    try:
        fn = selector("core.deductions.selectors", "member_last_deduction")
    except Missing:
        return None
    return fn(member=member)


def loan_for_member(member, pk: int):
    """One of the member's own loans (None when it is not theirs)."""
    items = loans(member) or []
    return next((ln for ln in items if ln.pk == pk), None)


def loan_schedule(loan) -> list[dict] | None:
    """The current instalment schedule with each row's total (principal + jasa)."""
    try:
        fn = selector("core.loans.selectors", "loan_schedule")
    except Missing:
        return None
    rows = []
    for i in fn(loan):
        rows.append(
            {
                "number": i.number,
                "due_date": i.due_date,
                "principal": i.principal,
                "jasa": i.jasa,
                "total": i.principal + i.jasa,
                "paid": i.principal_paid + i.jasa_paid,
                "settled": i.settled,
            }
        )
    return rows


def deduction_history(member) -> list | None:
    try:
        fn = selector("core.deductions.selectors", "member_deduction_history")
    except Missing:
        return None
    return list(fn(member=member))


def loan_products() -> list | None:
    try:
        fn = selector("core.loans.selectors", "loan_products")
    except Missing:
        return None
    return list(fn(active_only=True))


def loan_simulate(*, product, principal, tenor, on):
    """The would-be loan's schedule and fees (``core.loans.services.loan_simulate``;
    writes nothing). Raises ``Missing`` when the loans app does not provide it."""
    fn = selector("core.loans.services", "loan_simulate")
    return fn(product=product, principal=principal, tenor=tenor, on=on)


def simulation_url() -> str | None:
    from django.urls import NoReverseMatch, reverse

    for name in ("portal:simulate",):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None
