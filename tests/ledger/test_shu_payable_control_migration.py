"""Ledger 0028 makes *SHU Bagian Anggota Belum Dibayar* a control account in every
existing cooperative, through the migration executor on a cooperative whose account
already took what the guard now refuses: a manual SHU payment naming no member and the
old books' unpaid SHU as one opening figure. The migration does not fail over them: the
account is marked all the same, the daily reconciliation shows the Rp the shares do not
explain as *saldo tanpa nama anggota*, and a manual line is refused from then on."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.common.errors import ApplicationError
from core.ledger.models import Account
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, journal_post
from core.yearend.selectors import shu_subledger_check

BEFORE = ("ledger", "0027_cash_flow_jasa_ahead_backfill")
AFTER = ("ledger", "0028_shu_payable_control_account")


def _migrate(target: tuple[str, str]) -> None:
    MigrationExecutor(connection).migrate([target])


def test_existing_shu_payable_is_marked_control_whatever_it_holds(scratch_tenant):
    connection.set_tenant(scratch_tenant)
    try:
        _migrate(BEFORE)
        payable = account_for_role("shu_members_payable")
        # a cooperative of before: its account no control account (0008's trigger keeps
        # the flag once set, so it is cleared with that trigger set aside)
        with connection.cursor() as cur:
            cur.execute("ALTER TABLE ledger_account DISABLE TRIGGER ledger_account_control_kept")
            cur.execute("UPDATE ledger_account SET is_control = false WHERE id = %s", [payable.pk])
            cur.execute("ALTER TABLE ledger_account ENABLE TRIGGER ledger_account_control_kept")
        today = timezone.localdate()
        journal_post(
            on=today,
            description="Saldo SHU pembukuan lama",
            source="opening",
            source_ref="old-shu",
            by="tests",
            lines=[LineSpec(payable, credit=D("20000")), LineSpec("3106", debit=D("20000"))],
        )
        journal_post(
            on=today,
            description="SHU dibayar tunai (manual)",
            by="tests",
            lines=[LineSpec(payable, debit=D("5000")), LineSpec("1101", credit=D("5000"))],
        )
        assert not Account.objects.get(pk=payable.pk).is_control

        _migrate(AFTER)

        assert Account.objects.get(pk=payable.pk).is_control
        assert account_balance(account=payable) == D("15000")  # nothing moved
        rows = {r.item: r for r in shu_subledger_check()}
        assert rows["saldo tanpa nama anggota"].ledger_balance == D("15000")
        assert rows["saldo tanpa nama anggota"].difference == D("-15000")
        assert rows[f"{payable.code} {payable.name}"].difference == 0
        run = subledgers_reconcile()
        assert not run.ok
        assert [r["item"] for r in run.results if r["subledger"] == "shu" and not r["ok"]] == [
            "saldo tanpa nama anggota"
        ]
        with pytest.raises(ApplicationError) as e:
            journal_post(
                on=today,
                description="SHU dibayar tunai (manual)",
                by="tests",
                lines=[LineSpec(payable, debit=D("1")), LineSpec("1101", credit=D("1"))],
            )
        assert e.value.code == "control_account"

        # going back leaves the flag (it is kept once set); forward again is a no-op
        _migrate(BEFORE)
        assert Account.objects.get(pk=payable.pk).is_control
        _migrate(AFTER)
    finally:
        connection.set_schema_to_public()


def test_new_cooperatives_get_shu_payable_marked_by_the_role_trigger(in_tenant_a):
    assert account_for_role("shu_members_payable").is_control
