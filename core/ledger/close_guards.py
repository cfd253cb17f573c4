"""Refusals of a month close or a year close that belong to an app above the ledger.

An unfinished move-in (``core.onboarding``) brings its balances in at its cut-over date:
once the month of that date (or a later one) is closed, nothing more can come in, so the
close must be refused, not the move-in later. The ledger may not know the move-in (the
dependency order): the app registers its check here once at start-up (``AppConfig.ready``,
like ``core.ledger.payroll_batches``), and ``period_close`` and ``fiscal_year_close`` ask
``close_refusal`` inside their transaction, before writing anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from core.common.errors import ApplicationError

Guard = Callable[[date], ApplicationError | None]
_guards: list[Guard] = []


def register(fn: Guard) -> None:
    """``fn(up_to) -> ApplicationError | None``: why the books may not be closed up to
    and including ``up_to``, or None. Registering the same function twice keeps one."""
    if fn not in _guards:
        _guards.append(fn)


def close_refusal(up_to: date) -> ApplicationError | None:
    """The first registered refusal of closing the books up to ``up_to`` (the end of the
    month or year being closed), or None when the close may go ahead."""
    for fn in _guards:
        err = fn(up_to)
        if err is not None:
            return err
    return None
