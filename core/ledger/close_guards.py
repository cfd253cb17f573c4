"""Refusals of a month close or a year close that belong to an app above the ledger, and
the lock the close and those apps' own writes share.

An unfinished move-in (``core.onboarding``) brings its balances in at its cut-over date:
once the month of that date (or a later one) is closed, nothing more can come in, so the
close must be refused, not the move-in later. The ledger may not know the move-in (the
dependency order): the app registers its check here once at start-up (``AppConfig.ready``,
like ``core.ledger.payroll_batches``), and ``period_close`` and ``fiscal_year_close`` ask
``close_refusal`` inside their transaction, before writing anything.

The check and the write it guards against run in separate transactions: the close reads
"no unfinished move-in", the move-in start reads "the cut-over's month is open", and
each sees only what the other has committed. ``close_lock`` makes them take turns: every
close and every write a guard is about (the move-in start, its go-live) takes it first,
so the second waits for the first's commit and then reads it.

The confirmation pages ask ``close_block`` before offering the button: the refusal and
where to resolve it (the guard's page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import connection

from core.common.errors import ApplicationError

Check = Callable[[date], ApplicationError | None]

# First key of the two-key advisory lock (the second is the cooperative's schema): "Clos".
# Two-key locks are a key space apart from the one-key locks tenants/ takes.
CLOSE_LOCK_CLASS = 0x436C6F73


@dataclass(frozen=True)
class Guard:
    """A registered check, and the page (URL name) where what it refuses is resolved,
    with the link's label."""

    check: Check
    fix_url_name: str = ""
    fix_label: str = ""


@dataclass(frozen=True)
class CloseBlock:
    """Why a close would be refused, and where to resolve it."""

    error: ApplicationError
    fix_url_name: str = ""
    fix_label: str = ""


_guards: list[Guard] = []


def register(fn: Check, *, fix_url_name: str = "", fix_label: str = "") -> None:
    """``fn(up_to) -> ApplicationError | None``: why the books may not be closed up to
    and including ``up_to``, or None. ``fix_url_name``: the page (URL name) where the
    user resolves it, ``fix_label`` its link text. Registering the same function twice
    keeps one."""
    if all(g.check is not fn for g in _guards):
        _guards.append(Guard(fn, fix_url_name, fix_label))


def close_lock() -> None:
    """Wait for, then hold until the transaction ends, this cooperative's close lock:
    taken by the month close and the year close, and by every write whose check a
    registered guard makes or that a close must not overtake (the move-in's start,
    go-live, undo, member import, jasa list and capital month-ends: docs/onboarding.md),
    before they read what they check. Only
    inside a transaction (``transaction.atomic``): outside one it would end at once."""
    if not connection.in_atomic_block:
        raise RuntimeError("close_lock() outside a transaction would be released at once")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", [CLOSE_LOCK_CLASS]
        )


def close_blocks(up_to: date) -> list[CloseBlock]:
    """Every registered refusal of closing the books up to ``up_to``, each with the page
    where it is resolved, in the order the guards were registered (the move-in's go-live
    lists them all before its button)."""
    blocks = []
    for g in _guards:
        err = g.check(up_to)
        if err is not None:
            blocks.append(CloseBlock(err, g.fix_url_name, g.fix_label))
    return blocks


def close_block(up_to: date) -> CloseBlock | None:
    """The first registered refusal of closing the books up to ``up_to``, with the page
    where it is resolved, or None."""
    for g in _guards:
        err = g.check(up_to)
        if err is not None:
            return CloseBlock(err, g.fix_url_name, g.fix_label)
    return None


def close_refusal(up_to: date) -> ApplicationError | None:
    """The first registered refusal of closing the books up to ``up_to`` (the end of the
    month or year being closed), or None when the close may go ahead."""
    block = close_block(up_to)
    return block.error if block is not None else None
