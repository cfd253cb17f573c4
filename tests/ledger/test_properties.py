"""Property: any sequence of postings and reversals keeps the trial balance at zero, the
balance sheet balanced and the balances table equal to the lines."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.ledger import reports
from core.ledger.models import JournalEntry
from core.ledger.selectors import balances_check
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post, journal_reverse

# no control accounts (1103, 1104, 2101, 2105, 3101…): manual entries may not touch them
CODES = ["1101", "1102", "1105", "2107", "2106", "3103", "3106", "4101", "4102", "5101", "5301"]

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000000"), places=2)
pair = st.tuples(st.sampled_from(CODES), st.sampled_from(CODES), amounts)
post_op = st.tuples(st.just("post"), st.lists(pair, min_size=1, max_size=4), st.integers(0, 60))
reverse_op = st.tuples(st.just("reverse"), st.integers(0, 10_000), st.integers(0, 5))
ops = st.lists(st.one_of(post_op, reverse_op), min_size=1, max_size=8)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=ops)
def test_postings_and_reversals_keep_books_balanced(in_tenant_a, bendahara, today, ops):
    start = today - timedelta(days=60)
    # in January and February 60 days back is last year: open it first, as an admin would
    # (the books of the test cooperatives start this year)
    fiscal_year_ensure(year=start.year)
    posted: list[JournalEntry] = []
    for op in ops:
        if op[0] == "post":
            _kind, pairs, offset = op
            on = max(start, today - timedelta(days=offset))
            lines = []
            for dr, cr, amount in pairs:
                lines.append(LineSpec(dr, debit=amount))
                lines.append(LineSpec(cr, credit=amount))
            posted.append(journal_post(on=on, description="prop", by=bendahara, lines=lines))
        elif posted:
            _kind, idx, delay = op
            target = posted[idx % len(posted)]
            if target.reverses_id or JournalEntry.objects.filter(reverses=target).exists():
                continue
            on = min(today, target.date + timedelta(days=delay))
            posted.append(journal_reverse(entry=target, on=on, reason="uji", by=bendahara))
    for as_of in (today, today - timedelta(days=17), start):
        tb = reports.trial_balance(as_of=as_of)
        assert tb["total_debit"] == tb["total_credit"]
        bs = reports.balance_sheet(as_of=as_of)
        assert bs["total_assets"] == bs["total_liabilities_equity"]
    assert balances_check() == []


YEAR_CODES = ["1101", "1102", "1105", "2106", "3106", "4101", "4102", "5101", "5301"]
year_pair = st.tuples(
    st.sampled_from(YEAR_CODES), st.sampled_from(YEAR_CODES), amounts, st.integers(1, 12)
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=st.lists(year_pair, min_size=1, max_size=6))
def test_year_close_and_reopen_keep_books_balanced(in_tenant_a, bendahara, admin_user, pairs):
    from core.ledger.models import Account, FiscalYear, Period
    from core.ledger.selectors import account_balance
    from core.ledger.services import fiscal_year_close, fiscal_year_ensure, period_reopen

    year = date.today().year - 1
    fiscal_year_ensure(year=year)
    for dr, cr, amount, month in pairs:
        journal_post(
            on=date(year, month, 10),
            description="prop",
            by=bendahara,
            lines=[LineSpec(dr, debit=amount), LineSpec(cr, credit=amount)],
        )
    end = date(year, 12, 31)
    before = reports.income_statement(date_from=date(year, 1, 1), date_to=end)
    shu = Account.objects.get(code="3105")
    shu_before = account_balance(account=shu)
    fiscal_year_close(fiscal_year=FiscalYear.objects.get(year=year), by=bendahara)
    assert account_balance(account=shu) == shu_before + before["result"]
    for acc in Account.objects.filter(type__in=["income", "expense"], is_group=False):
        assert account_balance(account=acc, as_of=end) == 0
    after = reports.income_statement(date_from=date(year, 1, 1), date_to=end)
    assert after["result"] == before["result"]
    assert after["total_income"] == before["total_income"]
    bs = reports.balance_sheet(as_of=end)
    assert bs["total_assets"] == bs["total_liabilities_equity"]
    tb = reports.trial_balance(as_of=end)
    assert tb["total_debit"] == tb["total_credit"]
    period_reopen(
        period=Period.objects.get(fiscal_year__year=year, month=12), reason="uji", by=admin_user
    )
    assert account_balance(account=shu) == shu_before
    # the other months stay closed until reopened one by one (admin, audited)
    assert Period.objects.filter(fiscal_year__year=year, status="closed").count() == 11
    for p in Period.objects.filter(fiscal_year__year=year, status="closed"):
        period_reopen(period=p, reason="uji", by=admin_user)
    assert (
        reports.income_statement(date_from=date(year, 1, 1), date_to=end)["result"]
        == before["result"]
    )
    assert balances_check() == []
