"""How a batch transaction (one payroll agency's posting: thousands of rows in a few
statements) runs cheaper than the defaults made for requests of a few rows each. Neither
changes what is written."""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import connection

P = ParamSpec("P")
R = TypeVar("R")


def jit_off() -> None:
    """Turn PostgreSQL's JIT compilation off until the current transaction ends (``SET
    LOCAL``: nothing is left on the connection, behind a pooler too). A batch's statements
    over thousands of rows are estimated costly enough for the server to compile them
    (``jit_above_cost`` and its inlining and optimisation thresholds): for a 2,000-loan
    payroll batch that compiling took 0.4 s of the server's CPU to run a 0.1 s query. The
    estimates grow with the batch and the tables, so the bigger the cooperative, the more
    statements crossed the thresholds."""
    if not connection.in_atomic_block:
        raise RuntimeError("jit_off must run inside a transaction")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")


def gc_paused(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with Python's cyclic garbage collector paused (and restored as it was
    after). A batch builds some 100,000 objects that live until it ends (models, rows,
    ledger lines); each time allocations pass the collector's thresholds it walks the
    young objects, and every few times all of them: a fifth of a 1,000-member batch's
    Python time, even with the worker's start-up objects frozen (``lumbung.celery``). Memory is still freed by reference counting as usual; the few
    reference cycles a batch leaves are collected once the collector runs again."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper
