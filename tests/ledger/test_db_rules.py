"""The database itself refuses what the services refuse: these go around the services
with raw SQL and must fail."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from core.ledger.models import Account, Period
from core.ledger.selectors import balances_check
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post, period_close

D = Decimal


@pytest.fixture
def entry(in_tenant_a, bendahara, today):
    return journal_post(
        on=today,
        description="Setoran",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("1000"))],
    )


def _fails(sql, params=None, *, deferred=False):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params or [])
        if deferred:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_update_of_posted_line_fails(entry):
    _fails("UPDATE ledger_journalline SET debit = debit + 1 WHERE entry_id = %s", [entry.pk])


def test_delete_of_posted_line_fails(entry):
    _fails("DELETE FROM ledger_journalline WHERE entry_id = %s", [entry.pk])


def test_update_and_delete_of_posted_entry_fail(entry):
    _fails("UPDATE ledger_journalentry SET description = 'x' WHERE id = %s", [entry.pk])
    _fails("DELETE FROM ledger_journalentry WHERE id = %s", [entry.pk])
    _fails("TRUNCATE ledger_journalline CASCADE")


def test_balances_table_cannot_be_written_directly(entry):
    _fails("UPDATE ledger_accountbalance SET debit = 0")
    _fails("DELETE FROM ledger_accountbalance")


def _raw_entry(cur, on, number=99999):
    cur.execute(
        "INSERT INTO ledger_journalentry (fiscal_year, number, date, description, source,"
        " source_ref, status) VALUES (%s, %s, %s, 'raw', 'manual', '', 'posted') RETURNING id",
        [on.year, number, on],
    )
    return cur.fetchone()[0]


def _acc(code):
    return Account.objects.get(code=code).pk


def test_unbalanced_entry_fails_at_commit(in_tenant_a, today):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        eid = _raw_entry(cur, today)
        cur.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, memo)"
            " VALUES (%s, %s, %s, 100, 0, ''), (%s, %s, %s, 0, 90, '')",
            [eid, _acc("1101"), today, eid, _acc("3106"), today],
        )
        cur.execute("SET CONSTRAINTS ledger_entry_balanced IMMEDIATE")


def test_balanced_raw_entry_passes_and_balances_follow(in_tenant_a, today):
    with transaction.atomic(), connection.cursor() as cur:
        eid = _raw_entry(cur, today)
        cur.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, memo)"
            " VALUES (%s, %s, %s, 100, 0, ''), (%s, %s, %s, 0, 100, '')",
            [eid, _acc("1101"), today, eid, _acc("3106"), today],
        )
        cur.execute("SET CONSTRAINTS ledger_entry_balanced IMMEDIATE")
    assert balances_check() == []


def test_line_with_both_sides_or_negative_fails(in_tenant_a, today):
    for d, c in [(100, 100), (-100, 0), (0, 0)]:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            eid = _raw_entry(cur, today)
            cur.execute(
                "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, memo)"
                " VALUES (%s, %s, %s, %s, %s, '')",
                [eid, _acc("1101"), today, d, c],
            )


def test_line_dated_differently_from_its_entry_fails(entry, today):
    # (A line added to an entry committed earlier: see test_concurrency.py.)
    _fails(
        "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, memo)"
        " VALUES (%s, %s, %s, 5, 0, '')",
        [entry.pk, _acc("1101"), today - timedelta(days=1)],
    )


def test_posting_into_closed_period_fails_in_db(in_tenant_a, bendahara, today):
    last_month = today.replace(day=1) - timedelta(days=1)
    fiscal_year_ensure(year=last_month.year)  # in January: last year, opened as an admin would
    journal_post(
        on=last_month,
        description="x",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("5")), LineSpec("3106", credit=D("5"))],
    )
    period_close(period=Period.objects.get(start_date=last_month.replace(day=1)), by=bendahara)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        _raw_entry(cur, last_month)


def test_posting_to_group_or_inactive_account_fails_in_db(in_tenant_a, today):
    Account.objects.filter(code="1106").update(is_active=False)
    for code in ("11", "1106"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            eid = _raw_entry(cur, today)
            cur.execute(
                "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, memo)"
                " VALUES (%s, %s, %s, 5, 0, ''), (%s, %s, %s, 0, 5, '')",
                [eid, _acc(code), today, eid, _acc("3106"), today],
            )


def test_account_with_postings_cannot_change_type(entry):
    _fails("UPDATE ledger_account SET type = 'expense' WHERE code = '1101'")
    with transaction.atomic(), connection.cursor() as cur:  # renaming is fine
        cur.execute("UPDATE ledger_account SET name = 'Kas Besar' WHERE code = '1101'")


def test_account_with_postings_cannot_be_deleted(entry):
    _fails("DELETE FROM ledger_account WHERE code = '1101'", deferred=True)
