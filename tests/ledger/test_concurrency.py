"""Real commits in a scratch cooperative: concurrent postings never share or skip a
number and lose no lines; a committed entry cannot be extended later."""

import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.ledger.models import Account, JournalEntry, JournalLine
from core.ledger.selectors import balances_check
from core.ledger.services import LineSpec, journal_post

D = Decimal
THREADS = 4
PER_THREAD = 15


def test_concurrent_postings_get_unique_gapless_numbers(scratch_tenant):
    today = timezone.localdate()
    errors = []

    def worker(t):
        try:
            connection.set_tenant(scratch_tenant)
            for i in range(PER_THREAD):
                journal_post(
                    on=today,
                    description=f"t{t}-{i}",
                    source="savings",
                    source_ref=f"t{t}-{i}",
                    by="tests",
                    lines=[
                        LineSpec("1101", debit=D("1000")),
                        LineSpec("2101", credit=D("600"), member_id=t),
                        LineSpec("2101", credit=D("400"), member_id=t),
                    ],
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    connection.set_tenant(scratch_tenant)
    nums = sorted(
        JournalEntry.objects.filter(fiscal_year=today.year, source="savings").values_list(
            "number", flat=True
        )
    )
    total = THREADS * PER_THREAD
    assert len(nums) == total == len(set(nums))
    all_nums = sorted(
        JournalEntry.objects.filter(fiscal_year=today.year).values_list("number", flat=True)
    )
    assert all_nums == list(range(1, len(all_nums) + 1))
    assert JournalLine.objects.filter(entry__source="savings").count() == total * 3
    assert balances_check() == []


def test_committed_entry_cannot_get_more_lines(scratch_tenant):
    today = timezone.localdate()
    connection.set_tenant(scratch_tenant)
    e = journal_post(
        on=today,
        description="asli",
        by="tests",
        lines=[LineSpec("1101", debit=D("5")), LineSpec("3106", credit=D("5"))],
    )
    cash, eq = Account.objects.get(code="1101").pk, Account.objects.get(code="3106").pk
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, memo)"
            " VALUES (%s, %s, %s, 7, 0, ''), (%s, %s, %s, 0, 7, '')",
            [e.pk, cash, today, e.pk, eq, today],
        )
    assert JournalLine.objects.filter(entry=e).count() == 2


def test_unbalanced_raw_entry_is_refused_at_commit(scratch_tenant):
    today = timezone.localdate()
    connection.set_tenant(scratch_tenant)
    cash = Account.objects.get(code="1101").pk
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_journalentry (fiscal_year, number, date, description, source,"
            " source_ref, status) VALUES (%s, 90000, %s, 'raw', 'manual', '', 'posted')"
            " RETURNING id",
            [today.year, today],
        )
        eid = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, memo)"
            " VALUES (%s, %s, %s, 7, 0, '')",
            [eid, cash, today],
        )
    # the commit itself (end of atomic) raised; nothing stayed
    assert not JournalEntry.objects.filter(number=90000).exists()
