"""Reports on a small known dataset (last year), and year close / reopen around them."""

from datetime import date
from decimal import Decimal

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger import reports
from core.ledger.models import Account, FiscalYear, JournalEntry, Period
from core.ledger.selectors import account_balance, balances_check
from core.ledger.services import (
    LineSpec,
    fiscal_year_close,
    fiscal_year_ensure,
    journal_post,
    period_close,
    period_reopen,
)

D = Decimal


@pytest.fixture
def year(in_tenant_a, today):
    return today.year - 1


@pytest.fixture
def books(year, bendahara):
    fiscal_year_ensure(year=year)

    def post(m, d, desc, *lines):
        return journal_post(
            on=date(year, m, d),
            description=desc,
            by=bendahara,
            source="other",  # as the modules post (control accounts refuse manual lines)
            lines=[
                LineSpec(code, debit=D(dr), credit=D(cr), member_id=mid)
                for code, dr, cr, mid in lines
            ],
        )

    post(
        1,
        2,
        "Saldo awal",
        ("1101", "10000000", "0", None),
        ("1102", "40000000", "0", None),
        ("3106", "0", "50000000", None),
    )
    post(
        2,
        1,
        "Pencairan pinjaman",
        ("1103", "20000000", "0", 1),
        ("1102", "0", "19600000", None),
        ("4102", "0", "200000", None),
        ("4103", "0", "200000", None),
    )
    post(
        3,
        1,
        "Angsuran",
        ("1101", "2200000", "0", None),
        ("1103", "0", "2000000", 1),
        ("4101", "0", "200000", None),
    )
    post(3, 5, "Simpanan wajib", ("1101", "1000000", "0", None), ("3102", "0", "1000000", 1))
    post(4, 1, "Gaji", ("5301", "300000", "0", None), ("1101", "0", "300000", None))
    post(4, 2, "PPAP", ("5102", "100000", "0", None), ("1104", "0", "100000", None))
    post(5, 1, "Setor kas ke bank", ("1102", "3000000", "0", None), ("1101", "0", "3000000", None))
    return year


def _rows(sections):
    return {r["code"]: r["amount"] for g in sections for r in g["rows"]}


def test_trial_balance(books):
    tb = reports.trial_balance(as_of=date(books, 12, 31), compare_as_of=date(books - 1, 12, 31))
    assert tb["balanced"]
    assert tb["total_debit"] == tb["total_credit"] == D("51700000")
    by = {r["code"]: r for r in tb["rows"]}
    assert by["1101"]["debit"] == D("9900000")
    assert by["1104"]["credit"] == D("100000")
    assert by["1101"]["prev_debit"] == 0
    # mid-month date uses the partial month's lines
    tb_mid = reports.trial_balance(as_of=date(books, 3, 3))
    assert {r["code"]: r for r in tb_mid["rows"]}["1101"]["debit"] == D("12200000")


def test_balance_sheet(books):
    bs = reports.balance_sheet(as_of=date(books, 12, 31), compare_as_of=date(books, 2, 28))
    assert bs["balanced"]
    assert bs["total_assets"] == D("51200000")
    assets = _rows(bs["assets"])
    assert assets["1101"] == D("9900000") and assets["1104"] == D("-100000")
    assert [g["code"] for g in bs["assets"]] == ["11"]  # current assets first (liquidity)
    eq = _rows(bs["equity"])
    assert eq["3106"] == D("50000000") and eq["3102"] == D("1000000") and eq[""] == D("200000")
    assert bs["prev_total_assets"] == D("50400000")  # after disbursement, before repayment


def test_income_statement_and_previous_period(books):
    inc = reports.income_statement(date_from=date(books, 1, 1), date_to=date(books, 12, 31))
    assert inc["total_income"] == D("600000")
    assert inc["total_expense"] == D("400000")
    assert inc["result"] == D("200000")
    assert inc["previous"] == {
        "date_from": date(books - 1, 1, 1),
        "date_to": date(books - 1, 12, 31),
    }
    q = reports.income_statement(date_from=date(books, 3, 1), date_to=date(books, 3, 31))
    assert q["total_income"] == D("200000") and q["prev_total_income"] == D("400000")


