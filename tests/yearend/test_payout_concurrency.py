"""Two SHU payout batches of the same year posted at the same moment (two treasurers at
the counter, or the screen and the API): separate connections, real commits. Each batch
is one journal entry with its own reference; the second must not be refused as a
duplicate posting because both counted the same earlier payouts."""

import threading
from datetime import date
from decimal import Decimal

from django.db import connection

from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.services import shu_payout, shu_post, yearend_close
from tests.concurrency import in_thread, join_all
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries

D = Decimal
RAT = date(YEAR + 1, 3, 1)
PAID_ON = date(YEAR + 1, 3, 10)


def _posted_year() -> dict:
    """Two savers with capital, Rp 10,000,000 other income, the year closed and its SHU
    posted after the RAT: both have an unpaid share."""
    by = f.user("bendahara")
    fiscal_year_ensure(year=YEAR)
    m1, m2 = f.member(full_name="Satu"), f.member(full_name="Dua")
    _deposit(m1, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m2, "pokok", "100000", date(YEAR, 1, 10), by)
    for m in (m1, m2):  # credited to sukarela: no receipt series to queue on
        _deposit(m, "sukarela", "1", date(YEAR, 1, 10), by)
    journal_post(
        on=date(YEAR, 6, 30),
        description="Pendapatan lain",
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role("cash"), debit=D("10000000")),
            LineSpec(account_for_role("other_income"), credit=D("10000000")),
        ],
    )
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=RAT, rat_decision="04/RAT/2026", by=by)
    return {"by": by, "m1": m1, "m2": m2}


def test_two_payout_batches_at_once_both_post_with_their_own_reference(scratch_tenant):
    connection.set_tenant(scratch_tenant)
    data = _posted_year()
    by = data["by"]
    members = {"m1": data["m1"].pk, "m2": data["m2"].pk}
    assert MemberShare.objects.filter(member_id__in=members.values(), total__gt=0).count() == 2
    outcome: dict = {}
    barrier = threading.Barrier(2)

    def pay(member_id):
        def fn():
            barrier.wait(timeout=10)  # both at once
            return [
                p.pk
                for p in shu_payout(
                    year=YEAR, items=[(member_id, None)], method="sukarela", by=by, on=PAID_ON
                )
            ]

        return fn

    join_all([in_thread(scratch_tenant, k, pay(mid), outcome) for k, mid in members.items()])
    assert all(isinstance(outcome.get(k), list) for k in members), outcome
    refs = sorted(
        JournalEntry.objects.filter(source="shu", source_ref__contains=":payout:").values_list(
            "source_ref", flat=True
        )
    )
    assert len(refs) == 2 and len(set(refs)) == 2, refs
    assert ShuPayout.objects.count() == 2
    # every share paid, and the ledger owes the members nothing more
    assert all(s.paid == s.total for s in MemberShare.objects.filter(total__gt=0))
    assert account_balance(account=account_for_role("shu_members_payable")) == 0
