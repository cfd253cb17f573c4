"""The ledger data migration ``0007_deferred_income_account`` gives a cooperative's
existing chart the *Pendapatan jasa ditangguhkan* account and its role (issue 17 item 1),
and leaves a chart that has it alone."""

import importlib

from django.apps import apps

from core.ledger.models import Account, AccountRole

migration = importlib.import_module("core.ledger.migrations.0007_deferred_income_account")


def test_existing_chart_gets_the_deferred_income_account(in_tenant_a):
    role = AccountRole.objects.get(key="deferred_jasa_income")
    assert (role.account.code, role.account.type) == ("2115", "liability")
    # a chart seeded before the change: no such account, and 2115 used for something else
    role.delete()
    Account.objects.filter(code="2115").update(name="Utang Lain (koperasi)")
    migration.add_account(apps, None)
    role = AccountRole.objects.get(key="deferred_jasa_income")
    assert role.account.code == "2116" and role.account.name == "Pendapatan Jasa Ditangguhkan"
    assert role.account.parent.code == "21" and role.account.normal_side == "credit"
    n = Account.objects.count()
    migration.add_account(apps, None)  # idempotent
    assert Account.objects.count() == n
