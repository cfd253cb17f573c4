"""Year end (statements fit for the RAT): where a cooperative records simpanan pokok and
wajib as liabilities, they are long-term liabilities (returned only on exit), not
short-term ones. Moves accounts 2103 / 2104 from group 21 to group 22 where the chart
has them there."""

from django.db import migrations


def move(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    long_term = Account.objects.filter(code="22", is_group=True).first()
    if long_term is None:
        return
    Account.objects.filter(code__in=["2103", "2104"], type="liability", parent__code="21").update(
        parent=long_term
    )


def back(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    short_term = Account.objects.filter(code="21", is_group=True).first()
    if short_term is None:
        return
    Account.objects.filter(code__in=["2103", "2104"], type="liability", parent__code="22").update(
        parent=short_term
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_yearend_shu_accounts")]

    operations = [migrations.RunPython(move, back)]
