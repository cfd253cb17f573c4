"""Property: any sequence of postings and reversals keeps the trial balance at zero, the
balance sheet balanced and the balances table equal to the lines."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.ledger import reports
from core.ledger.models import JournalEntry
from core.ledger.selectors import balances_check
from core.ledger.services import LineSpec, journal_post, journal_reverse

CODES = ["1101", "1102", "1103", "1104", "2101", "3101", "3106", "4101", "4102", "5101", "5301"]

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
def test_postings_and_reversals_keep_books_balanced(in_tenant_a, bendahara, ops):
    today = date.today()
    start = today - timedelta(days=60)
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