def test_cash_flow_direct_method(books):
    cf = reports.cash_flow(date_from=date(books, 1, 1), date_to=date(books, 12, 31))
    assert cf["opening_cash"] == 0 and cf["closing_cash"] == D("33300000")
    assert cf["net_change"] == D("33300000") and cf["reconciles"]
    sec = {s["key"]: s for s in cf["sections"]}
    assert sec["operating"]["net"] == D("-17700000")
    assert sec["financing"]["net"] == D("51000000")
    outflows = {r["code"]: r["amount"] for r in sec["operating"]["outflows"]}
    assert outflows["1103"] == D("20000000")  # loans paid out, gross
    # the cash→bank transfer is not a flow
    assert all(
        r["code"] not in ("1101", "1102")
        for s in cf["sections"]
        for r in s["inflows"] + s["outflows"]
    )


def test_equity_changes(books):
    ec = reports.equity_changes(date_from=date(books, 1, 1), date_to=date(books, 12, 31))
    rows = {r["code"]: r for r in ec["rows"]}
    assert rows["3106"]["increase"] == D("50000000") and rows["3106"]["closing"] == D("50000000")
    assert rows[""]["closing"] == D("200000")
    assert ec["totals"]["closing"] == D("51200000")


def test_general_ledger_running_balance_and_pages(books):
    cash = Account.objects.get(code="1101")
    gl = reports.general_ledger(
        account=cash, date_from=date(books, 1, 1), date_to=date(books, 12, 31)
    )
    assert [r["balance"] for r in gl["rows"]] == [
        D("10000000"),
        D("12200000"),
        D("13200000"),
        D("12900000"),
        D("9900000"),
    ]
    assert gl["closing"] == D("9900000") and gl["count"] == 5
    p2 = reports.general_ledger(
        account=cash, date_from=date(books, 1, 1), date_to=date(books, 12, 31), page=2, page_size=2
    )
    assert [r["balance"] for r in p2["rows"]] == [D("13200000"), D("12900000")]
    later = reports.general_ledger(
        account=cash, date_from=date(books, 3, 2), date_to=date(books, 12, 31)
    )
    assert later["opening"] == D("12200000")
    assert account_balance(account=cash, as_of=date(books, 3, 1)) == D("12200000")


def test_previous_range():
    assert reports.Range(date(2025, 3, 1), date(2025, 3, 31)).previous() == reports.Range(
        date(2025, 2, 1), date(2025, 2, 28)
    )
    assert reports.Range(date(2025, 1, 1), date(2025, 12, 31)).previous() == reports.Range(
        date(2024, 1, 1), date(2024, 12, 31)
    )
    # from 1 January: the same span of the previous fiscal year (issue 18), not the
    # months just before
    assert reports.Range(date(2025, 1, 1), date(2025, 3, 31)).previous() == reports.Range(
        date(2024, 1, 1), date(2024, 3, 31)
    )
    assert reports.Range(date(2026, 1, 1), date(2026, 12, 4)).previous() == reports.Range(
        date(2025, 1, 1), date(2025, 12, 4)
    )
    assert reports.Range(date(2024, 1, 1), date(2024, 2, 29)).previous() == reports.Range(
        date(2023, 1, 1), date(2023, 2, 28)
    )
    assert reports.Range(date(2025, 4, 1), date(2025, 6, 30)).previous() == reports.Range(
        date(2025, 1, 1), date(2025, 3, 31)
    )
    assert reports.Range(date(2025, 1, 10), date(2025, 1, 19)).previous() == reports.Range(
        date(2024, 12, 31), date(2025, 1, 9)
    )


