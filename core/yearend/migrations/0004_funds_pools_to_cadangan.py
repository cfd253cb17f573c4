"""Posted years saved before the fix kept a members' pool nobody had a claim on (nobody
had capital, nobody paid jasa) at its full amount in ``YearEnd.funds`` although the
posting entry credited it to cadangan (which ``funds["cadangan"]`` already includes): the
saved split summed to more than the SHU after tax. Such a pool becomes 0 and is recorded
as ``<pool>_to_cadangan``, as ``shu_post`` now saves it. A pool is recognised as
unclaimed when its members' shares sum to 0 while the pool is positive (a pool with any
claim is shared out to the rupiah) and the saved split is over by exactly those pools."""

from decimal import Decimal

from django.db import migrations
from django.db.models import Sum

FUNDS = (
    "jasa_modal",
    "jasa_anggota",
    "cadangan",
    "pengurus",
    "pendidikan",
    "karyawan",
    "pembangunan",
    "sosial",
)
POOLS = (("jasa_modal", "jma"), ("jasa_anggota", "jua"))


def forwards(apps, schema_editor):
    YearEnd = apps.get_model("yearend", "YearEnd")
    MemberShare = apps.get_model("yearend", "MemberShare")
    for ye in YearEnd.objects.filter(status="posted").order_by("pk"):
        funds = dict(ye.funds or {})
        if any(f"{pool}_to_cadangan" in funds for pool, _f in POOLS):
            continue
        received = MemberShare.objects.filter(year_end=ye).aggregate(
            jma=Sum("jma"), jua=Sum("jua")
        )
        moved = {}
        for pool, field in POOLS:
            amount = Decimal(funds.get(pool, "0"))
            if amount > 0 and (received[field] or Decimal("0")) == 0:
                moved[pool] = amount
        saved = sum((Decimal(funds.get(f, "0")) for f in FUNDS), Decimal("0"))
        if not moved or saved - sum(moved.values()) != ye.shu_after_tax:
            continue
        for pool, _f in POOLS:
            amount = moved.get(pool, Decimal("0"))
            funds[pool] = str(Decimal(funds.get(pool, "0")) - amount)
            funds[f"{pool}_to_cadangan"] = str(amount)
        ye.funds = funds
        ye.save(update_fields=["funds"])


def backwards(apps, schema_editor):
    YearEnd = apps.get_model("yearend", "YearEnd")
    for ye in YearEnd.objects.filter(status="posted").order_by("pk"):
        funds = dict(ye.funds or {})
        if not any(f"{pool}_to_cadangan" in funds for pool, _f in POOLS):
            continue
        for pool, _f in POOLS:
            moved = Decimal(funds.pop(f"{pool}_to_cadangan", "0"))
            funds[pool] = str(Decimal(funds.get(pool, "0")) + moved)
        ye.funds = funds
        ye.save(update_fields=["funds"])


class Migration(migrations.Migration):
    dependencies = [
        ("yearend", "0003_rat_held_on"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
