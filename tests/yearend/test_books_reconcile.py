"""An auditor's pass over the books: a cooperative's last year (``YEAR``) and this year (``NEXT``) built through the
real services (counter deposits and withdrawals, two loans disbursed and repaid by
payroll and at the counter, a repayment and a deposit cancelled, other income and
expenses, monthly jasa simpanan, every month closed, the year closed, the SHU posted
after the RAT and paid, a member's exit this year, a month with no activity), then the
statements checked against each other and against the ledger:

- the balance sheet balances at every month end;
- the cash flow's closing cash is the cash and bank accounts' balance and its opening is
  the previous period's closing;
- the equity statement reconciles (opening + increases − decreases = closing) and agrees
  with the balance sheet's equity at both ends;
- the income statement's SHU is the SHU the year end distributes;
- the RAT pack's statements are the ledger's statements;
- a cancelled entry and its reversal leave no trace in the income statement;
- a month with no activity shows the previous month's balances;
- the HTML page, the API and the XLSX show the same figures."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.deductions.conftest import csv_bytes, make_run
from tests.loans.conftest import approval_backdate, docs
from tests.members import factories as f
from tests.module_coop import client_for, entered, module_cooperative
from tests.yearend.conftest import YEAR

D = Decimal
NEXT = YEAR + 1
ZERO = D("0")


def _month_ends(start: date, end: date) -> list[date]:
    out, d = [], start
    while d <= end:
        nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append(nxt - timedelta(days=1))
        d = nxt
    return out


def _build():
    """The two years of books, built once for the module in a cooperative of its own
    (committed; every test here only reads them)."""
    staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
    return _books(staff)


@pytest.fixture(scope="module")
def books_coop(django_db_setup, django_db_blocker, tmp_path_factory):
    with module_cooperative(django_db_blocker, tmp_path_factory, "books", _build) as made:
        yield made


@pytest.fixture
def books(db, books_coop):
    coop, data = books_coop
    with entered(coop):
        yield data


def _books(staff):
    from core.deductions.models import DeductionLine
    from core.deductions.services import (
        deduction_import_post,
        deduction_import_upload,
        deduction_settings_update,
    )
    from core.exits.services import exit_settlement_confirm
    from core.ledger.models import Period
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post, period_close
    from core.loans.arrears import loans_arrears_update
    from core.loans.models import LoanProduct
    from core.loans.services import (
        loan_apply,
        loan_approve,
        loan_disburse,
        loan_repay,
        loan_repayment_reverse,
        loan_verify,
    )
    from core.savings.models import SavingsProduct
    from core.savings.services import (
        savings_account_get_or_open,
        savings_interest_accrue,
        teller_deposit,
        teller_reverse,
        teller_withdraw,
    )
    from core.yearend.services import shu_payout, shu_post, yearend_close

    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    journal_post(
        on=date(YEAR, 1, 2),
        description="Saldo awal",
        source="opening",
        source_ref="reconcile-opening",
        by=by,
        lines=[
            LineSpec(account_for_role("bank"), debit=D("50000000")),
            LineSpec(account_for_role("opening_balance"), credit=D("50000000")),
        ],
    )
    agency = f.agency("DISDIK", "Dinas Pendidikan")
    members = [f.member(agency_obj=agency, take_home_pay=D("15000000")) for _ in range(4)]

    def product(kind):
        return SavingsProduct.objects.filter(kind=kind, is_active=True).order_by("id").first()

    sukarela = product("sukarela")
    accounts = {}
    for i, m in enumerate(members):
        for kind, amount in (("pokok", 100000), ("wajib", 500000), ("sukarela", 1000000 * (i + 1))):
            acc = savings_account_get_or_open(
                member=m, product=product(kind), on=date(YEAR, 1, 5), by=by
            )
            accounts[(i, kind)] = acc
            teller_deposit(
                account=acc, amount=D(amount), channel="cash", on=date(YEAR, 1, 5), by=by
            )
    # a deposit typed twice, cancelled the same day
    wrong = teller_deposit(
        account=accounts[(1, "sukarela")],
        amount=D("750000"),
        channel="cash",
        on=date(YEAR, 2, 3),
        by=by,
    )
    teller_reverse(txn=wrong, on=date(YEAR, 2, 3), reason="Diketik dua kali", by=by)
    teller_withdraw(
        account=accounts[(3, "sukarela")],
        amount=D("400000"),
        channel="cash",
        on=date(YEAR, 4, 7),
        by=by,
    )
    loan_product = LoanProduct.objects.create(
        code="RC",
        name="Pinjaman uji",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        late_penalty_rate=D("0"),
        max_instalment_share=D("50"),
        min_membership_months=0,
    )
    loans = []
    for m, principal, tenor in ((members[0], "12000000", 12), (members[1], "6000000", 24)):
        ln = loan_apply(
            member=m,
            product=loan_product,
            principal=D(principal),
            tenor=tenor,
            by=staff["petugas"],
            on=date(YEAR, 1, 10),
            documents=docs(),
        )
        loan_verify(loan=ln, by=by)
        loan_approve(loan=ln, by=staff["ketua"])
        approval_backdate(ln, date(YEAR, 1, 10))
        loan_disburse(loan=ln, by=by, on=date(YEAR, 1, 10), first_due_date=date(YEAR, 1, 20))
        loans.append(ln)
    for month in range(1, 13):
        on = date(YEAR, month, 20)
        run = make_run(on=on, by=by)
        lines = DeductionLine.objects.filter(run=run).select_related("member")
        content = csv_bytes([(ln.member.nip, int(ln.total)) for ln in lines])
        imp = deduction_import_upload(
            run=run, agency=agency, content=content, file_name="realisasi.csv", by=by
        )
        assert imp.status == "valid", (imp.errors, imp.file_errors)
        if month == 6:  # an extra payment at the counter, taken by mistake and cancelled
            # (entered before June's payroll batch, which is dated 1 July: payments are
            # recorded in payment-date order)
            loans[1].refresh_from_db()
            rep = loan_repay(loan=loans[1], amount=D("310000"), by=by, on=date(YEAR, 6, 25))
            loan_repayment_reverse(
                repayment=rep, by=by, reason="Salah anggota", on=date(YEAR, 6, 25)
            )
        deduction_import_post(imp=imp, by=by)
        if month in (3, 9):
            journal_post(
                on=date(YEAR, month, 28),
                description="Pendapatan lain",
                by=by,
                lines=[
                    LineSpec(account_for_role("cash"), debit=D("2500000")),
                    LineSpec(account_for_role("other_income"), credit=D("2500000")),
                ],
            )
        savings_interest_accrue(product=sukarela, year=YEAR, month=month, by=by)
    loans_arrears_update(on=date(YEAR, 12, 31), by=by)
    for period in Period.objects.filter(fiscal_year__year=YEAR):
        period_close(period=period, by=by)
    ye = yearend_close(year=YEAR, by=by)
    fiscal_year_ensure(year=NEXT)
    # January of NEXT: a deposit
    teller_deposit(
        account=accounts[(2, "sukarela")],
        amount=D("300000"),
        channel="cash",
        on=date(NEXT, 1, 15),
        by=by,
    )
    rat_on = date(NEXT, 3, 10)
    ye = shu_post(year=YEAR, rat_date=rat_on, rat_decision="01/RAT/2026", by=by)
    shu_payout(
        year=YEAR,
        items=[(members[0].pk, None), (members[1].pk, None)],
        method="cash",
        by=by,
        on=date(NEXT, 3, 11),
    )
    shu_payout(
        year=YEAR, items=[(members[2].pk, None)], method="sukarela", by=by, on=date(NEXT, 3, 11)
    )
    exit_settlement_confirm(
        member=members[3], reason="retired", on=date(NEXT, 4, 15), by=by, channel="bank"
    )
    # May of NEXT: nothing at all; June of NEXT: a deposit
    teller_deposit(
        account=accounts[(2, "sukarela")],
        amount=D("200000"),
        channel="cash",
        on=date(NEXT, 6, 3),
        by=by,
    )
    for period in Period.objects.filter(fiscal_year__year=NEXT, month__lte=5):
        period_close(period=period, by=by)
    return {"ye": ye, "members": members, "loans": loans, "by": by, "staff": staff}


def _cash_balance(on: date) -> Decimal:
    from core.ledger.selectors import account_balances, cash_accounts

    return sum(account_balances(accounts=cash_accounts(), as_of=on).values(), ZERO)


def test_balance_sheet_balances_at_every_month_end(books):
    from core.ledger import reports

    for end in _month_ends(date(YEAR, 1, 1), date(NEXT, 11, 30)):
        bs = reports.balance_sheet(as_of=end, compare_as_of=end.replace(day=1) - timedelta(days=1))
        assert bs["balanced"], (end, bs["total_assets"], bs["total_liabilities_equity"])
        tb = reports.trial_balance(as_of=end)
        assert tb["balanced"], end


def test_cash_flow_closing_is_the_cash_accounts_and_opening_the_previous_closing(books):
    from core.ledger import reports

    previous_closing = None
    for end in _month_ends(date(YEAR, 1, 1), date(NEXT, 11, 30)):
        cf = reports.cash_flow(date_from=end.replace(day=1), date_to=end)
        assert cf["reconciles"], end
        assert cf["closing_cash"] == _cash_balance(end), end
        if previous_closing is not None:
            assert cf["opening_cash"] == previous_closing, end
        assert cf["previous"]["closing_cash"] == cf["opening_cash"] or end.month == 1, end
        previous_closing = cf["closing_cash"]
    y1 = reports.cash_flow(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
    y2 = reports.cash_flow(date_from=date(NEXT, 1, 1), date_to=date(NEXT, 11, 30))
    assert y1["reconciles"] and y2["reconciles"]
    assert y1["closing_cash"] == _cash_balance(date(YEAR, 12, 31))
    assert y2["opening_cash"] == y1["closing_cash"]
    # NEXT to 30 November compares with YEAR to 30 November
    assert y2["previous"]["closing_cash"] == _cash_balance(date(YEAR, 11, 30))


def test_equity_statement_reconciles_with_the_balance_sheet(books):
    from core.ledger import reports

    for f_, t_ in (
        (date(YEAR, 1, 1), date(YEAR, 12, 31)),
        (date(NEXT, 1, 1), date(NEXT, 11, 30)),
        (date(NEXT, 3, 1), date(NEXT, 3, 31)),
        (date(YEAR, 6, 1), date(YEAR, 6, 30)),
    ):
        eq = reports.equity_changes(date_from=f_, date_to=t_)
        t = eq["totals"]
        assert t["opening"] + t["increase"] - t["decrease"] == t["closing"], f_
        for row in eq["rows"]:
            # moves between equity components (the SHU's close and move to SHU belum
            # dibagi) are their own column: neither an increase nor a decrease of equity
            assert (
                row["opening"] + row["increase"] - row["decrease"] + row["transfer"]
                == row["closing"]
            ), row
        assert t["transfer"] == 0, f_
        close_bs = reports.balance_sheet(as_of=t_)
        open_bs = reports.balance_sheet(as_of=f_ - timedelta(days=1))
        assert t["closing"] == close_bs["total_equity"], (
            f_,
            t["closing"],
            close_bs["total_equity"],
        )
        if f_ != date(YEAR, 1, 1):  # 2 January of YEAR brings the opening balances in
            assert t["opening"] == open_bs["total_equity"], (f_, t["opening"])


def test_income_statement_shu_is_the_shu_distributed(books):
    from core.ledger import reports
    from core.yearend.allocation import FUNDS

    ye = books["ye"]
    inc = reports.income_statement(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
    assert inc["result"] == ye.shu_after_tax > 0
    assert inc["shu_before_tax"] == ye.shu_before_tax
    assert inc["income_tax"] == ye.income_tax
    assert sum(D(ye.funds[k]) for k in FUNDS) == ye.shu_after_tax
    # the unclosed result of NEXT on the balance sheet is NEXT's income statement
    inc2 = reports.income_statement(date_from=date(NEXT, 1, 1), date_to=date(NEXT, 11, 30))
    bs = reports.balance_sheet(as_of=date(NEXT, 11, 30))
    unclosed = [g for g in bs["equity"] if g["code"] == ""]
    assert (unclosed[0]["total"] if unclosed else ZERO) == inc2["result"]


def test_rat_pack_statements_are_the_ledger_statements(books):
    from core.ledger import reports, tables
    from core.yearend.rat import rat_pack_tables

    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    expected = [
        tables.balance_sheet_table(
            reports.balance_sheet(as_of=end, compare_as_of=start - timedelta(days=1))
        ),
        tables.income_statement_table(reports.income_statement(date_from=start, date_to=end)),
        tables.equity_changes_table(reports.equity_changes(date_from=start, date_to=end)),
        tables.cash_flow_table(reports.cash_flow(date_from=start, date_to=end)),
    ]
    pack = rat_pack_tables(year=YEAR)
    by_title = {t["title"]: t for t in pack}
    for t in expected:
        assert by_title[t["title"]]["rows"] == t["rows"], t["title"]
    ye = books["ye"]
    shu = next(t for t in pack if str(t["title"]).startswith("Pembagian SHU"))
    figures = [r["cells"][-1] for r in shu["rows"] if isinstance(r["cells"][-1], Decimal)]
    assert figures[:3] == [ye.shu_before_tax, ye.income_tax, ye.shu_after_tax]


def test_cancelled_entries_leave_no_trace_in_the_statements(books):
    """The deposit typed twice (3 February 2025) and the counter payment taken by
    mistake (25 June 2025) were cancelled the same day: the month's statements are
    as if neither had been posted."""
    from core.ledger import reports
    from core.ledger.models import JournalEntry
    from core.ledger.selectors import account_for_role

    cancelled = JournalEntry.objects.filter(
        pk__in=JournalEntry.objects.filter(source="reversal").values("reverses_id")
    )
    assert {e.date for e in cancelled} == {date(YEAR, 2, 3), date(YEAR, 6, 25)}
    for month in (2, 6):
        f_, t_ = date(YEAR, month, 1), _month_ends(date(YEAR, month, 1), date(YEAR, month, 1))[0]
        cf = reports.cash_flow(date_from=f_, date_to=t_)
        flows = {
            (x["code"], way): x["amount"]
            for s in cf["sections"]
            for way in ("inflows", "outflows")
            for x in s[way]
        }
        sukarela = account_for_role("savings_sukarela").code
        loans = account_for_role("loan_receivable").code
        jasa = account_for_role("loan_interest_income").code
        if month == 2:  # no sukarela moved in February but the cancelled deposit
            assert (sukarela, "inflows") not in flows and (sukarela, "outflows") not in flows
        else:  # June: the payroll's jasa and principal only, nothing paid out
            assert (loans, "outflows") not in flows and (jasa, "outflows") not in flows, flows
            assert flows[(jasa, "inflows")] == D("180000"), flows
        inc = reports.income_statement(date_from=f_, date_to=t_, compare=False)
        assert all(r["amount"] >= 0 for g in inc["income"] for r in g["rows"])


def test_a_month_with_no_activity_shows_the_previous_balances(books):
    from core.ledger import reports

    april, may = date(NEXT, 4, 30), date(NEXT, 5, 31)
    a, b = reports.balance_sheet(as_of=april), reports.balance_sheet(as_of=may)
    for key in ("total_assets", "total_liabilities", "total_equity"):
        assert a[key] == b[key], key
    assert b["prev_total_assets"] == 0  # no comparison asked
    cf = reports.cash_flow(date_from=date(NEXT, 5, 1), date_to=may)
    assert cf["net_change"] == 0
    assert cf["opening_cash"] == cf["closing_cash"] == _cash_balance(april) > 0
    assert all(not s["inflows"] and not s["outflows"] for s in cf["sections"])
    inc = reports.income_statement(date_from=date(NEXT, 5, 1), date_to=may)
    assert inc["result"] == 0
    eq = reports.equity_changes(date_from=date(NEXT, 5, 1), date_to=may)
    assert eq["totals"]["increase"] == eq["totals"]["decrease"] == 0
    assert eq["totals"]["opening"] == eq["totals"]["closing"] == b["total_equity"]


def test_page_api_pdf_and_xlsx_show_the_same_figures(books_coop, books):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from core.common.money import format_rupiah
    from core.ledger import reports
    from core.ledger.views import build_table

    client_a = client_for(books_coop[0])
    client_a.force_login(books["staff"]["bendahara"])
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    q = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    inc = reports.income_statement(date_from=start, date_to=end)
    api = client_a.get("/api/v1/ledger/reports/income-statement/", q).json()
    assert D(str(api["result"])) == inc["result"] == books["ye"].shu_after_tax
    api_bs = client_a.get("/api/v1/ledger/reports/balance-sheet/", q).json()
    bs = reports.balance_sheet(as_of=end)
    assert D(str(api_bs["total_assets"])) == bs["total_assets"]
    assert D(str(api_bs["total_equity"])) == bs["total_equity"]
    api_cf = client_a.get("/api/v1/ledger/reports/cash-flow/", q).json()
    assert D(str(api_cf["closing_cash"])) == _cash_balance(end)
    api_eq = client_a.get("/api/v1/ledger/reports/equity-changes/", q).json()
    assert D(str(api_eq["totals"]["closing"])) == bs["total_equity"]
    for kind in ("neraca", "phu", "perubahan-ekuitas", "arus-kas", "neraca-saldo"):
        table = build_table(kind, reports.Range(start, end))
        figures = [c for r in table["rows"] for c in r["cells"] if isinstance(c, Decimal)]
        page = client_a.get(f"/buku-besar/laporan/{kind}/", q)
        assert page.status_code == 200, kind
        html = page.content.decode()
        for x in figures:
            assert format_rupiah(x) in html, (kind, x)
        xlsx = client_a.get(f"/buku-besar/laporan/{kind}/", q | {"format": "xlsx"})
        ws = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        nums = [
            D(str(c))
            for row in ws.iter_rows(min_row=6, values_only=True)
            for c in row
            if isinstance(c, int | float)
        ]
        assert nums == figures, kind
        pdf = client_a.get(f"/buku-besar/laporan/{kind}/", q | {"format": "pdf"})
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        text = " ".join(text.split())
        for x in {figures[-1], figures[0]}:
            assert format_rupiah(x) in text, (kind, x)


def test_odd_ranges_and_the_buku_besar_agree_with_the_balances(books):
    """Ranges that cut months and span the year close (stored closed months, per-day
    figures and lines mixed), and each account's buku besar against the trial balance."""
    from core.ledger import reports
    from core.ledger.models import Account
    from core.ledger.selectors import account_balances

    for f_, t_ in (
        (date(YEAR, 6, 15), date(NEXT, 2, 10)),
        (date(YEAR, 12, 31), date(NEXT, 1, 1)),
        (date(YEAR, 7, 1), date(NEXT, 6, 30)),
    ):
        cf = reports.cash_flow(date_from=f_, date_to=t_)
        assert cf["reconciles"], f_
        assert cf["opening_cash"] == _cash_balance(f_ - timedelta(days=1)), f_
        assert cf["closing_cash"] == _cash_balance(t_), f_
        eq = reports.equity_changes(date_from=f_, date_to=t_)
        t = eq["totals"]
        assert t["opening"] + t["increase"] - t["decrease"] == t["closing"], f_
        assert t["closing"] == reports.balance_sheet(as_of=t_)["total_equity"], f_
        assert t["opening"] == reports.balance_sheet(as_of=f_ - timedelta(days=1))["total_equity"]
    end = date(NEXT, 11, 30)
    accounts = list(Account.objects.filter(is_group=False))
    balances = account_balances(accounts=accounts, as_of=end)
    for acc in accounts:
        gl = reports.general_ledger(
            account=acc, date_from=date(YEAR, 3, 15), date_to=end, page_size=1000
        )
        assert gl["closing"] == balances[acc.pk], acc.code
        if gl["rows"]:
            assert gl["rows"][-1]["balance"] == gl["closing"], acc.code