def test_year_close_rolls_result_into_shu_and_locks(books, bendahara, admin_user):
    fy = FiscalYear.objects.get(year=books)
    period_close(period=Period.objects.get(fiscal_year=fy, month=12), by=bendahara)
    fiscal_year_close(fiscal_year=fy, by=bendahara)
    fy.refresh_from_db()
    assert fy.status == "closed" and fy.closing_entry is not None
    assert not Period.objects.filter(fiscal_year=fy, status="open").exists()
    shu = Account.objects.get(code="3105")
    assert account_balance(account=shu) == D("200000")
    assert account_balance(account=Account.objects.get(code="4101")) == 0
    end = date(books, 12, 31)
    bs = reports.balance_sheet(as_of=end)
    assert (
        bs["balanced"]
        and _rows(bs["equity"])["3105"] == D("200000")
        and "" not in _rows(bs["equity"])
    )
    # the closed year still reports its income and expense
    inc = reports.income_statement(date_from=date(books, 1, 1), date_to=end)
    assert inc["result"] == D("200000") and inc["total_income"] == D("600000")
    assert reports.trial_balance(as_of=end)["balanced"]
    with pytest.raises(ApplicationError) as exc:
        journal_post(
            on=date(books, 6, 1),
            description="telat",
            by=bendahara,
            lines=[LineSpec("1101", debit=D("1")), LineSpec("3106", credit=D("1"))],
        )
    assert exc.value.code == "period_closed"
    assert AuditEvent.objects.filter(action="ledger.year.close").exists()
    # bendahara may not reopen; admin may, and the closing is reversed
    with pytest.raises(ApplicationError) as exc:
        period_reopen(period=Period.objects.get(fiscal_year=fy, month=6), reason="x", by=bendahara)
    assert exc.value.code == "permission_denied"
    period_reopen(
        period=Period.objects.get(fiscal_year=fy, month=6), reason="koreksi audit", by=admin_user
    )
    fy.refresh_from_db()
    assert fy.status == "open" and fy.closing_entry is None
    assert account_balance(account=shu) == 0
    assert account_balance(account=Account.objects.get(code="4101")) == D("200000")
    assert Period.objects.get(fiscal_year=fy, month=6).status == "open"
    assert Period.objects.get(fiscal_year=fy, month=12).status == "closed"
    assert AuditEvent.objects.filter(action="ledger.period.reopen", reason="koreksi audit").exists()
    # close again: a second closing entry with its own reference
    period_reopen(
        period=Period.objects.get(fiscal_year=fy, month=12), reason="tutup ulang", by=admin_user
    )
    fiscal_year_close(fiscal_year=fy, by=bendahara)
    assert account_balance(account=shu) == D("200000")
    assert JournalEntry.objects.filter(source="closing", fiscal_year=books).count() == 3
    assert balances_check() == []


def test_year_close_refuses_current_year(in_tenant_a, bendahara, today):
    fy = fiscal_year_ensure(year=today.year)
    if today.month == 12 and today.day == 31:
        pytest.skip("the year ends today")
    with pytest.raises(ApplicationError) as exc:
        fiscal_year_close(fiscal_year=fy, by=bendahara)
    assert exc.value.code == "period_state"


@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("span", [(1, 1, 12, 31), (2, 15, 4, 1), (3, 2, 3, 20)])
def test_general_ledger_pages_join_up_to_the_whole(books, page_size, span):
    cash = Account.objects.get(code="1101")
    f, t = date(books, span[0], span[1]), date(books, span[2], span[3])
    whole = reports.general_ledger(account=cash, date_from=f, date_to=t, page_size=1000)
    rows = []
    for p in range(1, whole["pages"] * 1000 // page_size + 2):
        part = reports.general_ledger(
            account=cash, date_from=f, date_to=t, page=p, page_size=page_size
        )
        if part["page"] != p:
            break
        rows += part["rows"]
    assert [(r["line_id"], r["balance"]) for r in rows] == [
        (r["line_id"], r["balance"]) for r in whole["rows"]
    ]
    expected = whole["opening"] + sum((r["debit"] - r["credit"] for r in whole["rows"]), D("0"))
    assert whole["closing"] == expected
    # the count-only selector (what a file request decides with) counts the same lines
    assert reports.general_ledger_line_count(account=cash, date_from=f, date_to=t) == len(rows)
