"""Year end (core.yearend): the accounts it needs in charts seeded before it existed.
*SHU Belum Dibagi* (equity, role ``shu_undistributed``) holds the year's SHU after tax
between the close and the RAT; *Beban Pajak Penghasilan Koperasi* (role
``income_tax_expense``) carries the cooperative's own income tax. Added only where the
chart exists (its group account is there) and the code or role is free."""

from django.db import migrations

NEW = [
    # code, name, type, normal side, parent code, role, cash flow
    ("3107", "SHU Belum Dibagi", "equity", "credit", "3", "shu_undistributed", "financing"),
    (
        "5403",
        "Beban Pajak Penghasilan Koperasi",
        "expense",
        "debit",
        "54",
        "income_tax_expense",
        "operating",
    ),
]


def add_accounts(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    AccountRole = apps.get_model("ledger", "AccountRole")
    for code, name, type_, side, parent_code, role, flow in NEW:
        parent = Account.objects.filter(code=parent_code).first()
        if parent is None:
            continue  # no chart seeded in this schema yet: the seeder adds it
        acc = Account.objects.filter(code=code).first()
        if acc is None:
            acc = Account.objects.create(
                code=code,
                name=name,
                type=type_,
                normal_side=side,
                parent=parent,
                cash_flow=flow,
            )
        if not AccountRole.objects.filter(key=role).exists() and acc.type == type_:
            AccountRole.objects.create(key=role, account=acc)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_drop_redundant_indexes")]

    operations = [migrations.RunPython(add_accounts, migrations.RunPython.noop)]
