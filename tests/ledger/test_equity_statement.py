"""Laporan perubahan ekuitas of a closed year whose SHU was moved: every rupiah once.

Last year (``L``): simpanan pokok paid in 10,000,000; income 3,000,000 and an expense
1,000,000, so SHU 2,000,000; the year closed (income and expense into SHU tahun berjalan,
3105) and the SHU moved to SHU belum dibagi (3107), as the year end does. This year the
RAT splits it: 500,000 to cadangan (3103, equity), 300,000 to dana pendidikan and
1,200,000 to the members (liabilities); a member takes 1,000,000 of pokok back.

The year's SHU is an increase of equity once, in the result's row; its roll into 3105 and
on to 3107 (and the RAT's part to cadangan) are moves between equity components, in their
own column summing to zero, never an increase and a decrease of equity."""

from datetime import date
from decimal import Decimal as D

import pytest

from core.ledger import reports
from core.ledger.models import FiscalYear
from core.ledger.services import LineSpec, fiscal_year_close, fiscal_year_ensure, journal_post

KEYS = ("opening", "increase", "decrease", "transfer", "closing")


def _p(on, by, description, *lines, **kw):
    return journal_post(on=on, description=description, by=by, lines=list(lines), **kw)


@pytest.fixture
def closed_year(in_tenant_a, bendahara, today):
    last = today.year - 1
    fiscal_year_ensure(year=last)
    _p(
        date(last, 3, 1),
        bendahara,
        "Simpanan pokok",
        LineSpec("1101", debit=D("10000000")),
        LineSpec("3101", credit=D("10000000")),
        source="other",
    )
    _p(
        date(last, 6, 1),
        bendahara,
        "Pendapatan lain",
        LineSpec("1101", debit=D("3000000")),
        LineSpec("4301", credit=D("3000000")),
    )
    _p(
        date(last, 7, 1),
        bendahara,
        "ATK",
        LineSpec("5302", debit=D("1000000")),
        LineSpec("1101", credit=D("1000000")),
    )

    def move_shu(fy, closing):
        _p(
            fy.end_date,
            bendahara,
            "SHU ke SHU belum dibagi",
            LineSpec("3105", debit=D("2000000")),
            LineSpec("3107", credit=D("2000000")),
            source="shu",
            source_ref=f"yearend:{last}:transfer:1",
            year_close=True,
        )

    fiscal_year_close(
        fiscal_year=FiscalYear.objects.get(year=last), by=bendahara, after_close=move_shu
    )
    return last


def _rows(r):
    return {row["code"]: {k: row[k] for k in KEYS} for row in r["rows"]}


def _foot(r):
    for row in [*r["rows"], r["totals"]]:
        assert (
            row["opening"] + row["increase"] - row["decrease"] + row["transfer"] == row["closing"]
        ), row
    for k in KEYS:
        assert sum((row[k] for row in r["rows"]), D(0)) == r["totals"][k], k
    assert r["totals"]["transfer"] == 0


def test_closed_year_counts_its_shu_once(closed_year):
    last = closed_year
    r = reports.equity_changes(date_from=date(last, 1, 1), date_to=date(last, 12, 31))
    z = D(0)
    assert _rows(r) == {
        "3101": {
            "opening": z,
            "increase": D("10000000"),
            "decrease": z,
            "transfer": z,
            "closing": D("10000000"),
        },
        # rolled in by the close and moved on to SHU belum dibagi: nothing left, no change
        "3105": {"opening": z, "increase": z, "decrease": z, "transfer": z, "closing": z},
        "3107": {
            "opening": z,
            "increase": z,
            "decrease": z,
            "transfer": D("2000000"),
            "closing": D("2000000"),
        },
        # the year's SHU (income − expense), closed into SHU tahun berjalan
        "": {
            "opening": z,
            "increase": D("2000000"),
            "decrease": z,
            "transfer": D("-2000000"),
            "closing": z,
        },
    }
    assert {k: r["totals"][k] for k in KEYS} == {
        "opening": z,
        "increase": D("12000000"),  # pokok 10,000,000 + SHU 2,000,000, each once
        "decrease": z,
        "transfer": z,
        "closing": D("12000000"),
    }
    _foot(r)
    assert r["totals"]["closing"] == reports.balance_sheet(as_of=date(last, 12, 31))["total_equity"]


