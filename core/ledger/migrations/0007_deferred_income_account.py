"""Restructured loans (issue 17): capitalised overdue jasa is not income but *Pendapatan
jasa ditangguhkan*, a liability. The default chart (``data/kpri_coa_v1.json``) now has it
(2115, role ``deferred_jasa_income``); this adds it to the charts cooperatives already
have. A schema without a chart yet (seeded later from the template) is left alone; a
cooperative that used 2115 for something else gets the next free 21xx code."""

from django.db import migrations

ROLE = "deferred_jasa_income"
NAME = "Pendapatan Jasa Ditangguhkan"


def add_account(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    AccountRole = apps.get_model("ledger", "AccountRole")
    if AccountRole.objects.filter(key=ROLE).exists():
        return
    parent = Account.objects.filter(code="21", is_group=True).first()
    if parent is None:  # no chart seeded in this schema (yet)
        return
    codes = set(Account.objects.values_list("code", flat=True))
    code = next(f"21{n:02d}" for n in range(15, 100) if f"21{n:02d}" not in codes)
    account = Account.objects.create(
        code=code,
        name=NAME,
        type="liability",
        normal_side="credit",
        parent=parent,
        cash_flow="operating",
    )
    AccountRole.objects.create(key=ROLE, account=account)


def remove_account(apps, schema_editor):
    AccountRole = apps.get_model("ledger", "AccountRole")
    role = AccountRole.objects.filter(key=ROLE).select_related("account").first()
    if role is None:
        return
    account = role.account
    role.delete()
    if not account.lines.exists():
        account.delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_drop_redundant_indexes")]

    operations = [migrations.RunPython(add_account, remove_account)]
