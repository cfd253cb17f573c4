"""A year closed, reopened by the admin to book a correction in December, and closed
again: the RAT pack's statements must give the second close's figures and agree with the
trial balance (the first close, its reversal and the first tax entry leave nothing
behind), and the SHU shared is the second close's."""

from datetime import date
from decimal import Decimal

from core.ledger import reports
from core.ledger.models import Period
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, journal_post, period_close
from core.yearend.models import MemberShare
from core.yearend.rat import rat_pack_tables
from core.yearend.services import shu_post, shu_settings_set, yearend_close, yearend_reopen

from .conftest import YEAR

D = Decimal
END = date(YEAR, 12, 31)


def _table(title: str) -> dict:
    return next(t for t in rat_pack_tables(year=YEAR) if str(t["title"]) == title)


def _row(table: dict, label: str) -> list:
    return next(r["cells"] for r in table["rows"] if str(r["cells"][1]) == label)


def test_rat_figures_after_reopen_and_close_again_equal_the_trial_balance(ready, staff):
    by, admin = staff["bendahara"], staff["admin"]
    shu_settings_set(year=YEAR, by=by, tax_rule="shu_percent", tax_rate="10")
    first = yearend_close(year=YEAR, by=by)
    yearend_reopen(year=YEAR, reason="koreksi audit: beban listrik Desember", by=admin)
    journal_post(
        on=date(YEAR, 12, 20),
        description="Beban listrik Desember (koreksi audit)",
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role("other_expense"), debit=D("2000000")),
            LineSpec(account_for_role("cash"), credit=D("2000000")),
        ],
    )
    period_close(period=Period.objects.get(fiscal_year__year=YEAR, month=12), by=by)
    second = yearend_close(year=YEAR, by=by)
    assert second.shu_before_tax == first.shu_before_tax - D("2000000")
    assert second.income_tax == (second.shu_before_tax * D("0.10")).quantize(
        D("1"), rounding="ROUND_FLOOR"
    )

    # the income statement (RAT pack and report) is the second close's, not the sum
    inc = reports.income_statement(date_from=date(YEAR, 1, 1), date_to=END, compare=False)
    assert (inc["shu_before_tax"], inc["income_tax"], inc["result"]) == (
        second.shu_before_tax,
        second.income_tax,
        second.shu_after_tax,
    )
    lphu = _table("Laporan Perhitungan Hasil Usaha")
    assert _row(lphu, "SHU SEBELUM PAJAK")[2] == second.shu_before_tax
    assert _row(lphu, "Pajak penghasilan")[2] == second.income_tax
    assert _row(lphu, "SISA HASIL USAHA (SHU) SETELAH PAJAK")[2] == second.shu_after_tax

    # the balance sheet agrees with the trial balance: income and expense closed, the
    # SHU after tax waiting in SHU belum dibagi, the tax payable once
    tb = reports.trial_balance(as_of=END)
    assert tb["balanced"]
    by_code = {r["code"]: r for r in tb["rows"]}
    und = by_code[account_for_role("shu_undistributed").code]
    assert (und["debit"], und["credit"]) == (0, second.shu_after_tax)
    assert not [
        r["code"]
        for r in tb["rows"]
        if r["type"] in ("income", "expense") and (r["debit"] or r["credit"])
    ]
    bs = reports.balance_sheet(as_of=END)
    assert bs["balanced"]
    assert account_balance(account=account_for_role("shu_undistributed")) == second.shu_after_tax
    assert account_balance(account=account_for_role("shu_current_year")) == 0
    for role in ("other_income", "other_expense", "income_tax_expense"):
        assert account_balance(account=account_for_role(role), as_of=END) == 0, role
    assert not any(
        str(g["name"]) == "Hasil usaha tahun berjalan (belum ditutup)" for g in bs["equity"]
    )
    neraca = _table("Neraca")
    equity_codes = {str(r["cells"][0]): r["cells"][2] for r in neraca["rows"]}
    assert equity_codes[account_for_role("shu_undistributed").code] == second.shu_after_tax
    assert bs["total_assets"] == sum(
        r["debit"] - r["credit"] for r in tb["rows"] if r["type"] == "asset"
    )

    # the SHU shared after the RAT is the second close's
    ye = shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="01/RAT", by=by)
    shares = MemberShare.objects.filter(year_end=ye)
    assert sum(s.jma for s in shares) == D(str(ye.funds["jasa_modal"]))
    assert sum(s.jua for s in shares) == D(str(ye.funds["jasa_anggota"]))
    assert account_balance(account=account_for_role("shu_undistributed")) == 0
