"""An exit reversal posts into two months in one transaction, the later one first: its
reversal entries are dated the reversal's day, then, when the exit month's jasa run has
been made since the exit, it credits that month's part-month jasa again dated the exit
day (``_exit_month_keep``). A close of the later month at the same moment locks its month
and every earlier open month, oldest first (``period_close``), while each posting locks
its entry's month FOR SHARE (ledger 0023). On the same books: the reversal held the
later month, the close the exit month and waited for the later one, and the reversal's
exit-month entry waited for the close — a deadlock, which PostgreSQL broke by ending one
of them (a server error for whoever it was; nothing half-written). The reversal now
takes its months' locks, oldest first, before it posts (``posting_months_lock``): the
close waits for it, and closes a month whose figures hold its entries.

Real commits on separate connections (``scratch_tenant``; ``tests.concurrency``)."""

from datetime import date, timedelta
from decimal import Decimal as D
from unittest import mock

from django.db import connection
from django.utils import timezone

import core.exits.services as exits_services
from core.exits.services import exit_settlement_confirm, exit_settlement_reverse
from core.ledger.models import JournalEntry, Period
from core.ledger.reports import cash_flow_months_check
from core.ledger.services import fiscal_year_ensure, period_close
from core.savings.models import ExitSettlement
from core.savings.seeding import product_by_kind, savings_products_seed
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    teller_deposit,
)
from tests.concurrency import PausePoint, paused_race, two_clerks
from tests.members import factories as f


def _month_start(back: int) -> date:
    """The first day of the month ``back`` months before today's."""
    today = timezone.localdate()
    n = today.year * 12 + today.month - 1 - back
    return date(n // 12, n % 12 + 1, 1)


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


class Exit:
    """A member who saved from four months back (sukarela, average balance, 6 % a year),
    whose month three back was run, who left on the 16th of the month two back (the
    exit month: part-month jasa credited in the settlement), and whose exit month's run
    has been made since (it skipped the closed account). Reversing the exit on the 10th
    of the later month (last month) posts there first, then keeps the exit month's jasa
    in the exit month."""

    def __init__(self, tenant):
        connection.set_tenant(tenant)
        self.tenant = tenant
        saved, run, self.exit_month, self.later = (_month_start(n) for n in (4, 3, 2, 1))
        for year in range(timezone.localdate().year, saved.year - 1, -1):
            fiscal_year_ensure(year=year)
        savings_products_seed()
        sukarela = product_by_kind("sukarela")
        sukarela.interest_basis = "average"
        sukarela.interest_rate_annual = D("6")
        sukarela.save()
        self.by = f.user("bendahara")
        member = f.member()
        acc = savings_account_open(member=member, product=sukarela, on=saved)
        teller_deposit(account=acc, amount=D("10000000"), channel="bank", on=saved, by=self.by)
        savings_interest_accrue(product=sukarela, year=run.year, month=run.month, by=self.by)
        self.settlement = exit_settlement_confirm(
            member=member,
            reason="resigned",
            on=self.exit_month.replace(day=16),
            by=self.by,
        )
        m = self.exit_month
        assert savings_interest_accrue(product=sukarela, year=m.year, month=m.month, by=self.by)
        self.seen: dict[str, int] = {}

    def entries_up_to_later(self) -> int:
        return JournalEntry.objects.filter(
            date__gte=self.exit_month, date__lte=_month_end(self.later)
        ).count()

    def reverse(self):
        return exit_settlement_reverse(
            settlement=self.settlement,
            by=self.by,
            reason="salah anggota",
            on=self.later.replace(day=10),
        )

    def close_later(self):
        period_close(period=Period.objects.get(start_date=self.later), by=self.by)
        # committed: what the close saw is what is in the books now
        self.seen["close"] = self.entries_up_to_later()


def _reversal_paused_after_its_later_month_posting(books: Exit) -> dict[str, object]:
    """Clerk 1 reverses the exit and stops after its entries dated in the later month
    (just before the exit month's jasa is kept), its transaction open; clerk 2 closes
    the later month meanwhile (for at most 2 s: done, or waiting for clerk 1)."""
    real = exits_services._exit_month_keep
    pause = PausePoint()

    def paused(*args, **kwargs):
        pause.stop()
        return real(*args, **kwargs)

    with mock.patch.object(exits_services, "_exit_month_keep", paused):
        return paused_race(books.tenant, books.reverse, books.close_later, pause, second_wait=2)


def test_an_exit_reversal_over_two_months_and_a_close_of_the_later_do_not_deadlock(
    scratch_tenant,
):
    books = Exit(scratch_tenant)
    before = books.entries_up_to_later()
    results = _reversal_paused_after_its_later_month_posting(books)
    assert results == {"1": "ok", "2": "ok"}, results
    # the reversal committed whole, the close waited for it and saw its entries
    settlement = ExitSettlement.objects.get(pk=books.settlement.pk)
    assert settlement.reversed_at is not None
    kept = JournalEntry.objects.get(
        source_ref=f"interest:exit:{settlement.member_id}:kept:{settlement.pk}"
    )
    assert kept.date == books.settlement.on
    assert books.seen["close"] == books.entries_up_to_later() > before
    assert Period.objects.get(start_date=books.later).status == Period.Status.CLOSED
    off = [(r.item, r.difference) for r in cash_flow_months_check() if r.difference]
    assert not off, off


def test_a_close_of_the_later_month_first_then_the_reversal_waits_and_is_refused(
    scratch_tenant,
):
    """The close holds both months: the reversal waits for it, then finds the later month
    closed and is refused as usual, nothing of it written."""
    books = Exit(scratch_tenant)
    before = books.entries_up_to_later()
    results = two_clerks(books.tenant, books.close_later, books.reverse)
    connection.set_tenant(books.tenant)
    assert results == {"1": "ok", "2": "period_closed"}, results
    assert ExitSettlement.objects.get(pk=books.settlement.pk).reversed_at is None
    assert books.seen["close"] == books.entries_up_to_later() == before
