"""A statement section with one group prints the group's subtotal only once: the
balance sheet's EKUITAS with its one group "EKUITAS" printed "Jumlah EKUITAS" and then
"JUMLAH EKUITAS", the same figure twice. A section of two groups keeps each subtotal."""

import datetime as dt
from decimal import Decimal as D

from core.ledger.tables import balance_sheet_table


def _group(code, name, rows):
    return {
        "code": code,
        "name": name,
        "rows": [{"code": c, "name": n, "amount": D(a), "id": None} for c, n, a in rows],
        "total": sum((D(a) for _c, _n, a in rows), D(0)),
    }


def _report():
    assets = [
        _group("11", "Aset Lancar", [("1101", "Kas", "700"), ("1102", "Bank", "300")]),
        _group("12", "Aset Tetap", [("1201", "Peralatan", "500")]),
    ]
    equity = [_group("3", "EKUITAS", [("3101", "Simpanan pokok", "1500")])]
    return {
        "title": "Neraca",
        "as_of": dt.date(2026, 12, 31),
        "compare_as_of": None,
        "assets": assets,
        "liabilities": [],
        "equity": equity,
        "total_assets": D(1500),
        "prev_total_assets": None,
        "total_liabilities": D(0),
        "prev_total_liabilities": None,
        "total_equity": D(1500),
        "prev_total_equity": None,
        "total_liabilities_equity": D(1500),
        "prev_total_liabilities_equity": None,
    }


def _labels(table, kind):
    return [r["cells"][1] for r in table["rows"] if r["kind"] == kind]


def test_one_group_section_has_no_subtotal_repeating_its_total(in_tenant_a):
    table = balance_sheet_table(_report())
    subtotals = _labels(table, "subtotal")
    assert "Jumlah EKUITAS" not in subtotals
    assert "JUMLAH EKUITAS" in _labels(table, "total")


def test_two_group_section_keeps_each_subtotal(in_tenant_a):
    table = balance_sheet_table(_report())
    subtotals = _labels(table, "subtotal")
    assert subtotals == ["Jumlah Aset Lancar", "Jumlah Aset Tetap"]
    amounts = [r["cells"][2] for r in table["rows"] if r["kind"] == "subtotal"]
    assert amounts == [D(1000), D(500)]
