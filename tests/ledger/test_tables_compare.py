"""Statements drop their comparison columns when the previous period is empty (a new
cooperative's first year), and keep them when it has figures."""

from decimal import Decimal as D

from core.ledger.tables import _without_empty_comparison, balance_sheet_table


def _table(prev_cells):
    return {
        "title": "Neraca",
        "subtitle": "",
        "columns": ["Kode", "Pos", "31 Des 2026", "31 Des 2025"],
        "num_columns": 2,
        "rows": [
            {"kind": "section", "cells": ["", "ASET", "", ""]},
            {"kind": "row", "cells": ["1101", "Kas", D("1500000"), prev_cells[0]]},
            {"kind": "total", "cells": ["", "JUMLAH ASET", D("1500000"), prev_cells[1]]},
        ],
    }


def test_empty_previous_period_columns_collapse():
    t = _without_empty_comparison(_table([D("0"), D("0")]), 3)
    assert t["columns"] == ["Kode", "Pos", "31 Des 2026"]
    assert t["num_columns"] == 1
    assert all(len(r["cells"]) == 3 for r in t["rows"])


def test_previous_period_with_figures_keeps_its_columns():
    t = _without_empty_comparison(_table([D("0"), D("250000")]), 3)
    assert len(t["columns"]) == 4 and t["num_columns"] == 2


def test_balance_sheet_against_an_empty_year_has_one_amount_column(in_tenant_a):
    import datetime as dt

    from core.ledger.reports import balance_sheet

    r = balance_sheet(as_of=dt.date(2026, 12, 31), compare_as_of=dt.date(2000, 12, 31))
    table = balance_sheet_table(r)
    assert len(table["columns"]) == 3 and table["num_columns"] == 1
    assert "31 Des 2000" not in " ".join(map(str, table["columns"]))
