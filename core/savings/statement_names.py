"""Names of kartu simpanan rows that belong to an app above savings.

A movement another app posted (a loan instalment paid from simpanan sukarela,
``core.loans``) is best named from that app's own record, in the reader's language, not
from the memo stored in the language of the clerk who posted it. Savings may not know
those apps (the dependency order): each registers its namer here once at start-up
(``AppConfig.ready``, like ``core.ledger.close_guards``), and ``savings_statement`` —
the staff's page and PDF, and the member portal — runs them over the statement's rows.
A namer sets attributes on the rows it knows (the template reads them) and must set them
on every row (empty for a row it does not name), in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable

Namer = Callable[[list], None]

_namers: list[Namer] = []


def register(namer: Namer) -> None:
    if namer not in _namers:
        _namers.append(namer)


def statement_rows_name(rows: list) -> None:
    for namer in _namers:
        namer(rows)