def test_rat_split_is_a_decrease_only_for_what_leaves_equity(closed_year, bendahara, today):
    last = closed_year
    _p(
        today,
        bendahara,
        "Pembagian SHU sesuai RAT",
        LineSpec("3107", debit=D("2000000")),
        LineSpec("3103", credit=D("500000")),
        LineSpec("2108", credit=D("300000")),
        LineSpec("2105", credit=D("1200000")),
        source="shu",
        source_ref=f"yearend:{last}:post",
    )
    _p(
        today,
        bendahara,
        "Pengembalian simpanan pokok",
        LineSpec("3101", debit=D("1000000")),
        LineSpec("1101", credit=D("1000000")),
        source="other",
    )
    r = reports.equity_changes(date_from=date(today.year, 1, 1), date_to=today)
    z = D(0)
    assert _rows(r) == {
        "3101": {
            "opening": D("10000000"),
            "increase": z,
            "decrease": D("1000000"),
            "transfer": z,
            "closing": D("9000000"),
        },
        "3103": {
            "opening": z,
            "increase": z,
            "decrease": z,
            "transfer": D("500000"),
            "closing": D("500000"),
        },
        # 500,000 moved to cadangan, 1,500,000 left equity (funds and members' shares)
        "3107": {
            "opening": D("2000000"),
            "increase": z,
            "decrease": D("1500000"),
            "transfer": D("-500000"),
            "closing": z,
        },
    }
    assert {k: r["totals"][k] for k in KEYS} == {
        "opening": D("12000000"),
        "increase": z,
        "decrease": D("2500000"),
        "transfer": z,
        "closing": D("9500000"),
    }
    _foot(r)


def test_a_range_across_the_close_takes_the_half_years_result_once(closed_year):
    """From 1 July: the first half's result (3,000,000 income) is in the opening; the
    second half's (−1,000,000) is the change; the close moves the year's 2,000,000 on."""
    last = closed_year
    r = reports.equity_changes(date_from=date(last, 7, 1), date_to=date(last, 12, 31))
    z = D(0)
    assert _rows(r)[""] == {
        "opening": D("3000000"),
        "increase": z,
        "decrease": D("1000000"),
        "transfer": D("-2000000"),
        "closing": z,
    }
    assert r["totals"]["increase"] == 0 and r["totals"]["decrease"] == D("1000000")
    assert r["totals"]["opening"] == D("13000000") and r["totals"]["closing"] == D("12000000")
    _foot(r)


def test_page_api_and_files_show_the_moves_column(closed_year, login):
    import io

    from openpyxl import load_workbook

    last = closed_year
    q = f"?date_from={last}-01-01&date_to={last}-12-31"
    c = login("pengawas")
    api = c.get(f"/api/v1/ledger/reports/equity-changes/{q}").json()
    assert D(str(api["totals"]["increase"])) == D("12000000")
    assert D(str(api["totals"]["transfer"])) == 0
    html = c.get(f"/buku-besar/laporan/perubahan-ekuitas/{q}").content.decode()
    assert "Pemindahan antar-ekuitas" in html
    assert "Rp 12.000.000" in html and "Rp 14.000.000" not in html
    xlsx = c.get(f"/buku-besar/laporan/perubahan-ekuitas/{q}&format=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    total = [r for r in ws.iter_rows(values_only=True) if "Jumlah" in r][0]
    assert [x for x in total if isinstance(x, int | float)] == [0, 12000000, 0, 0, 12000000]
