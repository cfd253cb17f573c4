"""Statements fit for the RAT (issue 18): the income statement's tax lines, loans split
current / non-current, pokok/wajib as long-term liabilities, opening balances out of the
cash flow, the previous fiscal year as comparison."""

from datetime import date
from decimal import Decimal

from core.ledger import reports
from core.ledger.models import Account
from core.ledger.selectors import account_for_role
from core.yearend.services import shu_settings_set, yearend_close
from tests.loans.conftest import approval_backdate

from .conftest import YEAR

D = Decimal


def test_income_statement_shows_shu_before_tax_tax_and_after_tax(ready, staff):
    shu_settings_set(year=YEAR, by=staff["bendahara"], tax_rule="turnover_final", tax_rate="0.5")
    ye = yearend_close(year=YEAR, by=staff["bendahara"])
    inc = reports.income_statement(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
    assert inc["shu_before_tax"] == ye.shu_before_tax
    assert inc["income_tax"] == ye.income_tax > 0
    assert inc["result"] == ye.shu_after_tax
    tax_code = account_for_role("income_tax_expense").code
    assert tax_code not in {r["code"] for g in inc["expense"] for r in g["rows"]}
    from core.ledger.tables import income_statement_table

    labels = [str(r["cells"][1]) for r in income_statement_table(inc)["rows"]]
    assert labels[-3:] == [
        "SHU SEBELUM PAJAK",
        "Pajak penghasilan",
        "SISA HASIL USAHA (SHU) SETELAH PAJAK",
    ]


def test_loans_split_current_and_non_current(year_data, staff):
    """The 10-month loan of February: at 31 March all its principal falls due within
    12 months; at its disbursement date as well. A 24-month loan has a non-current part."""
    bs = reports.balance_sheet(as_of=date(YEAR, 3, 31))
    assert bs["balanced"]
    names = [g["name"] for g in bs["assets"]]
    assert "Aset Tidak Lancar: Piutang Jangka Panjang" not in names
    from core.loans.models import LoanProduct
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify
    from tests.loans.conftest import docs

    by = year_data["by"]
    product = LoanProduct.objects.get(code="YE")
    on = date(YEAR, 7, 1)
    loan = loan_apply(
        member=year_data["m1"],
        product=product,
        principal=D("2400000"),
        tenor=24,
        by=staff["petugas"],
        on=on,
        documents=docs(),
    )
    loan = loan_approve(loan=loan_verify(loan=loan, by=by), by=staff["ketua"])
    approval_backdate(loan, on)  # approved on the day it is paid out
    loan_disburse(loan=loan, by=by, on=on)
    bs = reports.balance_sheet(as_of=date(YEAR, 7, 31), compare_as_of=date(YEAR - 1, 12, 31))
    assert bs["balanced"]
    non_current = next(
        g for g in bs["assets"] if g["name"] == "Aset Tidak Lancar: Piutang Jangka Panjang"
    )
    # instalments 13..24 (due after 31 July next year) of 100,000 principal each
    assert non_current["total"] == D("1200000")
    loans_code = account_for_role("loan_receivable").code
    current = {r["code"]: r["amount"] for g in bs["assets"][:1] for r in g["rows"]}
    from core.ledger.selectors import account_balance

    total = account_balance(account=account_for_role("loan_receivable"), as_of=date(YEAR, 7, 31))
    assert current[loans_code] + non_current["total"] == total


def test_capital_savings_as_liabilities_sit_under_long_term(in_tenant_a):
    from core.ledger.seeding import coa_template_load

    doc = coa_template_load()
    by_code = {a["code"]: a for a in doc["accounts"]}
    assert by_code["2103"]["parent"] == by_code["2104"]["parent"] == "22"
    codes = [a["code"] for a in doc["accounts"]]
    assert codes.index("22") < codes.index("2103")  # the group exists when seeded


def test_cash_flow_treats_opening_entry_as_opening_cash(year_data):
    cf = reports.cash_flow(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
    assert cf["reconciles"]
    assert cf["opening_cash"] == D("500000000")  # the opening entry of 2 January
    fin = {s["key"]: s for s in cf["sections"]}["financing"]
    opening_code = account_for_role("opening_balance").code
    assert opening_code not in {r["code"] for r in fin["inflows"]}


def test_comparison_is_the_previous_fiscal_year(in_tenant_a, staff):
    inc = reports.income_statement(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 4))
    assert inc["previous"] == {"date_from": date(YEAR - 1, 1, 1), "date_to": date(YEAR - 1, 12, 4)}
    assert Account.objects.filter(code="3107").exists()  # SHU belum dibagi in the chart


def _non_current(as_of):
    bs = reports.balance_sheet(as_of=as_of)
    assert bs["balanced"]
    groups = [g for g in bs["assets"] if g["name"] == "Aset Tidak Lancar: Piutang Jangka Panjang"]
    return groups[0]["total"] if groups else D("0")


def test_loans_split_is_as_of_the_report_date_not_today(year_data, staff):
    """A 24-month loan of July, prepaid in August (its schedule re-amortised) and paid
    off in September: the neraca of 31 July and of 31 August still show what was
    outstanding then and the schedule in effect then."""
    from core.loans.models import Instalment, LoanProduct
    from core.loans.services import (
        loan_apply,
        loan_approve,
        loan_disburse,
        loan_payoff,
        loan_repay,
        loan_verify,
    )
    from tests.loans.conftest import docs

    by = year_data["by"]
    loan = loan_apply(
        member=year_data["m1"],
        product=LoanProduct.objects.get(code="YE"),
        principal=D("2400000"),
        tenor=24,
        by=staff["petugas"],
        on=date(YEAR, 7, 1),
        documents=docs(),
    )
    loan = loan_approve(loan=loan_verify(loan=loan, by=by), by=staff["ketua"])
    approval_backdate(loan, date(YEAR, 7, 1))  # approved on the day it is paid out
    loan_disburse(loan=loan, by=by, on=date(YEAR, 7, 1))
    july, august = date(YEAR, 7, 31), date(YEAR, 8, 31)
    # instalments 13..24 (due after 31 July next year), 100,000 principal each
    assert _non_current(july) == D("1200000")
    # 1 August: instalments 1 and 2 (124,000 each) and 876,000 more principal: rows
    # 3..24 re-amortised over 1,324,000
    loan.refresh_from_db()
    loan_repay(loan=loan, amount=D("1124000"), by=by, on=date(YEAR, 8, 1), excess_to="principal")
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("1324000")
    v2_after = sum(
        r.principal
        for r in Instalment.objects.filter(loan=loan, version=2, due_date__gt=date(YEAR + 1, 8, 31))
    )
    assert 0 < v2_after < D("1100000")
    assert _non_current(july) == D("1200000")  # the prepayment came after 31 July
    assert _non_current(august) == v2_after
    loan_payoff(loan=loan, by=by, on=date(YEAR, 9, 1))
    loan.refresh_from_db()
    assert loan.status == "closed" and loan.principal_outstanding == 0
    # repaid after the report dates: still outstanding on them
    assert _non_current(july) == D("1200000")
    assert _non_current(august) == v2_after
    assert _non_current(date(YEAR, 9, 30)) == 0


def test_loans_split_after_a_prepayment_reversed_uses_the_schedule_in_effect(year_data, staff):
    """The same 24-month loan of July, prepaid on 1 August with its excess to principal
    (rows 3..24 re-amortised) and that payment reversed on 1 September (rows 3..24 of
    the first schedule current again, the re-amortised ones kept as history): 31 August
    shows the re-amortised schedule, in effect then; 30 September the first schedule
    again, counted once (not with the history rows too)."""
    from core.loans.models import Instalment, LoanProduct
    from core.loans.services import (
        loan_apply,
        loan_approve,
        loan_disburse,
        loan_repay,
        loan_repayment_reverse,
        loan_verify,
    )
    from tests.loans.conftest import docs

    by = year_data["by"]
    loan = loan_apply(
        member=year_data["m1"],
        product=LoanProduct.objects.get(code="YE"),
        principal=D("2400000"),
        tenor=24,
        by=staff["petugas"],
        on=date(YEAR, 7, 1),
        documents=docs(),
    )
    loan = loan_approve(loan=loan_verify(loan=loan, by=by), by=staff["ketua"])
    approval_backdate(loan, date(YEAR, 7, 1))
    loan_disburse(loan=loan, by=by, on=date(YEAR, 7, 1))
    july, august, september = date(YEAR, 7, 31), date(YEAR, 8, 31), date(YEAR, 9, 30)
    loan.refresh_from_db()
    rep = loan_repay(
        loan=loan, amount=D("1124000"), by=by, on=date(YEAR, 8, 1), excess_to="principal"
    )
    v2_after = sum(
        r.principal
        for r in Instalment.objects.filter(loan=loan, version=2, due_date__gt=date(YEAR + 1, 8, 31))
    )
    assert _non_current(august) == v2_after
    loan_repayment_reverse(repayment=rep, by=by, reason="salah ketik", on=date(YEAR, 9, 1))
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("2400000")
    v1_after_sept = sum(
        r.principal
        for r in Instalment.objects.filter(
            loan=loan, is_current=True, due_date__gt=date(YEAR + 1, 9, 30)
        )
    )
    assert v1_after_sept == D("1000000")  # rows 15..24, 100,000 each
    assert _non_current(july) == D("1200000")
    assert _non_current(august) == v2_after  # the prepayment was in effect then
    assert _non_current(september) == v1_after_sept
